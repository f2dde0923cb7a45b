"""What the native and the compatible-mode DashScope clients do the same way, written once.

Both take a ``ModelInfo`` and answer one ``EmbeddingResult`` per batch, in input order (the
skeleton's batch loops); a client gives only its bodies and one batch's round trip.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from cnllm.client import arun_batches, run_batches
from cnllm.dashscope.models import ModelInfo
from cnllm.openai_compat.client import DEFAULT_EMBEDDING_CONCURRENCY
from cnllm.types import EmbeddingResult


class BatchedEmbeddings(ABC):
    """``embed``/``aembed`` over a client's ``_embedding_bodies`` and ``_send_embedding``."""

    @abstractmethod
    def _embedding_bodies(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        text_type: str,
        dimension: int | None,
        batch_size: int | None,
    ) -> list[dict[str, Any]]:
        """Every batch's body, validated before anything is sent."""

    @abstractmethod
    def _send_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult: ...

    @abstractmethod
    async def _asend_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult: ...

    def embed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        text_type: str = "document",
        dimension: int | None = None,
        batch_size: int | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> list[EmbeddingResult]:
        """One result per batch, in input order, at most ``concurrency`` batches in flight."""
        bodies = self._embedding_bodies(info, texts, text_type, dimension, batch_size)
        return run_batches(
            bodies, lambda body: self._send_embedding(info, body), concurrency=concurrency
        )

    async def aembed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        text_type: str = "document",
        dimension: int | None = None,
        batch_size: int | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> list[EmbeddingResult]:
        """Batches sent concurrently (at most ``concurrency`` at a time), results in order."""
        bodies = self._embedding_bodies(info, texts, text_type, dimension, batch_size)
        return await arun_batches(
            bodies, lambda body: self._asend_embedding(info, body), concurrency=concurrency
        )


__all__ = ["DEFAULT_EMBEDDING_CONCURRENCY", "BatchedEmbeddings"]
