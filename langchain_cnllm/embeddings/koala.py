"""KoalaEmbeddings: Koala 悠然 text vectors (``/v1/embeddings``)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from pydantic import Field

from cnllm.koala import models
from cnllm.openai_compat.client import DEFAULT_EMBEDDING_BATCH, DEFAULT_EMBEDDING_CONCURRENCY
from langchain_cnllm._koala import KoalaSettings
from langchain_cnllm.errors import langchain_errors


class KoalaEmbeddings(KoalaSettings, Embeddings):
    """Koala embeddings, text2vec-large-chinese by default.

    Example:
        .. code-block:: python

            from langchain_cnllm import KoalaEmbeddings

            KoalaEmbeddings(normalize=True).embed_documents(["故宫", "长城"])

    Texts go ``batch_size`` to a request; vectors come back in input order (sorted by the
    server's ``index``). Koala's vectors are not unit length: ``normalize=True`` scales each
    to length 1, so that a dot product is the cosine similarity. Async batches run
    concurrently, at most ``max_concurrency`` at a time.
    """

    model: str = Field(default=models.DEFAULT_EMBEDDING_MODEL, alias="model_name")
    batch_size: int = Field(default=DEFAULT_EMBEDDING_BATCH, ge=1, alias="chunk_size")
    normalize: bool = False
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    max_concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
            result = self.client.embed(
                self.model,
                texts,
                batch_size=self.batch_size,
                normalize=self.normalize,
                concurrency=self.max_concurrency,
            )
        return result.vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with langchain_errors():
            result = await self.client.aembed(
                self.model,
                texts,
                batch_size=self.batch_size,
                normalize=self.normalize,
                concurrency=self.max_concurrency,
            )
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
