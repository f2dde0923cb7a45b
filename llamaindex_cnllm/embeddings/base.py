"""What every cnllm LlamaIndex embedding shares; a vendor class says how to call its client."""

from __future__ import annotations

from abc import abstractmethod

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field


class CnEmbedding(BaseEmbedding):
    """Batches are the vendor's (its client knows each model's limit); async is real async."""

    timeout: float | None = Field(default=60.0, description="Seconds to wait for the vendor.")
    max_retries: int = Field(default=2, description="Retries of transient failures.")

    @abstractmethod
    def _embed(self, texts: list[str], *, query: bool) -> list[list[float]]: ...

    @abstractmethod
    async def _aembed(self, texts: list[str], *, query: bool) -> list[list[float]]: ...

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], query=True)[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self._aembed([query], query=True))[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], query=False)[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aembed([text], query=False))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, query=False)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await self._aembed(texts, query=False)
