"""The one retry policy: exponential backoff with jitter, and the server's Retry-After.

Pure arithmetic; the transport decides *whether* an error is transient and does the sleeping.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime

__all__ = ["RetryBudget", "RetryPolicy", "parse_retry_after"]

_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2  # retries after the first attempt
    initial_backoff: float = 0.5  # seconds
    max_backoff: float = 8.0
    jitter: float = 0.25  # fraction of the delay: uniform in [delay * (1 - jitter), delay]
    max_retry_after: float = 60.0  # a longer Retry-After is capped to this

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if min(self.initial_backoff, self.max_backoff, self.max_retry_after) < 0:
            raise ValueError("backoff durations must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")

    def backoff(
        self,
        retry_number: int,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if retry_after is not None and not math.isnan(retry_after):
            # The server knows its own load better than our schedule does.
            return min(max(retry_after, 0.0), self.max_retry_after)
        delay = min(_doubled(self.initial_backoff, retry_number - 1), self.max_backoff)
        uniform = rng.uniform if rng is not None else random.uniform
        # uniform() may round a hair past its bounds; keep the documented band exact.
        return min(max(uniform(delay * (1.0 - self.jitter), delay), 0.0), delay)

    def should_retry(self, retry_number: int) -> bool:
        return retry_number <= self.max_retries


class RetryBudget:
    """The retries one logical call may still spend, across every request it makes.

    A call that needs a token first (Qianfan OAuth) passes the same budget to the token fetch
    and to the call itself, so a dead token endpoint sees at most ``max_retries + 1`` requests
    per call instead of ``(max_retries + 1)**2``. Thread-safe: one call may span threads.
    """

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self.used = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return max(self.policy.max_retries - self.used, 0)

    def take(self) -> int | None:
        """Spend one retry: its 1-based number (for the backoff), or None if none is left."""
        with self._lock:
            if not self.policy.should_retry(self.used + 1):
                return None
            self.used += 1
            return self.used

    def __repr__(self) -> str:
        return f"RetryBudget(used={self.used}, max_retries={self.policy.max_retries})"

    def __deepcopy__(self, memo: dict[int, object]) -> RetryBudget:
        copy = RetryBudget(self.policy)
        copy.used = self.used
        return copy


def _doubled(seconds: float, times: int) -> float:
    try:
        return math.ldexp(seconds, max(times, 0))
    except OverflowError:  # a huge retry number: anything past the float range is "forever"
        return math.inf


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP-date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    return _seconds_until_date(value, time.time() if now is None else now)


def _seconds_until_date(value: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000" means UTC with unknown origin (RFC 5322)
        moment = moment.replace(tzinfo=timezone.utc)
    return max(moment.timestamp() - now, 0.0)
