"""langchain-tests integration suites for the Qianfan v2 classes, against the emulator: an
ERNIE model with native tools and JSON, a reasoning model, and v2 embeddings."""

from __future__ import annotations

import os
from typing import Any

from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from langchain_cnllm import ChatQianfan, QianfanEmbeddings

V2_KEY = "bce-v3/ALTAK-standard/0123456789abcdef0123456789abcdef01234567"


def v2_settings() -> dict[str, Any]:
    """A v2 key and the emulator's v2 root (the suite's env also holds v1 keys: the explicit
    key decides)."""
    return {"api_key": V2_KEY, "v2_base_url": f"{os.environ['QIANFAN_BASE_URL']}/v2"}


class TestChatQianfanV2Ernie(ChatModelIntegrationTests):
    """ernie-4.5-turbo-128k on v2: native tools with tool_choice, JSON mode and json_schema."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ernie-4.5-turbo-128k", "temperature": 0, **v2_settings()}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def model_override_value(self) -> str:
        return "ernie-4.5-turbo-32k"


class TestChatQianfanV2Reasoning(ChatModelIntegrationTests):
    """deepseek-v3.2 with thinking on: reasoning streamed before the answer, tools kept."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "deepseek-v3.2", "enable_thinking": True, **v2_settings()}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "deepseek-v3.1-250821"


class TestQianfanV2Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[QianfanEmbeddings]:
        return QianfanEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "bge-large-zh", **v2_settings()}
