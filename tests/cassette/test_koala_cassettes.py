"""The Koala seed document's own exchanges, replayed by vcrpy with the network blocked.

Written by ``python -m tests.cassette.make_koala_cassettes``; to re-record against a live Koala
server, set KOALA_BASE_URL (and KOALA_API_KEY if it checks keys) and VCR_RECORD_MODE=all, as
described in tests/cassette/README.md.
"""

from __future__ import annotations

import os

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_cnllm import ChatKoala, KoalaEmbeddings, KoalaLLM
from tests.cassette.conftest import CASSETTES

LIVE = os.environ.get("VCR_RECORD_MODE", "none") != "none"
SEED_HOST = "http://192.168.2.59:9015/v1"  # the seed's Python example
IMAGE = "http://www.osmagic.com/storage/files/1717389731978301442.jpg"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "koala")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The seed's host when replaying; the configured server when recording."""
    if LIVE:
        return {}
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    return {"base_url": SEED_HOST}


@pytest.mark.vcr("chat.yaml")
def test_chat(server: dict[str, str]) -> None:
    chat = ChatKoala(model="Baichuan2-13B-Chat", temperature=0, max_retries=0, **server)
    message = chat.invoke(
        [SystemMessage("你是笑话故事专家,请为用户讲笑话:"), HumanMessage("讲个鬼故事")]
    )
    assert message.content == "好的,讲一个鬼故事给你听。"
    assert message.usage_metadata == {"input_tokens": 16, "output_tokens": 399, "total_tokens": 415}
    assert message.response_metadata["request_id"] == "chatcmpl-UGUGb4wTubCSQFSC34wfzn"
    assert message.response_metadata["finish_reason"] == "stop"


@pytest.mark.vcr("chat.yaml")
async def test_chat_async(server: dict[str, str]) -> None:
    chat = ChatKoala(model="Baichuan2-13B-Chat", temperature=0, max_retries=0, **server)
    message = await chat.ainvoke(
        [SystemMessage("你是笑话故事专家,请为用户讲笑话:"), HumanMessage("讲个鬼故事")]
    )
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] == 415


@pytest.mark.vcr("image_chat.yaml")
def test_image_chat(server: dict[str, str]) -> None:
    chat = ChatKoala(model="koala-mm", temperature=0, max_tokens=512, max_retries=0, **server)
    content = [
        {"type": "text", "text": "图片里面有什么"},
        {"type": "image_url", "image_url": {"url": IMAGE}},
    ]
    message = chat.invoke([HumanMessage(content=content)])
    assert message.content.startswith("图片里面有一个山顶上的停车场")
    assert message.usage_metadata is None  # the seed's zeros: not reported


@pytest.mark.vcr("completion.yaml")
def test_completion(server: dict[str, str]) -> None:
    llm = KoalaLLM(model="Baichuan-13B-Chat", temperature=0.5, max_retries=0, **server)
    result = llm.generate(["今天老谋理想吃"])
    assert result.generations[0][0].text.startswith("火锅,于是他决定去一家火锅店。")
    assert result.llm_output["token_usage"] == {
        "input_tokens": 5,
        "output_tokens": 388,
        "total_tokens": 393,
    }


@pytest.mark.vcr("embeddings.yaml")
def test_embeddings(server: dict[str, str]) -> None:
    embeddings = KoalaEmbeddings(max_retries=0, **server)
    vector = embeddings.embed_query("The food was delicious and the waiter...")
    assert vector == [0.4897420406341553, -0.9981815218925476, 0.7993206977844238]


@pytest.mark.vcr("models.yaml")
def test_list_models(server: dict[str, str]) -> None:
    assert ChatKoala(max_retries=0, **server).list_models() == ["koala-mm"]


def test_no_secret_is_in_any_koala_cassette() -> None:
    for path in (CASSETTES / "koala").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "Bearer " not in text and "Authorization" not in text, path.name
