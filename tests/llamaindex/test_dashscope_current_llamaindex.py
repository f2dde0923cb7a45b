"""The 2026 DashScope models through the LlamaIndex classes against the emulator, natively
and in compatible mode: an image question (ImageBlock), thinking streamed, tools (function
calling) and structured output; audio/video blocks; compatible-mode embeddings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from cnllm import errors
from cnllm.dashscope import routes
from cnllm.emulator import Emulator
from llamaindex_cnllm import DashScope, DashScopeEmbedding

KEY = "sk-dashscope-llamaindex-SECRET"
MODELS = ("qwen3.6-plus", "qwen3.8-max")


class Person(BaseModel):
    name: str
    age: int


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 晴, 25°C"


@pytest.fixture(autouse=True)
def _env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DASHSCOPE_BASE_URL", "DASHSCOPE_REGION", "DASHSCOPE_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    routes.forget()
    yield
    routes.forget()


@pytest.fixture(params=["native", "compatible"])
def base_url(request: pytest.FixtureRequest, emulator: Emulator) -> str:
    path = "/api/v1" if request.param == "native" else "/compatible-mode/v1"
    return f"{emulator.base_url}{path}"


def image_question() -> ChatMessage:
    return ChatMessage(
        role=MessageRole.USER,
        blocks=[ImageBlock(url="https://example.com/cat.png"), TextBlock(text="图里是什么动物？")],
    )


@pytest.mark.parametrize("model", MODELS)
def test_image_question(base_url: str, model: str) -> None:
    response = DashScope(model=model, base_url=base_url).chat([image_question()])
    assert "1 个图片" in (response.message.content or "")
    usage = response.raw["usage"]
    assert usage.get("prompt_tokens", usage.get("input_tokens")) > 258  # text + image tokens


@pytest.mark.parametrize("model", MODELS)
def test_thinking_streamed(base_url: str, model: str) -> None:
    llm = DashScope(model=model, base_url=base_url, thinking_budget=64)
    responses = list(llm.stream_chat([ChatMessage(role=MessageRole.USER, content="2+2?")]))
    final = responses[-1]
    assert final.message.content and "2+2?" in final.message.content
    thought = final.raw.get("reasoning_content") or "".join(
        getattr(block, "content", "") or ""
        for block in final.message.blocks
        if type(block).__name__ == "ThinkingBlock"
    )
    assert "2+2?" in str(thought)


@pytest.mark.parametrize("model", MODELS)
def test_tools(base_url: str, model: str) -> None:
    llm = DashScope(model=model, base_url=base_url)
    tool = FunctionTool.from_defaults(fn=get_weather)
    response = llm.chat_with_tools([tool], user_msg="北京今天天气怎么样？")
    (selection,) = llm.get_tool_calls_from_response(response)
    assert selection.tool_name == "get_weather"
    output = llm.predict_and_call([tool], user_msg="北京今天天气怎么样？")
    assert "晴" in str(output)


@pytest.mark.parametrize("model", MODELS)
def test_structured_output(base_url: str, model: str) -> None:
    from llama_index.core.prompts import PromptTemplate

    llm = DashScope(model=model, base_url=base_url)
    person = llm.structured_predict(Person, PromptTemplate("Name and age: {who}"), who="Alice, 25")
    assert person == Person(name="Alice", age=25)


def test_async_chat(base_url: str) -> None:
    llm = DashScope(model="qwen3.8-max", base_url=base_url)
    response = asyncio.run(llm.achat([image_question()]))
    assert "1 个图片" in (response.message.content or "")


def test_audio_and_video_blocks(emulator: Emulator) -> None:
    omni = DashScope(model="qwen3-omni-flash")
    message = ChatMessage(
        role=MessageRole.USER,
        blocks=[
            AudioBlock(url="https://example.com/q.wav"),
            VideoBlock(url="https://example.com/v.mp4", fps=2),
            TextBlock(text="说了什么？"),
        ],
    )
    response = omni.chat([message])  # Omni streams only: streamed underneath
    assert "1 个音频" in (response.message.content or "")
    sent = emulator.stats.last_request.json  # type: ignore[union-attr]
    assert sent["input"]["messages"][0]["content"][:2] == [
        {"audio": "https://example.com/q.wav"},
        {"video": "https://example.com/v.mp4", "fps": 2},
    ]
    with pytest.raises(errors.ValidationError, match=r"qwen3\.6-plus does not take audio"):
        DashScope(model="qwen3.6-plus").chat([message])


def test_thinking_fields_validated_and_retired_models_refused() -> None:
    with pytest.raises(ValueError, match="no thinking mode"):
        DashScope(model="qwen-max", enable_thinking=True)
    with pytest.raises(ValueError, match="retired"):
        DashScope(model="qvq-max")


def test_embeddings_and_model_list(base_url: str, emulator: Emulator) -> None:
    embedding = DashScopeEmbedding(model="text-embedding-v4", dimension=256, base_url=base_url)
    vectors = embedding.get_text_embedding_batch([f"文本 {i}" for i in range(12)])
    assert len(vectors) == 12 and len(vectors[0]) == 256
    assert sum(emulator.stats.requests.values()) == 2  # 10 + 2: the model's batch limit
    assert "qwen3.8-max" in DashScope(model="qwen3.8-max", base_url=base_url).list_models()
