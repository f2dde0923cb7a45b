"""Koala: a Koala 悠然 (FastChat) server's chat models for LlamaIndex."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field

from cnllm.koala import models
from cnllm.koala.settings import KoalaSettings
from cnllm.types import ChatDelta, ChatRequest, ChatResult, ModelProfile
from llamaindex_cnllm.llms.base import CnLLM

# FastChat serves models of several sizes and reports no context length we can rely on.
DEFAULT_CONTEXT_WINDOW = 4096


class Koala(KoalaSettings, CnLLM):
    """A Koala server (``KOALA_BASE_URL``); koala-mm also takes images. No native tools:
    LlamaIndex then uses prompt-based programs for structured output.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import Koala

            Koala(model="Baichuan2-13B-Chat", base_url="http://10.1.2.3:9015/v1").complete("你好")
    """

    model: str | None = Field(
        default=models.DEFAULT_CHAT_MODEL, description="A model the server lists."
    )
    context_window: int | None = Field(
        default=None, description="Tokens the model takes (default: the model table's, else 4096)."
    )
    top_p: float | None = None

    @classmethod
    def class_name(cls) -> str:
        return "Koala"

    def _model(self) -> str:
        return self.model or models.DEFAULT_CHAT_MODEL

    def _model_name(self) -> str:
        return self._model()

    def _model_profile(self) -> ModelProfile:
        return models.profile(self._model())

    def _context_window(self) -> int:
        return self.context_window or self._model_profile().context_window or DEFAULT_CONTEXT_WINDOW

    def _sampling(self) -> dict[str, Any]:
        return {"top_p": self.top_p}

    def _call(self, request: ChatRequest) -> ChatResult:
        return self.client.chat(self._model(), request)

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return await self.client.achat(self._model(), request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._model(), request)

    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._model(), request)
