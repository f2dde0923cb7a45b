"""Qianfan v1 model table: name -> endpoint and what each model accepts (reference §4.4, §4.5).

Names are matched case-insensitively. An ``endpoint=`` the table does not know is a
user-deployed service; it gets conservative capabilities (no system field, no tools).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from cnllm.errors import ConfigurationError
from cnllm.types import ModelProfile

Kind = Literal["chat", "completions", "embeddings"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    endpoint: str
    kind: Kind
    max_input_chars: int | None = None
    # ERNIE models take a top-level ``system`` and ``max_output_tokens``; open models do not.
    ernie: bool = False
    functions: bool = False  # native function calling (``functions`` on the wire)
    tool_choice: bool = False
    max_input_tokens: int | None = None  # the SDK table's token limit, where it gives one
    batch_size: int = 16  # embeddings: texts per request
    dimensions: int | None = None
    user_deployed: bool = False

    @property
    def context_window(self) -> int | None:
        """Tokens: the documented token limit, else half the character limit (a Chinese
        character is about 0.625 tokens, the SDK's estimate), else unknown."""
        if self.max_input_tokens:
            return self.max_input_tokens
        return self.max_input_chars // 2 if self.max_input_chars else None

    @property
    def profile(self) -> ModelProfile:
        """What both frameworks read. v1 has no reasoning output, no JSON schema and no
        images; ERNIE models take ``response_format: "json_object"`` (reference §4)."""
        return ModelProfile(
            context_window=self.context_window,
            tool_calling=self.functions,
            tool_choice=self.functions and self.tool_choice,
            json_mode=self.ernie and self.kind == "chat",
        )


def _ernie(
    name: str, endpoint: str, chars: int, tokens: int, functions: bool, tool_choice: bool
) -> ModelInfo:
    return ModelInfo(name, endpoint, "chat", chars, True, functions, tool_choice, tokens)


def _open(name: str, endpoint: str) -> ModelInfo:
    # D003 documents 8000 characters for Qianfan-Chinese-Llama-2-13B; the SDK's 4800 is only
    # its optional client-side trimming threshold, so the server's documented limit is used.
    return ModelInfo(name, endpoint, "chat", 8000)


_CHAT: tuple[ModelInfo, ...] = (
    _ernie("ERNIE-4.0-8K", "completions_pro", 20000, 5120, True, False),
    _ernie("ERNIE-4.0-8K-Latest", "ernie-4.0-8k-latest", 20000, 5120, False, False),
    _ernie("ERNIE-4.0-8K-0613", "ernie-4.0-8k-0613", 20000, 5120, False, False),
    _ernie("ERNIE-4.0-8K-0329", "ernie-4.0-8k-0329", 20000, 5120, True, False),
    _ernie("ERNIE-4.0-8K-0104", "ernie-4.0-8k-0104", 20000, 5120, True, False),
    _ernie("ERNIE-4.0-8K-Preview", "ernie-4.0-8k-preview", 20000, 5120, True, False),
    _ernie("ERNIE-4.0-8K-Preview-0518", "completions_adv_pro", 20000, 5120, True, False),
    _ernie("ERNIE-4.0-Turbo-8K", "ernie-4.0-turbo-8k", 20000, 5120, False, False),
    _ernie("ERNIE-4.0-Turbo-8K-Latest", "ernie-4.0-turbo-8k-latest", 20000, 5120, False, False),
    _ernie("ERNIE-4.0-Turbo-8K-Preview", "ernie-4.0-turbo-8k-preview", 20000, 5120, False, False),
    _ernie("ERNIE-3.5-8K", "completions", 20000, 5120, True, True),
    _ernie("ERNIE-3.5-8K-0205", "ernie-3.5-8k-0205", 20000, 5120, True, True),
    _ernie("ERNIE-3.5-8K-0329", "ernie-3.5-8k-0329", 8000, 2048, True, True),
    _ernie("ERNIE-3.5-8K-0613", "ernie-3.5-8k-0613", 20000, 5120, True, True),
    _ernie("ERNIE-3.5-8K-0701", "ernie-3.5-8k-0701", 20000, 5120, True, True),
    _ernie("ERNIE-3.5-8K-Preview", "ernie-3.5-8k-preview", 20000, 5120, True, True),
    _ernie("ERNIE-3.5-128K", "ernie-3.5-128k", 516096, 126976, True, True),
    _ernie("ERNIE-Speed-8K", "ernie_speed", 11200, 7168, True, True),
    _ernie("ERNIE-Speed-128K", "ernie-speed-128k", 510000, 126976, True, True),
    _ernie("ERNIE-Speed-Pro-128K", "ernie-speed-pro-128k", 510000, 126976, True, True),
    _ernie("ERNIE-Speed-Pro-8K", "ernie-speed-pro-8k", 24000, 6144, True, True),
    _ernie("ERNIE-Lite-8K", "ernie-lite-8k", 11200, 7168, False, False),
    _ernie("ERNIE-Lite-8K-0922", "eb-instant", 11200, 7168, True, True),
    _ernie("ERNIE-Lite-Pro-8K", "ernie-lite-pro-8k", 24000, 6144, True, False),
    _ernie("ERNIE-Lite-V", "ernie-lite-v", 11200, 7168, False, False),
    _ernie("ERNIE-Tiny-8K", "ernie-tiny-8k", 24000, 6144, True, True),
    _ernie("ERNIE-Novel-8K", "ernie-novel-8k", 24000, 6144, True, True),
    _ernie("ERNIE-Character-8K", "ernie-char-8k", 24000, 6144, False, False),
    _ernie("ERNIE-Character-Fiction-8K", "ernie-char-fiction-8k", 24000, 6144, False, False),
    _ernie("ERNIE-Speed-AppBuilder", "ai_apaas", 11200, 7168, True, True),
    _ernie("ERNIE-Lite-AppBuilder-8K-0614", "ai_apaas_lite", 11200, 7168, True, True),
    _ernie("Qianfan-Dynamic-8K", "qianfan-dynamic-8k", 20000, 5120, True, True),
    _open("Qianfan-Chinese-Llama-2-13B", "qianfan_chinese_llama_2_13b"),
    _open("Qianfan-Chinese-Llama-2-7B", "qianfan_chinese_llama_2_7b"),
    _open("Qianfan-Chinese-Llama-2-70B", "qianfan_chinese_llama_2_70b"),
    _open("Llama-2-7B-Chat", "llama_2_7b"),
    _open("Llama-2-13B-Chat", "llama_2_13b"),
    _open("Llama-2-70B-Chat", "llama_2_70b"),
    _open("Meta-Llama-3-8B", "llama_3_8b"),
    _open("Meta-Llama-3-70B", "llama_3_70b"),
    _open("BLOOMZ-7B", "bloomz_7b1"),
    _open("Qianfan-BLOOMZ-7B-compressed", "qianfan_bloomz_7b_compressed"),
    _open("ChatGLM2-6B-32K", "chatglm2_6b_32k"),
    _open("AquilaChat-7B", "aquilachat_7b"),
    _open("XuanYuan-70B-Chat-4bit", "xuanyuan_70b_chat"),
    _open("Yi-34B-Chat", "yi_34b_chat"),
    _open("Mixtral-8x7B-Instruct", "mixtral_8x7b_instruct"),
    _open("Gemma-7B-it", "gemma_7b_it"),
    _open("ChatLaw", "chatlaw"),
)

_COMPLETIONS: tuple[ModelInfo, ...] = (
    ModelInfo("SQLCoder-7B", "sqlcoder_7b", "completions"),
    ModelInfo("CodeLlama-7b-Instruct", "codellama_7b_instruct", "completions"),
)

_EMBEDDINGS: tuple[ModelInfo, ...] = (
    ModelInfo("Embedding-V1", "embedding-v1", "embeddings", 1000, dimensions=384),
    ModelInfo("bge-large-zh", "bge_large_zh", "embeddings", 2000, dimensions=1024),
    ModelInfo("bge-large-en", "bge_large_en", "embeddings", 2000, dimensions=1024),
    # One text per request for tao-8k (reference §4.5, unverified): the safe choice.
    ModelInfo("tao-8k", "tao_8k", "embeddings", 28000, batch_size=1, dimensions=1024),
)

_ALIASES = {
    "ernie-bot-4": "ERNIE-4.0-8K",
    "ernie 3.5": "ERNIE-3.5-8K",
    "ernie-bot": "ERNIE-3.5-8K",
    "ernie-speed": "ERNIE-Speed-8K",
    "ernie speed": "ERNIE-Speed-8K",
    "ernie-bot-turbo": "ERNIE-Lite-8K-0922",
    "ernie-4.0-preview": "ERNIE-4.0-8K-Preview",
    "ernie-3.5-preview": "ERNIE-3.5-8K-Preview",
    "eb-turbo-appbuilder": "ERNIE-Speed-AppBuilder",
    "ernie-bot-turbo-ai": "ERNIE-Speed-AppBuilder",
}

_BY_NAME = {info.name.lower(): info for info in (*_CHAT, *_COMPLETIONS, *_EMBEDDINGS)}
_BY_ENDPOINT = {(info.kind, info.endpoint): info for info in (*_CHAT, *_COMPLETIONS, *_EMBEDDINGS)}

DEFAULT_CHAT_MODEL = "ERNIE-Lite-8K"
DEFAULT_EMBEDDING_MODEL = "Embedding-V1"


def known_models(kind: Kind) -> list[str]:
    return [info.name for info in _BY_NAME.values() if info.kind == kind]


def lookup(name: str) -> ModelInfo | None:
    key = name.strip().lower()
    return _BY_NAME.get(_ALIASES.get(key, key).lower())


def resolve(kind: Kind, model: str | None, endpoint: str | None) -> ModelInfo:
    """The model to call: ``endpoint`` (a user-deployed service) wins over ``model``."""
    if endpoint:
        known = _BY_ENDPOINT.get((kind, endpoint))
        if known is not None:
            return known
        described = lookup(model) if model else None
        if described is not None and described.kind == kind:
            # A self-deployed copy of a known model keeps that model's capabilities.
            return replace(described, endpoint=endpoint, user_deployed=True)
        return ModelInfo(model or endpoint, endpoint, kind, user_deployed=True)
    name = model or (DEFAULT_EMBEDDING_MODEL if kind == "embeddings" else DEFAULT_CHAT_MODEL)
    info = lookup(name)
    if info is None:
        raise ConfigurationError(
            f"unknown Qianfan {kind} model {name!r}; known models: "
            f"{', '.join(known_models(kind))}; for a service you deployed yourself pass "
            "endpoint='<the part of its URL after /" + kind + "/>'",
            vendor="qianfan",
        )
    if info.kind != kind:
        if kind == "completions" and info.kind == "chat":
            return info  # a chat model asked for a completion: sent as a one-turn chat
        raise ConfigurationError(
            f"{info.name} is a {info.kind} model, not a {kind} model", vendor="qianfan"
        )
    return info
