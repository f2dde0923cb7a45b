"""Images, audio and video in DashScope messages: neutral content parts to the vendor's parts.

Neutral parts are what the adapters produce: LangChain's standard ``image``/``audio``/
``video`` blocks (``url`` or ``base64`` + ``mime_type``, v1 and v0 ``source_type`` forms),
OpenAI's ``image_url`` and ``input_audio``, and LlamaIndex's Image/Audio/VideoBlock (converted
to the standard blocks). The native multimodal-generation service takes bare modality keys
(``{"image": url}``, reference §2.4); compatible mode takes OpenAI-style typed parts (§3.2).
A block the model cannot take is refused before sending, naming the block and the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cnllm import errors
from cnllm.dashscope import catalog, protocol
from cnllm.openai_compat.protocol import image_url
from cnllm.types import Message, ModelProfile

Modality = Literal["text", "image", "audio", "video"]

VENDOR = "dashscope"
# Per-part hints DashScope reads beside the media (§2.4, §2.9); passed through when given.
_HINTS = ("min_pixels", "max_pixels", "fps", "total_pixels", "cache_control")
_KINDS: dict[str, Modality] = {
    "text": "text",
    "image": "image",
    "image_url": "image",
    "audio": "audio",
    "input_audio": "audio",
    "video": "video",
    "video_url": "video",
}
_ACCEPTS = {
    "image": lambda profile: profile.image_input,
    "audio": lambda profile: profile.audio_input,
    "video": lambda profile: profile.video_input,
}


def modality(part: Mapping[str, Any]) -> Modality:
    kind = _KINDS.get(str(part.get("type")))
    if kind is None:
        raise errors.ValidationError(
            "messages",
            f"unsupported content block {part.get('type')!r}; text, image, audio and video "
            "blocks are supported",
            vendor=VENDOR,
        )
    return kind


def has_media(messages: Sequence[Message]) -> bool:
    return any(
        not isinstance(message.content, str)
        and any(modality(part) != "text" for part in message.content)
        for message in messages
    )


def check(messages: Sequence[Message], model: str, profile: ModelProfile | None) -> None:
    """Refuse, before sending, a media block the model cannot take."""
    for index, message in enumerate(messages):
        if isinstance(message.content, str):
            continue
        for part in message.content:
            kind = modality(part)
            if kind == "text":
                continue
            if profile is None:
                if catalog.guess_route(model) == "multimodal":
                    continue  # an unknown multimodal name: the vendor judges
            elif _ACCEPTS[kind](profile):
                continue
            raise errors.ValidationError(
                f"messages[{index}]",
                f"{model} does not take {kind} input (a {part.get('type')!r} block); "
                f"{_suggestion(kind)}",
                vendor=VENDOR,
            )


def _suggestion(kind: Modality) -> str:
    if kind == "audio":
        return "use an omni model such as qwen3-omni-flash"
    return "use a vision model such as qwen3.7-plus or qwen3-vl-plus"


# -- media sources ------------------------------------------------------------------------------


def _source(part: Mapping[str, Any], kind: Modality) -> str | list[str]:
    """The URL or ``data:`` URL of a media block, or a video's list of frame URLs."""
    if kind == "image":
        return image_url(part, vendor=VENDOR)
    nested = part.get(str(part.get("type")))
    if isinstance(nested, Mapping):  # {"type": "video_url", "video_url": {"url": ...}}
        if isinstance(nested.get("url"), str):
            return str(nested["url"])
        data = nested.get("data")  # {"type": "input_audio", "input_audio": {"data", "format"}}
        if isinstance(data, str) and data:
            if data.startswith(("http://", "https://", "data:", "oss://")):
                return data
            return f"data:{kind}/{nested.get('format') or 'wav'};base64,{data}"
    if isinstance(nested, list):  # {"type": "video", "video": [frame urls]}
        return [str(frame) for frame in nested]
    url = part.get("url")
    if isinstance(url, str) and url:
        return url
    data = part.get("base64") or (part.get("data") if part.get("source_type") == "base64" else None)
    if isinstance(data, str) and data:
        mime = part.get("mime_type") or f"{kind}/{'wav' if kind == 'audio' else 'mp4'}"
        return f"data:{mime};base64,{data}"
    raise errors.ValidationError(
        "messages",
        f"a {kind} block needs a URL or base64 data (file ids are not supported)",
        vendor=VENDOR,
    )


def _hints(part: Mapping[str, Any]) -> dict[str, Any]:
    """Hints given on the block itself or in a v1 block's ``extras``."""
    extras = part.get("extras")
    sources = [extras, part] if isinstance(extras, Mapping) else [part]
    return {key: source[key] for source in sources for key in _HINTS if key in source}


# -- native multimodal-generation (§2.4) --------------------------------------------------------


def native_parts(content: str | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Content as ``[{"text": ...}, {"image": ...}, ...]``: the documented list form."""
    if isinstance(content, str):
        return [{"text": content}]
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = modality(part)
        if kind == "text":
            parts.append({"text": str(part.get("text", "")), **_hints(part)})
        else:
            parts.append({kind: _source(part, kind), **_hints(part)})
    return parts


def native_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """``input.messages`` for multimodal-generation. System and user turns carry part lists;
    an assistant turn its text as one part (or none when it only called tools) and its tool
    calls; a tool result stays a string, as in the reference's tool loop (§2.8). Earlier
    reasoning is not sent back: the service ignores it and re-bills it (§4.5)."""
    wire: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for message in messages:
        if message.role == "system" and wire and wire[-1]["role"] == "system":
            wire[-1]["content"].extend(native_parts(message.content))
        elif message.role in ("system", "user"):
            wire.append({"role": message.role, "content": native_parts(message.content)})
        elif message.role == "assistant":
            turn = protocol.assistant_turn(message, names)
            turn["content"] = [{"text": message.text}] if message.text else []
            wire.append(turn)
        else:
            wire.append(protocol.tool_result_turn(message, names))
    if not wire:
        raise errors.ValidationError("messages", "must not be empty", vendor=VENDOR)
    return wire


# -- compatible mode (§3.2) ---------------------------------------------------------------------


def compat_parts(content: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style typed parts with DashScope's video and audio forms."""
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = modality(part)
        hints = _hints(part)
        if kind == "text":
            parts.append({"type": "text", "text": str(part.get("text", "")), **hints})
            continue
        source = _source(part, kind)
        if kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": source}, **hints})
        elif kind == "video" and isinstance(source, list):
            parts.append({"type": "video", "video": source, **hints})
        elif kind == "video":
            parts.append({"type": "video_url", "video_url": {"url": source}, **hints})
        else:
            fmt = _audio_format(part, str(source))
            parts.append({"type": "input_audio", "input_audio": {"data": source, "format": fmt}})
    return parts


def _audio_format(part: Mapping[str, Any], source: str) -> str:
    nested = part.get("input_audio")
    if isinstance(nested, Mapping) and nested.get("format"):
        return str(nested["format"])
    mime = str(part.get("mime_type") or "")
    if "/" in mime:
        return mime.split("/", 1)[1]
    tail = source.rsplit(".", 1)[-1].lower() if "." in source[-6:] else ""
    return tail or "wav"
