"""DashScopeEmbedding: DashScope text embeddings for LlamaIndex, with the query mode."""

from __future__ import annotations

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.dashscope import models, protocol
from cnllm.dashscope.models import ModelInfo
from cnllm.dashscope.settings import DashScopeSettings
from llamaindex_cnllm.embeddings.base import CnEmbedding


class DashScopeEmbedding(DashScopeSettings, CnEmbedding):
    """text-embedding-v1 … v4. Queries are sent with ``text_type=query`` and documents with
    ``document`` (the peers send both as documents); batches follow each model's limit."""

    model_name: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model")
    dimension: int | None = None
    max_concurrency: int = 8

    @model_validator(mode="after")
    def _check(self) -> Self:
        info = self._info()
        protocol.validate_embedding_options(info, "document", self.dimension)
        if "embed_batch_size" not in self.model_fields_set:
            # LlamaIndex hands over one chunk at a time (sync): a chunk of max_concurrency
            # vendor batches lets the client send them together.
            self.embed_batch_size = info.batch_size * self.max_concurrency
        return self

    @classmethod
    def class_name(cls) -> str:
        return "DashScopeEmbedding"

    def _info(self) -> ModelInfo:
        return models.resolve("embeddings", self.model_name)

    def _embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        results = self.client.embed(
            self._info(),
            texts,
            text_type="query" if query else "document",
            dimension=self.dimension,
            concurrency=self.max_concurrency,
        )
        return [vector for result in results for vector in result.vectors]

    async def _aembed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        results = await self.client.aembed(
            self._info(),
            texts,
            text_type="query" if query else "document",
            dimension=self.dimension,
            concurrency=self.max_concurrency,
        )
        return [vector for result in results for vector in result.vectors]
