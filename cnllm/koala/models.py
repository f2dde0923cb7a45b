"""The models Koala's document names (seed 001), and what each takes.

A Koala server hosts whatever its workers registered, so any name the server lists is
accepted (ask ``list_models()``); the table only says which known models take images.
Names are matched exactly, as FastChat does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["chat", "embeddings"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Kind
    images: bool = False  # takes the ``images`` field (koala-mm)
    description: str = ""


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("koala-mm", "chat", images=True, description="悠然多模态大模型 (text and images)"),
    ModelInfo("vicuna-13b-v1.5", "chat", description="vicuna 语言模型"),
    ModelInfo("gpt-3.5-turbo", "chat", description="openai 语言模型"),
    ModelInfo("sqlcoder", "chat", description="自然语言生成 SQL"),
    ModelInfo("Baichuan2-13B-Chat", "chat", description="百川2对话模型"),
    ModelInfo("text2vec-large-chinese", "embeddings", description="文本向量"),
)
_BY_NAME = {info.name: info for info in MODELS}

DEFAULT_CHAT_MODEL = "Baichuan2-13B-Chat"
DEFAULT_EMBEDDING_MODEL = "text2vec-large-chinese"


def lookup(name: str) -> ModelInfo | None:
    return _BY_NAME.get(name)


def takes_images(name: str) -> bool:
    info = lookup(name)
    return info is not None and info.images


def image_models() -> list[str]:
    return [info.name for info in MODELS if info.images]
