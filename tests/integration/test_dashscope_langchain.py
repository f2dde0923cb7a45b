"""ChatDashScope, DashScopeLLM and DashScopeEmbeddings end to end against the emulator."""

from __future__ import annotations

import asyncio
import logging
import pickle
from typing import Any

import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelRateLimitError,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel

from cnllm import errors
from cnllm.emulator import Emulator, Fault
from cnllm.retry import RetryPolicy
from langchain_cnllm import ChatDashScope, DashScopeEmbeddings, DashScopeLLM

GENERATION = "/api/v1/services/aigc/text-generation/generation"
EMBEDDING = "/api/v1/services/embeddings/text-embedding/text-embedding"
KEY = "sk-dashscope-SECRET-4242"
CHATYUAN = "chatyuan-large-v2"
QWEN = "qwen-plus"


@pytest.fixture
def dashscope_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The key and the emulator's URL in the environment, as a user would set them."""
    for name in ("DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_DISABLE_DATA_INSPECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    return emulator


def fast(model: Any) -> Any:
    """Retries that wait milliseconds, not seconds (the policy is otherwise the same)."""
    transport = model.client.transport
    transport.retry = RetryPolicy(
        max_retries=transport.retry.max_retries, initial_backoff=0.001, max_backoff=0.01
    )
    return model


def calls(emulator: Emulator, path: str = GENERATION) -> int:
    return emulator.stats.requests.get(path, 0)


def last(emulator: Emulator) -> Any:
    assert emulator.stats.last_request is not None
    return emulator.stats.last_request


def joined(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    return total


# -- ChatYuan ------------------------------------------------------------------------------------


def test_chatyuan_invoke_renders_the_prompt_and_reports_no_usage(dashscope_env: Emulator) -> None:
    message = ChatDashScope(model=CHATYUAN).invoke([HumanMessage("帮我写个请假条")])
    assert "\n\n" in message.content and "\\n" not in message.content  # unescaped
    assert message.usage_metadata is None
    meta = message.response_metadata
    assert meta["model_name"] == CHATYUAN and meta["model_provider"] == "dashscope"
    assert meta["request_id"]
    request = last(dashscope_env)
    assert request.json == {
        "model": CHATYUAN,
        "input": {"prompt": "用户：帮我写个请假条\\n小元："},
        "parameters": {},
    }
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert "X-DashScope-SSE" not in request.headers


def test_chatyuan_conversation_with_system_text(dashscope_env: Emulator) -> None:
    ChatDashScope(model=CHATYUAN).invoke(
        [SystemMessage("简短回答"), HumanMessage("你好"), AIMessage("你好！"), HumanMessage("再见")]
    )
    prompt = last(dashscope_env).json["input"]["prompt"]
    assert prompt == "用户：简短回答\\n你好\\n小元：你好！\\n用户：再见\\n小元："


def test_chatyuan_stream_is_incremental_and_ends_with_a_last_chunk(dashscope_env: Emulator) -> None:
    chat = ChatDashScope(model=CHATYUAN)
    chunks = list(chat.stream("帮我写个请假条"))
    request = last(dashscope_env)
    assert request.headers["X-DashScope-SSE"] == "enable"
    assert request.json["parameters"] == {"incremental_output": True}
    assert len(chunks) >= 3 and chunks[-1].chunk_position == "last"
    assert all(chunk.usage_metadata is None for chunk in chunks)
    assert joined(chunks).content == chat.invoke("帮我写个请假条").content


async def test_chatyuan_async(dashscope_env: Emulator) -> None:
    chat = ChatDashScope(model=CHATYUAN)
    message = await chat.ainvoke("你好")
    chunks = [chunk async for chunk in chat.astream("你好")]
    assert joined(chunks).content == message.content
    assert chunks[-1].chunk_position == "last"


def test_chatyuan_has_no_tools_but_structured_output_works_by_prompting(
    dashscope_env: Emulator,
) -> None:
    class Person(BaseModel):
        name: str
        age: int

    chat = ChatDashScope(model=CHATYUAN)
    with pytest.raises(ValueError, match="no native tool calling"):
        chat.bind_tools([Person])
    person = chat.with_structured_output(Person).invoke("名字叫“张三”，年龄30")
    assert isinstance(person, Person) and person.age == 30
    assert "JSON schema" in last(dashscope_env).json["input"]["prompt"]


def test_chatyuan_llm_sends_the_prompt_as_written(dashscope_env: Emulator) -> None:
    llm = DashScopeLLM(model=CHATYUAN)
    text = llm.invoke("翻译成英文：春天来了，花朵都开了。")
    assert text and "\\n" not in text
    assert last(dashscope_env).json["input"] == {"prompt": "翻译成英文：春天来了，花朵都开了。"}
    result = llm.generate(["你好"])
    assert result.llm_output == {"model_name": CHATYUAN}  # no token_usage: none was reported
    assert "".join(llm.stream("你好")) == llm.invoke("你好")


# -- Qwen (messages) ------------------------------------------------------------------------------


def test_qwen_invoke_maps_usage_finish_reason_and_request_id(dashscope_env: Emulator) -> None:
    message = ChatDashScope(model=QWEN, temperature=0.5, seed=7).invoke("你好")
    usage = message.usage_metadata
    assert usage and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    meta = message.response_metadata
    assert meta["finish_reason"] == "stop" and meta["request_id"] and meta["model_name"] == QWEN
    body = last(dashscope_env).json
    assert body["input"] == {"messages": [{"role": "user", "content": "你好"}]}
    assert body["parameters"] == {"result_format": "message", "temperature": 0.5, "seed": 7}


def test_qwen_stream_reports_usage_once(dashscope_env: Emulator) -> None:
    chunks = list(ChatDashScope(model=QWEN).stream("介绍下故宫"))
    assert [chunk.usage_metadata is not None for chunk in chunks].count(True) == 1
    full = joined(chunks)
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.usage_metadata and full.usage_metadata["output_tokens"] > 0


def test_qwen_tool_calls_and_tool_results(dashscope_env: Emulator) -> None:
    def get_weather(city: str) -> str:
        """Get the weather of a city."""
        return "晴"

    chat = ChatDashScope(model=QWEN).bind_tools([get_weather], tool_choice="get_weather")
    message = chat.invoke("北京天气怎么样")
    assert message.tool_calls and message.tool_calls[0]["name"] == "get_weather"
    streamed = joined(list(chat.stream("北京天气怎么样")))
    assert streamed.tool_calls == message.tool_calls
    call = message.tool_calls[0]
    answer = chat.invoke(
        [
            HumanMessage("北京天气怎么样"),
            message,
            ToolMessage("晴", tool_call_id=str(call["id"])),
        ]
    )
    assert "晴" in answer.content
    wire = last(dashscope_env).json["input"]["messages"]
    assert wire[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert wire[2] == {
        "role": "tool",
        "content": "晴",
        "tool_call_id": call["id"],
        "name": "get_weather",
    }


def test_qwen_llm_reports_usage(dashscope_env: Emulator) -> None:
    result = DashScopeLLM(model=QWEN).generate(["你好", "再见"])
    assert result.llm_output is not None and result.llm_output["token_usage"]["total_tokens"] > 0


# -- embeddings -----------------------------------------------------------------------------------


def test_embeddings_batches_text_types_and_text_index(dashscope_env: Emulator) -> None:
    embeddings = DashScopeEmbeddings(model="text-embedding-v2")
    texts = [f"第{i}条法律案例" for i in range(30)]
    vectors = embeddings.embed_documents(texts)
    assert calls(dashscope_env, EMBEDDING) == 2  # 25 + 5
    assert last(dashscope_env).json["parameters"] == {"text_type": "document"}
    # The emulator answers in reverse order: right placement needs text_index.
    query = embeddings.embed_query(texts[3])
    assert last(dashscope_env).json["parameters"] == {"text_type": "query"}
    assert vectors[3] == query and vectors[4] != query
    assert len(query) == 1536


def test_embedding_dimension_where_the_model_takes_it(dashscope_env: Emulator) -> None:
    vector = DashScopeEmbeddings(model="text-embedding-v4", dimension=512).embed_query("故宫")
    assert len(vector) == 512
    assert last(dashscope_env).json["parameters"] == {"text_type": "query", "dimension": 512}
    with pytest.raises(ValueError, match="takes no dimension"):
        DashScopeEmbeddings(model="text-embedding-v2", dimension=512)


async def test_async_embedding_batches_run_concurrently(dashscope_env: Emulator) -> None:
    embeddings = DashScopeEmbeddings(model="text-embedding-v3", max_concurrency=3)
    transport = embeddings.client.transport
    original = transport.arequest
    in_flight = peak = 0

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.02)
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    transport.arequest = counting  # type: ignore[method-assign]
    texts = [f"文本{i}" for i in range(35)]
    vectors = await embeddings.aembed_documents(texts)
    assert calls(dashscope_env, EMBEDDING) == 4 and peak == 3
    assert vectors == embeddings.embed_documents(texts)


# -- faults: retried ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error_code", code="Throttling", times=2),
        Fault("error_code", code="Throttling.RateQuota"),
        Fault("error_code", code="Throttling", status=200),  # a 200 body with a code
        Fault("error_code", code="InternalError"),
        Fault("http", status=503),
        Fault("reset"),
    ],
    ids=["throttling", "rate-quota", "200-with-code", "internal-error", "http-503", "reset"],
)
def test_transient_failures_are_retried(dashscope_env: Emulator, fault: Fault) -> None:
    dashscope_env.inject(fault)
    message = fast(ChatDashScope(model=QWEN)).invoke("你好")
    assert message.content
    assert calls(dashscope_env) == fault.times + 1


