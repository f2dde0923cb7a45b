"""QianfanEmbedding: Qianfan embeddings for LlamaIndex."""

from __future__ import annotations

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import QianfanSettings
from llamaindex_cnllm.embeddings.base import CnEmbedding


class QianfanEmbedding(QianfanSettings, CnEmbedding):
    """Embedding-V1, bge-large-zh, bge-large-en or tao-8k; Qianfan has no query mode.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from llamaindex_cnllm import QianfanEmbedding

            Settings.embed_model = QianfanEmbedding(model_name="bge-large-zh")
    """

    model_name: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model")
    user_id: str | None = None
    max_concurrency: int = 8

    @model_validator(mode="after")
    def _check(self) -> Self:
        info = self._info()
        # LlamaIndex hands over one chunk at a time (sync): a chunk of max_concurrency vendor
        # batches lets the client send them together.
        most = info.batch_size * self.max_concurrency
        if "embed_batch_size" not in self.model_fields_set:
            self.embed_batch_size = most
        self.embed_batch_size = min(self.embed_batch_size, most)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "QianfanEmbedding"

    def _info(self) -> ModelInfo:
        return models.resolve("embeddings", self.model_name, self.endpoint)

    def _embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        results = self.client.embed(
            self._info(), texts, user_id=self.user_id, concurrency=self.max_concurrency
        )
        return [vector for result in results for vector in result.vectors]

    async def _aembed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        results = await self.client.aembed(
            self._info(), texts, user_id=self.user_id, concurrency=self.max_concurrency
        )
        return [vector for result in results for vector in result.vectors]
