"""ChatQianfan, QianfanLLM and QianfanEmbeddings end to end against the emulator (loopback)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from pydantic import BaseModel

from cnllm import errors
from cnllm.emulator import Emulator, Fault
from cnllm.qianfan import auth
from langchain_cnllm import ChatQianfan, QianfanEmbeddings, QianfanLLM

LLAMA = "Qianfan-Chinese-Llama-2-13B"
ERNIE = "ERNIE-3.5-8K"
CHAT_PATH = "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/qianfan_chinese_llama_2_13b"


def chat_calls(emulator: Emulator, path: str = CHAT_PATH) -> int:
    return emulator.stats.requests.get(path, 0)


def fast(**kwargs: object) -> ChatQianfan:
    """A model whose retries wait milliseconds, not seconds (the policy is the same)."""
    model = ChatQianfan(model=LLAMA, **kwargs)
    model.client.transport.retry = type(model.client.transport.retry)(
        max_retries=model.max_retries, initial_backoff=0.001, max_backoff=0.01
    )
    return model


# -- invoke / stream / async --------------------------------------------------------------------


def test_invoke_reports_usage_and_metadata(qianfan_env: Emulator) -> None:
    message = ChatQianfan(model=LLAMA).invoke("你好")
    assert message.content
    assert message.usage_metadata and message.usage_metadata["input_tokens"] > 0
    meta = message.response_metadata
    assert meta["model_name"] == LLAMA and meta["model_provider"] == "qianfan"
    assert meta["request_id"].startswith("as-") and meta["finish_reason"]
    body = qianfan_env.stats.last_request.json
    assert body == {"messages": [{"role": "user", "content": "你好"}]}


def test_stream_gives_deltas_usage_once_and_a_last_chunk(qianfan_env: Emulator) -> None:
    chunks = list(ChatQianfan(model=LLAMA).stream("介绍下故宫"))
    assert len(chunks) >= 3
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    assert chunks[-1].chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert isinstance(full, AIMessageChunk)
    assert full.response_metadata["model_name"] == LLAMA
    assert full.usage_metadata["total_tokens"] == (
        full.usage_metadata["input_tokens"] + full.usage_metadata["output_tokens"]
    )
    assert qianfan_env.stats.last_request.json["stream"] is True


async def test_ainvoke_and_astream(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    message = await chat.ainvoke([SystemMessage("简短回答"), HumanMessage("你好")])
    assert message.content
    chunks = [chunk async for chunk in chat.astream("介绍下故宫")]
    assert "".join(str(c.content) for c in chunks)
    assert chunks[-1].chunk_position == "last"


def test_a_user_deployed_chat_endpoint(qianfan_env: Emulator) -> None:
    message = ChatQianfan(endpoint="ngxxxol8_test1").invoke("你好")
    assert message.response_metadata["model_name"] == "ngxxxol8_test1"
    assert qianfan_env.stats.last_request.path.endswith("/chat/ngxxxol8_test1")


def test_streaming_flag_makes_invoke_stream(qianfan_env: Emulator) -> None:
    message = ChatQianfan(model=LLAMA, streaming=True).invoke("你好")
    assert message.content and message.usage_metadata
    assert qianfan_env.stats.last_request.json["stream"] is True


# -- tokens: once, shared, single-flight, refreshed --------------------------------------------


async def test_64_concurrent_first_calls_make_one_token_request(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    results = await chat.abatch([f"问题{i}" for i in range(64)], config={"max_concurrency": 64})
    assert len(results) == 64 and all(r.content for r in results)
    assert qianfan_env.stats.token_requests == 1


def test_threads_share_one_token_request(qianfan_env: Emulator) -> None:
    results = ChatQianfan(model=LLAMA).batch(
        [f"问{i}" for i in range(16)], config={"max_concurrency": 16}
    )
    assert len(results) == 16
    assert qianfan_env.stats.token_requests == 1


def test_tokens_are_shared_between_model_objects(qianfan_env: Emulator) -> None:
    ChatQianfan(model=LLAMA).invoke("a")
    QianfanEmbeddings().embed_query("b")
    QianfanLLM(endpoint="my_cerebras_api").invoke("c")
    assert qianfan_env.stats.token_requests == 1


def test_expired_token_is_refreshed_once_reactively(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    chat.invoke("a")
    qianfan_env.expire_tokens()
    assert chat.invoke("b").content
    assert qianfan_env.stats.token_requests == 2


def test_token_refreshed_before_expiry(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    chat.invoke("a")
    for entry in auth._TOKENS.values():
        entry.expires_at = 0.0  # as if its time were up
    chat.invoke("b")
    assert qianfan_env.stats.token_requests == 2
    assert chat_calls(qianfan_env) == 2  # no failed call was needed to notice


def test_a_token_that_keeps_failing_is_not_refreshed_in_a_loop(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    chat.invoke("a")
    qianfan_env.inject(Fault("error_code", code=111, times=5))
    with pytest.raises(ModelAuthenticationError) as caught:
        chat.invoke("b")
    assert caught.value.code == 111
    assert qianfan_env.stats.token_requests == 2  # one refresh, then the error surfaces


def test_bad_app_keys_are_an_authentication_error(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = Emulator(
        strict=True, credentials={"qianfan_ak": "right", "qianfan_sk": "right"}
    ).start()
    try:
        chat = ChatQianfan(
            model=LLAMA, base_url=strict.base_url, api_key="wrong", secret_key="right"
        )
        with pytest.raises(ModelAuthenticationError, match="invalid_client"):
            chat.invoke("a")
        assert strict.stats.token_requests == 1  # not retried
        ok = ChatQianfan(model=LLAMA, base_url=strict.base_url, api_key="right", secret_key="right")
        assert ok.invoke("a").content
    finally:
        strict.stop()


def test_iam_signing_is_accepted_by_a_strict_server(emulator: Emulator) -> None:
    keys = {"qianfan_access_key": "iam-ak", "qianfan_secret_key": "iam-sk"}
    strict = Emulator(strict=True, credentials=keys).start()
    try:
        chat = ChatQianfan(model=LLAMA, base_url=strict.base_url, **keys)
        assert chat.invoke("你好").content
        assert list(chat.stream("你好"))
        assert strict.stats.token_requests == 0
        assert strict.stats.last_request.headers["Authorization"].startswith("bce-auth-v1/iam-ak/")
        wrong = ChatQianfan(
            model=LLAMA,
            base_url=strict.base_url,
            qianfan_access_key="iam-ak",
            qianfan_secret_key="bad",
        )
        with pytest.raises(ModelAuthenticationError):
            wrong.invoke("你好")
    finally:
        strict.stop()


# -- retries and faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error_code", code=18),
        Fault("error_code", code=336100),
        Fault("error_code", code=2),
        Fault("http", status=429, retry_after="0"),
        Fault("http", status=503),
        Fault("reset"),
    ],
)
def test_transient_failures_are_retried(qianfan_env: Emulator, fault: Fault) -> None:
    qianfan_env.inject(fault)
    assert fast().invoke("你好").content
    assert chat_calls(qianfan_env) == 2


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("error_code", code=336003), ModelInvalidRequestError),
        (Fault("error_code", code=17), ModelRateLimitError),
        (Fault("error_code", code=336000), ModelAPIError),
        (Fault("http", status=400), ModelInvalidRequestError),
    ],
)
def test_permanent_failures_are_not_retried(
    qianfan_env: Emulator, fault: Fault, expected: type
) -> None:
    qianfan_env.inject(fault)
    with pytest.raises(expected):
        fast().invoke("你好")
    assert chat_calls(qianfan_env) == 1


def test_retries_are_bounded_by_max_retries(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("http", status=500, times=10))
    with pytest.raises(ModelAPIError) as caught:
        fast(max_retries=3).invoke("你好")
    assert caught.value.is_retryable and caught.value.status_code == 500
    assert chat_calls(qianfan_env) == 4


def test_errors_carry_vendor_code_message_and_are_both_classes(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("error_code", code=18, times=3))
    with pytest.raises(errors.RateLimitError) as caught:
        fast(max_retries=2).invoke("你好")
    assert isinstance(caught.value, ModelRateLimitError)
    assert caught.value.code == 18 and caught.value.vendor == "qianfan"
    assert caught.value.message


def test_a_timeout_is_retried_then_raised(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("slow", delay=1.0, times=5))
    with pytest.raises(ModelTimeoutError):
        fast(timeout=0.2, max_retries=1).invoke("你好")


def test_connection_refused_is_a_connection_error(emulator: Emulator) -> None:
    chat = ChatQianfan(
        model=LLAMA, base_url="http://127.0.0.1:9", api_key="a", secret_key="b", max_retries=0
    )
    with pytest.raises(ModelConnectionError):
        chat.invoke("你好")


def test_stream_dropped_mid_way_raises(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("drop_mid_stream", after_events=2))
    received = []
    with pytest.raises(errors.StreamInterruptedError):
        for chunk in ChatQianfan(model=LLAMA).stream("介绍下故宫"):
            received.append(chunk)
    assert len(received) == 2  # what arrived was delivered, then the break was reported


def test_stream_without_is_end_raises(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("no_is_end", after_events=2))
    with pytest.raises(ModelAPIError, match="is_end"):
        list(ChatQianfan(model=LLAMA).stream("介绍下故宫"))


async def test_async_stream_dropped_mid_way_raises(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("drop_mid_stream", after_events=1))
    with pytest.raises(errors.StreamInterruptedError):
        async for _ in ChatQianfan(model=LLAMA).astream("介绍下故宫"):
            pass


@pytest.mark.parametrize("raw", [False, True])
def test_error_inside_a_stream_raises_typed(qianfan_env: Emulator, raw: bool) -> None:
    qianfan_env.inject(Fault("stream_error", after_events=1, code=336501, raw=raw))
    with pytest.raises(ModelRateLimitError):
        list(ChatQianfan(model=LLAMA).stream("介绍下故宫"))


def test_error_at_stream_start_is_retried(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("error_code", code=336100))
    assert list(fast().stream("你好"))


def test_unsafe_input_is_a_content_filter_error(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("need_clear_history"))
    with pytest.raises(errors.ContentFilterError):
        ChatQianfan(model=LLAMA).invoke("…")


def test_bad_input_fails_before_anything_is_sent(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    with pytest.raises(ModelInvalidRequestError, match="stop"):
        chat.invoke("你好", stop=["a", "b", "c", "d", "e"])
    with pytest.raises(ValueError, match="temperature"):
        ChatQianfan(model=LLAMA, temperature=1.5)
    assert qianfan_env.stats.requests == {}


# -- tools and structured output -----------------------------------------------------------------


class Weather(BaseModel):
    """查询城市天气"""

    city: str


def test_tool_calling_on_ernie(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=ERNIE).bind_tools([Weather], tool_choice="Weather")
    message = chat.invoke("北京今天天气怎么样？")
    assert message.tool_calls and message.tool_calls[0]["name"] == "Weather"
    body = qianfan_env.stats.last_request.json
    assert body["functions"][0]["name"] == "Weather"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    chunks = list(chat.stream("北京今天天气怎么样？"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert full.tool_calls[0]["name"] == "Weather"


def test_bind_tools_on_a_model_without_functions_is_a_clear_error(qianfan_env: Emulator) -> None:
    with pytest.raises(ValueError, match="no native tool calling"):
        ChatQianfan(model=LLAMA).bind_tools([Weather])


@pytest.mark.parametrize("method", ["function_calling", "json_mode", "json_schema"])
@pytest.mark.parametrize("model", [LLAMA, ERNIE])
def test_structured_output_for_every_method(qianfan_env: Emulator, model: str, method: str) -> None:
    structured = ChatQianfan(model=model).with_structured_output(Weather, method=method)
    result = structured.invoke("北京今天天气怎么样？")
    assert isinstance(result, Weather)


# -- completions and embeddings -------------------------------------------------------------------


def test_completions_on_a_custom_endpoint(qianfan_env: Emulator) -> None:
    llm = QianfanLLM(endpoint="my_cerebras_api")
    result = llm.generate(["introduce the city beijing"])
    generation = result.generations[0][0]
    assert generation.text
    assert generation.generation_info["usage_metadata"]["total_tokens"] > 0
    assert result.llm_output["token_usage"]["total_tokens"] > 0
    assert qianfan_env.stats.last_request.json == {"prompt": "introduce the city beijing"}
    assert "".join(llm.stream("introduce the city beijing"))


async def test_completions_async(qianfan_env: Emulator) -> None:
    llm = QianfanLLM(endpoint="my_cerebras_api")
    assert await llm.ainvoke("hi")
    assert "".join([chunk async for chunk in llm.astream("hi")])


def test_embeddings_batch_by_model_limit_and_keep_order(qianfan_env: Emulator) -> None:
    texts = [f"第{i}段文字" for i in range(40)]
    embeddings = QianfanEmbeddings(model="bge-large-zh")
    vectors = embeddings.embed_documents(texts)
    assert len(vectors) == 40 and len(vectors[0]) == 1024
    assert (
        qianfan_env.stats.requests["/rpc/2.0/ai_custom/v1/wenxinworkshop/embeddings/bge_large_zh"]
        == 3
    )
    assert vectors[7] == embeddings.embed_query(texts[7])


def test_tao_8k_sends_one_text_per_request(qianfan_env: Emulator) -> None:
    QianfanEmbeddings(model="tao-8k").embed_documents(["a", "b", "c"])
    assert qianfan_env.stats.requests["/rpc/2.0/ai_custom/v1/wenxinworkshop/embeddings/tao_8k"] == 3


async def test_async_embedding_batches_run_concurrently(qianfan_env: Emulator) -> None:
    qianfan_env.latency = 0.2
    embeddings = QianfanEmbeddings(model="Embedding-V1", max_concurrency=8)
    await embeddings.aembed_query("warm the token")
    loop = asyncio.get_running_loop()
    started = loop.time()
    vectors = await embeddings.aembed_documents([f"t{i}" for i in range(16 * 8)])
    elapsed = loop.time() - started
    assert len(vectors) == 128
    assert elapsed < 0.2 * 8 / 2  # 8 batches of 0.2 s would take 1.6 s one after another


def test_similar_texts_get_similar_vectors(qianfan_env: Emulator) -> None:
    a, b, c = QianfanEmbeddings().embed_documents(
        ["故宫的历史", "故宫是明清两代的皇宫", "量子计算机的原理"]
    )

    def cosine(x: list[float], y: list[float]) -> float:
        return sum(i * j for i, j in zip(x, y, strict=True))

    assert cosine(a, b) > cosine(a, c)


def test_model_objects_can_be_used_from_many_threads(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model=LLAMA)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            chat.invoke("你好")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_transient_error_before_the_first_chunk_is_replayed(qianfan_env: Emulator) -> None:
    qianfan_env.inject(Fault("stream_error", after_events=0, code=336100))
    chunks = list(fast().stream("介绍下故宫"))
    assert chunks[-1].chunk_position == "last"
    assert chat_calls(qianfan_env) == 2
