"""KoalaEmbedding: a Koala server's embeddings (text2vec-large-chinese) for LlamaIndex."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, PrivateAttr
from typing_extensions import Self

from cnllm.koala import models
from cnllm.koala.settings import KoalaSettings
from llamaindex_cnllm.embeddings.base import CnEmbedding


class KoalaEmbedding(KoalaSettings, CnEmbedding):
    """Koala has no query mode; ``normalize=True`` scales vectors to unit length (Koala's
    are not), so that a dot product is the cosine similarity.

    ``embed_batch_size`` (default 16) is the number of texts in one request to the server;
    ``max_concurrency`` (default 4) the requests in flight at once, in the sync
    ``get_text_embedding_batch`` as in the async one. Vectors come back in input order.
    """

    model_name: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model")
    normalize: bool = False
    max_concurrency: int = Field(default=4, ge=1)
    """Requests in flight at once (each of ``embed_batch_size`` texts)."""

    # Set on the per-call copies below only: the texts of one request when LlamaIndex's
    # chunk is wider than that, and the async gate of one call.
    _per_request: int | None = PrivateAttr(default=None)
    _gate: asyncio.Semaphore | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        data.setdefault("embed_batch_size", 16)
        super().__init__(**data)

    @classmethod
    def class_name(cls) -> str:
        return "KoalaEmbedding"

    def _call_copy(self, **update: Any) -> Self:
        """This object for one call, on the same client (pool and rate budget)."""
        copy = self.model_copy(update=update)
        copy._client = self.client
        copy._per_request = self.embed_batch_size
        return copy

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        # LlamaIndex's sync loop hands over one chunk of embed_batch_size texts at a time,
        # which would be one request at a time: its chunk here is max_concurrency requests,
        # which the client sends together (embed_batch_size still counts texts per request).
        wide = self._call_copy(embed_batch_size=self.embed_batch_size * self.max_concurrency)
        return BaseEmbedding.get_text_embedding_batch(wide, texts, show_progress, **kwargs)

    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        # LlamaIndex's async loop gathers every chunk at once (unless num_workers bounds it):
        # one gate per call keeps max_concurrency requests in flight, as the sync path does.
        gated = self._call_copy()
        gated._gate = asyncio.Semaphore(self.max_concurrency)
        return await BaseEmbedding.aget_text_embedding_batch(gated, texts, show_progress, **kwargs)

    def _embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        result = self.client.embed(
            self.model_name,
            texts,
            batch_size=self._per_request or self.embed_batch_size,
            normalize=self.normalize,
            concurrency=self.max_concurrency,
        )
        return result.vectors

    async def _aembed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if self._gate is None:
            return await self._aembed_now(texts)
        async with self._gate:  # one chunk of the async loop is one request
            return await self._aembed_now(texts)

    async def _aembed_now(self, texts: list[str]) -> list[list[float]]:
        result = await self.client.aembed(
            self.model_name,
            texts,
            batch_size=self._per_request or self.embed_batch_size,
            normalize=self.normalize,
            concurrency=self.max_concurrency,
        )
        return result.vectors
