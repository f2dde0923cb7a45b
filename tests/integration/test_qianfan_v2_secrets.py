"""No v2 API key and no minted bearer token reaches a log line, a repr or an exception."""

from __future__ import annotations

import logging
import pickle

import pytest

from cnllm.emulator import Emulator, Fault
from cnllm.qianfan.v2 import auth
from langchain_cnllm import ChatQianfan, QianfanEmbeddings, QianfanLLM

V2_KEY = "bce-v3/ALTAK-SECRETid/5ec12e75ec12e75ec12e75ec12e75ec12e75ec12"
IAM_AK, IAM_SK = "iam-SECRET-ak-777777", "iam-SECRET-sk-888888"


def minted_tokens() -> list[str]:
    return [entry.token for entry in auth._CACHE.values() if entry.token]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _assert_hidden(secrets: list[str], logs: str, *objects: object) -> None:
    for secret in secrets:
        assert secret not in logs
        for item in objects:
            assert secret not in repr(item) and secret not in str(item)


async def test_a_v2_key_stays_out_of_logs_reprs_and_errors(
    emulator: Emulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    settings = {"api_key": V2_KEY, "v2_base_url": f"{emulator.base_url}/v2"}
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", **settings)
    chat.invoke("你好")
    list(chat.stream("你好"))
    await chat.ainvoke("你好")
    embeddings = QianfanEmbeddings(**settings)
    embeddings.embed_query("x")
    llm = QianfanLLM(model="my-cerebras-service", **settings)
    emulator.inject(Fault("error_code", code=400, message=f"bad key {V2_KEY} in the header"))
    with pytest.raises(Exception) as caught:
        llm.invoke("hi")
    assert "bce-v3/***" in str(caught.value)
    _assert_hidden([V2_KEY], debug_logs.text, chat, embeddings, llm, caught.value)
    assert V2_KEY in pickle.dumps(chat).decode("latin-1")  # workers get it; reprs do not


def test_minted_tokens_and_iam_keys_stay_hidden(
    emulator: Emulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    settings = {
        "qianfan_access_key": IAM_AK,
        "qianfan_secret_key": IAM_SK,
        "v2_base_url": f"{emulator.base_url}/v2",
        "iam_base_url": emulator.base_url,
    }
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", **settings)
    chat.invoke("你好")
    (token,) = minted_tokens()
    emulator.inject(Fault("error_code", code=500, message=f"echo {token}", times=3))
    with pytest.raises(Exception) as caught:
        chat.invoke("你好")
    _assert_hidden([token, IAM_SK, IAM_AK], debug_logs.text, chat, chat.v2_client, caught.value)
    assert IAM_SK not in repr(chat.v2_client.auth)
