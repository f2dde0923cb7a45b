"""Qianfan v2 messages (reference §3.2, §3.3): v2's order rules checked on the client, turns
normalised the way the rules need, images and videos as content parts for the models that
take them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cnllm.openai_compat import protocol as openai
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.models import VENDOR, V2Model
from cnllm.qianfan.v2.validate import choice, refuse
from cnllm.types import Message

MAX_IMAGE_BYTES = 10 * 1024 * 1024
BLANK = " \n\r\f\t"
REASONING_BACK: openai.ReasoningBack = "tool_turns"


def _merge(first: Message, second: Message) -> Message:
    if isinstance(first.content, str) and isinstance(second.content, str):
        return replace(first, content=f"{first.content}\n\n{second.content}")
    parts = [*_parts(first.content), {"type": "text", "text": "\n\n"}, *_parts(second.content)]
    return replace(first, content=parts)


def _parts(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def normalized(messages: Sequence[Message], *, system_allowed: bool = True) -> list[Message]:
    """v2's order (§3.2): at most one system message, first (several are joined); consecutive
    user or plain assistant turns merged, as the historical strict alternation needs."""
    systems = [message.text for message in messages if message.role == "system"]
    rest: list[Message] = []
    for message in messages:
        if message.role == "system":
            continue
        previous = rest[-1] if rest else None
        mergeable = message.role in ("user", "assistant") and not message.tool_calls
        if (
            previous is not None
            and mergeable
            and previous.role == message.role
            and not previous.tool_calls
        ):
            rest[-1] = _merge(previous, message)
            continue
        rest.append(message)
    system = "\n\n".join(text for text in systems if text)
    if not system:
        return rest
    if system_allowed:
        return [Message("system", system), *rest]
    first = next((i for i, m in enumerate(rest) if m.role == "user"), None)
    if first is None:
        return [Message("user", system), *rest]
    rest[first] = _merge(Message("user", system), rest[first])
    return rest


def check_order(messages: Sequence[Message]) -> None:
    """The documented rules (§3.2): the first turn user (after system), tool results only
    after the call that asked for them, the last turn user or tool and not blank."""
    turns = [message for message in messages if message.role != "system"]
    if not turns:
        raise refuse("messages", "no user message: Qianfan v2 needs at least one")
    if turns[0].role != "user":
        raise refuse(
            "messages",
            f"the first message after system is from {turns[0].role!r}; it must be the user's",
        )
    if turns[-1].role not in ("user", "tool"):
        raise refuse(
            "messages",
            f"the last message is from {turns[-1].role!r}; Qianfan v2 needs it to be the user's "
            "(or a tool result): an assistant 'prefill' turn is refused with invalid_messages",
        )
    if turns[-1].role == "user" and not turns[-1].text.strip(BLANK) and not _images(turns[-1]):
        raise refuse("messages", "the last message must not be empty or only whitespace")
    pending: set[str] = set()
    for index, message in enumerate(turns):
        if message.role == "assistant":
            pending = {call.id for call in message.tool_calls}
        elif message.role == "tool":
            if message.tool_call_id not in pending:
                raise refuse(
                    f"messages[{index}]",
                    f"a tool result for {message.tool_call_id!r}, which the assistant turn "
                    "before it did not call",
                )
        elif message.role == "user":
            pending = set()


def _images(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return []
    return [part for part in message.content if part.get("type") != "text"]


def _image_part(part: Mapping[str, Any]) -> dict[str, Any]:
    url = openai.image_url(part, vendor=VENDOR)
    if url.startswith("data:") and len(url) * 3 // 4 > MAX_IMAGE_BYTES:
        raise refuse("messages", "an image is larger than Qianfan's 10 MB limit (§3.3)")
    image: dict[str, Any] = {"url": url}
    detail = part.get("detail") or (
        part["image_url"].get("detail") if isinstance(part.get("image_url"), Mapping) else None
    )
    if detail is not None:
        choice("image_url.detail", detail, ("low", "high", "auto"))
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def _user_content(message: Message, model: V2Model) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str) or not _images(message):
        return message.text  # text models take a plain string (§3.3)
    if model.known and not (model.profile.image_input or model.profile.video_input):
        raise refuse(
            "messages", f"{model.id} takes no images; vision models: {', '.join(vision_models())}"
        )
    parts: list[dict[str, Any]] = []
    for part in message.content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif openai.is_image(part):
            parts.append(_image_part(part))
        elif kind == "video_url" and (model.profile.video_input or not model.known):
            parts.append({"type": "video_url", "video_url": dict(part["video_url"])})
        else:
            raise refuse("messages", f"{kind!r} content is not supported by {model.id}")
    return parts


def vision_models() -> list[str]:
    return [
        model_id
        for model_id in models.known_models("chat")
        if models.resolve("chat", model_id).profile.image_input
    ]


def wire_message(message: Message, model: V2Model, tool_names: Mapping[str, str]) -> dict[str, Any]:
    if message.role == "user":
        wire: dict[str, Any] = {"role": "user", "content": _user_content(message, model)}
    elif message.role == "tool":
        wire = {"role": "tool", "tool_call_id": message.tool_call_id or ""}
        name = message.name or tool_names.get(message.tool_call_id or "")
        if name:
            wire["name"] = name  # the official round trip names the tool (§3.2)
        wire["content"] = message.text
        return wire
    elif message.role == "assistant" and message.tool_calls:
        # content "" (not null) on the calling turn, as the official example sends (§3.2).
        wire = {
            "role": "assistant",
            "content": message.text,
            "tool_calls": [openai.wire_tool_call(call) for call in message.tool_calls],
        }
    else:
        wire = {"role": message.role, "content": message.text}
    if message.name:
        wire["name"] = message.name
    # Thinking + tools: the reasoning of a tool-calling turn goes back (unverified, §3.2).
    if openai.sends_reasoning(message, REASONING_BACK):
        wire["reasoning_content"] = message.reasoning
    return wire


def wire_messages(messages: Sequence[Message], model: V2Model) -> list[dict[str, Any]]:
    system_allowed = model.id != "glm-z1-rumination-32b-0414"
    ordered = normalized(messages, system_allowed=system_allowed)
    check_order(ordered)
    names = {call.id: call.name for m in ordered for call in m.tool_calls}
    return [wire_message(message, model, names) for message in ordered]
