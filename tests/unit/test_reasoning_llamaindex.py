"""The LlamaIndex side of reasoning and profiles, offline: ThinkingBlock, thinking_delta as
FunctionAgent surfaces it in AgentStream, metadata from the model tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from llama_index.core.agent.workflow import AgentStream, FunctionAgent
from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import PrivateAttr

from cnllm.types import ChatDelta, ChatRequest, ChatResult, ModelProfile, ToolCall, Usage
from llamaindex_cnllm import DashScope, Koala, Qianfan
from llamaindex_cnllm.llms.base import CnLLM

USAGE = Usage(10, 9, 19, cached_input_tokens=2, reasoning_tokens=5)
THINKING = ModelProfile(
    tool_calling=True, tool_choice=True, reasoning_output=True, thinking_optional=False
)


class FakeLLM(CnLLM):
    table: ModelProfile = THINKING
    _requests: list[ChatRequest] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "FakeLLM"

    def _model_name(self) -> str:
        return "fake"

    def _model_profile(self) -> ModelProfile:
        return self.table

    def _call(self, request: ChatRequest) -> ChatResult:
        self._requests.append(request)
        return ChatResult("答", "fake", usage=USAGE, reasoning="想一想")

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return self._call(request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        self._requests.append(request)
        tool_turn = not any(m.role == "tool" for m in request.messages)
        yield ChatDelta("", "fake", reasoning="I should")
        yield ChatDelta("", "fake", reasoning=" add.")
        if tool_turn and request.tools:
            call = ToolCall("c1", "add", '{"a": 2, "b": 3}')
            yield ChatDelta("", "fake", is_final=True, tool_calls=(call,), usage=USAGE)
            return
        yield ChatDelta("The answer is 5.", "fake")
        yield ChatDelta("", "fake", is_final=True, usage=USAGE, finish_reason="stop")

    async def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        for delta in self._call_stream(request):
            yield delta


def test_chat_puts_the_thinking_in_a_block_before_the_text() -> None:
    response = FakeLLM().chat([ChatMessage(role="user", content="hi")])
    blocks = response.message.blocks
    assert isinstance(blocks[0], ThinkingBlock) and blocks[0].content == "想一想"
    assert blocks[0].num_tokens == 5
    assert isinstance(blocks[1], TextBlock) and response.message.content == "答"
    assert response.raw is not None
    assert response.raw["usage"]["completion_tokens_details"] == {"reasoning_tokens": 5}
    assert response.raw["usage"]["prompt_tokens_details"] == {"cached_tokens": 2}


def test_stream_carries_thinking_deltas_and_cumulative_blocks() -> None:
    responses = list(FakeLLM().stream_chat([ChatMessage(role="user", content="hi")]))
    assert [r.additional_kwargs.get("thinking_delta") for r in responses[:2]] == [
        "I should",
        " add.",
    ]
    assert responses[0].delta == ""
    last = responses[-1].message
    assert [type(b).__name__ for b in last.blocks] == ["ThinkingBlock", "TextBlock"]
    assert last.blocks[0].content == "I should add."


def test_thinking_in_history_becomes_the_turns_reasoning() -> None:
    llm = FakeLLM()
    earlier = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ThinkingBlock(content="r"),
            TextBlock(text="a"),
            ToolCallBlock(tool_name="add", tool_call_id="c"),
        ],
    )
    llm.chat(
        [ChatMessage(role="user", content="q"), earlier, ChatMessage(role="user", content="q2")]
    )
    sent = llm._requests[-1].messages[1]
    assert (sent.text, sent.reasoning, sent.tool_calls[0].name) == ("a", "r", "add")


async def test_function_agent_surfaces_the_thinking_in_agent_stream() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(add)], llm=FakeLLM(), streaming=True)
    handler = agent.run("2+3?")
    thinking = [
        event.thinking_delta
        async for event in handler.stream_events()
        if isinstance(event, AgentStream) and event.thinking_delta
    ]
    result = await handler
    assert thinking == ["I should", " add.", "I should", " add."]
    assert str(result) == "The answer is 5."


def test_forced_tool_is_eased_for_a_model_that_always_thinks() -> None:
    llm = FakeLLM()
    tool = FunctionTool.from_defaults(lambda a: a, name="echo", description="echo")
    llm.chat_with_tools([tool], user_msg="x", tool_required=True)
    assert llm._requests[-1].tool_choice == "auto"


def test_metadata_from_the_model_tables() -> None:
    qwq = DashScope(model="qwq-32b", api_key="k").metadata
    assert qwq.is_function_calling_model and qwq.context_window == 8192  # not documented: default
    plus = DashScope(model="qwen-plus", api_key="k").metadata
    assert plus.context_window == 129024
    r1 = Koala(model="deepseek-r1", base_url="http://127.0.0.1:9/v1").metadata
    assert (r1.context_window, r1.num_output, r1.is_function_calling_model) == (
        131072,
        32768,
        False,
    )
    own = Koala(model="mine", base_url="http://127.0.0.1:9/v1", context_window=2048).metadata
    assert own.context_window == 2048
    ernie = Qianfan(model="ERNIE-3.5-8K", qianfan_ak="a", qianfan_sk="b").metadata
    assert (ernie.context_window, ernie.is_function_calling_model) == (5120, True)
    llama = Qianfan(model="Qianfan-Chinese-Llama-2-13B", qianfan_ak="a", qianfan_sk="b").metadata
    assert (llama.context_window, llama.is_function_calling_model) == (4000, False)
