"""langchain-tests integration suites for the 2026 DashScope models, against the emulator:
a Qwen 3.5+ model with image inputs (multimodal-generation), a default-thinking model, and
the same Qwen model in compatible mode.

DASHSCOPE_API_KEY and DASHSCOPE_HTTP_BASE_URL come from tests/standard/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_cnllm import ChatDashScope
from tests.standard.test_koala_standard import offline_suite_image

from .profile_flags import ProfileFlags

__all__ = ["offline_suite_image"]  # the fixture, used below by name


class TestChatDashScopeQwen36Plus(ProfileFlags, ChatModelIntegrationTests):
    """qwen3.6-plus: multimodal-generation, images by URL or base64, tools, JSON mode; it
    thinks by default, switched off for forced tools and JSON mode."""

    @pytest.fixture(autouse=True)
    def _image(self, offline_suite_image: None) -> Iterator[None]:
        yield

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3.6-plus"}

    @property
    def model_override_value(self) -> str:
        return "qwen3.7-plus"


class TestChatDashScopeThinking(ProfileFlags, ChatModelIntegrationTests):
    """qwen3.8-max with thinking on: reasoning streamed before the answer; tools and JSON
    schema output (its profile has json_schema)."""

    @pytest.fixture(autouse=True)
    def _image(self, offline_suite_image: None) -> Iterator[None]:
        yield

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3.8-max", "thinking_budget": 64}

    @property
    def model_override_value(self) -> str:
        return "qwen3.8-flash"


class TestChatDashScopeCompatibleMode(ProfileFlags, ChatModelIntegrationTests):
    """qwen3.6-plus through ``/compatible-mode/v1``: the same classes, the same results."""

    @pytest.fixture(autouse=True)
    def _image(self, offline_suite_image: None) -> Iterator[None]:
        yield

    @property
    def chat_model_class(self) -> type[ChatDashScope]:
        return ChatDashScope

    @property
    def chat_model_params(self) -> dict[str, Any]:
        base = os.environ["DASHSCOPE_HTTP_BASE_URL"].removesuffix("/api/v1")
        return {"model": "qwen3.6-plus", "base_url": f"{base}/compatible-mode/v1"}

    @property
    def model_override_value(self) -> str:
        return "qwen3.8-max"
