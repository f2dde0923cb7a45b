"""The 2026 DashScope model families: native route, capabilities, thinking rules, retirements.

Source: ../shared/protocols/dashscope-current.md (§2.1 binding table, §4 thinking, §5
structured output, §9 catalogue). Families are matched by pattern, most specific first, so a
new dated snapshot (``qwen3.7-plus-2026-05-26``) or a new size of an open model gets its
family's entry; a name no pattern knows is routed by version (Qwen 3.5 and later live on
multimodal-generation) and the client still falls back once on "url error" (``routes``).

The seed's ``chatyuan-large-v2`` is not here: ``models`` keeps it exactly as the seed
documents it, although 2026 catalogues no longer list it (reference §9.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cnllm.errors import ConfigurationError
from cnllm.types import ModelProfile

Route = Literal["text", "multimodal"]
# "none": no thinking switch; "hybrid": enable_thinking switches it; "always": always thinks.
Thinking = Literal["none", "hybrid", "always"]

VENDOR = "dashscope"


@dataclass(frozen=True)
class Family:
    """What every model of a family shares."""

    pattern: str  # a regular expression matched against the whole lower-case name
    route: Route
    profile: ModelProfile
    thinking: Thinking = "none"
    thinking_default: bool = False  # what a request without enable_thinking gets
    # The vendor refuses non-streaming calls while thinking (open Qwen3 hybrids, §4.2), or
    # any non-streaming call (QwQ, QVQ, Omni): ``invoke`` streams underneath and aggregates.
    stream_when_thinking: bool = False
    stream_only: bool = False
    reasoning_effort: bool = False  # Qwen3.8's reasoning_effort (exclusive with a budget)


@dataclass(frozen=True)
class Retirement:
    date: str
    successor: str


# -- profiles -----------------------------------------------------------------------------------


def _profile(
    *,
    context: int | None = None,
    output: int | None = None,
    tools: bool = True,
    json_schema: bool = False,
    json_mode: bool = True,
    image: bool = False,
    audio: bool = False,
    video: bool = False,
    thinking: Thinking = "none",
) -> ModelProfile:
    return ModelProfile(
        context_window=context,
        max_output_tokens=output,
        tool_calling=tools,
        # A named tool / "required" is refused only while thinking; thinking.py turns it off.
        tool_choice=tools and thinking != "always",
        json_mode=json_mode and thinking != "always",
        json_schema=json_schema,
        image_input=image,
        audio_input=audio,
        video_input=video,
        reasoning_output=thinking != "none",
        thinking_optional=thinking != "always",
    )


def _hybrid_vision(pattern: str, *, default: bool, json_schema: bool) -> Family:
    profile = _profile(image=True, video=True, json_schema=json_schema, thinking="hybrid")
    return Family(pattern, "multimodal", profile, "hybrid", default)


# Ordered: the first matching pattern wins. Limits are the published ones where the reference
# gives them; None where it does not (never guessed).
FAMILIES: tuple[Family, ...] = (
    # Qwen3.8: multimodal-generation, thinks by default, reasoning_effort (§4.3), json_schema.
    Family(
        r"qwen3\.8-omni.*",
        "multimodal",
        _profile(
            thinking="hybrid", tools=False, json_mode=False, image=True, audio=True, video=True
        ),
        "hybrid",
        stream_only=True,
    ),
    Family(
        r"qwen3\.8-(max|flash).*",
        "multimodal",
        _profile(json_schema=True, thinking="hybrid", image=True, video=True),
        "hybrid",
        thinking_default=True,
        reasoning_effort=True,
    ),
    # qwen3.7-max: its route is unverified (§2.1) and LiteLLM marks it text-only: text first,
    # the url-error fallback settles it. Thinking off by default per vercel/ai [unverified].
    Family(
        r"qwen3\.7-max.*",
        "text",
        _profile(json_schema=True, thinking="hybrid"),
        "hybrid",
    ),
    _hybrid_vision(r"qwen3\.7-(plus|flash).*", default=True, json_schema=True),
    _hybrid_vision(r"qwen3\.6-.*", default=True, json_schema=False),
    # Open Qwen3.5 sizes (qwen3.5-27b, -397b-a17b): thinking rules of the open hybrids.
    Family(
        r"qwen3\.5-\d+b.*",
        "multimodal",
        _profile(thinking="hybrid", image=True, video=True),
        "hybrid",
        thinking_default=True,
        stream_when_thinking=True,
    ),
    _hybrid_vision(r"qwen3\.5-.*", default=True, json_schema=False),
    # Vision, visual reasoning, omni, audio: multimodal-generation (§2.1).
    Family(
        r"qwen3-vl-.*-thinking.*",
        "multimodal",
        _profile(thinking="always", image=True, video=True),
        "always",
    ),
    Family(
        r"qwen3-vl-.*", "multimodal", _profile(thinking="hybrid", image=True, video=True), "hybrid"
    ),
    Family(r"qwen-vl-ocr.*", "multimodal", _profile(tools=False, image=True)),
    Family(
        r"(qwen-vl|qwen2\.5-vl|qwen2-vl).*",
        "multimodal",
        _profile(tools=False, image=True, video=True),
    ),
    Family(
        r"qvq-.*",
        "multimodal",
        _profile(tools=False, thinking="always", image=True, video=True),
        "always",
        stream_only=True,
    ),
    Family(
        r"(qwen3-omni|qwen-omni|qwen2\.5-omni|qwen3\.\d+-omni).*",
        "multimodal",
        _profile(tools=False, json_mode=False, image=True, audio=True, video=True),
        stream_only=True,
    ),
    Family(r"(qwen-audio|qwen2-audio).*", "multimodal", _profile(tools=False, audio=True)),
    Family(r"kimi-k2\.5.*", "multimodal", _profile(thinking="hybrid", image=True), "hybrid"),
    # Text-generation families (§2.1 first row).
    Family(r"qwq-.*", "text", _profile(thinking="always"), "always", stream_only=True),
    Family(
        r"qwen3-(max|coder).*",
        "text",
        _profile(thinking="hybrid"),
        "hybrid",
    ),
    Family(r"qwen-(plus|flash|turbo).*", "text", _profile(thinking="hybrid"), "hybrid"),
    Family(r"qwen-(max|long|coder).*", "text", _profile()),
    Family(r"qwen3-.*-thinking.*", "text", _profile(thinking="always"), "always", stream_only=True),
    Family(r"qwen3-.*-instruct.*", "text", _profile()),
    # Open Qwen3 hybrids think by default, and only in streams (§4.2).
    Family(
        r"qwen3-\d+b.*",
        "text",
        _profile(thinking="hybrid"),
        "hybrid",
        thinking_default=True,
        stream_when_thinking=True,
    ),
    Family(r"qwen2\.5-.*", "text", _profile()),
    Family(r"(deepseek-r1|kimi-k2-thinking).*", "text", _profile(thinking="always"), "always"),
    Family(r"(deepseek-v|glm-|kimi-k2).*", "text", _profile(thinking="hybrid"), "hybrid"),
    Family(r"(moonshot-|minimax-).*", "text", _profile()),
)

# Decommissioned on 2026-10-10 (Model Studio notice; reference §9.2). The notice recommends
# the Qwen3.6/3.7 series; the successor named is the closest member of it.
RETIRED: dict[str, Retirement] = {
    "qwen-turbo": Retirement("2026-10-10", "qwen3.7-flash"),
    "qwen-vl-max": Retirement("2026-10-10", "qwen3.7-plus"),
    "qwen-vl-plus": Retirement("2026-10-10", "qwen3.7-flash"),
    "qwq-plus": Retirement("2026-10-10", "qwen3.7-plus (enable_thinking=True)"),
    "qvq-max": Retirement("2026-10-10", "qwen3.7-plus (enable_thinking=True)"),
    "gte-rerank": Retirement("2026-05-30", "qwen3-rerank"),
}

_VERSION = re.compile(r"qwen(\d+)\.(\d+)")
_MULTIMODAL_MARKERS = ("-vl", "qvq", "omni", "-audio")


def check_retired(name: str) -> None:
    """Refuse a retired model before anything is sent, naming its successor."""
    retired = RETIRED.get(name.strip().lower())
    if retired is not None:
        raise ConfigurationError(
            f"{name} was retired by DashScope on {retired.date}; use {retired.successor}",
            vendor=VENDOR,
        )


def family(name: str) -> Family | None:
    """The family of a model name, or None when no pattern knows it."""
    lowered = name.strip().lower()
    for entry in FAMILIES:
        if re.fullmatch(entry.pattern, lowered):
            return entry
    return None


def guess_route(name: str) -> Route:
    """The route of a name no family knows: Qwen 3.5 and later, and every vision, visual
    reasoning, omni or audio name, live on multimodal-generation (§2.1, trap 1)."""
    lowered = name.strip().lower()
    if any(marker in lowered for marker in _MULTIMODAL_MARKERS):
        return "multimodal"
    version = _VERSION.match(lowered)
    if version and (int(version.group(1)), int(version.group(2))) >= (3, 5):
        return "multimodal"
    return "text"


def profile_of(name: str) -> ModelProfile | None:
    entry = family(name)
    return entry.profile if entry is not None else None
