"""Which Qianfan API an object calls, and the v2 classes' standard unit suites (offline)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from cnllm import errors
from cnllm.qianfan import settings
from cnllm.qianfan.v2 import BearerKey, MintedBearer
from langchain_cnllm import ChatQianfan, QianfanEmbeddings, QianfanLLM

pytestmark = pytest.mark.filterwarnings("ignore:Qianfan v1")
V2_KEY = "bce-v3/ALTAK-unit/0123456789abcdef0123456789abcdef01234567"
ENV = (
    "QIANFAN_API_KEY",
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_ACCESS_TOKEN",
    "QIANFAN_BASE_URL",
    "QIANFAN_V2_BASE_URL",
    "QIANFAN_IAM_BASE_URL",
    "QIANFAN_APPID",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "passed", "api"),
    [
        ({}, {}, "v2"),
        ({"QIANFAN_API_KEY": V2_KEY}, {}, "v2"),
        ({"QIANFAN_ACCESS_KEY": "a", "QIANFAN_SECRET_KEY": "s"}, {}, "v2"),
        ({"QIANFAN_AK": "a", "QIANFAN_SK": "s"}, {}, "v1"),
        ({"QIANFAN_ACCESS_TOKEN": "24.x"}, {}, "v1"),
        ({"QIANFAN_API_KEY": V2_KEY, "QIANFAN_AK": "a", "QIANFAN_SK": "s"}, {}, "v2"),
        ({"QIANFAN_AK": "a", "QIANFAN_SK": "s"}, {"api_key": V2_KEY}, "v2"),
        ({"QIANFAN_API_KEY": V2_KEY}, {"api_key": "ak", "secret_key": "sk"}, "v1"),
        ({}, {"api_key": V2_KEY, "secret_key": "sk"}, "v2"),  # a bce-v3 key is never OAuth
        ({}, {"qianfan_access_key": "a", "qianfan_secret_key": "s"}, "v2"),
        ({}, {"qianfan_access_key": "a", "qianfan_secret_key": "s", "base_url": "http://h"}, "v1"),
        ({"QIANFAN_API_KEY": V2_KEY}, {"endpoint": "svc"}, "v1"),
        ({"QIANFAN_API_KEY": V2_KEY}, {"api_version": "v1"}, "v1"),
        ({"QIANFAN_AK": "a", "QIANFAN_SK": "s"}, {"api_version": "v2"}, "v2"),
    ],
)
def test_the_api_is_chosen_from_what_was_passed_then_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], passed: dict[str, Any], api: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for cls in (ChatQianfan, QianfanLLM, QianfanEmbeddings):
        made = cls(**passed)
        assert made.api == api and made.api_version == api
        assert f"api_version='{api}'" in repr(made)


def test_the_v1_warning_names_the_reason_and_comes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "_WARNED", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChatQianfan(endpoint="svc")
        ChatQianfan(api_version="v1")
    messages = [str(w.message) for w in caught if "2026-08-31" in str(w.message)]
    assert len(messages) == 1 and "endpoint=" in messages[0]
    monkeypatch.setattr(settings, "_WARNED", [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a v1 host of one's own (the emulator): no warning
        ChatQianfan(endpoint="svc", base_url="http://127.0.0.1:8000")


def test_the_v2_client_gets_the_right_auth_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIANFAN_APPID", "app-tODvu5IS")
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", "http://v2.invalid/v2")
    keyed = ChatQianfan(api_key=V2_KEY).v2_client
    assert isinstance(keyed.auth, BearerKey) and keyed.base_url == "http://v2.invalid/v2"
    minted = ChatQianfan(
        qianfan_access_key="a", qianfan_secret_key="s", iam_base_url="http://iam.invalid"
    ).v2_client.auth
    assert isinstance(minted, MintedBearer) and minted.appid == "app-tODvu5IS"
    assert minted.iam_base_url == "http://iam.invalid"
    with pytest.raises(errors.ConfigurationError, match="QIANFAN_API_KEY"):
        ChatQianfan().v2_client  # noqa: B018 - the property builds the client


def test_defaults_and_hosts() -> None:
    chat = ChatQianfan(api_key=V2_KEY)
    assert chat.v2_base_url == "https://qianfan.baidubce.com/v2"
    assert chat.iam_base_url == "https://iam.bj.baidubce.com"
    assert chat.base_url == "https://aip.baidubce.com"  # QIANFAN_BASE_URL stays the v1 host
    assert chat._model_name() == "ernie-4.5-turbo-128k"
    assert QianfanEmbeddings(api_key=V2_KEY)._v2_model() == "embedding-v1"


class TestChatQianfanV2Unit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ernie-4.5-turbo-128k", "api_key": V2_KEY}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"QIANFAN_API_KEY": V2_KEY, "QIANFAN_V2_BASE_URL": "http://127.0.0.1:1/v2"},
            {"model": "ernie-x1-turbo-32k"},
            {"qianfan_api_key": V2_KEY, "v2_base_url": "http://127.0.0.1:1/v2"},
        )


class TestQianfanV2EmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[QianfanEmbeddings]:
        return QianfanEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "embedding-v1", "api_key": V2_KEY}
