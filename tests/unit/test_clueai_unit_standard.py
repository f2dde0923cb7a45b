"""langchain-tests unit suite for ChatClueAI (no network: sockets are disabled here)."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_cnllm import ChatClueAI


class TestChatClueAIUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatClueAI]:
        return ChatClueAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ChatYuan-large"}

    @property
    def has_tool_calling(self) -> bool:
        return False  # ClueAI has no tool calling: bind_tools raises, by design

    @property
    def has_structured_output(self) -> bool:
        return True  # prompt and parse

    @property
    def returns_usage_metadata(self) -> bool:
        return False  # the service reports no token counts

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "CLUEAI_API_KEY": "env-key",
                "CLUEAI_BASE_URL": "http://127.0.0.1:1/clueai",
                "CLUEAI_MODELFUN_URL": "http://127.0.0.1:1/modelfun/api",
            },
            {},
            {
                "api_key": "env-key",
                "base_url": "http://127.0.0.1:1/clueai",
                "modelfun_url": "http://127.0.0.1:1/modelfun/api",
            },
        )
