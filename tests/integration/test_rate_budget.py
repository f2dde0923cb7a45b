"""The rate budget end to end (issue 15 §2): real classes through the emulator's rate limit
(each vendor's own throttling error beyond it), sync and async, with and without a limit set;
and the LlamaIndex KoalaEmbedding's concurrent batches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cnllm.emulator import Emulator
from langchain_cnllm import DashScopeEmbeddings, KoalaEmbeddings, QianfanEmbeddings
from llamaindex_cnllm import KoalaEmbedding

RATE = 50  # requests per second the emulator allows (a burst of one second's worth)
TEXTS = [f"第 {index} 段" for index in range(110)]  # one text a request: 110 requests


@pytest.fixture
def limited(emulator: Emulator) -> Iterator[Emulator]:
    emulator.rate_limit = RATE
    emulator.latency = 0.01
    yield emulator
    emulator.rate_limit = 0


def _langchain(name: str, emulator: Emulator, limit: float | None) -> Any:
    common: dict[str, Any] = {"requests_per_second": limit, "api_key": "rate-key"}
    url = emulator.base_url
    if name == "koala":
        return KoalaEmbeddings(base_url=f"{url}/v1", batch_size=1, **common)
    if name == "dashscope":
        return DashScopeEmbeddings(base_url=f"{url}/api/v1", **common)
    return QianfanEmbeddings(base_url=url, secret_key="rate-sk", **common)


def _embed(model: Any, mode: str, texts: list[str]) -> list[list[float]]:
    if isinstance(model, KoalaEmbedding):
        if mode == "sync":
            return model.get_text_embedding_batch(texts)
        return asyncio.run(model.aget_text_embedding_batch(texts))
    if mode == "sync":
        return model.embed_documents(texts)  # type: ignore[no-any-return]
    return asyncio.run(model.aembed_documents(texts))  # type: ignore[no-any-return]


def _throttled(emulator: Emulator) -> int:
    return emulator.stats.counters.get("throttled", 0)


def _expected(emulator: Emulator) -> list[list[float]]:
    """The vectors of TEXTS in one request, before the test's own requests."""
    model = KoalaEmbeddings(base_url=f"{emulator.base_url}/v1", batch_size=len(TEXTS))
    rate, emulator.rate_limit = emulator.rate_limit, 0
    try:
        return model.embed_documents(TEXTS)
    finally:
        emulator.rate_limit = rate
        emulator.reset()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("limit", [RATE, None], ids=["limit", "adaptive"])
def test_koala_embeddings_through_the_rate_limit(limited: Emulator, mode: str, limit: Any) -> None:
    expected = _expected(limited)
    model = _langchain("koala", limited, limit)
    vectors = _embed(model, mode, TEXTS)  # any failure raises: 0 failures
    assert vectors == expected  # all there, in input order
    throttled = _throttled(limited)
    if limit:
        assert throttled == 0  # paced at the server's rate: never over it
    else:
        assert throttled <= 0.25 * (len(TEXTS) + throttled)  # adapts: few throttled


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_llamaindex_koala_embedding_through_the_rate_limit(limited: Emulator, mode: str) -> None:
    def build(limit: float | None = None) -> KoalaEmbedding:
        return KoalaEmbedding(
            base_url=f"{limited.base_url}/v1", embed_batch_size=1, requests_per_second=limit
        )

    expected = _expected(limited)
    vectors = _embed(build(), mode, TEXTS)
    assert vectors == expected
    throttled = _throttled(limited)
    assert throttled <= 0.25 * (len(TEXTS) + throttled)


@pytest.mark.parametrize("vendor", ["dashscope", "qianfan"])
def test_each_vendors_own_throttling_error_slows_the_pace(limited: Emulator, vendor: str) -> None:
    model = _langchain(vendor, limited, None)

    async def one_by_one() -> list[list[float]]:
        # Many one-text calls at once, as a user's gather would make them.
        gate = asyncio.Semaphore(8)

        async def one(text: str) -> list[float]:
            async with gate:
                return await model.aembed_query(text)  # type: ignore[no-any-return]

        return await asyncio.gather(*(one(text) for text in TEXTS))

    vectors = asyncio.run(one_by_one())
    assert len(vectors) == len(TEXTS) and all(vectors)
    throttled = _throttled(limited)
    limiter = model.client.transport.limiter
    assert throttled > 0 and limiter.throttled == throttled  # the vendor's code was read
    assert limiter.rate is not None and limiter.rate < 2 * RATE  # and the pace cut
    assert throttled <= 0.25 * (len(TEXTS) + throttled)


def test_one_budget_for_every_object_of_a_key(limited: Emulator) -> None:
    """Two objects on one key, used at once, stay within the one limit between them."""
    first = _langchain("koala", limited, RATE / 2)
    second = KoalaEmbedding(
        base_url=f"{limited.base_url}/v1", api_key="rate-key", embed_batch_size=1
    )
    texts = TEXTS[:20]

    async def both() -> None:
        await asyncio.gather(first.aembed_documents(texts), second.aget_text_embedding_batch(texts))

    start = time.perf_counter()
    asyncio.run(both())
    wall = time.perf_counter() - start
    # 40 requests at 25/s between them take about 1.6 s; each at 25/s alone, half that.
    assert wall >= 0.9 * 2 * len(texts) / (RATE / 2)
    assert _throttled(limited) == 0


def test_koala_embedding_sync_batches_run_concurrently(emulator: Emulator) -> None:
    """LlamaIndex hands the sync path one chunk at a time; ours holds max_concurrency
    requests of embed_batch_size texts, sent together."""
    model = KoalaEmbedding(
        base_url=f"{emulator.base_url}/v1", embed_batch_size=2, max_concurrency=4
    )
    texts = [f"文本 {index}" for index in range(16)]  # 8 requests of 2
    expected = [model.get_text_embedding(text) for text in texts]
    emulator.reset()
    emulator.latency = 0.25
    start = time.perf_counter()
    vectors = model.get_text_embedding_batch(texts)
    wall = time.perf_counter() - start
    assert vectors == expected  # all there, in input order
    assert sum(emulator.stats.requests.values()) == 8  # embed_batch_size texts a request
    # Two rounds of 4 concurrent requests: ~0.5 s; one at a time would be 2 s.
    assert 0.45 <= wall < 1.2


def test_koala_embedding_async_batches_keep_max_concurrency(emulator: Emulator) -> None:
    """LlamaIndex gathers every async chunk at once: at most max_concurrency in flight."""
    emulator.latency = 0.25
    model = KoalaEmbedding(
        base_url=f"{emulator.base_url}/v1", embed_batch_size=2, max_concurrency=4
    )
    texts = [f"文本 {index}" for index in range(16)]
    start = time.perf_counter()
    vectors = asyncio.run(model.aget_text_embedding_batch(texts))
    wall = time.perf_counter() - start
    assert len(vectors) == 16
    # 8 requests, 4 at a time: two rounds (~0.5 s), never all 8 at once (~0.25 s).
    assert 0.45 <= wall < 1.2
