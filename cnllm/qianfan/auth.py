"""Qianfan credentials: OAuth access tokens (cached, single-flight) or IAM request signing.

Tokens are cached per process and per (token URL, key pair), so every model object built with
the same keys shares one token and one token request (§2.3 of the reference: we refresh
proactively before expiry and once, reactively, on error 110/111, never in a loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cnllm import errors
from cnllm.qianfan import protocol, signer
from cnllm.retry import RetryBudget
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


class _Flight:
    """One token request in progress, awaited by every caller of the process: threads block
    on the event, coroutines of any event loop on a future of their own loop."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: str | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def finish(self, token: str | None, error: BaseException | None) -> None:
        with self._lock:
            self.token, self.error = token, error
            self.done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits there
                loop.call_soon_threadsafe(_wake, future)

    def result(self) -> str | None:
        """The token; None if the leader was cancelled (the caller then tries again)."""
        if self.error is not None:
            raise self.error
        return self.token

    def wait(self) -> str | None:
        self.done.wait()
        return self.result()

    async def await_result(self) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.done.is_set():
                return self.result()
            self._waiters.append((loop, future))
        await future
        return self.result()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _CachedToken:
    """The token of one key pair, and the request for a new one if one is in flight."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.expires_at = 0.0
        self.lock = threading.Lock()
        self.flight: _Flight | None = None

    def valid(self, now: float) -> str | None:
        return self.token if self.token and now < self.expires_at else None

    def join(self) -> tuple[_Flight, bool]:
        """The flight in progress, or a new one; True if the caller must fly it."""
        with self.lock:
            if self.flight is not None:
                return self.flight, False
            self.flight = _Flight()
            return self.flight, True

    def land(self, flight: _Flight, token: str | None, error: BaseException | None) -> None:
        with self.lock:
            self.flight = None
        flight.finish(token, error)

    def __deepcopy__(self, memo: dict[int, object]) -> _CachedToken:
        return self  # one per key pair and process: a copied model shares it


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

    def token(self, budget: RetryBudget | None = None) -> str:
        if self.mode == "token":
            return self.credentials.access_token or ""
        entry = self._entry()
        cached = entry.valid(self.clock())
        if cached:
            return cached
        # Single flight across threads and event loops: one caller fetches, the rest wait for
        # its answer (or its error: a dead endpoint is not asked again by every waiter).
        flight, leader = entry.join()
        while not leader:
            waited = flight.wait()
            if waited is not None:
                return waited
            flight, leader = entry.join()
        token: str | None = None
        failure: BaseException | None = None
        try:
            cached = entry.valid(self.clock())  # renewed while we queued for the lock
            if cached:
                token = cached
            else:
                body = self.transport.request(self._token_request(), budget=budget).json()
                token = self._store(entry, *protocol.parse_token(body))
            return token
        except Exception as error:  # a cancelled leader hands the flight on (failure None)
            failure = error
            raise
        finally:
            entry.land(flight, token, failure)

    async def atoken(self, budget: RetryBudget | None = None) -> str:
        if self.mode == "token":
            return self.credentials.access_token or ""
        entry = self._entry()
        cached = entry.valid(self.clock())
        if cached:
            return cached
        flight, leader = entry.join()
        while not leader:
            waited = await flight.await_result()
            if waited is not None:
                return waited
            flight, leader = entry.join()
        token: str | None = None
        failure: BaseException | None = None
        try:
            cached = entry.valid(self.clock())
            if cached:
                token = cached
            else:
                response = await self.transport.arequest(self._token_request(), budget=budget)
                token = self._store(entry, *protocol.parse_token(response.json()))
            return token
        except Exception as error:  # a cancelled leader hands the flight on (failure None)
            failure = error
            raise
        finally:
            entry.land(flight, token, failure)

    def invalidate(self, token: str | None) -> None:
        """Drop ``token`` if it is still the cached one (a concurrent call may have renewed it)."""
        entry = self._entry()
        with entry.lock:
            if token is not None and entry.token == token:
                entry.token, entry.expires_at = None, 0.0

    def is_stale(self, error: errors.CnLLMError) -> bool:
        """Qianfan's "access token invalid or expired" codes (110, 111)."""
        return (
            isinstance(error, errors.AuthenticationError)
            and error.code in protocol.TOKEN_ERROR_CODES
        )

    def __getstate__(self) -> dict[str, Any]:
        # The cache entry (locks, a flight) belongs to this process: looked up again on use.
        return {**self.__dict__, "_cached": None}

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

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        if self.mode == "iam":
            return self.sign(request), None
        token = self.token(budget)
        return request.with_auth(params={"access_token": token}), token

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        if self.mode == "iam":
            return self.sign(request), None
        token = await self.atoken(budget)
        return request.with_auth(params={"access_token": token}), token
