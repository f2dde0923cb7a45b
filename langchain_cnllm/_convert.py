"""Pure conversions between LangChain objects and cnllm's neutral types."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.utils.function_calling import convert_to_openai_tool

from cnllm import errors
from cnllm.types import ChatDelta, ChatResult, Message, Role, ToolCall, ToolSpec, Usage

_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "tool": "tool",
    "function": "tool",
}


def content_parts(content: str | list[str | dict[str, Any]]) -> str | list[dict[str, Any]]:
    """LangChain content as the neutral form: a string, or a list of typed parts."""
    if isinstance(content, str):
        return content
    parts = [
        {"type": "text", "text": item} if isinstance(item, str) else dict(item) for item in content
    ]
    if all(part.get("type") == "text" for part in parts):
        return "".join(str(part.get("text", "")) for part in parts)
    return parts


def _text(content: str | list[str | dict[str, Any]]) -> str:
    converted = content_parts(content)
    if isinstance(converted, str):
        return converted
    return "".join(str(part.get("text", "")) for part in converted if part.get("type") == "text")


def to_message(message: BaseMessage) -> Message:
    if isinstance(message, SystemMessage):
        return Message("system", _text(message.content))
    if isinstance(message, HumanMessage):
        return Message("user", content_parts(message.content), name=message.name)
    if isinstance(message, AIMessage):
        calls = tuple(
            ToolCall(
                call["id"] or f"call_{index}",
                call["name"],
                json.dumps(call["args"], ensure_ascii=False),
            )
            for index, call in enumerate(message.tool_calls)
        )
        return Message("assistant", _text(message.content), tool_calls=calls)
    if isinstance(message, ToolMessage):
        return Message("tool", _text(message.content), tool_call_id=message.tool_call_id)
    if isinstance(message, FunctionMessage):
        return Message("tool", _text(message.content), name=message.name)
    if isinstance(message, ChatMessage) and message.role.lower() in _ROLES:
        return Message(_ROLES[message.role.lower()], content_parts(message.content))
    raise errors.ValidationError("messages", f"unsupported message type {type(message).__name__}")


def to_messages(messages: Sequence[BaseMessage]) -> tuple[Message, ...]:
    return tuple(to_message(message) for message in messages)


def to_tool_spec(tool: Any) -> ToolSpec:
    function = convert_to_openai_tool(tool)["function"]
    return ToolSpec(
        function["name"],
        function.get("description", ""),
        function.get("parameters") or {"type": "object", "properties": {}},
    )


def usage_metadata(usage: Usage | None) -> UsageMetadata | None:
    if usage is None:
        return None
    return UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


def _parsed_calls(calls: Sequence[ToolCall]) -> tuple[list[Any], list[Any]]:
    valid: list[Any] = []
    invalid: list[Any] = []
    for call in calls:
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError as exc:
            invalid.append(
                invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error=str(exc))
            )
            continue
        if isinstance(args, dict):
            valid.append(tool_call(name=call.name, args=args, id=call.id))
        else:
            invalid.append(
                invalid_tool_call(
                    name=call.name, args=call.arguments, id=call.id, error="not an object"
                )
            )
    return valid, invalid


def response_metadata(
    result: ChatResult | ChatDelta, provider: str, *, final: bool = True
) -> dict[str, Any]:
    """``model_name`` and the other strings go on one chunk only: chunks concatenate strings."""
    metadata: dict[str, Any] = {"model_provider": provider}
    if final:
        metadata.update(result.metadata)
        metadata["model_name"] = result.model
        metadata["finish_reason"] = result.finish_reason
        if result.request_id:
            metadata["request_id"] = result.request_id
    return metadata


def to_ai_message(result: ChatResult, provider: str) -> AIMessage:
    valid, invalid = _parsed_calls(result.tool_calls)
    return AIMessage(
        content=result.text,
        tool_calls=valid,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(result.usage),
        response_metadata=response_metadata(result, provider),
        id=result.request_id,
    )


def to_chunk(delta: ChatDelta, provider: str) -> AIMessageChunk:
    chunks = [
        tool_call_chunk(name=call.name, args=call.arguments, id=call.id, index=index)
        for index, call in enumerate(delta.tool_calls)
    ]
    return AIMessageChunk(
        content=delta.text,
        tool_call_chunks=chunks,
        usage_metadata=usage_metadata(delta.usage),
        response_metadata=response_metadata(delta, provider, final=delta.is_final),
        chunk_position="last" if delta.is_final else None,
    )