def test_throttling_when_retries_run_out(dashscope_env: Emulator) -> None:
    dashscope_env.inject(Fault("error_code", code="Throttling", times=3))
    with pytest.raises(ModelRateLimitError) as caught:
        fast(ChatDashScope(model=QWEN, max_retries=2)).invoke("你好")
    assert isinstance(caught.value, errors.RateLimitError)
    assert caught.value.code == "Throttling" and caught.value.status_code == 429
    assert caught.value.request_id
    assert calls(dashscope_env) == 3


def test_a_stream_retries_an_error_event_that_comes_before_any_text(
    dashscope_env: Emulator,
) -> None:
    dashscope_env.inject(Fault("stream_error", code="Throttling", after_events=0))
    chunks = list(fast(ChatDashScope(model=QWEN)).stream("介绍下故宫"))
    assert chunks[-1].chunk_position == "last"
    assert calls(dashscope_env) == 2


def test_throttled_embeddings_are_retried(dashscope_env: Emulator) -> None:
    dashscope_env.inject(Fault("error_code", code="Throttling"))
    assert fast(DashScopeEmbeddings()).embed_query("故宫")
    assert calls(dashscope_env, EMBEDDING) == 2


# -- faults: never retried ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "caught_as", "cnllm_class"),
    [
        ("InvalidParameter", None, ModelInvalidRequestError, errors.InvalidRequestError),
        ("InvalidParameter", 200, ModelInvalidRequestError, errors.InvalidRequestError),
        ("DataInspectionFailed", None, ModelInvalidRequestError, errors.ContentFilterError),
        ("InvalidApiKey", None, ModelAuthenticationError, errors.AuthenticationError),
    ],
)
def test_permanent_errors_are_not_retried(
    dashscope_env: Emulator,
    code: str,
    status: int | None,
    caught_as: type[Exception],
    cnllm_class: type[errors.CnLLMError],
) -> None:
    dashscope_env.inject(Fault("error_code", code=code, status=status))
    with pytest.raises(caught_as) as caught:
        fast(ChatDashScope(model=QWEN)).invoke("你好")
    assert isinstance(caught.value, cnllm_class)
    assert caught.value.code == code and caught.value.request_id
    assert calls(dashscope_env) == 1


