"""The emulator's rate limit answers each vendor's own throttling error, which each vendor's
check turns into a retryable RateLimitError; the rate budget keeps a burst under it."""

from __future__ import annotations

import asyncio
import importlib
import time

import pytest
import requests

from cnllm import errors
from cnllm.emulator import Emulator
from cnllm.emulator.app import App
from cnllm.emulator.core import EmulatorConfig, Request
from cnllm.ratelimit import RateLimiter
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport

VENDORS = ["qianfan", "dashscope", "koala", "clueai"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_beyond_the_rate_each_vendor_answers_its_own_throttling_error(vendor: str) -> None:
    app = App(EmulatorConfig(rate_limit=2))
    route, served_by = next(
        (route, v)
        for route, v in app.routes
        if v is app.vendors[vendor] and "auth" not in route.tags
    )
    assert app.throttle(route, served_by) is None and app.throttle(route, served_by) is None
    fault = app.throttle(route, served_by)
    assert fault is not None and app.stats.as_dict()["counters"]["throttled"] == 1
    answer = served_by.error_response(fault, Request("POST", "/x", {}, {}, b"{}"))
    check = importlib.import_module(f"cnllm.{vendor}.protocol").check_response
    with pytest.raises(errors.RateLimitError) as caught:
        check(HttpResponse(answer.status, answer.headers, answer.body))
    assert caught.value.retryable


def test_the_rate_limit_is_set_over_the_control_endpoint(emulator: Emulator) -> None:
    reply = requests.post(
        f"{emulator.base_url}/_emulator/config", json={"rate_limit": 7}, timeout=5
    )
    assert reply.json()["rate_limit"] == 7.0 and emulator.rate_limit == 7.0
    emulator.rate_limit = 0


def koala_transport(limiter: RateLimiter | None) -> Transport:
    check = importlib.import_module("cnllm.koala.protocol").check_response
    policy = RetryPolicy(max_retries=6, initial_backoff=0.05, max_backoff=0.5)
    return Transport(check=check, vendor="koala", retry=policy, limiter=limiter)


def embed(emulator: Emulator, index: int) -> HttpRequest:
    body = {"model": "text2vec-large-chinese", "input": [f"text {index}-{n}" for n in range(4)]}
    return HttpRequest("POST", f"{emulator.base_url}/v1/embeddings", json=body)


def test_a_paced_async_burst_stays_under_the_server_limit(emulator: Emulator) -> None:
    emulator.rate_limit = 20
    transport = koala_transport(RateLimiter(requests_per_second=20))

    async def burst() -> list[HttpResponse]:
        try:
            return await asyncio.gather(
                *(transport.arequest(embed(emulator, i)) for i in range(30))
            )
        finally:
            await transport.aclose()

    start = time.monotonic()
    answers = asyncio.run(burst())
    elapsed = time.monotonic() - start
    assert len(answers) == 30 and all(answer.status == 200 for answer in answers)
    throttled = emulator.stats.as_dict()["counters"].get("throttled", 0)
    assert throttled <= 3 and elapsed < 30 / 20 * 1.5 + 0.5, (throttled, elapsed)
    emulator.rate_limit = 0


def test_an_unconfigured_limiter_adapts_to_throttling(emulator: Emulator) -> None:
    emulator.rate_limit = 20
    limiter = RateLimiter()
    transport = koala_transport(limiter)

    async def burst() -> list[HttpResponse]:
        try:
            return await asyncio.gather(
                *(transport.arequest(embed(emulator, i)) for i in range(40))
            )
        finally:
            await transport.aclose()

    answers = asyncio.run(burst())
    assert all(answer.status == 200 for answer in answers)
    assert limiter.throttled > 0 and limiter.rate is not None  # paced now, not unpaced
    emulator.rate_limit = 0
