"""The cross-provider LlamaIndex query engine on the 2026 DashScope models, natively and in
compatible mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cnllm.dashscope import routes
from cnllm.demo import providers
from cnllm.demo.llamaindex_rag import build_query_engine
from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator

QUESTION = "故宫是什么时候建成的？"


@pytest.fixture(params=["qwen3.6-plus", "qwen3.8-max"])
def model(request: pytest.FixtureRequest) -> Iterator[str]:
    routes.forget()
    yield str(request.param)
    routes.forget()


@pytest.fixture(params=["/api/v1", "/compatible-mode/v1"])
def settings(request: pytest.FixtureRequest, emulator: Emulator) -> dict[str, Any]:
    return {"base_url": f"{emulator.base_url}{request.param}", "api_key": "demo-dashscope-key"}


def test_the_llamaindex_query_engine(model: str, settings: dict[str, Any]) -> None:
    provider = providers.load("dashscope")
    retriever, llm = provider.build_llamaindex(settings, load_corpus(), model)
    response = build_query_engine(retriever, llm).query(QUESTION)
    assert "1420" in str(response)
