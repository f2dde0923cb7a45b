"""DashScope: Alibaba DashScope chat models for LlamaIndex (Qwen call tools natively; Qwen
3.5+, VL, QVQ and Omni take Image/Audio/VideoBlocks and think)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.dashscope import models, thinking
from cnllm.dashscope.models import ModelInfo
from cnllm.dashscope.settings import DashScopeSettings
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, ModelProfile
from llamaindex_cnllm.llms.base import CnLLM

DEFAULT_CONTEXT_WINDOW = 8192


class DashScope(DashScopeSettings, CnLLM):
    """DashScope chat: chatyuan-large-v2 (a prompt-only model), qwen-*, and the 2026 models
    (qwen3.6-plus, qwen3.8-max, Qwen-VL, QVQ, Omni) on the service each is bound to, with
    image/audio/video blocks and thinking (``enable_thinking``/``thinking_budget`` validated
    per model). ``base_url`` ending in ``/compatible-mode/v1`` speaks compatible mode.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import DashScope

            DashScope(model="qwen3.6-plus").complete("法律案例有哪些？")
    """

    model: str | None = Field(default=None, description="DashScope model name.")
    top_p: float | None = None
    top_k: int | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        info = self._info()
        params = GenerationParams(
            enable_thinking=self.enable_thinking, thinking_budget=self.thinking_budget
        )
        thinking.validate(info.name, ChatRequest((), params))
        return self

    @classmethod
    def class_name(cls) -> str:
        return "DashScope"

    def _info(self) -> ModelInfo:
        return models.resolve("chat", self.model)

    def _model_name(self) -> str:
        return self._info().name

    def _model_profile(self) -> ModelProfile:
        return self._info().profile

    def _context_window(self) -> int:
        return self._model_profile().context_window or DEFAULT_CONTEXT_WINDOW

    def _sampling(self) -> dict[str, Any]:
        return {"top_p": self.top_p, "top_k": self.top_k}

    def _call(self, request: ChatRequest) -> ChatResult:
        return self.client.chat(self._info(), request)

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return await self.client.achat(self._info(), request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._info(), request)

    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._info(), request)
