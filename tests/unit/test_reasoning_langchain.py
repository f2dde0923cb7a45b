"""The LangChain side of reasoning, usage details, profiles and structured output, offline:
a chat model whose vendor call returns canned neutral results and records each request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from pydantic import BaseModel, PrivateAttr

from cnllm import profiles
from cnllm.types import ChatDelta, ChatRequest, ChatResult, ModelProfile, ToolCall, Usage
from langchain_cnllm import ChatDashScope, ChatKoala, ChatQianfan, _convert
from langchain_cnllm.chat_models.base import CnChatModel

USAGE = Usage(12, 20, 32, cached_input_tokens=4, reasoning_tokens=7)
ANSWER = ChatResult(
    text='{"name": "Ada", "age": 36}',
    model="m",
    usage=USAGE,
    reasoning="想一想",
    finish_reason="stop",
)


class Person(BaseModel):
    name: str
    age: int


class FakeChat(CnChatModel):
    table: ModelProfile = profiles.CONSERVATIVE
    answer: ChatResult = ANSWER
    _requests: list[ChatRequest] = PrivateAttr(default_factory=list)

    @property
    def _provider(self) -> str:
        return "fake"

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        return self.table

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        self._requests.append(request)
        return self.answer

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        return self._call(request, model)

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        self._requests.append(request)
        yield ChatDelta(text="", model="m", reasoning="想")
        yield ChatDelta(text="", model="m", reasoning="一想")
        yield ChatDelta(text="好", model="m")
        yield ChatDelta(text="", model="m", is_final=True, usage=USAGE, finish_reason="stop")

    async def _acall_stream(
        self, request: ChatRequest, model: str | None
    ) -> AsyncIterator[ChatDelta]:
        for delta in self._call_stream(request, model):
            yield delta


def test_reasoning_shows_as_a_standard_block_before_the_text() -> None:
    message = FakeChat().invoke("hi")
    assert message.additional_kwargs["reasoning_content"] == "想一想"
    assert message.response_metadata["model_provider"] == "fake"
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text"]
    assert blocks[0]["reasoning"] == "想一想"  # type: ignore[typeddict-item]


def test_usage_details_go_to_usage_metadata() -> None:
    usage = FakeChat().invoke("hi").usage_metadata
    assert usage is not None
    assert usage["input_token_details"] == {"cache_read": 4}
    assert usage["output_token_details"] == {"reasoning": 7}
    bare = _convert.usage_metadata(Usage(1, 2, 3))
    assert (
        bare is not None
        and "input_token_details" not in bare
        and "output_token_details" not in bare
    )


def test_output_version_v1_puts_the_blocks_in_the_content() -> None:
    message = FakeChat(output_version="v1").invoke("hi")
    assert isinstance(message.content, list)
    assert [b["type"] for b in message.content] == ["reasoning", "text"]  # type: ignore[index]


def test_stream_hands_each_reasoning_piece_on_as_its_own_chunk() -> None:
    chunks = list(FakeChat().stream("hi"))
    assert [c.additional_kwargs.get("reasoning_content") for c in chunks[:2]] == ["想", "一想"]
    assert chunks[0].content == ""
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert isinstance(merged, AIMessageChunk)
    assert [b["type"] for b in merged.content_blocks] == ["reasoning", "text"]
    assert merged.additional_kwargs["reasoning_content"] == "想一想"
    assert merged.usage_metadata is not None and merged.usage_metadata["output_token_details"] == {
        "reasoning": 7
    }


def test_stream_events_v3_carry_reasoning_deltas_first() -> None:
    stream = FakeChat().stream_events("hi", version="v3")
    deltas = [event["delta"] for event in stream if event["event"] == "content-block-delta"]
    assert deltas == [
        {"type": "reasoning-delta", "reasoning": "想"},
        {"type": "reasoning-delta", "reasoning": "一想"},
        {"type": "text-delta", "text": "好"},
    ]
    assert (str(stream.reasoning), str(stream.text)) == ("想一想", "好")


def test_reasoning_in_history_reaches_the_neutral_message() -> None:
    chat = FakeChat()
    v0 = AIMessage(content="答", additional_kwargs={"reasoning_content": "r0"})
    v1 = AIMessage(
        content=[{"type": "reasoning", "reasoning": "r1"}, {"type": "text", "text": "答"}],
        response_metadata={"output_version": "v1"},
    )
    chat.invoke([HumanMessage("a"), v0, HumanMessage("b"), v1, HumanMessage("c")])
    sent = chat._requests[-1].messages
    assert [(m.text, m.reasoning) for m in sent if m.role == "assistant"] == [
        ("答", "r0"),
        ("答", "r1"),
    ]


# -- profiles -------------------------------------------------------------------------------


def test_profile_from_the_table_in_langchain_keys() -> None:
    chat = ChatDashScope(model="qwq-32b", api_key="k")
    assert chat.profile is not None
    assert chat.profile["reasoning_output"] is True
    assert chat.profile["tool_calling"] is True
    assert chat.profile["structured_output"] is False  # no JSON mode while it thinks
    qwen = ChatDashScope(model="qwen-plus", api_key="k").profile
    assert qwen is not None and qwen["structured_output"] and qwen["max_input_tokens"] == 129024


def test_unknown_model_gets_the_conservative_profile_and_user_override_wins() -> None:
    unknown = ChatKoala(model="my-own-model", base_url="http://127.0.0.1:9/v1").profile
    assert unknown == _convert.lc_profile(profiles.CONSERVATIVE)
    assert unknown is not None and unknown["tool_calling"] is False
    mine = ChatKoala(model="x", base_url="http://127.0.0.1:9/v1", profile={"max_input_tokens": 9})
    assert mine.profile == {"max_input_tokens": 9}


def test_koala_image_override_shows_in_the_profile() -> None:
    chat = ChatKoala(model="my-vl", image_input=True, base_url="http://127.0.0.1:9/v1")
    assert chat.profile is not None and chat.profile["image_inputs"] is True


def test_qianfan_profile() -> None:
    chat = ChatQianfan(model="ERNIE-3.5-8K", qianfan_ak="a", qianfan_sk="b")
    assert chat.profile is not None
    assert (chat.profile["tool_calling"], chat.profile["tool_choice"]) == (True, True)
    assert chat.profile["reasoning_output"] is False


# -- structured output and response_format -----------------------------------------------------

NATIVE = ModelProfile(tool_calling=True, tool_choice=True, json_mode=True, json_schema=True)
TOOLS_JSON = ModelProfile(
    tool_calling=True, tool_choice=True, json_mode=True, reasoning_output=True
)
THINKING_ONLY = ModelProfile(
    tool_calling=True, tool_choice=True, reasoning_output=True, thinking_optional=False
)


def test_default_method_is_native_json_schema_with_strict() -> None:
    chat = FakeChat(table=NATIVE)
    assert chat.with_structured_output(Person, strict=True).invoke("x") == Person(
        name="Ada", age=36
    )
    request = chat._requests[-1]
    assert request.json_schema is not None and request.json_schema["strict"] is True
    assert request.json_schema["name"] == "Person" and not request.tools


def test_hybrid_at_its_default_gets_a_forced_tool_with_thinking_off() -> None:
    call = ChatResult("", "m", tool_calls=(ToolCall("c", "Person", '{"name": "Ada", "age": 36}'),))
    chat = FakeChat(table=TOOLS_JSON, answer=call)
    assert chat.with_structured_output(Person).invoke("x") == Person(name="Ada", age=36)
    request = chat._requests[-1]
    assert request.tool_choice == "Person" and request.params.enable_thinking is False


def test_thinking_model_gets_the_tool_offered_and_the_text_parsed() -> None:
    chat = FakeChat(table=THINKING_ONLY)  # answers JSON text, no tool call
    assert chat.with_structured_output(Person).invoke("x") == Person(name="Ada", age=36)
    request = chat._requests[-1]
    assert request.tools and request.tool_choice is None and not request.json_mode
    assert "JSON schema" in request.messages[-1].text


def test_json_mode_while_thinking_falls_back_to_the_prompt() -> None:
    chat = FakeChat(table=TOOLS_JSON, enable_thinking=True)
    out = chat.with_structured_output(Person, method="json_mode", include_raw=True).invoke("x")
    assert isinstance(out, dict)
    assert out["parsed"] == Person(name="Ada", age=36) and out["parsing_error"] is None
    assert chat._requests[-1].json_mode is False


def test_bind_tools_honours_response_format() -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema(), "strict": True},
    }
    native = FakeChat(table=NATIVE)
    native.bind_tools([], response_format=response_format).invoke("x")
    assert native._requests[-1].json_schema == response_format["json_schema"]
    via_json_mode = FakeChat(table=TOOLS_JSON)
    via_json_mode.bind_tools([], response_format=response_format).invoke("x")
    request = via_json_mode._requests[-1]
    assert request.json_schema is None and request.json_mode
    assert request.params.enable_thinking is False and "JSON schema" in request.messages[-1].text


def test_forced_tool_choice_is_eased_while_thinking() -> None:
    chat = FakeChat(table=THINKING_ONLY)
    chat.bind_tools([Person], tool_choice="any").invoke("x")
    assert chat._requests[-1].tool_choice == "auto"


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_every_method_works_on_a_model_without_native_support(method: profiles.Method) -> None:
    chat = FakeChat()
    parsed = chat.with_structured_output(Person, method=method).invoke("x")
    assert parsed == Person(name="Ada", age=36)


def test_create_agent_picks_by_the_profile() -> None:
    agents = pytest.importorskip("langchain.agents")
    from langchain.agents.structured_output import ProviderStrategy  # noqa: F401

    chat = FakeChat(table=NATIVE)
    agent = agents.create_agent(chat, tools=[], response_format=Person)
    result = agent.invoke({"messages": [HumanMessage("who?")]})
    assert result["structured_response"] == Person(name="Ada", age=36)
    assert chat._requests[-1].json_schema is not None
