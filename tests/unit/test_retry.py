"""The retry policy: backoff schedule, jitter, Retry-After, and header parsing."""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnllm.retry import RetryPolicy, parse_retry_after

NO_JITTER = RetryPolicy(jitter=0.0)
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()


def test_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.initial_backoff, policy.max_backoff) == (2, 0.5, 8.0)
    assert (policy.jitter, policy.max_retry_after) == (0.25, 60.0)


def test_exponential_schedule_capped_at_max_backoff() -> None:
    delays = [NO_JITTER.backoff(n) for n in range(1, 8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_huge_retry_number_does_not_overflow() -> None:
    assert NO_JITTER.backoff(100_000) == 8.0


def test_retry_number_below_one_counts_as_first() -> None:
    assert NO_JITTER.backoff(0) == NO_JITTER.backoff(-3) == 0.5


def test_jitter_is_within_band_and_deterministic_with_seed() -> None:
    policy = RetryPolicy()
    first = [policy.backoff(3, rng=random.Random(42)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    rng = random.Random(7)
    delays = [policy.backoff(3, rng=rng) for _ in range(200)]
    assert all(1.5 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 100  # it really is random within the band


def test_full_jitter_band_reaches_zero() -> None:
    policy = RetryPolicy(jitter=1.0)
    rng = random.Random(0)
    delays = [policy.backoff(1, rng=rng) for _ in range(500)]
    assert all(0.0 <= d <= 0.5 for d in delays)
    assert min(delays) < 0.05


def test_default_rng_is_used_without_one() -> None:
    assert 0.375 <= RetryPolicy().backoff(1) <= 0.5


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [(3.0, 3.0), (0.0, 0.0), (0.25, 0.25), (-5.0, 0.0), (600.0, 60.0), (math.inf, 60.0)],
)
def test_retry_after_wins_and_is_capped(retry_after: float, delay: float) -> None:
    # Retry-After ignores jitter and the exponential schedule alike.
    assert RetryPolicy().backoff(5, retry_after, random.Random(1)) == delay


def test_nan_retry_after_falls_back_to_schedule() -> None:
    assert NO_JITTER.backoff(2, math.nan) == 1.0


def test_should_retry_counts_retries_after_first_attempt() -> None:
    policy = RetryPolicy(max_retries=2)
    assert [policy.should_retry(n) for n in (1, 2, 3)] == [True, True, False]
    assert not RetryPolicy(max_retries=0).should_retry(1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"initial_backoff": -0.1},
        {"max_backoff": -1.0},
        {"max_retry_after": -1.0},
        {"jitter": 1.5},
        {"jitter": -0.1},
    ],
)
def test_invalid_policy_is_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_frozen_and_hashable() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 5  # type: ignore[misc]
    assert hash(policy) == hash(RetryPolicy())


# -- Retry-After parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("0", 0.0), ("0.5", 0.5), (" 120 ", 120.0), ("1.", 1.0), (".5", 0.5)],
)
def test_delta_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize(
    "value", [None, "", "  ", "soon", "-1", "nan", "inf", "1e3", "0x10", "½", "١٢", "Mon, 99 Foo"]
)
def test_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


def test_http_date_in_the_future() -> None:
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=NOW) == 30.0


def test_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=NOW) == 0.0


def test_http_date_with_minus_zero_zone_is_utc() -> None:
    assert parse_retry_after("Wed, 01 May 2024 12:01:00 -0000", now=NOW) == 60.0


def test_http_date_with_offset() -> None:
    assert parse_retry_after("Wed, 01 May 2024 20:00:10 +0800", now=NOW) == 10.0


def test_http_date_uses_current_time_by_default() -> None:
    future = datetime.now(timezone.utc).timestamp() + 3600
    value = format_datetime(datetime.fromtimestamp(future, timezone.utc), usegmt=True)
    seconds = parse_retry_after(value)
    assert seconds is not None
    assert 3590 <= seconds <= 3600


def test_parsed_header_feeds_backoff() -> None:
    policy = RetryPolicy()
    assert policy.backoff(1, parse_retry_after("7")) == 7.0
    assert policy.backoff(1, parse_retry_after("Wed, 01 May 2025 12:00:00 GMT", NOW)) == 60.0


# -- properties ---------------------------------------------------------------------------------

_SECONDS = st.floats(0.0, 1e6, allow_nan=False)


@st.composite
def _policies(draw: st.DrawFn) -> RetryPolicy:
    return RetryPolicy(
        max_retries=draw(st.integers(0, 10)),
        initial_backoff=draw(_SECONDS),
        max_backoff=draw(_SECONDS),
        jitter=draw(st.floats(0.0, 1.0)),
        max_retry_after=draw(_SECONDS),
    )


@given(
    policy=_policies(),
    retry_number=st.integers(-5, 10_000),
    retry_after=st.none() | st.floats(),
    seed=st.integers(0, 2**32),
)
def test_backoff_is_bounded(
    policy: RetryPolicy, retry_number: int, retry_after: float | None, seed: int
) -> None:
    delay = policy.backoff(retry_number, retry_after, random.Random(seed))
    assert 0.0 <= delay <= max(policy.max_backoff, policy.max_retry_after)


@given(policy=_policies(), retry_number=st.integers(1, 100), seed=st.integers(0, 2**32))
def test_backoff_never_shrinks_below_jitter_band(
    policy: RetryPolicy, retry_number: int, seed: int
) -> None:
    delay = policy.backoff(retry_number, rng=random.Random(seed))
    ceiling = min(policy.initial_backoff * 2.0 ** (retry_number - 1), policy.max_backoff)
    assert ceiling * (1 - policy.jitter) - 1e-9 <= delay <= ceiling + 1e-9


@given(st.text(max_size=40))
def test_parse_never_raises(value: str) -> None:
    result = parse_retry_after(value, now=NOW)
    assert result is None or result >= 0.0


# -- RetryBudget: one budget per logical call ------------------------------------------------


def test_budget_hands_out_numbered_retries_until_spent() -> None:
    from cnllm.retry import RetryBudget

    budget = RetryBudget(RetryPolicy(max_retries=2))
    assert [budget.take(), budget.take(), budget.take()] == [1, 2, None]
    assert budget.used == 2 and budget.remaining == 0


def test_budget_is_shared_across_threads_exactly() -> None:
    import threading

    from cnllm.retry import RetryBudget

    budget = RetryBudget(RetryPolicy(max_retries=50))
    taken: list[int | None] = []

    def spend() -> None:
        taken.extend(budget.take() for _ in range(20))

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n for n in taken if n is not None) == list(range(1, 51))


def test_budget_deep_copies_and_reprs() -> None:
    import copy

    from cnllm.retry import RetryBudget

    budget = RetryBudget()
    budget.take()
    twin = copy.deepcopy(budget)
    assert twin.used == 1 and twin.policy == budget.policy and twin._lock is not budget._lock
    assert repr(budget) == "RetryBudget(used=1, max_retries=2)"
