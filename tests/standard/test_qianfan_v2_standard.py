"""langchain-tests integration suites for the Qianfan v2 classes, against the emulator: an
ERNIE model with native tools and JSON schema, a reasoning model, a vision model and v2
embeddings. Capability flags come from the v2 model table (ProfileFlags)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from cnllm import errors
from langchain_cnllm import ChatQianfan, QianfanEmbeddings

from .profile_flags import ProfileFlags
from .test_koala_standard import offline_suite_image  # noqa: F401 - a fixture, used by name

NO_STOP = "ERNIE X1 Turbo takes no stop (reference §3.1): refused before anything is sent"
V2_KEY = "bce-v3/ALTAK-standard/0123456789abcdef0123456789abcdef01234567"


def v2_settings() -> dict[str, Any]:
    """A v2 key and the emulator's v2 root (the suite's env also holds v1 keys: the key that
    is passed decides)."""
    return {"api_key": V2_KEY, "v2_base_url": f"{os.environ['QIANFAN_BASE_URL']}/v2"}


class TestChatQianfanV2Ernie(ProfileFlags, ChatModelIntegrationTests):
    """ernie-4.5-turbo-128k on v2: native tools with tool_choice, JSON mode and json_schema."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ernie-4.5-turbo-128k", "temperature": 0, **v2_settings()}

    @property
    def model_override_value(self) -> str:
        return "ernie-4.5-turbo-32k"


class TestChatQianfanV2Reasoning(ProfileFlags, ChatModelIntegrationTests):
    """ernie-x1-turbo-32k: thinking always on, streamed before the answer, native tools; no
    response_format (X1 Turbo takes none), so structured output goes through tools."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ernie-x1-turbo-32k", **v2_settings()}

    @property
    def model_override_value(self) -> str:
        return "ernie-x1-32k"

    @pytest.mark.xfail(reason=NO_STOP, raises=errors.ValidationError, strict=True)
    def test_stop_sequence(self, model: BaseChatModel) -> None:
        super().test_stop_sequence(model)


class TestChatQianfanV2Hybrid(ProfileFlags, ChatModelIntegrationTests):
    """deepseek-v3.2: thinking switched by ``thinking: {type}``; off unless asked for."""

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "deepseek-v3.2", **v2_settings()}

    @property
    def model_override_value(self) -> str:
        return "deepseek-v3.1-250821"


class TestChatQianfanV2Vision(ProfileFlags, ChatModelIntegrationTests):
    """ernie-4.5-turbo-vl-32k: images from LangChain's standard blocks."""

    @pytest.fixture(autouse=True)
    def _image(self, offline_suite_image: None) -> Iterator[None]:  # noqa: F811
        yield

    @property
    def chat_model_class(self) -> type[ChatQianfan]:
        return ChatQianfan

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "ernie-4.5-turbo-vl-32k", **v2_settings()}

    @property
    def model_override_value(self) -> str:
        return "ernie-4.5-turbo-vl-preview"


class TestQianfanV2Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[QianfanEmbeddings]:
        return QianfanEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "bge-large-zh", **v2_settings()}
