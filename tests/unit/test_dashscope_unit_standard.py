"""langchain-tests unit suites for the DashScope classes (no network: sockets are disabled)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_cnllm import ChatDashScope, DashScopeEmbeddings

ENV = {
    "DASHSCOPE_API_KEY": "env-dashscope-key",
    "DASHSCOPE_HTTP_BASE_URL": "http://127.0.0.1:1/api/v1",
}


class TestChatDashScopeChatYuanUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "chatyuan-large-v2"}

    @property
    def has_tool_calling(self) -> bool:
        return False  # prompt-only model: bind_tools raises, by design

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            ENV,
            {"model": "chatyuan-large-v2"},
            {"dashscope_api_key": "env-dashscope-key", "base_url": ENV["DASHSCOPE_HTTP_BASE_URL"]},
        )


class TestChatDashScopeQwenUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen-plus"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {**ENV, "DASHSCOPE_WORKSPACE_ID": "ws_env"},
            {"model": "qwen-plus"},
            {"dashscope_api_key": "env-dashscope-key", "workspace": "ws_env"},
        )


class TestDashScopeEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[DashScopeEmbeddings]:
        return DashScopeEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-v2"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (ENV, {}, {"dashscope_api_key": "env-dashscope-key", "model": "text-embedding-v2"})
