"""No credential reaches a log line, a repr or an exception message."""

from __future__ import annotations

import logging

import pytest

from cnllm.emulator import Emulator, Fault
from cnllm.qianfan import auth
from langchain_cnllm import ChatQianfan, QianfanEmbeddings, QianfanLLM

AK, SK = "ak-SECRET-0123456789", "sk-SECRET-9876543210"
IAM_AK, IAM_SK = "iam-SECRET-ak-555555", "iam-SECRET-sk-666666"


def issued_tokens() -> list[str]:
    return [entry.token for entry in auth._TOKENS.values() if entry.token]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_oauth_secrets_stay_out_of_logs_reprs_and_errors(
    emulator: Emulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    chat = ChatQianfan(model="ERNIE-3.5-8K", base_url=emulator.base_url, api_key=AK, secret_key=SK)
    chat.invoke("你好")
    list(chat.stream("你好"))
    await chat.ainvoke("你好")
    QianfanEmbeddings(base_url=emulator.base_url, api_key=AK, secret_key=SK).embed_query("x")
    llm = QianfanLLM(
        endpoint="my_cerebras_api", base_url=emulator.base_url, api_key=AK, secret_key=SK
    )
    emulator.inject(Fault("error_code", code=336003, message="bad request access_token=leak"))
    with pytest.raises(Exception) as caught:
        llm.invoke("hi")
    secrets = [AK, SK, *issued_tokens()]
    assert len(secrets) == 3
    text = debug_logs.text
    assert "access_token=***" in text or "HTTP Request" in text  # the URLs were logged, redacted
    for secret in secrets:
        assert secret not in text
        assert secret not in repr(chat) and secret not in str(chat)
        assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert "leak" not in str(caught.value)


def test_iam_secrets_stay_out_of_logs(
    emulator: Emulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    chat = ChatQianfan(
        model="ERNIE-3.5-8K",
        base_url=emulator.base_url,
        qianfan_access_key=IAM_AK,
        qianfan_secret_key=IAM_SK,
    )
    chat.invoke("你好")
    for secret in (IAM_SK,):
        assert secret not in debug_logs.text
        assert secret not in repr(chat)
    assert IAM_AK not in repr(chat)
