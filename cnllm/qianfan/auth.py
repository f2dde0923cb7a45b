"""Qianfan credentials: OAuth access tokens (cached, single-flight) or IAM request signing.

Tokens are cached per process and per (token URL, key pair), so every model object built with
the same keys shares one token and one token request (§2.3 of the reference: we refresh
proactively before expiry and once, reactively, on error 110/111, never in a loop).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cnllm import errors
from cnllm.qianfan import protocol, signer
from cnllm.transport import HttpRequest, Transport

# A token is replaced this long before it expires (10% of its life, at most an hour).
_MAX_REFRESH_MARGIN = 3600.0


@dataclass(frozen=True)
class Credentials:
    """What a user configured; which one is used follows the SDK's order (§3.4)."""

    api_key: str | None = None  # OAuth application API Key (QIANFAN_AK)
    secret_key: str | None = None  # OAuth application Secret Key (QIANFAN_SK)
    access_key: str | None = None  # IAM Access Key (QIANFAN_ACCESS_KEY)
    iam_secret_key: str | None = None  # IAM Secret Key (QIANFAN_SECRET_KEY)
    access_token: str | None = None  # a ready-made OAuth token (QIANFAN_ACCESS_TOKEN)

    def __repr__(self) -> str:
        # Tools that print frame locals (Sentry, pytest --showlocals) must never show a key.
        shown = ", ".join(
            f"{name}={'***' if getattr(self, name) else None}"
            for name in ("api_key", "secret_key", "access_key", "iam_secret_key", "access_token")
        )
        return f"Credentials({shown})"

    @property
    def mode(self) -> str:
        if self.api_key and self.secret_key:
            return "oauth"
        if self.access_token:
            return "token"
        if self.access_key and self.iam_secret_key:
            return "iam"
        raise errors.ConfigurationError(
            "no Qianfan credentials: set QIANFAN_AK and QIANFAN_SK (application API Key and "
            "Secret Key, OAuth) or QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY (IAM keys, "
            "bce-auth-v1 signing), or pass them to the constructor",
            vendor=protocol.VENDOR,
        )


@dataclass
class _CachedToken:
    token: str | None = None
    expires_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    async_locks: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = field(
        default_factory=dict
    )

    def valid(self, now: float) -> str | None:
        return self.token if self.token and now < self.expires_at else None

    def async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self.lock:
            entry = self.async_locks.get(id(loop))
            if entry is None or entry[0] is not loop:
                entry = (loop, asyncio.Lock())
                self.async_locks[id(loop)] = entry
            return entry[1]


_TOKENS: dict[tuple[str, str, str], _CachedToken] = {}
_TOKENS_LOCK = threading.Lock()


def _token_key(base_url: str, api_key: str, secret_key: str) -> tuple[str, str, str]:
    return (base_url.rstrip("/"), api_key, hashlib.sha256(secret_key.encode()).hexdigest())


def _cache_entry(key: tuple[str, str, str]) -> _CachedToken:
    with _TOKENS_LOCK:
        return _TOKENS.setdefault(key, _CachedToken())


def clear_token_cache() -> None:
    """Forget every cached token (tests; or after rotating keys)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


class Authorizer:
    """Adds credentials to one request attempt; knows whether a failed token can be renewed."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        transport: Transport,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.mode = credentials.mode
        self.base_url = base_url
        self.transport = transport
        self.clock = clock
        self._cached: _CachedToken | None = None
        self._key = _token_key(base_url, credentials.api_key or "", credentials.secret_key or "")

    @property
    def can_refresh(self) -> bool:
        return self.mode == "oauth"

    # -- OAuth --------------------------------------------------------------------------------

    def _entry(self) -> _CachedToken:
        # The key is hashed once, not on every call; clear_token_cache() still takes effect.
        if self._cached is None or _TOKENS.get(self._key) is not self._cached:
            self._cached = _cache_entry(self._key)
        return self._cached

    def _store(self, entry: _CachedToken, token: str, expires_in: float | None) -> str:
        lifetime = expires_in if expires_in is not None else 2592000.0
        margin = min(_MAX_REFRESH_MARGIN, lifetime * 0.1)
        entry.token, entry.expires_at = token, self.clock() + lifetime - margin
        return token

    def _token_request(self) -> HttpRequest:
        return protocol.token_request(
            self.base_url, self.credentials.api_key or "", self.credentials.secret_key or ""
        )

    def token(self) -> str:
        if self.mode == "token":
            return self.credentials.access_token or ""
        entry = self._entry()
        cached = entry.valid(self.clock())
        if cached:
            return cached
        with entry.lock:  # single flight: the first caller fetches, the rest wait and reuse
            cached = entry.valid(self.clock())
            if cached:
                return cached
            body = self.transport.request(self._token_request()).json()
            return self._store(entry, *protocol.parse_token(body))

    async def atoken(self) -> str:
        if self.mode == "token":
            return self.credentials.access_token or ""
        entry = self._entry()
        cached = entry.valid(self.clock())
        if cached:
            return cached
        async with entry.async_lock():
            cached = entry.valid(self.clock())
            if cached:
                return cached
            response = await self.transport.arequest(self._token_request())
            return self._store(entry, *protocol.parse_token(response.json()))

    def invalidate(self, token: str | None) -> None:
        """Drop ``token`` if it is still the cached one (a concurrent call may have renewed it)."""
        entry = self._entry()
        with entry.lock:
            if token is not None and entry.token == token:
                entry.token, entry.expires_at = None, 0.0

    # -- per attempt ---------------------------------------------------------------------------

    def sign(self, request: HttpRequest) -> HttpRequest:
        parts = urlsplit(request.url)
        headers = signer.iam_headers(
            access_key=self.credentials.access_key or "",
            secret_key=self.credentials.iam_secret_key or "",
            method=request.method,
            url_host=parts.netloc,
            path=parts.path,
            query=dict(request.params),
        )
        return request.with_auth(headers=headers)

    def authorize(self, request: HttpRequest) -> tuple[HttpRequest, str | None]:
        if self.mode == "iam":
            return self.sign(request), None
        token = self.token()
        return request.with_auth(params={"access_token": token}), token

    async def aauthorize(self, request: HttpRequest) -> tuple[HttpRequest, str | None]:
        if self.mode == "iam":
            return self.sign(request), None
        token = await self.atoken()
        return request.with_auth(params={"access_token": token}), token
