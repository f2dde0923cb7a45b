"""Pure conversions between LlamaIndex objects and cnllm's neutral types."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection

from cnllm import errors
from cnllm.types import ChatDelta, ChatResult, Message, Role, ToolCall, ToolSpec, Usage

_ROLES: dict[str, Role] = {
    MessageRole.SYSTEM.value: "system",
    MessageRole.DEVELOPER.value: "system",
    MessageRole.USER.value: "user",
    MessageRole.ASSISTANT.value: "assistant",
    MessageRole.TOOL.value: "tool",
    MessageRole.FUNCTION.value: "tool",
    MessageRole.CHATBOT.value: "assistant",
    MessageRole.MODEL.value: "assistant",
}


def _image_part(block: ImageBlock) -> dict[str, Any]:
    if block.url is not None:
        return {"type": "image", "url": str(block.url)}
    data = block.resolve_image().read()
    return {
        "type": "image",
        "base64": base64.b64encode(data).decode(),
        "mime_type": block.image_mimetype or "image/png",
    }


def _media_part(block: AudioBlock | VideoBlock) -> dict[str, Any]:
    """Audio and video as LangChain-style standard blocks (the neutral part form)."""
    kind = block.block_type
    if block.url is not None:
        part: dict[str, Any] = {"type": kind, "url": str(block.url)}
    else:
        data = (
            block.resolve_audio() if isinstance(block, AudioBlock) else block.resolve_video()
        ).read()
        if isinstance(block, AudioBlock):
            mime = f"audio/{block.format or 'wav'}"
        else:
            mime = block.video_mimetype or "video/mp4"
        part = {"type": kind, "base64": base64.b64encode(data).decode(), "mime_type": mime}
    if isinstance(block, VideoBlock) and block.fps is not None:
        part["fps"] = block.fps
    return part


def _content(message: ChatMessage) -> str | list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image_part(block))
        elif isinstance(block, (AudioBlock, VideoBlock)):
            parts.append(_media_part(block))
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts)
    return parts


def _tool_calls(message: ChatMessage) -> tuple[ToolCall, ...]:
    calls = [
        ToolCall(
            block.tool_call_id or f"call_{index}",
            block.tool_name,
            block.tool_kwargs
            if isinstance(block.tool_kwargs, str)
            else json.dumps(block.tool_kwargs, ensure_ascii=False),
        )
        for index, block in enumerate(b for b in message.blocks if isinstance(b, ToolCallBlock))
    ]
    for raw in message.additional_kwargs.get("tool_calls") or ():  # the OpenAI-style legacy form
        function = raw.get("function", {})
        calls.append(
            ToolCall(raw.get("id", ""), function.get("name", ""), function.get("arguments", "{}"))
        )
    return tuple(calls)


def _thinking(message: ChatMessage) -> str | None:
    pieces = [b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock)]
    return "".join(pieces) or None


def to_message(message: ChatMessage) -> Message:
    role = _ROLES.get(str(message.role.value if hasattr(message.role, "value") else message.role))
    if role is None:
        raise errors.ValidationError("messages", f"unsupported role {message.role!r}")
    if role == "assistant":
        # ThinkingBlocks are kept as the turn's reasoning; the dialect sends it back or not.
        return Message(
            "assistant",
            message.content or "",
            tool_calls=_tool_calls(message),
            reasoning=_thinking(message),
        )
    if role == "tool":
        return Message(
            "tool",
            message.content or "",
            name=message.additional_kwargs.get("name"),
            tool_call_id=message.additional_kwargs.get("tool_call_id"),
        )
    return Message(role, _content(message) if role == "user" else (message.content or ""))


def to_messages(messages: Sequence[ChatMessage]) -> tuple[Message, ...]:
    return tuple(to_message(message) for message in messages)


def to_tool_spec(tool: Any) -> ToolSpec:
    metadata = tool.metadata
    return ToolSpec(metadata.get_name(), metadata.description, metadata.get_parameters_dict())


def usage_dict(usage: Usage | None) -> dict[str, Any] | None:
    """OpenAI's keys, which LlamaIndex's TokenCountingHandler reads from ``raw["usage"]``."""
    if usage is None:
        return None
    counts: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_input_tokens is not None:
        counts["prompt_tokens_details"] = {"cached_tokens": usage.cached_input_tokens}
    if usage.reasoning_tokens is not None:
        counts["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return counts


def _raw(result: ChatResult | ChatDelta) -> dict[str, Any]:
    raw: dict[str, Any] = {"model": result.model, "finish_reason": result.finish_reason}
    if result.request_id:
        raw["id"] = result.request_id
    usage = usage_dict(result.usage)
    if usage is not None:
        raw["usage"] = usage
    raw.update(result.metadata)
    return raw


def _assistant(
    text: str, calls: Sequence[ToolCall], reasoning: str = "", reasoning_tokens: int | None = None
) -> ChatMessage:
    blocks: list[Any] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning, num_tokens=reasoning_tokens))
    if text or not calls:
        blocks.append(TextBlock(text=text))
    for call in calls:
        try:
            arguments: dict[str, Any] | str = json.loads(call.arguments or "{}")
        except ValueError:
            arguments = call.arguments
        blocks.append(
            ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=arguments)
        )
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)


def to_chat_response(result: ChatResult) -> ChatResponse:
    raw = _raw(result)
    extra = {"usage": raw["usage"]} if "usage" in raw else {}
    tokens = result.usage.reasoning_tokens if result.usage else None
    message = _assistant(result.text, result.tool_calls, result.reasoning, tokens)
    return ChatResponse(message=message, raw=raw, additional_kwargs=extra)


class StreamAccumulator:
    """LlamaIndex streams carry the text (and thinking) so far in ``message``, the text's
    increment in ``delta`` and the thinking's in ``additional_kwargs["thinking_delta"]``,
    which agents surface as ``AgentStream.thinking_delta``."""

    def __init__(self) -> None:
        self.text = ""
        self.reasoning = ""
        self.calls: list[ToolCall] = []

    def add(self, delta: ChatDelta) -> ChatResponse:
        self.text += delta.text
        self.reasoning += delta.reasoning
        self.calls.extend(delta.tool_calls)
        raw = _raw(delta) if delta.is_final else {"model": delta.model}
        extra: dict[str, Any] = {"usage": raw["usage"]} if "usage" in raw else {}
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning
        tokens = delta.usage.reasoning_tokens if delta.usage else None
        message = _assistant(self.text, self.calls, self.reasoning, tokens)
        return ChatResponse(message=message, delta=delta.text, raw=raw, additional_kwargs=extra)


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    selections = []
    for block in response.message.blocks:
        if isinstance(block, ToolCallBlock):
            kwargs = block.tool_kwargs if isinstance(block.tool_kwargs, dict) else {}
            selections.append(
                ToolSelection(
                    tool_id=block.tool_call_id or "", tool_name=block.tool_name, tool_kwargs=kwargs
                )
            )
    return selections
