"""ClueAIRetriever: ClueAI's hosted search engine as a LlamaIndex retriever."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode

from cnllm.clueai.engine import ClueAIEngine, EngineHit

# The search's bookkeeping stays in the metadata but out of the prompt and of embeddings.
SEARCH_KEYS = ["score", "engine_key", "query", "is_best"]


def _node(hit: EngineHit) -> TextNode:
    return TextNode(
        text=hit.text,
        metadata=hit.metadata,
        excluded_llm_metadata_keys=SEARCH_KEYS,
        excluded_embed_metadata_keys=SEARCH_KEYS,
    )


class ClueAIRetriever(BaseRetriever):
    """Nodes from a ClueAI search engine (an ``engine_key``), most relevant first, scored.

    Example:
        .. code-block:: python

            from llama_index.core.query_engine import RetrieverQueryEngine
            from llamaindex_cnllm import ClueAI, ClueAIRetriever

            retriever = ClueAIRetriever.from_texts(["案例一…", "案例二…"], k=3)  # uploads
            RetrieverQueryEngine.from_args(retriever, llm=ClueAI()).query("法律案例")

    The engine settings (key, hosts, ``k``, the upload paths and polling) are those of
    ``cnllm.clueai.engine.ClueAIEngine``; keyword arguments go to it.
    """

    def __init__(self, engine: ClueAIEngine | None = None, **settings: Any) -> None:
        self.engine = engine if engine is not None else ClueAIEngine(**settings)
        super().__init__()

    @staticmethod
    def _nodes(hits: list[EngineHit]) -> list[NodeWithScore]:
        return [NodeWithScore(node=_node(hit), score=hit.score) for hit in hits]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._nodes(self.engine.search_hits(query_bundle.query_str))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._nodes(await self.engine.asearch_hits(query_bundle.query_str))

    @classmethod
    def from_texts(
        cls, texts: Sequence[str], metadatas: Sequence[dict[str, Any]] | None = None, **kwargs: Any
    ) -> ClueAIRetriever:
        """Upload ``texts`` as a new engine's corpus and return a retriever over it."""
        return cls(ClueAIEngine.from_texts(texts, metadatas, **kwargs))

    @classmethod
    async def afrom_texts(
        cls, texts: Sequence[str], metadatas: Sequence[dict[str, Any]] | None = None, **kwargs: Any
    ) -> ClueAIRetriever:
        return cls(await ClueAIEngine.afrom_texts(texts, metadatas, **kwargs))

    @classmethod
    def from_nodes(cls, nodes: Sequence[BaseNode], **kwargs: Any) -> ClueAIRetriever:
        """Upload the nodes' texts; their metadata comes back on the nodes found."""
        texts = [node.get_content() for node in nodes]
        return cls.from_texts(texts, [dict(node.metadata) for node in nodes], **kwargs)

    @classmethod
    def from_file(cls, path: str | PathLike[str], field: str, **kwargs: Any) -> ClueAIRetriever:
        """Upload a JSON Lines file (one object per line), indexing its ``field``."""
        return cls(ClueAIEngine.from_file(path, field, **kwargs))

    @classmethod
    async def afrom_file(
        cls, path: str | PathLike[str], field: str, **kwargs: Any
    ) -> ClueAIRetriever:
        return cls(await ClueAIEngine.afrom_file(path, field, **kwargs))
