"""A rate budget: the pace of requests to one vendor with one key, shared in the process.

Every client built with the same (vendor, key) gets the same ``RateLimiter`` from
``shared_limiter``, so ten LangChain objects on one key keep one pace between them. The
transport asks it for a slot before each attempt (``acquire`` / ``aacquire``) and tells it how
the attempt went (``record``):

- configured limits (requests per second or per minute, tokens per minute) are never exceeded:
  requests are spaced evenly at the request rate; tokens (estimated from the body) may come in
  a burst of one minute's worth, then at the token rate. A slot is taken only when it is due
  (waiters ask again when they wake), so a pace that recovers speeds up every waiter at once;
- a throttling answer (``RateLimitError``: HTTP 429 or the vendor's own code) cuts the pace to
  70% of what recently succeeded (at most once per second: one burst of 429s is one signal)
  and honours Retry-After by pausing every caller; each success then adds back about one
  request per second per second, up to the configured limit. With no limit configured the
  limiter starts unpaced, adapts the same way, and goes back to unpaced after 30 s without
  throttling.

Several processes (LlamaIndex ``num_workers``, Ray or Spark workers) do not share a limiter:
give each one ``limit / N`` for N workers on one key (the adaptation absorbs the rest).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cnllm import errors

__all__ = ["LIMIT_NAMES", "RateLimiter", "check_limits", "shared_limiter"]

LIMIT_NAMES = ("requests_per_second", "requests_per_minute", "tokens_per_minute")

DECREASE = 0.7  # the pace after a throttle, as a share of what recently succeeded
MIN_RATE = 0.2  # requests per second: never slower than one every five seconds
CUT_COOLDOWN = 1.0  # seconds: throttles within this of the last cut are one signal
UNPACED_AFTER = 30.0  # seconds without throttling before an unconfigured limiter lets go
TOKEN_BURST = 60.0  # seconds of token budget that may be spent at once (a per-minute window)
WINDOW = 1.0  # seconds of successes behind the "recently succeeded" rate


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise errors.ConfigurationError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise errors.ConfigurationError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_limits(limits: dict[str, Any]) -> None:
    """Refuse a limit that is not a positive number (None is no limit), naming it."""
    for name, value in limits.items():
        _positive(name, value)


def estimate_tokens(body: bytes | None) -> int:
    """A cautious token count of a request body: ~1 per CJK character, ~1 per 4 ASCII bytes."""
    if not body:
        return 0
    ascii_bytes = len(body.translate(None, _NON_ASCII))
    return (len(body) - ascii_bytes) // 3 + ascii_bytes // 4 + 1


_NON_ASCII = bytes(range(0x80, 0x100))


class RateLimiter:
    """One pace, safe across threads and event loops (a reservation is taken under a lock;
    the wait happens outside it, with ``time.sleep`` or ``asyncio.sleep``)."""

    def __init__(
        self,
        *,
        requests_per_second: float | None = None,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        ident: tuple[str, str] | None = None,
    ) -> None:
        self._clock = clock
        self.ident = ident  # (vendor, key hash) when made by shared_limiter
        self._lock = threading.Lock()
        self._cap: float | None = None
        self._token_rate: float | None = None
        self._rate: float | None = None  # the current pace; None: unpaced
        self.configure(
            requests_per_second=requests_per_second,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
        )
        self._next = 0.0  # the earliest start of the next request
        self._token_next = 0.0  # GCRA theoretical arrival time of the token budget
        self._paused_until = 0.0
        self._last_cut = -math.inf
        self._successes: deque[float] = deque(maxlen=4096)
        self._attempts: deque[float] = deque(maxlen=4096)
        self.requests = 0  # attempts let through
        self.throttled = 0  # throttling answers recorded

    def configure(
        self,
        *,
        requests_per_second: float | None = None,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
    ) -> None:
        """Set the limits (the strictest of the request limits given applies)."""
        per_second = _positive("requests_per_second", requests_per_second)
        per_minute = _positive("requests_per_minute", requests_per_minute)
        tokens = _positive("tokens_per_minute", tokens_per_minute)
        rates = [rate for rate in (per_second, per_minute and per_minute / 60) if rate]
        with self._lock:
            self._cap = min(rates) if rates else None
            self._token_rate = tokens / 60 if tokens else None
            if self._cap is not None:
                self._rate = self._cap if self._rate is None else min(self._rate, self._cap)

    @property
    def rate(self) -> float | None:
        """The current pace in requests per second (None: unpaced)."""
        return self._rate

    # -- slots --------------------------------------------------------------------------------

    def reserve(self, body: bytes | None = None) -> float:
        """Take a slot if one is free now (returns 0.0), else the seconds until the next one
        frees up (nothing is taken: the pace may change meanwhile, so waiters ask again)."""
        tokens = estimate_tokens(body) if self._token_rate is not None else 0
        with self._lock:
            now = self._clock()
            self._maybe_unpace(now)
            start = max(self._next, self._paused_until)
            cost = tokens / self._token_rate if tokens and self._token_rate else 0.0
            if cost:
                start = max(start, self._token_next + cost - TOKEN_BURST)
            if start > now:
                return start - now
            if cost:
                self._token_next = max(self._token_next, now) + cost
            if self._rate is not None:
                self._next = max(self._next, now) + 1.0 / self._rate
            self._attempts.append(now)
            self.requests += 1
            return 0.0

    def acquire(self, body: bytes | None = None) -> None:
        while (wait := self.reserve(body)) > 0:
            time.sleep(wait)

    async def aacquire(self, body: bytes | None = None) -> None:
        while (wait := self.reserve(body)) > 0:
            await asyncio.sleep(wait)

    # -- feedback -----------------------------------------------------------------------------

    def record(self, error: errors.CnLLMError | None) -> None:
        """How an attempt went: None for a success, else its error (only throttling counts)."""
        if error is None:
            self._on_success()
        elif isinstance(error, errors.RateLimitError) and error.retryable:
            self._on_throttle(error.retry_after)

    def _on_success(self) -> None:
        with self._lock:
            now = self._clock()
            self._successes.append(now)
            if self._rate is not None and now - self._last_cut < CUT_COOLDOWN:
                # Answers to one burst arrive together, throttles and successes mixed: the
                # cut's estimate of what gets through grows with the successes still coming.
                self._rate = max(self._rate, DECREASE * _per_second(self._successes, now))
            if self._rate is not None:
                # Additive increase: about +1 request/s for each second of successes.
                self._rate += 1.0 / self._rate
                if self._cap is not None:
                    self._rate = min(self._rate, self._cap)

    def _on_throttle(self, retry_after: float | None) -> None:
        with self._lock:
            now = self._clock()
            self.throttled += 1
            if retry_after is not None and retry_after > 0:
                self._paused_until = max(self._paused_until, now + retry_after)
                self._next = max(self._next, self._paused_until)
            if now - self._last_cut < CUT_COOLDOWN:
                return
            self._last_cut = now
            # What got through lately; before any success, half of what was tried.
            base = _per_second(self._successes, now) or _per_second(self._attempts, now) / 2
            if self._rate is not None:
                base = min(base, self._rate)
            self._rate = max(MIN_RATE, base * DECREASE)
            # The next slot: when the server said (Retry-After), else one new interval away.
            if retry_after is None or retry_after <= 0:
                self._next = max(self._next, now + 1.0 / self._rate)

    def _maybe_unpace(self, now: float) -> None:
        if self._cap is None and self._rate is not None and now - self._last_cut > UNPACED_AFTER:
            self._rate = None

    # -- copies, pickles, forks -----------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        # A shared limiter unpickles as the shared limiter of its process (same vendor, key).
        limits = (self._cap, self._token_rate and self._token_rate * 60)
        return (_unpickle, (self.ident, limits))

    def __deepcopy__(self, memo: dict[int, Any]) -> RateLimiter:
        return self  # a pace is shared, never copied

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self._rate}, cap={self._cap}, throttled={self.throttled})"


def _per_second(moments: deque[float], now: float) -> float:
    return sum(1 for moment in moments if moment > now - WINDOW) / WINDOW


_REGISTRY: dict[tuple[str, str], RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def key_hash(key: str | None) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def shared_limiter(
    vendor: str,
    key: str | None,
    *,
    requests_per_second: float | None = None,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
) -> RateLimiter:
    """The process's limiter of ``vendor`` with ``key`` (only a hash of the key is kept).
    Limits given here replace the ones it had (the last configuration wins)."""
    return _lookup(
        (vendor, key_hash(key)), requests_per_second, requests_per_minute, tokens_per_minute
    )


def _lookup(
    ident: tuple[str, str],
    per_second: float | None,
    per_minute: float | None,
    tokens: float | None,
) -> RateLimiter:
    given = per_second is not None or per_minute is not None or tokens is not None
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(ident)
        if limiter is None:
            limiter = RateLimiter(
                requests_per_second=per_second,
                requests_per_minute=per_minute,
                tokens_per_minute=tokens,
                ident=ident,
            )
            _REGISTRY[ident] = limiter
            return limiter
    if given:
        limiter.configure(
            requests_per_second=per_second,
            requests_per_minute=per_minute,
            tokens_per_minute=tokens,
        )
    return limiter


def clear_shared_limiters() -> None:
    """Forget every shared limiter (tests: no pace or pause carries over to the next one)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()


def _unpickle(
    ident: tuple[str, str] | None, limits: tuple[float | None, float | None]
) -> RateLimiter:
    per_second, tokens = limits
    if ident is None:
        return RateLimiter(requests_per_second=per_second, tokens_per_minute=tokens)
    return _lookup(ident, per_second, None, tokens)


def _reset_after_fork() -> None:
    global _REGISTRY_LOCK
    _REGISTRY_LOCK = threading.Lock()
    for limiter in _REGISTRY.values():
        limiter._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
