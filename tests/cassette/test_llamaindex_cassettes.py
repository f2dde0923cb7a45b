"""The seed documents' exchanges replayed through the LlamaIndex classes: the same wire
requests as the LangChain classes make, so the same cassettes match (network blocked)."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")

from llama_index.core.llms import ChatMessage

from llamaindex_cnllm import DashScope, Koala, KoalaEmbedding, Qianfan
from tests.cassette.conftest import CASSETTES
from tests.cassette.test_dashscope_cassettes import (
    SEED_ANSWER,
    SEED_QUESTION,
    SEED_REQUEST_ID,
)
from tests.cassette.test_koala_cassettes import SEED_HOST


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QIANFAN_BASE_URL", "DASHSCOPE_HTTP_BASE_URL", "KOALA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.vcr(str(CASSETTES / "qianfan" / "chat_single_turn.yaml"))
def test_qianfan_single_turn() -> None:
    llm = Qianfan(model="Qianfan-Chinese-Llama-2-13B", qianfan_access_token="cassette-token")
    response = llm.chat([ChatMessage(role="user", content="介绍下千帆")])
    assert response.message.content.startswith("千帆是百度旗下的企业级大模型生产平台")
    assert response.raw["usage"] == {
        "prompt_tokens": 7,
        "completion_tokens": 67,
        "total_tokens": 74,
    }
    assert response.raw["id"] == "as-bcmt5ct4iy"


@pytest.mark.vcr(str(CASSETTES / "qianfan" / "chat_stream.yaml"))
def test_qianfan_stream_usage_once() -> None:
    llm = Qianfan(model="Qianfan-Chinese-Llama-2-13B", qianfan_access_token="cassette-token")
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="给我推荐一些自驾游路线")]))
    assert len(chunks) == 9
    assert [chunk.raw.get("usage") for chunk in chunks[:-1]] == [None] * 8
    assert chunks[-1].raw["usage"]["completion_tokens"] == 401


@pytest.mark.vcr(str(CASSETTES / "koala" / "chat.yaml"))
def test_koala_chat() -> None:
    llm = Koala(model="Baichuan2-13B-Chat", temperature=0, base_url=SEED_HOST)
    messages = [
        ChatMessage(role="system", content="你是笑话故事专家,请为用户讲笑话:"),
        ChatMessage(role="user", content="讲个鬼故事"),
    ]
    response = llm.chat(messages)
    assert response.message.content == "好的,讲一个鬼故事给你听。"
    assert response.raw["usage"]["total_tokens"] == 415


@pytest.mark.vcr(str(CASSETTES / "koala" / "embeddings.yaml"))
def test_koala_embedding() -> None:
    embedding = KoalaEmbedding(base_url=SEED_HOST)
    vector = embedding.get_query_embedding("The food was delicious and the waiter...")
    assert vector == [0.4897420406341553, -0.9981815218925476, 0.7993206977844238]


@pytest.mark.vcr(str(CASSETTES / "dashscope" / "chatyuan_chat.yaml"))
def test_dashscope_chatyuan() -> None:
    llm = DashScope(model="chatyuan-large-v2", api_key="sk-cassette-placeholder")
    response = llm.chat([ChatMessage(role="user", content=SEED_QUESTION)])
    assert response.message.content == SEED_ANSWER
    assert "usage" not in response.raw and response.raw["id"] == SEED_REQUEST_ID
