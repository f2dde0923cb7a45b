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
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams
from llamaindex_cnllm.llms.base import CnLLM

DEFAULT_CONTEXT_WINDOW = 8192


class DashScope(DashScopeSettings, CnLLM):
    """DashScope text generation: chatyuan-large-v2 (a prompt-only model) or qwen-*.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import DashScope

            DashScope(model="qwen-turbo").complete("法律案例有哪些？")
    """

    model: str | None = Field(default=None, description="DashScope model name.")
    top_p: float | None = None
    top_k: int | None = None
    enable_thinking: bool | None = Field(
        default=None, description="Thinking switch of hybrid models (None: model default)."
    )
    thinking_budget: int | None = Field(default=None, description="Most reasoning tokens.")

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

    def _context_window(self) -> int:
        return self._info().max_input_tokens or DEFAULT_CONTEXT_WINDOW

    def _supports_tools(self) -> bool:
        return self._info().tools

    def _sampling(self) -> dict[str, Any]:
        return {
            "top_p": self.top_p,
            "top_k": self.top_k,
            "enable_thinking": self.enable_thinking,
            "thinking_budget": self.thinking_budget,
        }

    def _call(self, request: ChatRequest) -> ChatResult:
        return self.client.chat(self._info(), request)

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return await self.client.achat(self._info(), request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._info(), request)

    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._info(), request)
