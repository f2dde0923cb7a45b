"""QianfanEmbeddings: Embedding-V1, bge-large-zh, bge-large-en and tao-8k."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models
from cnllm.qianfan.models import ModelInfo
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
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    max_concurrency: int = 8
    show_progress_bar: bool = False

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _check(self) -> Self:
        self._info()
        return self

    def _info(self) -> ModelInfo:
        return models.resolve("embeddings", self.model, self.endpoint)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        info = self._info()
        progress = _progress(len(texts)) if self.show_progress_bar else None
        with langchain_errors():
            results = self.client.embed(
                info,
                texts,
                user_id=self.user_id,
                on_batch=progress.update if progress else None,
                concurrency=self.max_concurrency,
            )
        if progress:
            progress.close()
        return _vectors(results)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
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
