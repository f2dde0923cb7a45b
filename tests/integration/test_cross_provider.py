"""One LCEL chain, built by one factory, run with every provider: the same shapes come out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage

from cnllm.demo import providers
from cnllm.demo.rag import build_chain, load_corpus
from cnllm.emulator import Emulator

# Whether the provider's demo chat model reports token usage (the vendors' own behaviour:
# ChatYuan on DashScope and ClueAI report none, so None is the honest answer there).
REPORTS_USAGE = {"qianfan": True, "koala": True, "dashscope": False, "clueai": False}
# FastChat (Koala) sends no usage in streams; Qianfan sends it on the last chunk.
STREAM_USAGE = {"qianfan": True, "koala": False, "dashscope": False, "clueai": False}
QUESTION = "故宫是什么时候建成的？"


@pytest.fixture(params=sorted(providers.MODULES))
def provider_parts(
    request: pytest.FixtureRequest, emulator: Emulator
) -> Iterator[tuple[str, Any, Any]]:
    provider = providers.load(request.param)
    retriever, chat = provider.build(
        provider.emulator_settings(emulator.base_url), load_corpus(), None
    )
    yield request.param, retriever, chat


def test_the_same_chain_gives_the_same_shapes(provider_parts: tuple[str, Any, Any]) -> None:
    _, retriever, chat = provider_parts
    result = build_chain(retriever, chat).invoke({"question": QUESTION})
    assert set(result) == {"question", "docs", "answer"}
    assert len(result["docs"]) == providers.RETRIEVED
    assert all(isinstance(doc, Document) and doc.metadata["title"] for doc in result["docs"])
    assert result["docs"][0].metadata["title"] == "故宫"
    assert isinstance(result["answer"], str) and "1420" in result["answer"]


def test_messages_have_the_same_shape(provider_parts: tuple[str, Any, Any]) -> None:
    name, _, chat = provider_parts
    message = chat.invoke(QUESTION)
    assert isinstance(message, AIMessage) and message.text
    assert message.response_metadata["model_name"]
    assert message.response_metadata["model_provider"] == name
    if REPORTS_USAGE[name]:
        usage = message.usage_metadata
        assert usage and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    else:
        assert message.usage_metadata is None
    chunks = list(chat.stream(QUESTION))
    assert chunks[-1].chunk_position == "last"
    assert sum(1 for chunk in chunks if chunk.usage_metadata) == int(STREAM_USAGE[name])
