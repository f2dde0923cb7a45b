"""cnllm.ratelimit with a fake clock: pacing, token budget, adaptation, sharing, pickling."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from cnllm import errors
from cnllm.ratelimit import RateLimiter, estimate_tokens, shared_limiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(retry_after: float | None = None) -> errors.RateLimitError:
    return errors.RateLimitError("slow down", vendor="t", retry_after=retry_after)


def test_requests_are_spaced_evenly_at_the_configured_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_second=20, clock=clock)
    assert limiter.reserve() == 0.0  # taken
    assert limiter.reserve() == pytest.approx(0.05)  # not due yet: nothing taken
    assert limiter.reserve() == pytest.approx(0.05)
    clock.now += 0.05
    assert limiter.reserve() == 0.0 and limiter.requests == 2


def test_the_strictest_request_limit_applies() -> None:
    limiter = RateLimiter(requests_per_second=20, requests_per_minute=60, clock=Clock())
    assert limiter.rate == 1.0


def test_no_limit_means_no_wait() -> None:
    limiter = RateLimiter(clock=Clock())
    assert [limiter.reserve() for _ in range(100)] == [0.0] * 100


def test_tokens_per_minute_allow_a_minute_burst_then_pace() -> None:
    clock = Clock()
    limiter = RateLimiter(tokens_per_minute=600, clock=clock)  # 10 tokens/s
    body = b"x" * 396  # 100 tokens by the estimate
    assert estimate_tokens(body) == 100
    waits = [limiter.reserve(body) for _ in range(7)]
    assert waits[:6] == [0.0] * 6  # 600 tokens: the minute's budget
    assert waits[6] == pytest.approx(10.0)  # then 100 tokens take 10 s


def test_cjk_text_counts_about_one_token_per_character() -> None:
    assert estimate_tokens("你好世界".encode()) == 4 + 1


def test_a_throttle_cuts_the_pace_and_successes_bring_it_back() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_second=20, clock=clock)
    for _ in range(40):  # two seconds of successes at 20/s
        limiter.reserve()
        limiter.record(None)
        clock.now += 0.05
    limiter.record(throttle())
    assert limiter.rate == pytest.approx(14.0)  # 70% of what succeeded
    limiter.record(throttle())  # the same burst: one signal
    assert limiter.rate == pytest.approx(14.0) and limiter.throttled == 2
    for _ in range(200):
        limiter.record(None)
    assert limiter.rate == 20.0  # recovered, never past the limit


def test_retry_after_pauses_every_caller() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.record(throttle(retry_after=3.0))
    assert limiter.reserve() == pytest.approx(3.0)


def test_an_unconfigured_limiter_adapts_then_lets_go() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for _ in range(10):
        limiter.record(None)
    limiter.record(throttle())
    assert limiter.rate is not None and limiter.rate > 0
    clock.now += 31
    limiter.reserve()
    assert limiter.rate is None


def test_quota_errors_and_other_failures_do_not_change_the_pace() -> None:
    limiter = RateLimiter(requests_per_second=5, clock=Clock())
    limiter.record(errors.QuotaExceededError("used up", vendor="t"))
    limiter.record(errors.ServerError("boom", vendor="t"))
    assert limiter.rate == 5.0 and limiter.throttled == 0


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True])
def test_bad_limits_are_configuration_errors(bad: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="requests_per_second"):
        RateLimiter(requests_per_second=bad)  # type: ignore[arg-type]


def test_one_limiter_per_vendor_and_key_and_the_key_is_not_kept() -> None:
    first = shared_limiter("unit-test", "sk-secret-1", requests_per_second=3)
    again = shared_limiter("unit-test", "sk-secret-1")
    other = shared_limiter("unit-test", "sk-secret-2")
    assert first is again and first is not other and first.rate == 3.0
    assert "sk-secret-1" not in repr(first) and "sk-secret-1" not in str(first.ident)
    assert copy.deepcopy(first) is first
    assert pickle.loads(pickle.dumps(first)) is first  # same process: the shared one


def test_the_transport_asks_the_limiter_before_each_attempt() -> None:
    from tests.unit.test_transport import OK, REQUEST, transport

    calls: list[str] = []

    class Spy(RateLimiter):
        def acquire(self, body: bytes | None = None) -> None:
            calls.append("acquire")

        def record(self, error: errors.CnLLMError | None) -> None:
            calls.append(type(error).__name__)

    t, _adapter = transport([(429, {}, b""), OK], [])
    t.limiter = Spy()
    t.request(REQUEST)
    assert calls == ["acquire", "RateLimitError", "acquire", "NoneType"]
