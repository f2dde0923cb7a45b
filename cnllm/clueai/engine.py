"""A ClueAI search engine (an uploaded corpus): searching it and building one.

Framework-free; the LangChain and LlamaIndex retrievers turn its hits into their own types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

from pydantic import Field
from typing_extensions import Self

from cnllm.clueai import corpus
from cnllm.clueai.protocol import SearchResult
from cnllm.clueai.settings import ClueAISettings

PENDING = "<uploading>"
CORPUS_FILENAME = "corpus.json"  # JSON Lines, named .json like the SDK's examples
PROBE_CHARS = 32


@dataclass(frozen=True)
class EngineHit:
    """One text found, with its score, the engine, the query and the text's own metadata."""

    text: str
    metadata: dict[str, Any]
    score: float


class ClueAIEngine(ClueAISettings):
    """Hits from a ClueAI search engine, most relevant first.

    The engine is built from a corpus upload (multipart, JSON Lines, one indexed ``field``).
    ``from_*`` upload on the synchronous path by default; ``sync=False`` uses the
    asynchronous one and then polls (a search of the first text) until the engine answers,
    for at most ``wait_timeout`` seconds. The service returns the matching texts with a
    score and has no top-k parameter: hits are sorted by score here and cut to ``k``. Each hit
    has ``score``, ``engine_key``, ``query`` and ``is_best`` in its metadata, plus the metadata
    given to ``from_texts`` (or a record's other fields, for ``from_file``), matched by text
    (identical texts share one entry).
    """

    engine_key: str
    """The search engine (``engine_key`` of a corpus upload)."""
    k: int = Field(default=4, ge=1)
    """How many hits to return (overridable per call)."""
    model: str | None = Field(default=None, alias="model_name")
    """Sent as the ``Model-name`` header when set (the SDK's examples use clueai-base)."""
    corpus_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Metadata of the uploaded texts, by text; merged into the hits."""

    # -- searching ------------------------------------------------------------------------

    def _hits(self, result: SearchResult, k: int | None) -> list[EngineHit]:
        return [
            EngineHit(
                text=hit.text,
                score=hit.score,
                metadata={
                    **self.corpus_metadata.get(hit.text, {}),
                    "score": hit.score,
                    "engine_key": self.engine_key,
                    "query": result.query,
                    "is_best": hit.is_best,
                },
            )
            for hit in result.hits[: k or self.k]
        ]

    def search_hits(self, query: str, k: int | None = None) -> list[EngineHit]:
        return self._hits(self.client.search(self.engine_key, query, model=self.model), k)

    async def asearch_hits(self, query: str, k: int | None = None) -> list[EngineHit]:
        result = await self.client.asearch(self.engine_key, query, model=self.model)
        return self._hits(result, k)

    # -- building an engine -----------------------------------------------------------------

    @classmethod
    def _pending(cls, metadata: dict[str, dict[str, Any]], kwargs: dict[str, Any]) -> Self:
        return cls(engine_key=PENDING, corpus_metadata=metadata, **kwargs)

    def _upload(
        self, content: bytes, filename: str, field: str, probe: str, wait: tuple[bool, float, float]
    ) -> Self:
        sync, timeout, interval = wait
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
    def _file_args(
        cls, path: str | PathLike[str], field: str
    ) -> tuple[bytes, str, list[str], dict[str, dict[str, Any]]]:
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
