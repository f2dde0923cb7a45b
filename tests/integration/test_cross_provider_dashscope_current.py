"""The cross-provider chain and query engine on the 2026 DashScope models, natively and in
compatible mode: the same LCEL chain gives the same shapes as with every other provider
(the LlamaIndex query engine: tests/llamaindex/test_cross_provider_dashscope_current.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cnllm.dashscope import routes
from cnllm.demo import providers
from cnllm.demo.rag import build_chain, load_corpus
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


def test_the_rag_chain(model: str, settings: dict[str, Any]) -> None:
    provider = providers.load("dashscope")
    retriever, chat = provider.build(settings, load_corpus(), model)
    result = build_chain(retriever, chat).invoke({"question": QUESTION})
    assert result["docs"][0].metadata["title"] == "故宫"
    assert "1420" in result["answer"]
    message = chat.invoke(QUESTION)
    assert message.response_metadata["model_provider"] == "dashscope"
    usage = message.usage_metadata  # the 2026 models report usage, unlike ChatYuan
    assert usage and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    chunks = list(chat.stream(QUESTION))
    assert chunks[-1].chunk_position == "last"
