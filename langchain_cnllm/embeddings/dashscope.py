"""DashScopeEmbeddings: text-embedding-v1 to v4."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import Self

from cnllm.dashscope import models, protocol
from cnllm.dashscope.models import ModelInfo
from cnllm.types import EmbeddingResult
from langchain_cnllm._dashscope import DashScopeSettings
from langchain_cnllm.errors import langchain_errors


class DashScopeEmbeddings(DashScopeSettings, Embeddings):
    """DashScope text embeddings, batched by each model's limit (25 for v1/v2, 10 for v3/v4).

    Example:
        .. code-block:: python

            from langchain_cnllm import DashScopeEmbeddings

            DashScopeEmbeddings(model="text-embedding-v2").embed_query("法律案例")
            DashScopeEmbeddings(model="text-embedding-v4", dimension=512)

    ``embed_documents`` sends ``text_type="document"`` and ``embed_query`` sends
    ``"query"`` (the asymmetric models embed the two differently). Vectors are placed by the
    answer's ``text_index``; async batches run concurrently, at most ``max_concurrency`` at
    a time.
    """

    model: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model_name")
    dimension: int | None = Field(default=None, alias="dimensions")
    """Vector size, text-embedding-v3/-v4 only (v3: 1024, 768, 512, 256, 128, 64; v4 also
    2048 and 1536). None: the model's default."""
    batch_size: int | None = None
    """Texts per request; None: the model's limit."""
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    max_concurrency: int = 8

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _check(self) -> Self:
        protocol.validate_embedding_options(self._info(), "document", self.dimension)
        protocol.batch_size(self._info(), self.batch_size)
        return self

    def _info(self) -> ModelInfo:
        return models.resolve("embeddings", self.model)

    def _embed(self, texts: list[str], text_type: str) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
            results = self.client.embed(
                self._info(),
                texts,
                text_type=text_type,
                dimension=self.dimension,
                batch_size=self.batch_size,
                concurrency=self.max_concurrency,
            )
        return _vectors(results)

    async def _aembed(self, texts: list[str], text_type: str) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
            results = await self.client.aembed(
                self._info(),
                texts,
                text_type=text_type,
                dimension=self.dimension,
                batch_size=self.batch_size,
                concurrency=self.max_concurrency,
            )
        return _vectors(results)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, "document")

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "query")[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self._aembed(texts, "document")

    async def aembed_query(self, text: str) -> list[float]:
        return (await self._aembed([text], "query"))[0]


def _vectors(results: list[EmbeddingResult]) -> list[list[float]]:
    return [vector for result in results for vector in result.vectors]
