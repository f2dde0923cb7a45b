"""langchain-tests integration suites for the Qianfan classes, against the emulator."""

from __future__ import annotations

from typing import Any

from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from langchain_cnllm import ChatQianfan, QianfanEmbeddings

from .profile_flags import ProfileFlags

NEAR_GREEDY = 0.01  # Qianfan rejects temperature 0; see tests/unit/test_langchain_unit_standard.py


class TestChatQianfanLlama(ProfileFlags, ChatModelIntegrationTests):
    """Qianfan-Chinese-Llama-2-13B: no native tools; structured output by prompt and parse."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "Qianfan-Chinese-Llama-2-13B", "temperature": NEAR_GREEDY}

    @property
    def model_override_value(self) -> str:
        return "Qianfan-Chinese-Llama-2-7B"


class TestChatQianfanErnie(ProfileFlags, ChatModelIntegrationTests):
    """ERNIE-3.5-8K: native function calling with tool_choice, JSON mode."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ERNIE-3.5-8K", "temperature": NEAR_GREEDY}

    @property
    def model_override_value(self) -> str:
        return "ERNIE-4.0-8K"


class TestQianfanEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[QianfanEmbeddings]:
        return QianfanEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "bge-large-zh"}