def test_an_error_event_mid_stream_raises_typed_after_the_text_so_far(
    dashscope_env: Emulator,
) -> None:
    dashscope_env.inject(Fault("stream_error", code="DataInspectionFailed", after_events=2))
    received: list[AIMessageChunk] = []
    with pytest.raises(errors.ContentFilterError) as caught:
        for chunk in fast(ChatDashScope(model=QWEN)).stream("介绍下故宫"):
            received.append(chunk)
    assert len(received) == 2 and isinstance(caught.value, ModelInvalidRequestError)
    assert calls(dashscope_env) == 1  # never replayed once text was delivered


async def test_an_error_event_mid_astream(dashscope_env: Emulator) -> None:
    dashscope_env.inject(Fault("stream_error", code="InternalError", after_events=1))
    with pytest.raises(ModelAPIError):
        async for _ in fast(ChatDashScope(model=CHATYUAN)).astream("你好"):
            pass


@pytest.mark.parametrize("model", [QWEN, CHATYUAN])
def test_a_dropped_stream_raises(dashscope_env: Emulator, model: str) -> None:
    dashscope_env.inject(Fault("drop_mid_stream", after_events=2))
    with pytest.raises(errors.StreamInterruptedError) as caught:
        list(fast(ChatDashScope(model=model, max_retries=0)).stream("介绍下故宫"))
    assert isinstance(caught.value, ModelAPIError)


