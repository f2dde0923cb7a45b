"""LangChain <-> neutral conversions and error classes, offline."""

from __future__ import annotations

import pickle

from langchain_core.exceptions import ContextOverflowError as LCContextOverflow
from langchain_core.exceptions import ModelAPIError, ModelRateLimitError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from cnllm import errors
from cnllm.types import ChatDelta, ChatResult, ToolCall, Usage
from langchain_cnllm import ChatQianfan, _convert
from langchain_cnllm.errors import to_langchain_error


def test_messages_to_neutral() -> None:
    messages = _convert.to_messages(
        [
            SystemMessage("sys"),
            HumanMessage([{"type": "text", "text": "a"}, "b"]),
            AIMessage("", tool_calls=[{"name": "f", "args": {"x": "你好"}, "id": "1"}]),
            ToolMessage("r", tool_call_id="1"),
        ]
    )
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[1].content == "ab"
    assert messages[2].tool_calls == (ToolCall("1", "f", '{"x": "你好"}'),)
    assert messages[3].tool_call_id == "1"


def test_result_to_ai_message() -> None:
    result = ChatResult(
        text="",
        model="ERNIE-3.5-8K",
        tool_calls=(ToolCall("c", "f", '{"a": 1}'), ToolCall("d", "g", "not json")),
        finish_reason="function_call",
        usage=Usage(3, 4, 7),
        request_id="as-1",
    )
    message = _convert.to_ai_message(result, "qianfan")
    assert message.tool_calls[0]["args"] == {"a": 1}
    assert message.invalid_tool_calls[0]["name"] == "g"
    assert message.usage_metadata == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    assert message.response_metadata["model_name"] == "ERNIE-3.5-8K"


def test_only_the_final_chunk_carries_strings_and_usage() -> None:
    first = _convert.to_chunk(ChatDelta("a", "M"), "qianfan")
    last = _convert.to_chunk(
        ChatDelta("b", "M", is_final=True, usage=Usage(1, 2, 3), finish_reason="normal"), "qianfan"
    )
    merged = first + last
    assert merged.content == "ab"
    assert merged.response_metadata["model_name"] == "M"
    assert merged.response_metadata["model_provider"] == "qianfan"
    assert merged.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    assert last.chunk_position == "last" and first.chunk_position is None


def test_errors_are_both_cnllm_and_langchain_classes_and_pickle() -> None:
    converted = to_langchain_error(
        errors.RateLimitError("slow", vendor="qianfan", code=18, retryable=True)
    )
    assert isinstance(converted, errors.RateLimitError) and isinstance(
        converted, ModelRateLimitError
    )
    assert converted.is_retryable
    permanent = to_langchain_error(errors.ServerError("boom", code=336000, retryable=False))
    assert isinstance(permanent, ModelAPIError) and not permanent.is_retryable
    overflow = to_langchain_error(errors.InputTooLongError("messages", "too long"))
    assert isinstance(overflow, LCContextOverflow) and isinstance(overflow, ValueError)
    assert pickle.loads(pickle.dumps(converted)).code == 18


def test_chat_model_pickles_with_its_credentials() -> None:
    chat = ChatQianfan(model="ERNIE-3.5-8K", api_key="k", secret_key="s", temperature=0.3)
    _ = chat.client  # a client with pools exists
    copy = pickle.loads(pickle.dumps(chat))
    assert copy.qianfan_ak.get_secret_value() == "k" and copy.temperature == 0.3
    assert copy._client is None
