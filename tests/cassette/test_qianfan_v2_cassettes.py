"""The Qianfan v2 reference's own exchanges, replayed by vcrpy with the network blocked.

Written by ``python -m tests.cassette.make_qianfan_v2_cassettes``; re-record against the live
service with ``QIANFAN_API_KEY=bce-v3/… VCR_RECORD_MODE=all`` (tests/cassette/README.md; live
answers differ from these assertions, which are the reference's).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from cnllm import errors
from cnllm.qianfan.v2 import BearerKey, MintedBearer, QianfanV2Client
from cnllm.qianfan.v2.auth import clear_token_cache
from cnllm.types import ChatRequest, Message
from langchain_cnllm import ChatQianfan, QianfanEmbeddings
from tests.cassette.conftest import CASSETTES

LIVE = os.environ.get("VCR_RECORD_MODE", "none") != "none"
KEY = "bce-v3/ALTAK-cassette/0123456789abcdef0123456789abcdef01234567"
SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "qianfan_v2"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "qianfan_v2")


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A made-up v2 key when replaying (headers are not matched); the env's when recording."""
    for name in ("QIANFAN_V2_BASE_URL", "QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return {} if LIVE else {"api_key": KEY}


@pytest.mark.vcr("chat.yaml")
def test_the_chat_example(key: dict[str, str]) -> None:
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", max_retries=0, **key)
    message = chat.invoke([SystemMessage("You are a helpful assistant."), HumanMessage("你好")])
    assert message.content == "你好！很高兴和你交流。请问有什么我可以帮助你的吗？"
    assert message.usage_metadata == {"input_tokens": 11, "output_tokens": 15, "total_tokens": 26}
    assert message.response_metadata["request_id"] == "as-qsp8w7ppnv"
    assert message.response_metadata["flag"] == 0 and message.response_metadata["api"] == "v2"


@pytest.mark.vcr("chat.yaml")
async def test_the_chat_example_async(key: dict[str, str]) -> None:
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", max_retries=0, **key)
    message = await chat.ainvoke(
        [SystemMessage("You are a helpful assistant."), HumanMessage("你好")]
    )
    assert message.response_metadata["finish_reason"] == "stop"


@pytest.mark.vcr("tool_call.yaml")
def test_the_tool_call_example(key: dict[str, str]) -> None:
    tool = json.loads((SEEDS / "tool_round_trip_request.json").read_text("utf-8"))["tools"][0]
    chat = ChatQianfan(model="deepseek-v3.1-250821", max_retries=0, **key)
    message = chat.bind_tools([tool], tool_choice="auto").invoke("查一下上海和北京2025-8-21的天气")
    assert message.tool_calls == [
        {
            "name": "get_current_weather",
            "args": {"location": "上海市", "time": "2025-08-21"},
            "id": "04fed17840d34b1e99bf3cd6dc94150d",
            "type": "tool_call",
        }
    ]
    assert message.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.vcr("reasoning.yaml")
def test_the_captured_reasoning_answer(key: dict[str, str]) -> None:
    client = QianfanV2Client(BearerKey(KEY))
    result = client.chat("ernie-5.0-thinking-preview", ChatRequest((Message("user", "hi"),)))
    assert result.text == "Hello! How can I help you today?"
    assert result.reasoning.startswith('The user just said "hi."')
    assert result.usage.reasoning_tokens == 218


@pytest.mark.vcr("chat_stream.yaml")
def test_the_stream_example(key: dict[str, str]) -> None:
    chunks = list(ChatQianfan(model="ernie-4.5-turbo-128k", max_retries=0, **key).stream("你好"))
    assert "".join(str(chunk.content) for chunk in chunks) == "你好！"
    assert [c.usage_metadata for c in chunks if c.usage_metadata] == [
        {"input_tokens": 11, "output_tokens": 15, "total_tokens": 26}
    ]


@pytest.mark.vcr("error_429.yaml")
def test_the_rate_limit_example(key: dict[str, str]) -> None:
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", max_retries=0, **key)
    with pytest.raises(errors.RateLimitError) as caught:
        chat.invoke([SystemMessage("You are a helpful assistant."), HumanMessage("你好")])
    assert caught.value.request_id == "as-wbx23eriqh"
    assert caught.value.code == "rpm_rate_limit_exceeded"
    assert caught.value.body["rate_limit"] == {"remaining_requests": 0}


@pytest.mark.vcr("embeddings.yaml")
def test_the_embeddings_example(key: dict[str, str]) -> None:
    vector = QianfanEmbeddings(model="Embedding-V1", max_retries=0, **key).embed_query(
        "White T-shirt"
    )
    assert vector == [0.018314670771360397, 0.00942440889775753, -0.36294862627983093]


@pytest.mark.vcr("models.yaml")
def test_the_models_list_example(key: dict[str, str]) -> None:
    assert ChatQianfan(max_retries=0, **key).list_models() == [
        "ernie-3.5-8k-preview",
        "ernie-speed-128k",
        "ernie-4.0-8k",
        "internvl3-1b",
    ]


@pytest.mark.vcr("minted_token_chat.yaml")
def test_a_token_minted_from_iam_keys_then_the_chat() -> None:
    clear_token_cache()
    client = QianfanV2Client(MintedBearer("ak-test", "sk-test"), max_retries=0)
    request = ChatRequest(
        (Message("system", "You are a helpful assistant."), Message("user", "你好"))
    )
    result = client.chat("ernie-4.5-turbo-128k", request)
    assert result.request_id == "as-qsp8w7ppnv"
    clear_token_cache()


def test_no_secret_is_in_any_v2_cassette() -> None:
    for path in (CASSETTES / "qianfan_v2").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for marker in ("Bearer ", "Authorization", "authorization", "bce-auth-v1/", "ALTAK-cass"):
            assert marker not in text, f"{marker} in {path.name}"
