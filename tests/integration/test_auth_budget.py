"""One retry budget per call (token fetch included), process-wide token single-flight, safe
retries of requests that create something, copies of used models, and embedding batches that
stop at the first permanent failure: all counted at the emulator."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cnllm import errors
from cnllm.clueai.client import ClueAIClient
from cnllm.dashscope import models as dashscope_models
from cnllm.dashscope.client import DashScopeClient
from cnllm.emulator import Emulator
from cnllm.emulator.faults import Fault
from cnllm.qianfan import models as qianfan_models
from cnllm.qianfan.auth import Credentials
from cnllm.qianfan.client import QianfanClient
from cnllm.types import ChatRequest, Message
from langchain_cnllm import ChatQianfan, QianfanLLM
from llamaindex_cnllm import Qianfan as LlamaQianfan

TOKEN_PATH = "/oauth/2.0/token"
EMBEDDING_PATH = "embeddings"
DASHSCOPE_EMBEDDINGS = "/embeddings/text-embedding/text-embedding"


def qianfan(emulator: Emulator, max_retries: int = 2) -> QianfanClient:
    return QianfanClient(
        Credentials(api_key="ak", secret_key="sk"),
        base_url=emulator.base_url,
        max_retries=max_retries,
    )


def token_requests(emulator: Emulator) -> int:
    """Requests that reached the token endpoint (answered or failed by a fault)."""
    return emulator.stats.requests.get(TOKEN_PATH, 0)


def hello() -> ChatRequest:
    return ChatRequest((Message("user", "你好"),))


def no_sleep(client: QianfanClient) -> QianfanClient:
    client.transport._sleep = lambda seconds: None
    return client


def dead_token_endpoint(emulator: Emulator) -> None:
    emulator.inject(Fault("http", status=500, times=10_000, path_contains=TOKEN_PATH))


# -- one budget per call ------------------------------------------------------------------------


def test_a_dead_token_endpoint_gets_max_retries_plus_one_requests_per_call(
    emulator: Emulator,
) -> None:
    dead_token_endpoint(emulator)
    client = no_sleep(qianfan(emulator))
    info = qianfan_models.resolve("chat", "ERNIE-Lite-8K", None)
    with pytest.raises(errors.APIError):
        client.chat(info, hello())
    assert token_requests(emulator) == 3  # was 9: (max_retries + 1) ** 2


async def test_async_a_dead_token_endpoint_gets_max_retries_plus_one_requests(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def instant(seconds: float) -> None:
        return None

    dead_token_endpoint(emulator)
    monkeypatch.setattr(asyncio, "sleep", instant)
    client = qianfan(emulator)
    info = qianfan_models.resolve("chat", "ERNIE-Lite-8K", None)
    with pytest.raises(errors.APIError):
        await client.achat(info, hello())
    assert token_requests(emulator) == 3


def test_16_concurrent_calls_share_the_failing_token_request(emulator: Emulator) -> None:
    dead_token_endpoint(emulator)
    emulator.latency = 0.05  # long enough for the calls to meet in one flight
    client = qianfan(emulator)
    client.transport._sleep = lambda seconds: time.sleep(0.01)
    info = qianfan_models.resolve("chat", "ERNIE-Lite-8K", None)

    def call(_: int) -> str:
        try:
            client.chat(info, hello())
        except errors.APIError as error:
            return type(error).__name__
        return "ok"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(call, range(16)))
    assert outcomes.count("ok") == 0
    # Each call spends at most max_retries + 1 token requests (48 in all), and waiters share
    # the leader's failure, so ~16-18 go out in practice; was 144: each (max_retries + 1) ** 2.
    assert token_requests(emulator) <= 16 * 3
    assert "chat" not in json.dumps(emulator.stats.requests)  # no chat request without a token


def test_a_call_spends_one_budget_across_the_token_fetch_and_the_call(
    emulator: Emulator,
) -> None:
    # The token needs two tries (1 retry spent); the call then gets the one retry left.
    emulator.inject(Fault("http", status=500, times=1, path_contains=TOKEN_PATH))
    emulator.inject(Fault("http", status=503, times=5))
    client = no_sleep(qianfan(emulator))
    info = qianfan_models.resolve("chat", "ERNIE-Lite-8K", None)
    with pytest.raises(errors.APIError):
        client.chat(info, hello())
    chat_requests = sum(n for path, n in emulator.stats.requests.items() if "/chat/" in path)
    assert token_requests(emulator) == 2 and chat_requests == 2


# -- token single-flight across threads and event loops ------------------------------------------


def test_one_token_request_for_64_first_calls_across_two_loops_and_threads(
    emulator: Emulator,
) -> None:
    emulator.latency = 0.05
    client = qianfan(emulator)
    info = qianfan_models.resolve("chat", "ERNIE-Lite-8K", None)

    async def many(n: int) -> list[str]:
        results = await asyncio.gather(*(client.achat(info, hello()) for _ in range(n)))
        return [result.text for result in results]

    answers: list[str] = []
    lock = threading.Lock()

    def in_a_loop() -> None:
        texts = asyncio.run(many(16))
        with lock:
            answers.extend(texts)

    def in_threads() -> None:
        with ThreadPoolExecutor(16) as pool:
            texts = [r.text for r in pool.map(lambda _: client.chat(info, hello()), range(16))]
        with lock:
            answers.extend(texts)

    workers = [threading.Thread(target=t) for t in (in_a_loop, in_a_loop, in_threads, in_threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(answers) == 64 and all(answers)
    assert token_requests(emulator) == 1  # was one per loop (and per thread's lock)


# -- requests that create something ---------------------------------------------------------------


def test_a_read_timeout_on_an_upload_creates_exactly_one_engine(emulator: Emulator) -> None:
    emulator.inject(Fault("slow", delay=0.6, times=3, path_contains="/search/upload"))
    client = ClueAIClient(
        "key",
        base_url=f"{emulator.base_url}/clueai",
        modelfun_url=f"{emulator.base_url}/modelfun/api",
        timeout=0.2,
    )
    client.transport._sleep = lambda seconds: None
    corpus = "\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in ("长城", "故宫"))
    with pytest.raises(errors.TimeoutError):
        client.upload_corpus(corpus.encode(), "corpus.json", "text")
    time.sleep(0.8)  # the server finishes what it was asked to do
    engines = emulator.app.vendors["clueai"].state.engines  # type: ignore[attr-defined]
    assert len(engines) == 1  # was 3: every retry created one more


def test_an_upload_is_retried_when_the_server_says_it_did_not_act(emulator: Emulator) -> None:
    emulator.inject(Fault("http", status=503, times=1, path_contains="/search/upload"))
    client = ClueAIClient(
        "key",
        base_url=f"{emulator.base_url}/clueai",
        modelfun_url=f"{emulator.base_url}/modelfun/api",
    )
    client.transport._sleep = lambda seconds: None
    corpus = json.dumps({"text": "长城"}, ensure_ascii=False).encode()
    assert client.upload_corpus(corpus, "corpus.json", "text")
    engines = emulator.app.vendors["clueai"].state.engines  # type: ignore[attr-defined]
    assert len(engines) == 1


def test_an_upload_to_a_closed_port_is_retried(emulator: Emulator) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ClueAIClient("key", base_url=f"http://127.0.0.1:{port}/clueai", max_retries=2)
    sleeps: list[float] = []
    client.transport._sleep = sleeps.append
    with pytest.raises(errors.ConnectionError):
        client.upload_corpus(b'{"text": "x"}', "corpus.json", "text")
    assert len(sleeps) == 2  # refused: the server never saw it, so retrying is safe


# -- copies of used models ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [ChatQianfan, QianfanLLM, LlamaQianfan])
def test_deep_copies_of_a_used_qianfan_model_work(qianfan_env: Emulator, cls: type) -> None:
    model = cls(model="ERNIE-Lite-8K")
    first = model.complete("你好").text if cls is LlamaQianfan else model.invoke("你好")
    assert first
    for twin in (copy.deepcopy(model), model.model_copy(deep=True)):
        again = twin.complete("你好").text if cls is LlamaQianfan else twin.invoke("你好")
        assert again
    restored = pickle.loads(pickle.dumps(model))
    assert restored.complete("你好").text if cls is LlamaQianfan else restored.invoke("你好")
    assert token_requests(qianfan_env) == 1  # the copies share the process's token


# -- embeddings: malformed indexes, and the first permanent failure stops the rest ---------------


def dashscope(emulator: Emulator) -> DashScopeClient:
    return DashScopeClient("key", base_url=emulator.base_url)


def test_duplicate_embedding_indexes_raise(emulator: Emulator) -> None:
    body = {
        "data": [
            {"object": "embedding", "index": 0, "embedding": [0.1]},
            {"object": "embedding", "index": 0, "embedding": [0.2]},
        ],
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }
    emulator.inject(Fault("http", status=200, body=json.dumps(body), path_contains=EMBEDDING_PATH))
    client = qianfan(emulator)
    info = qianfan_models.resolve("embeddings", "Embedding-V1", None)
    with pytest.raises(errors.ProtocolError, match="index"):
        client.embed(info, ["a", "b"])


def _embedding_requests(emulator: Emulator) -> int:
    return sum(n for path, n in emulator.stats.requests.items() if DASHSCOPE_EMBEDDINGS in path)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_sync_batches_stop_after_a_permanent_failure(emulator: Emulator, concurrency: int) -> None:
    emulator.latency = 0.02
    emulator.inject(Fault("http", status=400, times=1, body='{"code":"InvalidParameter"}'))
    info = dashscope_models.resolve("embeddings", "text-embedding-v2")
    texts = [f"文本{i}" for i in range(250)]  # 10 batches of 25
    with pytest.raises(errors.APIError):
        dashscope(emulator).embed(info, texts, concurrency=concurrency)
    assert 1 <= _embedding_requests(emulator) <= concurrency  # was 10 with concurrency=4


async def test_async_batches_stop_after_a_permanent_failure(emulator: Emulator) -> None:
    emulator.latency = 0.02
    emulator.inject(Fault("http", status=400, times=1, body='{"code":"InvalidParameter"}'))
    info = dashscope_models.resolve("embeddings", "text-embedding-v2")
    texts = [f"文本{i}" for i in range(250)]
    with pytest.raises(errors.APIError):
        await dashscope(emulator).aembed(info, texts, concurrency=2)
    await asyncio.sleep(0.1)
    assert 1 <= _embedding_requests(emulator) <= 2  # was 10: every batch went out


def test_sync_batches_run_concurrently_in_order_with_exact_progress(emulator: Emulator) -> None:
    emulator.latency = 0.1
    client = qianfan(emulator)
    info = qianfan_models.resolve("embeddings", "Embedding-V1", None)
    texts = [f"第{i}段 text {i}" for i in range(16 * 8 - 3)]
    progress: list[int] = []
    start = time.perf_counter()
    results = client.embed(info, texts, on_batch=progress.append, concurrency=8)
    elapsed = time.perf_counter() - start
    vectors = [vector for result in results for vector in result.vectors]
    one_by_one = [client.embed(info, [text])[0].vectors[0] for text in texts[:20:7]]
    assert vectors[:20:7] == one_by_one
    assert len(vectors) == len(texts) and sorted(progress) == [13] + [16] * 7
    assert elapsed < 0.7  # 8 batches at 100 ms each, sent together (was 0.8 s one by one)
