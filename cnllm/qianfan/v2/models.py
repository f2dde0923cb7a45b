"""Qianfan v2 model table: ids, limits and capabilities (reference §3.6, §6, §10.3).

``/v2/models`` lists ids only (§8), so what each model can do is tabled here; the table is the
single source of validation, the LangChain ``profile`` and the LlamaIndex ``metadata``.
Context windows and output limits are the ones of the model names and Qianfan's model list
(2025-12); a model not in the table (a service you deployed, a model released later) passes
through unchanged with a conservative profile and no client-side capability checks.

v1 display names (``ERNIE-3.5-8K``) map to v2 ids (``ernie-3.5-8k``): lowercase, except
``ERNIE-Character-*`` → ``ernie-char-*`` and the embedding names (§10.3).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

from cnllm import profiles
from cnllm.types import ModelProfile

VENDOR = "qianfan"
Kind = Literal["chat", "embeddings", "completions"]
# How a model's reasoning is switched (§3.6): ``enable_thinking: bool``, ``thinking: {type}``,
# always on (no switch), or none (the model does not reason).
Thinking = Literal["enable_thinking", "thinking", "always", "none", "unknown"]


@dataclass(frozen=True)
class V2Model:
    id: str
    kind: Kind = "chat"
    profile: ModelProfile = field(default_factory=ModelProfile)
    ernie: bool = False  # proprietary ERNIE sampling: temperature (0, 1], penalty_score
    temperature: bool = True  # ernie-5.5-flash-preview takes none
    penalty_score: bool = True
    seed: bool = True
    stop: bool = True
    thinking: Thinking = "none"
    thinking_default: bool = False  # on when the switch is not sent
    thinking_can_disable: bool = True
    max_thinking_budget: int | None = None
    # embeddings
    batch_size: int = 16
    max_chars: int | None = None
    dimensions: int | None = None
    known: bool = True  # False: an id the table does not know (passed through)


def _profile(
    context: int,
    output: int,
    *,
    tools: bool = True,
    json: bool = True,
    schema: bool = True,
    images: bool = False,
    video: bool = False,
    reasoning: bool = False,
    optional: bool = True,
) -> ModelProfile:
    return ModelProfile(
        context_window=context,
        max_output_tokens=output,
        tool_calling=tools,
        tool_choice=tools,
        json_mode=json,
        json_schema=schema,
        image_input=images,
        video_input=video,
        reasoning_output=reasoning,
        thinking_optional=optional,
    )


def _legacy_ernie(model_id: str, context: int, output: int, tools: bool = True) -> V2Model:
    """ERNIE 3.5/4.0/Speed/Lite/Tiny: no JSON schema, function calling where v1 had it."""
    return V2Model(
        model_id, profile=_profile(context, output, tools=tools, schema=False), ernie=True
    )


def _ernie45(model_id: str, context: int, images: bool = False, thinking: bool = False) -> V2Model:
    return V2Model(
        model_id,
        profile=_profile(
            context, 12288, images=images, video=images, reasoning=thinking, tools=not images
        ),
        ernie=True,
        penalty_score=True,
        thinking="enable_thinking" if thinking else "none",
        max_thinking_budget=16384 if thinking else None,
    )


def _open_weight(
    model_id: str,
    context: int,
    output: int,
    *,
    thinking: Thinking = "none",
    default: bool = False,
    can_disable: bool = True,
    tools: bool = True,
    schema: bool = True,
    images: bool = False,
    seed: bool = True,
) -> V2Model:
    """DeepSeek, Qwen, GLM, Kimi… served by Qianfan: OpenAI sampling ranges, no penalty_score."""
    reasoning = thinking != "none"
    return V2Model(
        model_id,
        profile=_profile(
            context,
            output,
            tools=tools,
            json=thinking != "always",  # DeepSeek-R1-style reasoners have no JSON output
            schema=schema,
            images=images,
            reasoning=reasoning,
            optional=can_disable and thinking != "always",
        ),
        penalty_score=False,
        seed=seed,
        thinking=thinking,
        thinking_default=default or thinking == "always",
        thinking_can_disable=can_disable and thinking != "always",
        max_thinking_budget=32768 if reasoning else None,
    )


_CHAT: tuple[V2Model, ...] = (
    # ERNIE 4.5 / X1 / 5.x: the current models (§10.3 "only in v2")
    _ernie45("ernie-4.5-turbo-128k", 131072),
    _ernie45("ernie-4.5-turbo-32k", 32768),
    _ernie45("ernie-4.5-8k-preview", 8192),
    _ernie45("ernie-4.5-turbo-vl-32k", 32768, images=True),
    _ernie45("ernie-4.5-turbo-vl-preview", 32768, images=True, thinking=True),
    _ernie45("ernie-4.5-turbo-vl-32k-preview", 32768, images=True, thinking=True),
    V2Model(  # open-weight ERNIE 4.5: no penalty_score (§3.1)
        "ernie-4.5-21b-a3b", profile=_profile(131072, 12288), ernie=True, penalty_score=False
    ),
    V2Model(
        "ernie-4.5-0.3b",
        profile=_profile(131072, 12288, tools=False, schema=False),
        ernie=True,
        penalty_score=False,
    ),
    V2Model(
        "ernie-4.5-vl-28b-a3b",
        profile=_profile(32768, 12288, tools=False, images=True, video=True, reasoning=True),
        ernie=True,
        penalty_score=False,
        thinking="enable_thinking",
        max_thinking_budget=16384,
    ),
    # ERNIE X1: reasoning always on; X1 Turbo takes no penalty_score/seed/stop/response_format
    V2Model(
        "ernie-x1-turbo-32k",
        profile=_profile(32768, 16384, json=False, schema=False, reasoning=True, optional=False),
        ernie=True,
        penalty_score=False,
        seed=False,
        stop=False,
        thinking="always",
        thinking_default=True,
        thinking_can_disable=False,
    ),
    V2Model(
        "ernie-x1-32k",
        profile=_profile(32768, 16384, json=False, schema=False, reasoning=True, optional=False),
        ernie=True,
        thinking="always",
        thinking_default=True,
        thinking_can_disable=False,
    ),
    V2Model(
        "ernie-x1.1-preview",
        profile=_profile(65536, 65536, json=False, schema=False, reasoning=True, optional=False),
        ernie=True,
        thinking="always",
        thinking_default=True,
        thinking_can_disable=False,
    ),
    V2Model(  # enable_thinking, on by default (§3.6)
        "ernie-5.0-thinking-preview",
        profile=_profile(131072, 65536, images=True, video=True, reasoning=True),
        ernie=True,
        thinking="enable_thinking",
        thinking_default=True,
        max_thinking_budget=32768,
    ),
    V2Model(
        "ernie-5.5-flash-preview",  # no temperature; thinking can only be enabled
        profile=_profile(131072, 65536, reasoning=True, optional=False),
        ernie=True,
        temperature=False,
        thinking="thinking",
        thinking_can_disable=False,
    ),
    # ERNIE 3.5 / 4.0 / Speed / Lite / Tiny: the v1 models, by their v2 ids
    _legacy_ernie("ernie-4.0-8k", 5120, 2048),
    _legacy_ernie("ernie-4.0-8k-preview", 5120, 2048),
    _legacy_ernie("ernie-4.0-8k-latest", 5120, 2048, tools=False),
    _legacy_ernie("ernie-4.0-turbo-8k", 5120, 2048, tools=False),
    _legacy_ernie("ernie-4.0-turbo-8k-preview", 5120, 2048, tools=False),
    _legacy_ernie("ernie-4.0-turbo-8k-latest", 5120, 2048, tools=False),
    _legacy_ernie("ernie-4.0-turbo-128k", 126976, 4096, tools=False),
    _legacy_ernie("ernie-3.5-8k", 5120, 2048),
    _legacy_ernie("ernie-3.5-8k-preview", 5120, 2048),
    _legacy_ernie("ernie-3.5-128k", 126976, 4096),
    _legacy_ernie("ernie-speed-8k", 7168, 2048),
    _legacy_ernie("ernie-speed-128k", 126976, 4096),
    _legacy_ernie("ernie-speed-pro-8k", 6144, 2048),
    _legacy_ernie("ernie-speed-pro-128k", 126976, 4096),
    _legacy_ernie("ernie-lite-8k", 7168, 2048, tools=False),
    _legacy_ernie("ernie-lite-pro-128k", 126976, 4096, tools=False),
    _legacy_ernie("ernie-tiny-8k", 6144, 2048, tools=False),
    _legacy_ernie("ernie-char-8k", 6144, 2048, tools=False),
    _legacy_ernie("ernie-char-fiction-8k", 6144, 2048, tools=False),
    _legacy_ernie("ernie-novel-8k", 6144, 2048, tools=False),
    # Open-weight models served by Qianfan (§3.6)
    _open_weight("deepseek-v3", 65536, 8192),
    _open_weight("deepseek-v3.1-250821", 131072, 32768, thinking="thinking"),
    _open_weight("deepseek-v3.2", 131072, 32768, thinking="thinking"),
    _open_weight("deepseek-v4-pro", 131072, 32768, thinking="thinking", default=True),
    _open_weight("deepseek-r1", 65536, 16384, thinking="always", tools=False, schema=False),
    _open_weight(
        "deepseek-r1-distill-qwen-32b", 32768, 16384, thinking="always", tools=False, schema=False
    ),
    _open_weight(
        "deepseek-r1-distill-qwen-14b", 32768, 16384, thinking="always", tools=False, schema=False
    ),
    _open_weight("deepseek-vl2", 4096, 2048, tools=False, schema=False, images=True),
    _open_weight("qwq-32b", 32768, 16384, thinking="always", tools=False, schema=False),
    *(
        _open_weight(f"qwen3-{size}", 32768, 8192, thinking="enable_thinking")
        for size in ("235b-a22b", "30b-a3b", "32b", "14b", "8b", "4b", "1.7b", "0.6b")
    ),
    _open_weight("kimi-k2.5", 131072, 32768, thinking="thinking"),
    _open_weight("glm-5", 131072, 32768, thinking="thinking"),
    _open_weight("glm-4.7", 131072, 32768, thinking="thinking"),
    _open_weight("internvl3-1b", 32768, 4096, tools=False, schema=False, images=True),
)

_EMBEDDINGS: tuple[V2Model, ...] = (
    V2Model("embedding-v1", "embeddings", max_chars=1000, dimensions=384),
    V2Model("bge-large-zh", "embeddings", max_chars=2000, dimensions=1024),
    V2Model("bge-large-en", "embeddings", max_chars=2000, dimensions=1024),
    V2Model("tao-8k", "embeddings", batch_size=1, max_chars=28000, dimensions=1024),
    V2Model("qwen3-embedding-0.6b", "embeddings", dimensions=1024),
    V2Model("qwen3-embedding-4b", "embeddings", dimensions=2560),
)

_BY_ID = {model.id: model for model in (*_CHAT, *_EMBEDDINGS)}

# v1 display names whose v2 id is not simply the lowercase name (§10.3).
_V1_NAMES = {
    "ernie-character-8k": "ernie-char-8k",
    "ernie-character-fiction-8k": "ernie-char-fiction-8k",
    "ernie-bot-4": "ernie-4.0-8k",
    "ernie-bot": "ernie-3.5-8k",
    "ernie 3.5": "ernie-3.5-8k",
    "ernie-speed": "ernie-speed-8k",
    "ernie speed": "ernie-speed-8k",
    "ernie-4.0-preview": "ernie-4.0-8k-preview",
    "ernie-3.5-preview": "ernie-3.5-8k-preview",
    "bge_large_zh": "bge-large-zh",
    "bge_large_en": "bge-large-en",
    "tao_8k": "tao-8k",
}

DEFAULT_CHAT_MODEL = "ernie-4.5-turbo-128k"
DEFAULT_EMBEDDING_MODEL = "embedding-v1"
DEFAULT_COMPLETION_MODEL = DEFAULT_CHAT_MODEL

# A model the table does not know: nothing is refused client-side and nothing is promised.
CONSERVATIVE = profiles.CONSERVATIVE


def known_models(kind: Kind) -> list[str]:
    return [model.id for model in _BY_ID.values() if model.kind == kind]


def v2_id(name: str) -> str | None:
    """The v2 id of a table id or v1 display name (case-insensitive), else None."""
    key = name.strip().lower()
    key = _V1_NAMES.get(key, key)
    return key if key in _BY_ID else None


_WARNED: set[str] = set()


def _warn_no_v2(name: str) -> None:
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(
            f"{name} is a Qianfan v1 model with no v2 equivalent (reference §10.3); it is sent "
            "to v2 as it is and v2 answers invalid_model unless you deployed a service by that "
            "API name. Pick a current model (e.g. ernie-4.5-turbo-128k) or pass api_version='v1'",
            UserWarning,
            stacklevel=4,
        )


def resolve(kind: Kind, model: str | None) -> V2Model:
    """The table entry for ``model`` (mapped from a v1 name), or an unknown id passed through
    unchanged (a deployed service's API name) with the conservative profile."""
    name = (model or "").strip() or (
        DEFAULT_EMBEDDING_MODEL if kind == "embeddings" else DEFAULT_CHAT_MODEL
    )
    found = v2_id(name)
    if found is not None and _BY_ID[found].kind == kind:
        return _BY_ID[found]
    if found is not None and kind == "completions" and _BY_ID[found].kind == "chat":
        return replace(_BY_ID[found], kind="completions")
    _maybe_v1_only(name)
    return V2Model(
        name,
        kind,
        profile=CONSERVATIVE,
        thinking="unknown",
        known=False,
        batch_size=16,
    )


def _maybe_v1_only(name: str) -> None:
    from cnllm.qianfan import models as v1

    if v1.lookup(name) is not None:
        _warn_no_v2(name)
