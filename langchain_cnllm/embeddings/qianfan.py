"""QianfanEmbeddings: Embedding-V1, bge-large-zh/en, tao-8k, Qwen3 embeddings and deployed
embedding services — ``/v2/embeddings`` by default, v1 for OAuth application keys."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.v2 import models as v2_models
from cnllm.types import EmbeddingResult
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.errors import langchain_errors


class QianfanEmbeddings(QianfanSettings, Embeddings):
    """Qianfan embeddings, batched by each model's limit (16 texts; 1 for tao-8k).

    Example:
        .. code-block:: python

            from langchain_cnllm import QianfanEmbeddings

            QianfanEmbeddings(model="bge-large-zh").embed_documents(["故宫", "长城"])

    Async batches run concurrently, at most ``max_concurrency`` at a time; results keep the
    input order. ``show_progress_bar=True`` shows a tqdm bar (``pip install tqdm``).
    """

    model: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model_name")
    user_id: str | None = None
    """v1 only."""
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    max_concurrency: int = 8
    show_progress_bar: bool = False

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.api == "v1":
            self._info()
        return self

    def _info(self) -> ModelInfo:
        return models.resolve("embeddings", self.model, self.endpoint)

    def _v2_model(self) -> str:
        return v2_models.resolve("embeddings", self.model).id

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        progress = _progress(len(texts)) if self.show_progress_bar else None
        on_batch = progress.update if progress else None
        with langchain_errors():
            if self.api == "v2":
                vectors = self.v2_client.embed(
                    self._v2_model(), texts, on_batch=on_batch, concurrency=self.max_concurrency
                ).vectors
            else:
                results = self.client.embed(
                    self._info(),
                    texts,
                    user_id=self.user_id,
                    on_batch=on_batch,
                    concurrency=self.max_concurrency,
                )
                vectors = _vectors(results)
        if progress:
            progress.close()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
            if self.api == "v2":
                result = await self.v2_client.aembed(
                    self._v2_model(), texts, concurrency=self.max_concurrency
                )
                return result.vectors
            results = await self.client.aembed(
                self._info(), texts, user_id=self.user_id, concurrency=self.max_concurrency
            )
        return _vectors(results)

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]


def _vectors(results: list[EmbeddingResult]) -> list[list[float]]:
    return [vector for result in results for vector in result.vectors]


def _progress(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("show_progress_bar=True needs tqdm: pip install tqdm") from exc
    return tqdm(total=total, unit="text")
