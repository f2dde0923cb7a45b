"""ClueAIRetriever: ClueAI's hosted search engine (an uploaded corpus) as a LangChain retriever."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from typing_extensions import Self

from cnllm.clueai.engine import ClueAIEngine, EngineHit
from langchain_cnllm._clueai import ClueAISettings
from langchain_cnllm.errors import langchain_errors


class ClueAIRetriever(ClueAISettings, ClueAIEngine, BaseRetriever):
    """Documents from a ClueAI search engine, most relevant first.

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAIRetriever

            retriever = ClueAIRetriever.from_texts(["案例一…", "案例二…"], k=3)  # uploads
            retriever.engine_key  # keep it: ClueAIRetriever(engine_key=…) reuses the engine
            retriever.invoke("法律案例")
            ClueAIRetriever.from_file("law_test.json", field="title")

    ``cnllm.clueai.engine.ClueAIEngine`` documents the upload paths, the polling and the
    metadata (``score``, ``engine_key``, ``query``, ``is_best`` and the texts' own); ``k`` can
    be given per call: ``invoke(query, k=…)``.
    """

    @staticmethod
    def _documents(hits: list[EngineHit]) -> list[Document]:
        return [Document(page_content=hit.text, metadata=hit.metadata) for hit in hits]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        with langchain_errors():
            return self._documents(self.search_hits(query, k))

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        with langchain_errors():
            return self._documents(await self.asearch_hits(query, k))

    # -- building an engine (errors raised as their LangChain classes) ----------------------

    @classmethod
    def from_texts(
        cls, texts: Sequence[str], metadatas: Sequence[dict[str, Any]] | None = None, **kwargs: Any
    ) -> Self:
        """Upload ``texts`` as a new engine's corpus and return a retriever over it."""
        with langchain_errors():
            return super().from_texts(texts, metadatas, **kwargs)

    @classmethod
    async def afrom_texts(
        cls, texts: Sequence[str], metadatas: Sequence[dict[str, Any]] | None = None, **kwargs: Any
    ) -> Self:
        with langchain_errors():
            return await super().afrom_texts(texts, metadatas, **kwargs)

    @classmethod
    def from_file(cls, path: str | PathLike[str], field: str, **kwargs: Any) -> Self:
        """Upload a JSON Lines file (one object per line), indexing its ``field``."""
        with langchain_errors():
            return super().from_file(path, field, **kwargs)

    @classmethod
    async def afrom_file(cls, path: str | PathLike[str], field: str, **kwargs: Any) -> Self:
        with langchain_errors():
            return await super().afrom_file(path, field, **kwargs)

    @classmethod
    def from_documents(cls, documents: Iterable[Document], **kwargs: Any) -> Self:
        """Upload the documents' texts; their metadata comes back on the Documents found."""
        docs = list(documents)
        metadatas = [doc.metadata for doc in docs]
        return cls.from_texts([doc.page_content for doc in docs], metadatas, **kwargs)

    @classmethod
    async def afrom_documents(cls, documents: Iterable[Document], **kwargs: Any) -> Self:
        docs = list(documents)
        metadatas = [doc.metadata for doc in docs]
        return await cls.afrom_texts([doc.page_content for doc in docs], metadatas, **kwargs)
