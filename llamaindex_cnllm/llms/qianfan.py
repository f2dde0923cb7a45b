"""Qianfan: Baidu Qianfan v1 chat models for LlamaIndex."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import QianfanSettings, endpoint_without_default_model
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, ModelProfile
from llamaindex_cnllm.llms.base import CnLLM

# LlamaIndex wants tokens: the model table gives them (ModelInfo.context_window). User-deployed
# services document nothing, so they get this.
DEFAULT_CONTEXT_WINDOW = 4096


class Qianfan(QianfanSettings, CnLLM):
    """Baidu Qianfan (wenxinworkshop v1) for LlamaIndex; ERNIE models call tools natively.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from llamaindex_cnllm import Qianfan

            Settings.llm = Qianfan(model="ERNIE-3.5-8K")
    """

    model: str | None = Field(
        default=models.DEFAULT_CHAT_MODEL,
        description="Qianfan model name (case-insensitive); None with endpoint= unless given.",
    )
    top_p: float | None = None
    top_k: int | None = None
    penalty_score: float | None = None
    user_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _endpoint_model(cls, data: Any) -> Any:
        return endpoint_without_default_model(data)

    @model_validator(mode="after")
    def _check(self) -> Self:
        protocol.validate_params(
            GenerationParams(
                temperature=self.temperature,
                top_p=self.top_p,
                top_k=self.top_k,
                penalty_score=self.penalty_score,
                max_tokens=self.max_tokens,
            )
        )
        self._info()
        return self

    @classmethod
    def class_name(cls) -> str:
        return "Qianfan"

    def _info(self) -> ModelInfo:
        return models.resolve("chat", self.model, self.endpoint)

    def _model_name(self) -> str:
        return self._info().name

    def _model_profile(self) -> ModelProfile:
        return self._info().profile

    def _context_window(self) -> int:
        return self._model_profile().context_window or DEFAULT_CONTEXT_WINDOW

    def _sampling(self) -> dict[str, Any]:
        return {
            "top_p": self.top_p,
            "top_k": self.top_k,
            "penalty_score": self.penalty_score,
            "user_id": self.user_id,
        }

    def _call(self, request: ChatRequest) -> ChatResult:
        return self.client.chat(self._info(), request)

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return await self.client.achat(self._info(), request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._info(), request)

    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._info(), request)
