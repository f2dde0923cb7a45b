"""langchain-tests integration suites for ChatClueAI and ClueAIRetriever, against the emulator
(tests/standard/conftest.py points CLUEAI_* at it)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    RetrieversIntegrationTests,
)

from langchain_cnllm import ChatClueAI, ClueAIRetriever

from .profile_flags import ProfileFlags

TEXTS = [
    "故宫是明清两代的皇家宫殿，位于北京中轴线的中心。",
    "颐和园是清代的皇家园林，在北京西北郊。",
    "天坛是明清两代皇帝祭天的地方，在北京南部。",
    "长城是古代的军事防御工程，北京附近有八达岭长城。",
    "西湖在杭州，是著名的风景名胜区。",
]


class TestChatClueAI(ProfileFlags, ChatModelIntegrationTests):
    """ChatYuan-large: no native tools (structured output by prompt and parse), no streaming
    endpoint (one chunk), no token usage."""

    @property
    def chat_model_class(self) -> type[ChatClueAI]:
        return ChatClueAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ChatYuan-large"}

    @property
    def returns_usage_metadata(self) -> bool:
        return False

    @property
    def model_override_value(self) -> str:
        return "clueai-large"


class TestClueAIRetriever(RetrieversIntegrationTests):
    """Over an engine built from TEXTS for each test (the emulator forgets engines on reset)."""

    engine_key: ClassVar[str] = ""

    @pytest.fixture(autouse=True)
    def _engine(self) -> None:
        type(self).engine_key = ClueAIRetriever.from_texts(TEXTS).engine_key

    @property
    def retriever_constructor(self) -> type[ClueAIRetriever]:
        return ClueAIRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"engine_key": type(self).engine_key, "k": 3}

    @property
    def retriever_query_example(self) -> str:
        return "北京的皇家建筑"
