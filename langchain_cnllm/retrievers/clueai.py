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
from pydantic import Field
from typing_extensions import Self

from cnllm.clueai import corpus
from cnllm.clueai.protocol import SearchResult
from langchain_cnllm._clueai import ClueAISettings
from langchain_cnllm.errors import langchain_errors

PENDING = "<uploading>"
CORPUS_FILENAME = "corpus.json"  # JSON Lines, named .json like the SDK's examples
PROBE_CHARS = 32


class ClueAIRetriever(ClueAISettings, BaseRetriever):
    """Documents from a ClueAI search engine, most relevant first.

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAIRetriever

            retriever = ClueAIRetriever.from_texts(["案例一…", "案例二…"], k=3)  # uploads
            retriever.engine_key  # keep it: ClueAIRetriever(engine_key=…) reuses the engine
            retriever.invoke("法律案例")
            ClueAIRetriever.from_file("law_test.json", field="title")

    The engine is built from a corpus upload (multipart, JSON Lines, one indexed ``field``).
    ``from_*`` upload on the synchronous path by default; ``sync=False`` uses the
    asynchronous one and then polls (a search of the first text) until the engine answers,
    for at most ``wait_timeout`` seconds. The service returns the matching texts with a
    score and has no top-k parameter: hits are sorted by score here and cut to ``k``. Each
    Document has ``score``, ``engine_key``, ``query`` and ``is_best`` in its metadata, plus
    the metadata given to ``from_texts`` / ``from_documents`` (or a record's other fields,
    for ``from_file``), matched by text (identical texts share one entry).
    """

    engine_key: str
    """The search engine (``engine_key`` of a corpus upload)."""
    k: int = Field(default=4, ge=1)
    """How many documents to return (overridable per call: ``invoke(query, k=…)``)."""
    model: str | None = Field(default=None, alias="model_name")
    """Sent as the ``Model-name`` header when set (the SDK's examples use clueai-base)."""
    corpus_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Metadata of the uploaded texts, by text; merged into the Documents found."""

    # -- searching ------------------------------------------------------------------------

    def _documents(self, result: SearchResult, k: int) -> list[Document]:
        return [
            Document(
                page_content=hit.text,
                metadata={
                    **self.corpus_metadata.get(hit.text, {}),
                    "score": hit.score,
                    "engine_key": self.engine_key,
                    "query": result.query,
                    "is_best": hit.is_best,
                },
            )
            for hit in result.hits[:k]
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        with langchain_errors():
            result = self.client.search(self.engine_key, query, model=self.model)
        return self._documents(result, k or self.k)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        with langchain_errors():
            result = await self.client.asearch(self.engine_key, query, model=self.model)
        return self._documents(result, k or self.k)

    # -- building an engine -----------------------------------------------------------------

    @classmethod
    def _pending(cls, metadata: dict[str, dict[str, Any]], kwargs: dict[str, Any]) -> Self:
        return cls(engine_key=PENDING, corpus_metadata=metadata, **kwargs)

    def _upload(
        self, content: bytes, filename: str, field: str, probe: str, wait: tuple[bool, float, float]
    ) -> Self:
        sync, timeout, interval = wait
        with langchain_errors():
            key = self.client.upload_corpus(content, filename, field, sync=sync, model=self.model)
            if not sync:
                self.client.wait_for_engine(
                    key, probe[:PROBE_CHARS], timeout=timeout, interval=interval, model=self.model
                )
        self.engine_key = key
        return self

    async def _aupload(
        self, content: bytes, filename: str, field: str, probe: str, wait: tuple[bool, float, float]
    ) -> Self:
        sync, timeout, interval = wait
        with langchain_errors():
            key = await self.client.aupload_corpus(
                content, filename, field, sync=sync, model=self.model
            )
            if not sync:
                await self.client.await_engine(
                    key, probe[:PROBE_CHARS], timeout=timeout, interval=interval, model=self.model
                )
        self.engine_key = key
        return self

    @classmethod
    def _from_texts_args(
        cls,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]] | None,
        field: str,
    ) -> tuple[bytes, dict[str, dict[str, Any]]]:
        with langchain_errors():
            content = corpus.corpus_jsonl(list(texts), field)
        metadata = {text: dict(meta) for text, meta in zip(texts, metadatas or [], strict=False)}
        return content, metadata

    @classmethod
    def from_texts(
        cls,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]] | None = None,
        *,
        field: str = "text",
        sync: bool = True,
        wait_timeout: float = 300.0,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> Self:
        """Upload ``texts`` as a new engine's corpus and return a retriever over it."""
        content, metadata = cls._from_texts_args(texts, metadatas, field)
        retriever = cls._pending(metadata, kwargs)
        wait = (sync, wait_timeout, poll_interval)
        return retriever._upload(content, CORPUS_FILENAME, field, texts[0], wait)

    @classmethod
    async def afrom_texts(
        cls,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]] | None = None,
        *,
        field: str = "text",
        sync: bool = True,
        wait_timeout: float = 300.0,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> Self:
        content, metadata = cls._from_texts_args(texts, metadatas, field)
        retriever = cls._pending(metadata, kwargs)
        wait = (sync, wait_timeout, poll_interval)
        return await retriever._aupload(content, CORPUS_FILENAME, field, texts[0], wait)

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

    @classmethod
    def _file_args(
        cls, path: str | PathLike[str], field: str
    ) -> tuple[bytes, str, list[str], dict[str, dict[str, Any]]]:
        with langchain_errors():
            raw, filename = corpus.read(path)
            content, texts = corpus.check_corpus(raw, field, source=filename)
            records = corpus.records(content, filename)
        metadata = {
            str(record[field]): {key: value for key, value in record.items() if key != field}
            for record in records
        }
        return content, filename, texts, metadata

    @classmethod
    def from_file(
        cls,
        path: str | PathLike[str],
        field: str,
        *,
        sync: bool = True,
        wait_timeout: float = 300.0,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> Self:
        """Upload a JSON Lines file (one object per line), indexing its ``field``."""
        content, filename, texts, metadata = cls._file_args(path, field)
        retriever = cls._pending(metadata, kwargs)
        wait = (sync, wait_timeout, poll_interval)
        return retriever._upload(content, filename, field, texts[0], wait)

    @classmethod
    async def afrom_file(
        cls,
        path: str | PathLike[str],
        field: str,
        *,
        sync: bool = True,
        wait_timeout: float = 300.0,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> Self:
        content, filename, texts, metadata = cls._file_args(path, field)
        retriever = cls._pending(metadata, kwargs)
        wait = (sync, wait_timeout, poll_interval)
        return await retriever._aupload(content, filename, field, texts[0], wait)
