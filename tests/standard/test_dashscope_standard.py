"""langchain-tests integration suites for the DashScope classes, against the emulator.

DASHSCOPE_API_KEY and DASHSCOPE_HTTP_BASE_URL come from tests/standard/conftest.py.
"""

from __future__ import annotations

from typing import Any

from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from langchain_cnllm import ChatDashScope, DashScopeEmbeddings

from .profile_flags import ProfileFlags


class TestChatDashScopeChatYuan(ProfileFlags, ChatModelIntegrationTests):
    """chatyuan-large-v2: prompt-only, no usage reported, no native tools; structured output
    by prompt and parse."""

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "chatyuan-large-v2"}

    @property
    def returns_usage_metadata(self) -> bool:
        return False  # the service meters nothing for ChatYuan (seed 002)

    @property
    def model_override_value(self) -> str:
        return "qwen-plus"


class TestChatDashScopeQwen(ProfileFlags, ChatModelIntegrationTests):
    """qwen-plus: messages, usage, native tools (forced by name), JSON mode, hybrid thinking
    (off by default; the usage-detail tests switch it on)."""

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen-plus"}

    @property
    def model_override_value(self) -> str:
        return "qwen-max"


class TestChatDashScopeQwQ(ProfileFlags, ChatModelIntegrationTests):
    """qwq-32b: thinking always on and streaming only (so ``streaming=True``); tools offered,
    never forced; no JSON mode, so structured output by tool or prompt."""

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwq-32b", "streaming": True}

    @property
    def model_override_value(self) -> str:
        return "deepseek-r1"


class TestDashScopeEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[DashScopeEmbeddings]:
        return DashScopeEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-v2"}


class TestDashScopeEmbeddingsV4(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[DashScopeEmbeddings]:
        return DashScopeEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-v4", "dimension": 512}
