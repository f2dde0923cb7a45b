"""Qianfan v2 credentials (reference §2): a v2 API key sent as the bearer, or a short-lived
bearer token minted from IAM keys at ``GET /v1/BCE-BEARER/token`` (§2.3, signed per §2.4).

Both implement ``cnllm.auth.Auth``. Minted tokens are cached per process and per (IAM host,
access key, secret-key hash), replaced a few minutes before ``expireTime``, and minted by one
caller at a time across threads *and* event loops (v1's single-flight token cache: the first
caller mints, the others wait for its answer or its error; a cancelled minter hands the mint
on), so a burst of calls makes one IAM request. v2 has no distinct "expired" code, so an
``invalid_iam_token`` answer marks the token stale: it is dropped and minted once more.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from cnllm import errors
from cnllm.auth import StaticHeaders
from cnllm.qianfan import signer
from cnllm.qianfan.auth import CachedToken
from cnllm.retry import RetryBudget, RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport

VENDOR = "qianfan"
DEFAULT_IAM_BASE_URL = "https://iam.bj.baidubce.com"
TOKEN_PATH = "/v1/BCE-BEARER/token"
TOKEN_LIFETIME = 86400  # seconds asked for; the server default is only 1800 (§2.3)
SIGNATURE_EXPIRY = 1800  # validity of the bce-auth-v1 signature itself, not of the token
MAX_REFRESH_MARGIN = 300.0  # a token is replaced this long before expiry (10% of a short one)
STALE_CODES = frozenset({"invalid_iam_token"})


def bearer_headers(token: str, appid: str | None = None) -> dict[str, str]:
    """``Authorization: Bearer <key>`` (the slashes of a bce-v3 key sent raw) and ``appid``."""
    headers = {"Authorization": f"Bearer {token}"}
    if appid:
        headers["appid"] = appid
    return headers


class BearerKey(StaticHeaders):
    """A long-lived v2 API key (``bce-v3/ALTAK-…``): static headers, nothing to renew."""

    def __init__(self, api_key: str, appid: str | None = None) -> None:
        errors.remember_secret(api_key)
        super().__init__(bearer_headers(api_key, appid))

    def __repr__(self) -> str:  # never the key
        return "BearerKey(***)"


# -- minting (pure) -----------------------------------------------------------------------------


def token_request(
    iam_base_url: str,
    access_key: str,
    secret_key: str,
    *,
    lifetime: int = TOKEN_LIFETIME,
    now: datetime | None = None,
) -> HttpRequest:
    """The signed ``GET /v1/BCE-BEARER/token?expireInSeconds=…`` (§2.4's minimal form: only
    ``host`` is signed; the query is part of the canonical request)."""
    url = iam_base_url.rstrip("/") + TOKEN_PATH
    host = urlsplit(url).netloc
    query = {"expireInSeconds": str(lifetime)}
    timestamp = signer.format_timestamp(now or datetime.now(timezone.utc))
    authorization = signer.sign(
        access_key=access_key,
        secret_key=secret_key,
        method="GET",
        path=urlsplit(url).path,
        headers={"host": host},
        query=query,
        timestamp=timestamp,
        expiration_seconds=SIGNATURE_EXPIRY,
        signed_headers=("host",),
    )
    return HttpRequest("GET", url, params=query, headers={"Authorization": authorization})


@dataclass(frozen=True)
class MintedToken:
    token: str
    expires_at: float  # epoch seconds


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_token(body: Any, now: float, lifetime: int = TOKEN_LIFETIME) -> MintedToken:
    """``{"token", "status", "createTime", "expireTime"}`` (§2.3)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("token"), str):
        raise errors.ProtocolError(
            f"the BCE-BEARER answer has no token: {str(body)[:200]}", vendor=VENDOR
        )
    if body.get("status") not in (None, "enable"):
        raise errors.AuthenticationError(
            f"IAM minted a bearer token with status {body.get('status')!r}",
            vendor=VENDOR,
            code="token_disabled",
        )
    expires = _epoch(body.get("expireTime"))
    errors.remember_secret(body["token"])  # no error message may ever show it
    return MintedToken(str(body["token"]), expires if expires is not None else now + lifetime)


def check_iam_response(response: HttpResponse) -> None:
    """IAM errors: non-2xx with ``X-Bce-Error-Code``/``-Message`` headers and (unverified) a
    ``{"requestId","code","message"}`` body (§2.3). Any 2xx (201 is usual) is success."""
    if 200 <= response.status < 300:
        return
    try:
        body = response.json()
    except errors.ProtocolError:
        body = None
    fields = body if isinstance(body, Mapping) else {}
    code = response.header("x-bce-error-code") or fields.get("code")
    message = response.header("x-bce-error-message") or fields.get("message") or response.text
    request_id = response.header("x-bce-request-id") or fields.get("requestId")
    status = response.status
    cls = (
        errors.AuthenticationError
        if status in (400, 401, 403, 404) and status != 429
        else errors.error_for_status(status)
    )
    raise cls(
        f"minting a Qianfan v2 bearer token from the IAM keys failed: {str(message)[:300]} "
        "(check QIANFAN_ACCESS_KEY / QIANFAN_SECRET_KEY)",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
    )


