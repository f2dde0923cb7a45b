"""langchain-tests unit suites (no network: sockets are disabled for tests/unit)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_cnllm import ChatQianfan, QianfanEmbeddings

# Qianfan rejects temperature 0 (range (0, 1]); the standard fixture's 0 is replaced by the
# nearest accepted value rather than silently changed inside the class.
NEAR_GREEDY = 0.01


class TestChatQianfanLlamaUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "Qianfan-Chinese-Llama-2-13B", "temperature": NEAR_GREEDY}

    @property
    def has_tool_calling(self) -> bool:
        return False  # no native functions on this model: bind_tools raises, by design

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "QIANFAN_AK": "env-ak",
                "QIANFAN_SK": "env-sk",
                "QIANFAN_BASE_URL": "http://127.0.0.1:1",
            },
            {"temperature": NEAR_GREEDY},
            {"qianfan_ak": "env-ak", "qianfan_sk": "env-sk", "base_url": "http://127.0.0.1:1"},
        )


class TestChatQianfanErnieUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ERNIE-3.5-8K", "temperature": NEAR_GREEDY}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"QIANFAN_ACCESS_KEY": "env-iam-ak", "QIANFAN_SECRET_KEY": "env-iam-sk"},
            {"model": "ERNIE-3.5-8K", "temperature": NEAR_GREEDY},
            {"qianfan_access_key": "env-iam-ak", "qianfan_secret_key": "env-iam-sk"},
        )


class TestQianfanEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[QianfanEmbeddings]:
        return QianfanEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "bge-large-zh"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"QIANFAN_AK": "env-ak", "QIANFAN_SK": "env-sk"},
            {},
            {"qianfan_ak": "env-ak", "qianfan_sk": "env-sk", "model": "Embedding-V1"},
        )
