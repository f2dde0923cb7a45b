"""Fault injection: what the next matching request(s) should suffer instead of a clean answer."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import KW_ONLY, asdict, dataclass, fields, replace
from typing import Any

# Kinds the core server applies itself, before or while writing the response.
TRANSPORT_KINDS = frozenset({"error_code", "http", "slow", "reset"})
# Kinds that only make sense on a streaming request.
STREAM_KINDS = frozenset({"drop_mid_stream", "stream_error", "no_is_end"})
# Kinds a vendor handler turns into a different answer body; each needs a route tag.
CONTENT_KINDS = {"need_clear_history": "chat", "unsafe": "completions"}
KINDS = TRANSPORT_KINDS | STREAM_KINDS | frozenset(CONTENT_KINDS)

AUTH_TAG = "auth"


@dataclass
class Fault:
    """One queued fault. ``times`` matching requests suffer it, then it is gone.

    ``path_contains=None`` matches every model route but never an auth (token) route, so a
    fault meant for a chat call is not eaten by the token fetch that precedes it; give
    ``path_contains="/oauth"`` to hit the token endpoint.
    """

    kind: str
    _: KW_ONLY
    times: int = 1
    path_contains: str | None = None
    code: int | None = None  # error_code / stream_error
    message: str | None = None  # error_code / stream_error; default: the vendor's text
    status: int | None = None  # http
    retry_after: str | None = None  # http: Retry-After header value
    body: str | None = None  # http: response body (default: the reason phrase)
    after_events: int = 1  # drop_mid_stream / stream_error / no_is_end
    raw: bool = False  # stream_error: a bare JSON line instead of a ``data:`` event
    delay: float = 0.0  # slow: extra seconds before the response

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")
        if self.times < 1:
            raise ValueError("times must be at least 1")
        if self.kind == "error_code" and self.code is None:
            raise ValueError("an error_code fault needs code=")
        if self.kind == "http" and self.status is None:
            raise ValueError("an http fault needs status=")
        if self.after_events < 0 or self.delay < 0:
            raise ValueError("after_events and delay must not be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)} - {"_"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        kind = data["kind"]
        return cls(kind, **{k: v for k, v in data.items() if k != "kind"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, path: str, tags: frozenset[str], streaming: bool) -> bool:
        if self.path_contains is not None:
            if self.path_contains not in path:
                return False
        elif AUTH_TAG in tags:
            return False
        if self.kind in STREAM_KINDS and not streaming:
            return False
        needed = CONTENT_KINDS.get(self.kind)
        return needed is None or needed in tags


class FaultQueue:
    """Thread-safe FIFO: the first queued fault that matches a request applies to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()

    def push(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(replace(fault))  # a copy: the caller's object stays intact

    def take(self, path: str, tags: frozenset[str], streaming: bool) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, tags, streaming):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return replace(fault, times=1)
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [replace(fault) for fault in self._faults]


# Each vendor's own answer to "too many requests" (rendered by its error_response).
THROTTLE_CODES = {"qianfan": 18, "dashscope": 429, "koala": 42901, "clueai": 429}


def throttle_fault(vendor: str) -> Fault:
    return Fault("error_code", code=THROTTLE_CODES.get(vendor, 429))


class RateGate:
    """A per-vendor token bucket: ``rate`` requests per second, a burst of one second's worth.
    Over it, a request gets the vendor's throttling error instead of an answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # vendor: (tokens, at)

    def allow(self, vendor: str, rate: float) -> bool:
        if rate <= 0:
            return True
        with self._lock:
            now = time.monotonic()
            tokens, at = self._buckets.get(vendor, (rate, now))
            tokens = min(rate, tokens + (now - at) * rate)
            allowed = tokens >= 1.0
            self._buckets[vendor] = (tokens - 1.0 if allowed else tokens, now)
            return allowed

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