def _spending(budget: RetryBudget | None) -> dict[str, Any]:
    """The call's retry budget for the mint, when the client skeleton hands one over."""
    return {"budget": budget} if budget is not None else {}


# -- the cache ---------------------------------------------------------------------------------

# One entry per (IAM host, access key, secret-key hash) and process, single-flight across
# threads and event loops (v1's token cache: one caller mints, the rest wait for its answer).
_CACHE: dict[tuple[str, str, str], CachedToken] = {}
_CACHE_LOCK = threading.Lock()


def clear_token_cache() -> None:
    """Forget every minted token (tests; or after rotating keys)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _entry(key: tuple[str, str, str]) -> CachedToken:
    with _CACHE_LOCK:
        return _CACHE.setdefault(key, CachedToken())


class MintedBearer:
    """IAM keys → short-lived v2 bearer tokens, cached, renewed early, minted single-flight."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        iam_base_url: str = DEFAULT_IAM_BASE_URL,
        appid: str | None = None,
        lifetime: int = TOKEN_LIFETIME,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (access_key and secret_key):
            raise errors.ConfigurationError(
                "minting a v2 bearer token needs both QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY",
                vendor=VENDOR,
            )
        self._access_key = access_key
        self._secret_key = secret_key
        self.iam_base_url = iam_base_url.rstrip("/")
        self.appid = appid
        self.lifetime = lifetime
        self.clock = clock
        self.transport = Transport(
            check=check_iam_response, vendor=VENDOR, timeout=timeout, retry=retry
        )
        secret_hash = hashlib.sha256(secret_key.encode()).hexdigest()
        self._key = (self.iam_base_url, access_key, secret_hash)

    def __repr__(self) -> str:  # never the keys or the token
        return f"MintedBearer(iam_base_url={self.iam_base_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()  # the transport drops its pools; the cache is per process

    @property
    def can_refresh(self) -> bool:
        return True

    def _request(self) -> HttpRequest:
        return token_request(
            self.iam_base_url, self._access_key, self._secret_key, lifetime=self.lifetime
        )

    def _until(self, minted: MintedToken) -> tuple[str, float]:
        """The token and when it is replaced: a few minutes before ``expireTime``."""
        return minted.token, minted.expires_at - min(MAX_REFRESH_MARGIN, self.lifetime * 0.1)

    def token(self, budget: RetryBudget | None = None) -> str:
        """The cached token, or a new one; a mint spends the call's retry budget."""

        def mint() -> tuple[str, float]:
            response = self.transport.request(self._request(), **_spending(budget))
            return self._until(parse_token(response.json(), self.clock(), self.lifetime))

        return _entry(self._key).get(self.clock, mint)

    async def atoken(self, budget: RetryBudget | None = None) -> str:
        async def mint() -> tuple[str, float]:
            response = await self.transport.arequest(self._request(), **_spending(budget))
            return self._until(parse_token(response.json(), self.clock(), self.lifetime))

        return await _entry(self._key).aget(self.clock, mint)

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        token = self.token(budget)
        return request.with_auth(headers=bearer_headers(token, self.appid)), token

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        token = await self.atoken(budget)
        return request.with_auth(headers=bearer_headers(token, self.appid)), token

    def is_stale(self, error: errors.CnLLMError) -> bool:
        return isinstance(error, errors.AuthenticationError) and error.code in STALE_CODES

    def invalidate(self, token: str | None) -> None:
        """Drop ``token`` if it is still the cached one (a concurrent call may have renewed)."""
        entry = _entry(self._key)
        with entry.lock:
            if token is not None and entry.token == token:
                entry.token, entry.expires_at = None, 0.0

    def close(self) -> None:
        self.transport.close()


# -- choosing the credential --------------------------------------------------------------------

NO_CREDENTIALS = (
    "no Qianfan v2 credentials: set QIANFAN_API_KEY (a v2 API key, bce-v3/ALTAK-…) or "
    "QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY (IAM keys), or pass api_key=; "
    "v1 OAuth keys (QIANFAN_AK/QIANFAN_SK) only work on the retired v1 API"
)


def v2_auth(
    api_key: str | None,
    access_key: str | None,
    secret_key: str | None,
    *,
    iam_base_url: str = DEFAULT_IAM_BASE_URL,
    appid: str | None = None,
    timeout: float | None = None,
) -> BearerKey | MintedBearer:
    """The v2 credential every Qianfan v2 class uses: the API key as the bearer, else a
    bearer minted from the IAM pair; neither is a ConfigurationError naming both."""
    if api_key:
        return BearerKey(api_key, appid)
    if access_key and secret_key:
        return MintedBearer(
            access_key, secret_key, iam_base_url=iam_base_url, appid=appid, timeout=timeout
        )
    raise errors.ConfigurationError(NO_CREDENTIALS, vendor=VENDOR)
