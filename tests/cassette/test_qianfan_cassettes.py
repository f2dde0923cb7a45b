"""The seed documents' own exchanges, replayed by vcrpy with the network blocked.

Auth: a ready-made access token (filtered out of the cassettes). Re-record against the live
service with real keys: see tests/cassette/README.md.
"""

from __future__ import annotations

import os

import pytest
from langchain_core.exceptions import ModelAuthenticationError

from langchain_cnllm import ChatQianfan, QianfanLLM

LIVE = os.environ.get("VCR_RECORD_MODE", "none") != "none"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Placeholders when replaying; the real keys from the environment when recording."""
    monkeypatch.delenv("QIANFAN_BASE_URL", raising=False)
    if LIVE:
        return {}
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return {"qianfan_access_token": "cassette-token"}


def chat(credentials: dict[str, str]) -> ChatQianfan:
    return ChatQianfan(model="Qianfan-Chinese-Llama-2-13B", max_retries=0, **credentials)


@pytest.mark.vcr("chat_single_turn.yaml")
def test_single_turn(credentials: dict[str, str]) -> None:
    message = chat(credentials).invoke("介绍下千帆")
    assert message.content.startswith("千帆是百度旗下的企业级大模型生产平台")
    assert message.usage_metadata == {"input_tokens": 7, "output_tokens": 67, "total_tokens": 74}
    assert message.response_metadata["request_id"] == "as-bcmt5ct4iy"


@pytest.mark.vcr("chat_multi_turn.yaml")
async def test_multi_turn_async(credentials: dict[str, str]) -> None:
    from tests.cassette.seed_requests import multi_turn_messages

    message = await chat(credentials).ainvoke(multi_turn_messages())
    assert "上海气温" in message.content
    assert message.usage_metadata["total_tokens"] == 668


@pytest.mark.vcr("chat_stream.yaml")
def test_stream_2023_usage(credentials: dict[str, str]) -> None:
    chunks = list(chat(credentials).stream("给我推荐一些自驾游路线"))
    assert len(chunks) == 9
    text = "".join(str(chunk.content) for chunk in chunks)
    assert text.startswith("以下是一些适合自驾游的路线推荐") and text.endswith("人文景观。")
    usage = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert usage == [{"input_tokens": 11, "output_tokens": 401, "total_tokens": 412}]
    assert chunks[-1].chunk_position == "last"


@pytest.mark.vcr("chat_stream.yaml")
async def test_astream_2023_usage(credentials: dict[str, str]) -> None:
    chunks = [chunk async for chunk in chat(credentials).astream("给我推荐一些自驾游路线")]
    assert (
        sum(chunk.usage_metadata["output_tokens"] for chunk in chunks if chunk.usage_metadata)
        == 401
    )


@pytest.mark.vcr("chat_error_110.yaml")
def test_invalid_token_error(credentials: dict[str, str]) -> None:
    with pytest.raises(ModelAuthenticationError) as caught:
        chat(credentials).invoke("介绍下千帆")
    assert caught.value.code == 110  # a ready-made token cannot be renewed: surfaced as is


@pytest.mark.vcr("completion.yaml")
def test_completion_on_a_custom_endpoint(credentials: dict[str, str]) -> None:
    llm = QianfanLLM(endpoint="my_cerebras_api", **credentials)
    result = llm.generate(["introduce the city beijing"])
    assert result.generations[0][0].text.startswith("china.\nbeijing is the capital")
    assert result.llm_output["token_usage"] == {
        "input_tokens": 5,
        "output_tokens": 92,
        "total_tokens": 97,
    }


@pytest.mark.vcr("completion_stream.yaml")
def test_completion_stream(credentials: dict[str, str]) -> None:
    llm = QianfanLLM(endpoint="my_cerebras_api", **credentials)
    assert "".join(llm.stream("introduce the city beijing")).endswith("stunning scenery.")


def test_no_secret_is_in_any_cassette() -> None:
    from tests.cassette.conftest import CASSETTES

    for path in CASSETTES.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for marker in ("access_token=", "client_secret=", "bce-auth-v1/", "Bearer "):
            assert marker not in text, f"{marker} in {path.name}"