def test_a_stream_closed_before_its_final_event_raises(dashscope_env: Emulator) -> None:
    dashscope_env.inject(Fault("no_is_end", after_events=2))
    with pytest.raises(errors.StreamInterruptedError, match="without a final finish_reason"):
        list(fast(ChatDashScope(model=QWEN, max_retries=0)).stream("介绍下故宫"))


def test_a_200_error_answer_to_a_stream_request(dashscope_env: Emulator) -> None:
    dashscope_env.inject(Fault("error_code", code="InvalidParameter", status=200))
    with pytest.raises(ModelInvalidRequestError):
        list(fast(ChatDashScope(model=QWEN)).stream("你好"))
    assert calls(dashscope_env) == 1


# -- configuration and secrets --------------------------------------------------------------------


def test_workspace_and_data_inspection_headers(
    dashscope_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ChatDashScope(model=QWEN, workspace="ws_abc").invoke("你好")
    headers = last(dashscope_env).headers
    assert headers["X-DashScope-WorkSpace"] == "ws_abc"
    assert "X-DashScope-DataInspection" not in headers  # opt-in, as in the SDK
    monkeypatch.setenv("DASHSCOPE_DISABLE_DATA_INSPECTION", "false")
    DashScopeEmbeddings().embed_query("x")
    assert last(dashscope_env).headers["X-DashScope-DataInspection"] == "enable"


def test_a_missing_key_is_a_configuration_error(
    dashscope_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    with pytest.raises(errors.ConfigurationError, match="DASHSCOPE_API_KEY"):
        ChatDashScope(model=QWEN).invoke("你好")
    assert calls(dashscope_env) == 0


def test_the_key_stays_out_of_reprs_logs_errors_and_pickles(
    dashscope_env: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = fast(ChatDashScope(model=QWEN))
    chat.invoke("你好")
    dashscope_env.inject(Fault("error_code", code="Throttling", message=f"Bearer {KEY} leaked"))
    dashscope_env.inject(Fault("error_code", code="InvalidApiKey", message=f"Bearer {KEY}"))
    with pytest.raises(ModelAuthenticationError) as caught:
        chat.invoke("你好")
    for text in (repr(chat), str(chat), repr(chat.client), caplog.text, str(caught.value)):
        assert KEY not in text
    restored = pickle.loads(pickle.dumps(chat))
    assert restored.dashscope_api_key is not None
    assert restored.dashscope_api_key.get_secret_value() == KEY
    assert restored._client is None and restored.invoke("你好").content
