"""The 2026 DashScope models end to end against the emulator, natively and in compatible
mode: qwen3.6-plus and qwen3.8-max answer an image question, stream their thinking, call
tools and return structured output; routes, retirements, regions, embeddings, model list."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from pydantic import BaseModel

from cnllm import errors
from cnllm.dashscope import routes
from cnllm.emulator import Emulator
from langchain_cnllm import ChatDashScope, DashScopeEmbeddings, DashScopeLLM

MULTIMODAL = "/api/v1/services/aigc/multimodal-generation/generation"
TEXT = "/api/v1/services/aigc/text-generation/generation"
COMPAT = "/compatible-mode/v1/chat/completions"
KEY = "sk-dashscope-current-SECRET"
IMAGE = "https://example.com/cat.png"
MODELS = ("qwen3.6-plus", "qwen3.8-max")


class Person(BaseModel):
    name: str
    age: int


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 晴, 25°C"


@pytest.fixture(autouse=True)
def _env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "DASHSCOPE_BASE_URL",
        "DASHSCOPE_REGION",
        "DASHSCOPE_WORKSPACE",
        "DASHSCOPE_PROTOCOL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DASHSCOPE_WORKSPACE_ID", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    routes.forget()
    yield
    routes.forget()


@pytest.fixture(params=["native", "compatible"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(emulator: Emulator, mode: str, model: str, **kwargs: Any) -> ChatDashScope:
    if mode == "compatible":
        kwargs["base_url"] = f"{emulator.base_url}/compatible-mode/v1"
    return ChatDashScope(model=model, **kwargs)


def image_question() -> HumanMessage:
    return HumanMessage(
        content=[{"type": "image", "url": IMAGE}, {"type": "text", "text": "图里是什么动物？"}]
    )


def reasoning_of(message: AIMessage) -> str:
    """The reasoning, wherever this build surfaces it (content blocks or metadata)."""
    for block in message.content if isinstance(message.content, list) else ():
        if isinstance(block, dict) and block.get("type") == "reasoning":
            return str(block.get("reasoning", ""))
    return str(
        message.additional_kwargs.get("reasoning_content")
        or message.response_metadata.get("reasoning_content")
        or ""
    )


@pytest.mark.parametrize("model", MODELS)
def test_an_image_question(emulator: Emulator, mode: str, model: str) -> None:
    answer = make(emulator, mode, model).invoke([image_question()])
    assert "1 个图片" in answer.text  # the emulator saw one image part
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["input_tokens"] > 258  # text plus the image's tokens
    path = MULTIMODAL if mode == "native" else COMPAT
    assert emulator.stats.requests == {path: 1}
    sent = emulator.stats.last_request.json  # type: ignore[union-attr]
    if mode == "native":
        assert sent["input"]["messages"][0]["content"][0] == {"image": IMAGE}
    else:
        assert sent["messages"][0]["content"][0] == {
            "type": "image_url",
            "image_url": {"url": IMAGE},
        }


@pytest.mark.parametrize("model", MODELS)
def test_thinking_streams_before_the_answer(emulator: Emulator, mode: str, model: str) -> None:
    chat = make(emulator, mode, model, thinking_budget=64)
    chunks = list(chat.stream("2+2?"))
    total: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert "2+2?" in reasoning_of(total)  # the emulator's thought quotes the question
    assert total.text and "2+2?" in total.text
    assert total.usage_metadata is not None and total.usage_metadata["output_tokens"] > 0
    sent = emulator.stats.last_request.json  # type: ignore[union-attr]
    budget = sent["parameters"]["thinking_budget"] if mode == "native" else sent["thinking_budget"]
    assert budget == 64


@pytest.mark.parametrize("model", MODELS)
def test_tools_and_the_tool_loop(emulator: Emulator, mode: str, model: str) -> None:
    chat = make(emulator, mode, model).bind_tools([get_weather])
    question = HumanMessage("北京今天天气怎么样？")
    first = chat.invoke([question])
    (call,) = first.tool_calls
    assert call["name"] == "get_weather"
    result = ToolMessage(get_weather(**call["args"]), tool_call_id=call["id"])
    final = chat.invoke([question, first, result])
    assert not final.tool_calls and final.text


@pytest.mark.parametrize("model", MODELS)
def test_structured_output(emulator: Emulator, mode: str, model: str) -> None:
    chat = make(emulator, mode, model)
    person = chat.with_structured_output(Person).invoke("Name and age: Alice, 25")
    assert person == Person(name="Alice", age=25)
    # A forced tool on a default-thinking model: thinking off for that call, not a 400.
    sent = emulator.stats.last_request.json  # type: ignore[union-attr]
    flags = sent["parameters"] if mode == "native" else sent
    assert flags.get("enable_thinking") is False


def test_json_schema_output_on_qwen38(emulator: Emulator, mode: str) -> None:
    chat = make(emulator, mode, "qwen3.8-max")
    person = chat.with_structured_output(Person, method="json_schema").invoke(
        "Name and age: Alice, 25"
    )
    assert isinstance(person, Person) and person.age == 25


def test_async_and_the_llm_class(emulator: Emulator, mode: str) -> None:
    chat = make(emulator, mode, "qwen3.6-plus")
    answer = asyncio.run(chat.ainvoke([image_question()]))
    assert "1 个图片" in answer.text
    llm_kwargs = {"base_url": f"{emulator.base_url}/compatible-mode/v1"} if mode != "native" else {}
    assert DashScopeLLM(model="qwen3.8-max", **llm_kwargs).invoke("你好")


# -- routes ---------------------------------------------------------------------------------------


def test_url_error_falls_back_once_and_is_remembered(emulator: Emulator) -> None:
    # qwen3.9-plus: the client guesses multimodal by version; the emulator binds it to text.
    chat = ChatDashScope(model="qwen3.9-plus")
    assert chat.invoke("你好").text
    assert emulator.stats.requests == {MULTIMODAL: 1, TEXT: 1}
    assert chat.invoke("再来").text
    assert emulator.stats.requests == {MULTIMODAL: 1, TEXT: 2}


def test_url_error_as_a_200_event_error_frame_in_a_stream(emulator: Emulator) -> None:
    chat = ChatDashScope(model="qwen3.9-flash")
    text = "".join(chunk.text for chunk in chat.stream("你好"))
    assert text
    assert emulator.stats.requests == {MULTIMODAL: 1, TEXT: 1}


def test_the_fallback_in_async_calls_and_streams(emulator: Emulator) -> None:
    async def run() -> tuple[str, str]:
        answer = await ChatDashScope(model="qwen3.9-max").ainvoke("你好")
        streamed = [
            chunk.text async for chunk in ChatDashScope(model="qwen3.9-omni").astream("你好")
        ]
        return answer.text, "".join(streamed)

    answer, streamed = asyncio.run(run())
    assert answer and streamed
    # qwen3.9-max: guessed multimodal, bound to text; qwen3.9-omni: multimodal as guessed.
    assert emulator.stats.requests == {MULTIMODAL: 2, TEXT: 1}


def test_open_hybrid_invoke_streams_underneath(emulator: Emulator) -> None:
    # qwen3-32b thinks by default and refuses non-streaming calls while thinking (§4.2).
    answer = ChatDashScope(model="qwen3-32b").invoke("你好")
    assert answer.text and "你好" in reasoning_of(answer)
    assert emulator.stats.last_request.headers.get("X-DashScope-SSE") == "enable"  # type: ignore[union-attr]


def test_forced_tool_with_thinking_asked_for_is_sent_as_auto(emulator: Emulator) -> None:
    chat = ChatDashScope(model="qwen3.7-flash", enable_thinking=True)
    answer = chat.bind_tools([get_weather], tool_choice="get_weather").invoke("北京天气")
    assert answer.tool_calls
    sent = emulator.stats.last_request.json["parameters"]  # type: ignore[union-attr]
    assert (sent["tool_choice"], sent["enable_thinking"]) == ("auto", True)


def test_retired_models_and_wrong_media_are_refused_before_sending(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match=r"retired by DashScope on 2026-10-10; use qwen3\.7-flash"):
        ChatDashScope(model="qwen-turbo")
    audio = HumanMessage(content=[{"type": "audio", "url": "https://example.com/a.wav"}])
    with pytest.raises(errors.ValidationError, match="does not take audio input"):
        ChatDashScope(model="qwen3.6-plus").invoke([audio])
    with pytest.raises(ValueError, match="always thinks"):
        ChatDashScope(model="qwq-32b", enable_thinking=False)
    assert emulator.stats.requests == {}


def test_chatyuan_is_unchanged(emulator: Emulator) -> None:
    answer = ChatDashScope(model="chatyuan-large-v2").invoke("你好")
    assert answer.text.startswith("你好，我是小元") and answer.usage_metadata is None
    assert emulator.stats.requests == {TEXT: 1}
    assert emulator.stats.last_request.json["input"] == {"prompt": "用户：你好\\n小元："}  # type: ignore[union-attr]


# -- hosts and regions --------------------------------------------------------------------------


def test_a_regional_key_works_in_its_region_and_says_so_elsewhere(emulator: Emulator) -> None:
    key = "sk-ap-southeast-1-SECRET"
    here = ChatDashScope(
        model="qwen3.6-plus", api_key=key, base_url=f"{emulator.base_url}/ap-southeast-1/api/v1"
    )
    assert here.invoke("你好").text
    elsewhere = ChatDashScope(model="qwen3.6-plus", api_key=key)
    with pytest.raises(errors.AuthenticationError, match="keys are regional") as caught:
        elsewhere.invoke("你好")
    assert key not in str(caught.value)


def test_dashscope_base_url_wins_over_the_legacy_variable(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "https://unused.invalid/api/v1")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emulator.base_url)  # a bare host gets /api/v1
    chat = ChatDashScope(model="qwen3.6-plus")
    assert chat.base_url == f"{emulator.base_url}/api/v1"
    assert chat.invoke("你好").text


def test_region_and_workspace_fields_pick_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL")
    chat = ChatDashScope(region="ap-southeast-1", workspace="ws-0123456789abcdef")
    assert chat.base_url == "https://ws-0123456789abcdef.ap-southeast-1.maas.aliyuncs.com/api/v1"
    assert ChatDashScope(region="us-east-1").base_url == "https://dashscope-us.aliyuncs.com/api/v1"
    compatible = ChatDashScope(region="ap-southeast-1", compatible_mode=True)
    assert compatible.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    switched = ChatDashScope(base_url="https://h.example/api/v1", compatible_mode=True)
    assert switched.base_url == "https://h.example/compatible-mode/v1"
    monkeypatch.setenv("DASHSCOPE_PROTOCOL", "openai")
    assert ChatDashScope(region="us-east-1").base_url.endswith("us.aliyuncs.com/compatible-mode/v1")


# -- embeddings and models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["text-embedding-v4", "text-embedding-v3", "qwen3.7-text-embedding"]
)
def test_embeddings_in_batches_of_ten(emulator: Emulator, mode: str, model: str) -> None:
    kwargs: dict[str, Any] = {"model": model}
    if mode == "compatible":
        kwargs["base_url"] = f"{emulator.base_url}/compatible-mode/v1"
    if model != "qwen3.7-text-embedding":
        kwargs["dimension"] = 512
    embeddings = DashScopeEmbeddings(**kwargs)
    vectors = embeddings.embed_documents([f"文本 {index}" for index in range(23)])
    assert len(vectors) == 23 and len({len(vector) for vector in vectors}) == 1
    assert len(vectors[0]) == (512 if "dimension" in kwargs else 1024)
    assert sum(emulator.stats.requests.values()) == 3  # 10 + 10 + 3
    assert embeddings.embed_query("查询") == embeddings.embed_query("查询")


def test_dimension_validated_per_model() -> None:
    with pytest.raises(ValueError, match="dimension"):
        DashScopeEmbeddings(model="text-embedding-v3", dimension=2048)
    with pytest.raises(ValueError, match="batch_size"):
        DashScopeEmbeddings(model="text-embedding-v4", batch_size=11)


def test_list_models_from_compatible_mode(emulator: Emulator, mode: str) -> None:
    chat = make(emulator, mode, "qwen3.6-plus")
    listed = chat.list_models()
    assert "qwen3.8-max" in listed and "qwen3.6-plus" in listed
    assert emulator.stats.requests == {"/compatible-mode/v1/models": 1}
