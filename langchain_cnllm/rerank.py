"""QianfanRerank and DashScopeRerank: the vendors' rerank models as LangChain document compressors.

Use one in ``ContextualCompressionRetriever`` (``langchain_classic.retrievers`` in LangChain
1.x) or as a step of an LCEL chain. The answer's documents are new ``Document`` objects, best
first, with the input metadata copied and the score in ``metadata["relevance_score"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict

from cnllm.rerank.settings import DashScopeRerankSettings, QianfanRerankSettings, RerankFields
from cnllm.rerank.types import RerankResponse, RerankResult
from langchain_cnllm.errors import langchain_errors

_FIELD = -1  # top_n argument meaning "use the top_n field" (langchain-cohere's convention)


def _texts(documents: Sequence[str | Document]) -> list[str]:
    return [doc.page_content if isinstance(doc, Document) else doc for doc in documents]


def _ranked(documents: Sequence[Document], response: RerankResponse) -> list[Document]:
    ranked = []
    for result in response.results:
        source = documents[result.index]
        metadata = {**deepcopy(source.metadata), "relevance_score": result.relevance_score}
        ranked.append(Document(page_content=source.page_content, metadata=metadata, id=source.id))
    return ranked


class _RerankCompressor(RerankFields, BaseDocumentCompressor):
    """compress_documents / acompress_documents over the vendor's rerank call."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    def _top_n(self, top_n: int | None) -> int | None:
        return self.top_n if top_n == _FIELD else top_n

    def rerank(
        self, documents: Sequence[str | Document], query: str, *, top_n: int | None = _FIELD
    ) -> list[RerankResult]:
        """Rank texts or documents; ``top_n`` -1 uses the field, None keeps all."""
        with langchain_errors():
            response = self.rerank_texts(query, _texts(documents), self._top_n(top_n))
        return list(response.results)

    async def arerank(
        self, documents: Sequence[str | Document], query: str, *, top_n: int | None = _FIELD
    ) -> list[RerankResult]:
        with langchain_errors():
            response = await self.arerank_texts(query, _texts(documents), self._top_n(top_n))
        return list(response.results)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        if not documents:
            return []
        with langchain_errors():
            response = self.rerank_texts(query, _texts(documents), self.top_n)
        return _ranked(documents, response)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        if not documents:
            return []
        with langchain_errors():
            response = await self.arerank_texts(query, _texts(documents), self.top_n)
        return _ranked(documents, response)


class QianfanRerank(QianfanRerankSettings, _RerankCompressor):
    """Baidu Qianfan v2 rerank (``bce-reranker-base``) as a document compressor.

    Example:
        .. code-block:: python

            from langchain_cnllm import QianfanRerank

            reranker = QianfanRerank(top_n=3)  # QIANFAN_API_KEY, a bce-v3/... key
            reranker.compress_documents(docs, "故宫是什么时候建成的？")

    More than 64 documents, or documents longer than the model takes whole, are sent as
    several requests (``max_concurrency`` at a time) and merged by score; nothing is cut off.
    """


class DashScopeRerank(DashScopeRerankSettings, _RerankCompressor):
    """Alibaba DashScope rerank (``qwen3-rerank`` by default, ``gte-rerank-v2``…) as a
    document compressor.

    Example:
        .. code-block:: python

            from langchain_cnllm import DashScopeRerank

            reranker = DashScopeRerank(model="qwen3-rerank", top_n=3)  # DASHSCOPE_API_KEY
            reranker.compress_documents(docs, "劳动争议应该怎么解决？")

    ``instruction`` is sent as ``instruct`` (qwen3 rerankers only). qwen3-rerank goes to
    ``/compatible-api/v1/reranks``, the others to the native text-rerank service;
    ``compatible=True/False`` chooses.
    """


__all__ = ["DashScopeRerank", "QianfanRerank"]
