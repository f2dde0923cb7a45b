"""langchain-tests integration suites for the Koala classes, against the emulator.

tests/standard/conftest.py points KOALA_BASE_URL at the emulator's /v1.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from langchain_cnllm import ChatKoala, KoalaEmbeddings

from .profile_flags import ProfileFlags

# test_image_inputs downloads this picture first; offline, the suite gets a local one instead.
SUITE_IMAGE = (
    "https://raw.githubusercontent.com/langchain-ai/docs/4d11d08b6b0e210bd456943f7a22febbd168b543"
    "/src/images/agentic-rag-output.png"
)
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
NO_STREAM_USAGE = "FastChat (Koala) never reports token usage in a stream; invoke does"


class TestChatKoalaText(ProfileFlags, ChatModelIntegrationTests):
    """Baichuan2-13B-Chat: text only, no tools, no JSON mode (its profile); structured
    output by prompt."""

    @property
    def chat_model_class(self) -> type[ChatKoala]:
        return ChatKoala

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "Baichuan2-13B-Chat"}

    @property
    def model_override_value(self) -> str:
        return "vicuna-13b-v1.5"

    @pytest.mark.xfail(reason=NO_STREAM_USAGE, strict=True)
    def test_usage_metadata_streaming(self, model: BaseChatModel) -> None:
        super().test_usage_metadata_streaming(model)


@pytest.fixture
def offline_suite_image(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the suite's picture from here: these tests may only reach loopback."""
    download = httpx.get

    def get(url: str, *args: Any, **kwargs: Any) -> httpx.Response:
        if url == SUITE_IMAGE:
            return httpx.Response(200, content=ONE_PIXEL_PNG, request=httpx.Request("GET", url))
        return download(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", get)


class TestChatKoalaMultimodal(ProfileFlags, ChatModelIntegrationTests):
    """koala-mm: images as URLs or base64 (sent in the ``images`` field); usage not reported."""

    @pytest.fixture(autouse=True)
    def _image(self, offline_suite_image: None) -> Iterator[None]:
        yield

    @property
    def chat_model_class(self) -> type[ChatKoala]:
        return ChatKoala

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "koala-mm"}

    @property
    def returns_usage_metadata(self) -> bool:
        return False  # koala-mm answers with usage all zeros: "not reported"

    @property
    def model_override_value(self) -> str:
        return "Baichuan2-13B-Chat"


class TestChatKoalaReasoning(ProfileFlags, ChatModelIntegrationTests):
    """deepseek-r1 served by vLLM behind Koala: thinking always on, streamed before the
    answer; structured output by prompt (no tools, no JSON mode on Koala)."""

    streams_usage_details = False  # FastChat streams carry no usage

    @property
    def chat_model_class(self) -> type[ChatKoala]:
        return ChatKoala

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "deepseek-r1"}

    @property
    def model_override_value(self) -> str:
        return "qwen3-8b"

    @pytest.mark.xfail(reason=NO_STREAM_USAGE, strict=True)
    def test_usage_metadata_streaming(self, model: BaseChatModel) -> None:
        super().test_usage_metadata_streaming(model)


class TestKoalaEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[KoalaEmbeddings]:
        return KoalaEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text2vec-large-chinese"}
