"""QianfanRerank and DashScopeRerank as LlamaIndex postprocessors, against the emulator."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import Field

from cnllm import errors
from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator, Fault
from llamaindex_cnllm import DashScope, DashScopeEmbedding, DashScopeRerank, QianfanRerank

QUERY = "上海天气"
TEXTS = [
    "北京美食有烤鸭和炸酱面。",
    "上海气候温和湿润。",
    "上海天气预报：明天多云。",
    "广州早茶很有名。",
]


def qianfan(emulator: Emulator, **kwargs: Any) -> QianfanRerank:
    return QianfanRerank(api_key="bce-v3/ALTAK-x/y", base_url=f"{emulator.base_url}/v2", **kwargs)


def dashscope(emulator: Emulator, **kwargs: Any) -> DashScopeRerank:
    return DashScopeRerank(api_key="sk-li", base_url=f"{emulator.base_url}/api/v1", **kwargs)


FACTORIES = {"qianfan": qianfan, "dashscope": dashscope}


@pytest.fixture(params=sorted(FACTORIES))
def make(request: pytest.FixtureRequest, emulator: Emulator) -> Any:
    factory = FACTORIES[request.param]
    return lambda **kwargs: factory(emulator, **kwargs)


def _nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=text, metadata={"n": i}), score=0.5)
        for i, text in enumerate(TEXTS)
    ]


class _Collector(BaseEventHandler):
    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "_Collector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, (ReRankStartEvent, ReRankEndEvent)):
            self.events.append(event)


@pytest.fixture
def collected() -> Iterator[list[BaseEvent]]:
    handler = _Collector(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler.events
    root.event_handlers.remove(handler)


def _check(ranked: list[NodeWithScore], nodes: list[NodeWithScore], top_n: int) -> None:
    assert len(ranked) == top_n
    assert ranked[0].node is nodes[2].node  # the same node, now with the rerank score
    scores = [item.score for item in ranked]
    assert all(isinstance(s, float) for s in scores) and scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert ranked[0].score != 0.5 and nodes[2].score == 0.5  # inputs untouched


def test_postprocess_sync_sets_scores_and_emits_events(
    make: Any, collected: list[BaseEvent], emulator: Emulator
) -> None:
    nodes = _nodes()
    ranked = make(top_n=2).postprocess_nodes(nodes, query_str=QUERY)
    _check(ranked, nodes, 2)
    start, end = collected
    assert isinstance(start, ReRankStartEvent) and isinstance(end, ReRankEndEvent)
    assert start.top_n == 2 and start.model_name in ("bce-reranker-base", "qwen3-rerank")
    assert isinstance(start.query, QueryBundle) and start.query.query_str == QUERY
    assert [n.node.node_id for n in end.nodes] == [n.node.node_id for n in ranked]
    assert sum(emulator.stats.requests.values()) == 1


def test_postprocess_async(make: Any, collected: list[BaseEvent]) -> None:
    nodes = _nodes()
    ranked = asyncio.run(make(top_n=3).apostprocess_nodes(nodes, query_bundle=QueryBundle(QUERY)))
    _check(ranked, nodes, 3)
    assert [type(e) for e in collected] == [ReRankStartEvent, ReRankEndEvent]


def test_legacy_callback_event(make: Any) -> None:
    debug = LlamaDebugHandler()
    reranker = make(top_n=1, callback_manager=CallbackManager([debug]))
    reranker.postprocess_nodes(_nodes(), query_str=QUERY)
    pairs = debug.get_event_pairs(CBEventType.RERANKING)
    payload = pairs[0][1].payload if len(pairs) == 1 else None
    assert payload is not None and len(payload["nodes"]) == 1


def test_top_n_none_keeps_all_and_no_nodes_sends_nothing(make: Any, emulator: Emulator) -> None:
    assert len(make(top_n=None).postprocess_nodes(_nodes(), query_str=QUERY)) == 4
    emulator.reset()
    assert make().postprocess_nodes([], query_str=QUERY) == []
    assert asyncio.run(make().apostprocess_nodes([], query_str=QUERY)) == []
    assert emulator.stats.requests == {}


def test_missing_query_is_a_value_error(make: Any) -> None:
    with pytest.raises(ValueError, match="query"):
        make().postprocess_nodes(_nodes())


def test_split_above_the_limit_and_retry(emulator: Emulator) -> None:
    nodes = [
        NodeWithScore(node=TextNode(text=f"第{i}号：交通记录。"), score=0.1) for i in range(100)
    ]
    nodes[77] = NodeWithScore(node=TextNode(text="上海天气：有雨。"), score=0.1)
    emulator.inject(Fault("error_code", code=429, path_contains="/v2/rerank"))
    ranked = asyncio.run(qianfan(emulator, top_n=1).apostprocess_nodes(nodes, query_str=QUERY))
    assert ranked[0].node is nodes[77].node
    assert emulator.stats.requests == {"/v2/rerank": 3}  # 64 + 36, one retried


def test_retired_model_and_pickling(emulator: Emulator) -> None:
    with pytest.raises(errors.ValidationError, match="2026-05-30"):
        dashscope(emulator, model="gte-rerank").postprocess_nodes(_nodes(), query_str=QUERY)
    reranker = qianfan(emulator, top_n=2)
    reranker.postprocess_nodes(_nodes(), query_str=QUERY)  # makes the client
    copy = pickle.loads(pickle.dumps(reranker))
    assert copy.postprocess_nodes(_nodes(), query_str=QUERY)[0].node.get_content() == TEXTS[2]
    assert "ALTAK" not in repr(copy)


@pytest.mark.parametrize("factory", [qianfan, dashscope], ids=["qianfan", "dashscope"])
def test_query_engine_with_one_reranker_line(emulator: Emulator, factory: Any) -> None:
    keys = {"base_url": f"{emulator.base_url}/api/v1", "api_key": "li-key"}
    documents = [Document(text=d.page_content, metadata=d.metadata) for d in load_corpus()]
    index = VectorStoreIndex.from_documents(documents, embed_model=DashScopeEmbedding(**keys))
    engine = RetrieverQueryEngine.from_args(
        index.as_retriever(similarity_top_k=8),
        llm=DashScope(model="qwen-plus", **keys),
        node_postprocessors=[factory(emulator, top_n=3)],  # the one reranker line
    )
    for response in (
        engine.query("中国的国宝动物主要吃什么？"),
        asyncio.run(engine.aquery("中国的国宝动物主要吃什么？")),
    ):
        assert len(response.source_nodes) == 3
        assert response.source_nodes[0].node.metadata["title"] == "大熊猫"
        assert response.source_nodes[0].score is not None and response.source_nodes[0].score > 0.5
