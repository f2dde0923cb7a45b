"""Pure conversions between LangChain objects and cnllm's neutral types."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from langchain_core.language_models import ModelProfile as LCModelProfile
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
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.utils.function_calling import convert_to_openai_tool

from cnllm import errors, profiles
from cnllm.types import (
    ChatDelta,
    ChatResult,
    Message,
    ModelProfile,
    Role,
    ToolCall,
    ToolSpec,
    Usage,
)

REASONING_KEY = "reasoning_content"  # where core's content_blocks looks for plain reasoning

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
        # v1 content lists hold reasoning and tool_call blocks too: only text goes as content.
        return Message(
            "assistant", _text(message.content), tool_calls=calls, reasoning=reasoning_of(message)
        )
    if isinstance(message, ToolMessage):
        return Message("tool", _text(message.content), tool_call_id=message.tool_call_id)
    if isinstance(message, FunctionMessage):
        return Message("tool", _text(message.content), name=message.name)
    if isinstance(message, ChatMessage) and message.role.lower() in _ROLES:
        return Message(_ROLES[message.role.lower()], content_parts(message.content))
    raise errors.ValidationError("messages", f"unsupported message type {type(message).__name__}")


def reasoning_of(message: AIMessage) -> str | None:
    """An earlier turn's reasoning, kept for the dialect to send back or drop: from
    ``additional_kwargs`` (our form) or from v1 ``reasoning`` blocks in the content."""
    kept = message.additional_kwargs.get(REASONING_KEY)
    if isinstance(kept, str) and kept:
        return kept
    if isinstance(message.content, list):
        pieces = [
            str(block.get("reasoning") or "")
            for block in message.content
            if isinstance(block, dict) and block.get("type") == "reasoning"
        ]
        return "".join(pieces) or None
    return None


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
    """Counts as reported; the details only when the vendor reported them."""
    if usage is None:
        return None
    metadata: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_input_tokens is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=usage.cached_input_tokens)
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    # The detail keys are optional at runtime; core's stubs mark them required.
    return cast(UsageMetadata, metadata)


def lc_profile(profile: ModelProfile) -> LCModelProfile:
    """A model table entry in langchain-core's ModelProfile keys (conventions-2026 §1.2).

    ``structured_output`` is true where a ``response_format`` json_schema is honoured
    (natively, or through the model's JSON mode): ``create_agent`` then sends it.
    """
    lc: LCModelProfile = {
        "text_inputs": True,
        "text_outputs": True,
        "image_inputs": profile.image_input,
        "image_url_inputs": profile.image_input,
        "audio_inputs": profile.audio_input,
        "video_inputs": profile.video_input,
        "pdf_inputs": False,
        "reasoning_output": profile.reasoning_output,
        "tool_calling": profile.tool_calling,
        "tool_choice": profile.tool_choice,
        # Our streams carry each tool call whole, on the final chunk: well formed.
        "tool_call_streaming": profile.tool_calling,
        "structured_output": profiles.native_structured_output(profile),
    }
    if profile.context_window is not None:
        lc["max_input_tokens"] = profile.context_window
    if profile.max_output_tokens is not None:
        lc["max_output_tokens"] = profile.max_output_tokens
    return lc


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
        additional_kwargs={REASONING_KEY: result.reasoning} if result.reasoning else {},
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
    # Each reasoning increment rides on its own chunk: strings concatenate when chunks merge.
    return AIMessageChunk(
        content=delta.text,
        additional_kwargs={REASONING_KEY: delta.reasoning} if delta.reasoning else {},
        tool_call_chunks=chunks,
        usage_metadata=usage_metadata(delta.usage),
        response_metadata=response_metadata(delta, provider, final=delta.is_final),
        chunk_position="last" if delta.is_final else None,
    )
