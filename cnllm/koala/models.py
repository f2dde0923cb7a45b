"""The models Koala's document names (seed 001), the reasoning models a Koala deployment
serves through vLLM or SGLang, and what each takes.

A Koala server hosts whatever its workers registered, so any name the server lists is
accepted (ask ``list_models()``); a name the table does not know gets the conservative
profile. Names are matched exactly, as FastChat does. No model here has tools, JSON mode or
JSON schemas: Koala's server ignores them (koala.md §10), so structured output is prompted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnllm.profiles import CONSERVATIVE
from cnllm.types import ModelProfile

Kind = Literal["chat", "embeddings"]
Thinking = Literal["none", "hybrid", "always"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Kind
    images: bool = False  # takes the ``images`` field (koala-mm)
    description: str = ""
    context_window: int | None = None  # tokens; None: not documented
    max_output_tokens: int | None = None
    # Reasoning: "always" (deepseek-r1), "hybrid" (Qwen3: chat_template_kwargs.enable_thinking).
    thinking: Thinking = "none"

    @property
    def profile(self) -> ModelProfile:
        return ModelProfile(
            context_window=self.context_window,
            max_output_tokens=self.max_output_tokens,
            image_input=self.images,
            reasoning_output=self.thinking != "none",
            thinking_optional=self.thinking != "always",
        )


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("koala-mm", "chat", images=True, description="悠然多模态大模型 (text and images)"),
    # Llama-2 based: 4096 tokens (FastChat's model card for vicuna-13b-v1.5).
    ModelInfo("vicuna-13b-v1.5", "chat", description="vicuna 语言模型", context_window=4096),
    ModelInfo("gpt-3.5-turbo", "chat", description="openai 语言模型"),
    ModelInfo("sqlcoder", "chat", description="自然语言生成 SQL"),
    # Baichuan2's model card: 4096 tokens.
    ModelInfo("Baichuan2-13B-Chat", "chat", description="百川2对话模型", context_window=4096),
    # Reasoning models served by vLLM/SGLang; their model cards' limits.
    ModelInfo(
        "deepseek-r1",
        "chat",
        description="DeepSeek-R1 (thinking always on; reasoning_content)",
        context_window=131072,
        max_output_tokens=32768,
        thinking="always",
    ),
    ModelInfo(
        "qwen3-8b",
        "chat",
        description="Qwen3-8B (hybrid thinking, on by default; reasoning)",
        context_window=32768,
        max_output_tokens=32768,
        thinking="hybrid",
    ),
    ModelInfo("text2vec-large-chinese", "embeddings", description="文本向量"),
)
_BY_NAME = {info.name: info for info in MODELS}

DEFAULT_CHAT_MODEL = "Baichuan2-13B-Chat"
DEFAULT_EMBEDDING_MODEL = "text2vec-large-chinese"


def lookup(name: str) -> ModelInfo | None:
    return _BY_NAME.get(name)


def profile(name: str) -> ModelProfile:
    """The table's profile of ``name``; the conservative one for a model it does not know."""
    info = lookup(name)
    return info.profile if info is not None else CONSERVATIVE


def takes_images(name: str) -> bool:
    info = lookup(name)
    return info is not None and info.images


def image_models() -> list[str]:
    return [info.name for info in MODELS if info.images]
