"""QianfanRerank and DashScopeRerank: the vendors' rerank models as LlamaIndex node postprocessors.

Each call emits ``ReRankStartEvent``/``ReRankEndEvent`` and the legacy ``RERANKING`` callback
event, sends ``node.get_content(metadata_mode=EMBED)`` to the service and sets each returned
node's score to the rerank score (the pattern of llama-index's Cohere and DashScope rerankers).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index_instrumentation import get_dispatcher  # what llama_index.core re-exports
from pydantic import ConfigDict

from cnllm.rerank.settings import DashScopeRerankSettings, QianfanRerankSettings, RerankFields
from cnllm.rerank.types import RerankResponse

dispatcher = get_dispatcher(__name__)


class _RerankPostprocessor(RerankFields, BaseNodePostprocessor):
    model_config = ConfigDict(
        populate_by_name=True, protected_namespaces=(), arbitrary_types_allowed=True
    )

    def _start(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> list[str]:
        top_n = self.top_n if self.top_n is not None else len(nodes)
        dispatcher.event(
            ReRankStartEvent(
                query=query_bundle, nodes=nodes, top_n=top_n, model_name=self._model_name()
            )
        )
        if query_bundle is None:
            raise ValueError("Missing query bundle: pass query_str or query_bundle.")
        return [node.node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]

    def _payload(self, nodes: list[NodeWithScore], query: QueryBundle) -> dict[str, Any]:
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self._model_name(),
            EventPayload.QUERY_STR: query.query_str,
            EventPayload.TOP_K: self.top_n,
        }

    def _finish(self, nodes: list[NodeWithScore], response: RerankResponse) -> list[NodeWithScore]:
        ranked = [
            NodeWithScore(node=nodes[result.index].node, score=result.relevance_score)
            for result in response.results
        ]
        return ranked

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        texts = self._start(nodes, query_bundle)
        assert query_bundle is not None  # _start raised otherwise
        ranked: list[NodeWithScore] = []
        if nodes:
            with self.callback_manager.event(
                CBEventType.RERANKING, payload=self._payload(nodes, query_bundle)
            ) as event:
                response = self.rerank_texts(query_bundle.query_str, texts, self.top_n)
                ranked = self._finish(nodes, response)
                event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        texts = self._start(nodes, query_bundle)
        assert query_bundle is not None
        ranked: list[NodeWithScore] = []
        if nodes:
            with self.callback_manager.event(
                CBEventType.RERANKING, payload=self._payload(nodes, query_bundle)
            ) as event:
                response = await self.arerank_texts(query_bundle.query_str, texts, self.top_n)
                ranked = self._finish(nodes, response)
                event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked


class QianfanRerank(QianfanRerankSettings, _RerankPostprocessor):
    """Baidu Qianfan v2 rerank (``bce-reranker-base``) as a node postprocessor.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import QianfanRerank

            engine = index.as_query_engine(
                similarity_top_k=8, node_postprocessors=[QianfanRerank(top_n=3)]
            )
    """

    @classmethod
    def class_name(cls) -> str:
        return "QianfanRerank"


class DashScopeRerank(DashScopeRerankSettings, _RerankPostprocessor):
    """Alibaba DashScope rerank (``qwen3-rerank`` by default) as a node postprocessor.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import DashScopeRerank

            engine = index.as_query_engine(
                similarity_top_k=8, node_postprocessors=[DashScopeRerank(top_n=3)]
            )
    """

    @classmethod
    def class_name(cls) -> str:
        return "DashScopeRerank"


__all__ = ["DashScopeRerank", "QianfanRerank"]
