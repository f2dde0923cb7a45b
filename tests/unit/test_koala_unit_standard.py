"""langchain-tests unit suites for the Koala classes (no network: sockets are disabled)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_cnllm import ChatKoala, KoalaEmbeddings

# Koala has no public host: the classes need the address of a server to be constructed.
SERVER = "http://10.1.2.3:9015/v1"


class TestChatKoalaUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatKoala]:
        return ChatKoala

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "Baichuan2-13B-Chat", "base_url": SERVER}

    @property
    def has_tool_calling(self) -> bool:
        return False  # FastChat has no tools: bind_tools raises, by design

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"KOALA_BASE_URL": SERVER, "KOALA_API_KEY": "env-koala-key"},
            {"model": "koala-mm"},
            {"base_url": SERVER, "koala_api_key": "env-koala-key", "model": "koala-mm"},
        )


class TestKoalaEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[KoalaEmbeddings]:
        return KoalaEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"base_url": SERVER}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"KOALA_BASE_URL": SERVER, "KOALA_API_KEY": "env-koala-key"},
            {},
            {
                "base_url": SERVER,
                "koala_api_key": "env-koala-key",
                "model": "text2vec-large-chinese",
            },
        )
