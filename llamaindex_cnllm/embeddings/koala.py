"""KoalaEmbedding: a Koala server's embeddings (text2vec-large-chinese) for LlamaIndex."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cnllm.koala import models
from cnllm.koala.settings import KoalaSettings
from llamaindex_cnllm.embeddings.base import CnEmbedding


class KoalaEmbedding(KoalaSettings, CnEmbedding):
    """Koala has no query mode; ``normalize=True`` scales vectors to unit length (Koala's
    are not), so that a dot product is the cosine similarity."""

    model_name: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model")
    normalize: bool = False
    max_concurrency: int = 4

    def __init__(self, **data: Any) -> None:
        data.setdefault("embed_batch_size", 16)
        super().__init__(**data)

    @classmethod
    def class_name(cls) -> str:
        return "KoalaEmbedding"

    def _embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        result = self.client.embed(
            self.model_name,
            texts,
            batch_size=self.embed_batch_size,
            normalize=self.normalize,
            concurrency=self.max_concurrency,
        )
        return result.vectors

    async def _aembed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        result = await self.client.aembed(
            self.model_name,
            texts,
            batch_size=self.embed_batch_size,
            normalize=self.normalize,
            concurrency=self.max_concurrency,
        )
        return result.vectors
