"""One LlamaIndex query engine, built by one factory, run with every provider."""

from __future__ import annotations

import pytest

from cnllm.demo import providers
from cnllm.demo.llamaindex_rag import build_query_engine
from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator

REPORTS_USAGE = {"qianfan": True, "koala": True, "dashscope": False, "clueai": False}


@pytest.mark.parametrize("name", sorted(providers.MODULES))
def test_the_same_query_engine_gives_the_same_shapes(name: str, emulator: Emulator) -> None:
    provider = providers.load(name)
    settings = provider.emulator_settings(emulator.base_url)
    retriever, llm = provider.build_llamaindex(settings, load_corpus(), None)
    response = build_query_engine(retriever, llm).query("故宫是什么时候建成的？")
    assert isinstance(response.response, str) and "1420" in response.response
    assert len(response.source_nodes) == providers.RETRIEVED
    assert response.source_nodes[0].metadata["title"] == "故宫"
    assert all(node.score is not None for node in response.source_nodes)
    raw = llm.complete("你好").raw
    assert ("usage" in raw) is REPORTS_USAGE[name]
    assert raw["model"]
