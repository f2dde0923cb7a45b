"""DashScope model table: what each text-generation and text-embedding model accepts.

DashScope model names are passed to the service as they are, so a name the table does not
list is still callable: the 2026 families (``catalog``: route, media, thinking) give it its
capabilities, any other ``qwen*`` name gets the Qwen chat capabilities (messages, tools, JSON
mode), any other name plain messages only. Retired models are refused before sending, naming
the successor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnllm.dashscope import catalog
from cnllm.dashscope.catalog import Thinking
from cnllm.errors import ConfigurationError
from cnllm.types import ModelProfile

Kind = Literal["chat", "embeddings"]

VENDOR = "dashscope"
DEFAULT_CHAT_MODEL = "qwen-plus"  # qwen-turbo was retired on 2026-10-10
DEFAULT_EMBEDDING_MODEL = "text-embedding-v2"
CHATYUAN = "chatyuan-large-v2"
UNKNOWN_EMBEDDING_BATCH = 10  # the safe cap for v3 and newer (reference §4)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Kind
    # ChatYuan: ``input.prompt`` only, text output, newline-escaped (reference §2.3).
    prompt_only: bool = False
    tools: bool = False  # native function calling (``parameters.tools``)
    json_mode: bool = False  # ``response_format: {"type": "json_object"}``
    metered: bool = True  # False: the service reports no usage (ChatYuan)
    max_input_tokens: int | None = None
    # ChatYuan only: send newlines as the two characters ``\n`` (its T5 tokenizer's convention).
    escape_newlines: bool = True
    # Embeddings: texts per request; the ``dimension`` values the model takes (empty: none).
    batch_size: int = 25
    dimensions: tuple[int, ...] = ()
    native_dimension: int | None = None  # the vector size without ``dimension``
    json_schema: bool = False  # ``response_format: {"type": "json_schema", ...}`` (§5)
    thinking: Thinking = "none"
    max_output_tokens: int | None = None
    # Media a multimodal-generation model takes (catalog families; reference §2.4).
    image_input: bool = False
    audio_input: bool = False
    video_input: bool = False

    @property
    def profile(self) -> ModelProfile:
        """The capabilities both frameworks read (LangChain ``profile``, LlamaIndex
        ``metadata``, the structured-output strategy)."""
        return ModelProfile(
            context_window=self.max_input_tokens,
            max_output_tokens=self.max_output_tokens,
            tool_calling=self.tools,
            # One named function can be forced (§2.2), never while thinking (current §4.4).
            tool_choice=self.tools and self.thinking != "always",
            json_mode=self.json_mode,
            json_schema=self.json_schema,
            image_input=self.image_input,
            audio_input=self.audio_input,
            video_input=self.video_input,
            reasoning_output=self.thinking != "none",
            thinking_optional=self.thinking != "always",
        )


def _qwen(name: str, max_input_tokens: int | None = None, thinking: Thinking = "none") -> ModelInfo:
    return ModelInfo(
        name,
        "chat",
        tools=True,
        json_mode=True,
        max_input_tokens=max_input_tokens,
        thinking=thinking,
    )


def _thinking_only(name: str, tools: bool) -> ModelInfo:
    # JSON mode is refused while thinking (§4.4), and these cannot stop thinking.
    return ModelInfo(name, "chat", tools=tools, thinking="always")


_V3_DIMENSIONS = (1024, 768, 512, 256, 128, 64)
_V4_DIMENSIONS = (2048, 1536, *_V3_DIMENSIONS)

_MODELS: tuple[ModelInfo, ...] = (
    # Seed 002: "limited-time free, must be applied for", at most 4096 tokens, no metering.
    ModelInfo(CHATYUAN, "chat", prompt_only=True, metered=False, max_input_tokens=4096),
    # qwen-plus is a Qwen3-generation hybrid, thinking off by default (§4.1); its input limit
    # is the one its error text names, qwen-max's LiteLLM's catalogue's. (qwen-turbo, qwq-plus:
    # retired on 2026-10-10, refused by ``catalog.check_retired``.)
    _qwen("qwen-plus", 129024, thinking="hybrid"),
    _qwen("qwen-max", 30720),
    _qwen("qwen-long"),
    # Open-source Qwen3: hybrid, thinking on by default and then streaming-only (§4.2).
    _qwen("qwen3-235b-a22b", thinking="hybrid"),
    _qwen("qwen3-32b", thinking="hybrid"),
    _qwen("qwen3-8b", thinking="hybrid"),
    # Thinking-only (§4.1): QwQ calls tools; DeepSeek-R1 on DashScope does not [unverified].
    _thinking_only("qwq-32b", tools=True),
    _thinking_only("deepseek-r1", tools=False),
    # Batch caps: 25 for v1/v2 and 10 for v3/v4 (langchain-community, reference §4/§8.3).
    # Native sizes are the vendor's published ones (1536 for v1/v2, 1024 by default later).
    ModelInfo("text-embedding-v1", "embeddings", batch_size=25, native_dimension=1536),
    ModelInfo("text-embedding-v2", "embeddings", batch_size=25, native_dimension=1536),
    ModelInfo(
        "text-embedding-v3",
        "embeddings",
        batch_size=10,
        dimensions=_V3_DIMENSIONS,
        native_dimension=1024,
    ),
    ModelInfo(
        "text-embedding-v4",
        "embeddings",
        batch_size=10,
        dimensions=_V4_DIMENSIONS,
        native_dimension=1024,
    ),
    # Named in SDK 2.0.2; batch cap and sizes unpublished: 10 (the v3/v4 cap) and the server
    # judges ``dimension`` (reference §6.1).
    ModelInfo("qwen3.7-text-embedding", "embeddings", batch_size=10),
    ModelInfo("qwen3.7-text-embedding-flash", "embeddings", batch_size=10),
)

_BY_NAME = {info.name: info for info in _MODELS}


def known_models(kind: Kind) -> list[str]:
    return [info.name for info in _MODELS if info.kind == kind]


def _from_family(name: str, family: catalog.Family) -> ModelInfo:
    profile = family.profile
    return ModelInfo(
        name,
        "chat",
        tools=profile.tool_calling,
        json_mode=profile.json_mode,
        json_schema=profile.json_schema,
        thinking=family.thinking,
        max_input_tokens=profile.context_window,
        max_output_tokens=profile.max_output_tokens,
        image_input=profile.image_input,
        audio_input=profile.audio_input,
        video_input=profile.video_input,
    )


def resolve(kind: Kind, model: str | None) -> ModelInfo:
    """The model to call; unknown names are allowed (see the module docstring)."""
    default = DEFAULT_EMBEDDING_MODEL if kind == "embeddings" else DEFAULT_CHAT_MODEL
    name = (model or default).strip()
    if not name:
        raise ConfigurationError("model must not be empty", vendor=VENDOR)
    catalog.check_retired(name)
    info = _BY_NAME.get(name) or _BY_NAME.get(name.lower())
    if info is not None:
        if info.kind != kind:
            raise ConfigurationError(
                f"{info.name} is a{'n' if info.kind == 'embeddings' else ''} {info.kind} "
                f"model, not a {kind} model; {kind} models: {', '.join(known_models(kind))}",
                vendor=VENDOR,
            )
        return info
    if kind == "embeddings":
        return ModelInfo(name, "embeddings", batch_size=UNKNOWN_EMBEDDING_BATCH)
    if "embedding" in name.lower():
        raise ConfigurationError(f"{name} is an embedding model, not a chat model", vendor=VENDOR)
    family = catalog.family(name)
    if family is not None:
        return _from_family(name, family)
    lowered = name.lower()
    if lowered.startswith("qwq") or "thinking" in lowered:
        return _thinking_only(name, tools=True)
    if lowered.startswith("qwen3"):
        return _qwen(name, thinking="hybrid")
    if lowered.startswith("qwen"):
        return _qwen(name)
    return ModelInfo(name, "chat")  # the conservative profile: nothing claimed


def profile(model: str | None) -> ModelProfile:
    return resolve("chat", model).profile
