"""QianfanLLM: Qianfan completion endpoints (e.g. cerebras-gpt-6.7b deployed by you)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import endpoint_without_default_model
from cnllm.types import ChatDelta, ChatResult, CompletionRequest
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.llms.base import CnLLM


class QianfanLLM(QianfanSettings, CnLLM):
    """Qianfan ``/completions/{endpoint}`` (a prompt in, text out).

    Example:
        .. code-block:: python

            from langchain_cnllm import QianfanLLM

            QianfanLLM(endpoint="my_cerebras_api").invoke("introduce the city beijing")

    Without ``endpoint``, ``model`` names a table model; a chat model is then called as a
    one-turn chat, as the Qianfan SDK does. Usage is in ``generation_info["usage_metadata"]``
    and ``llm_output["token_usage"]``.
    """

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    """Qianfan model name (default ``cnllm.qianfan.models.DEFAULT_CHAT_MODEL``); None with
    ``endpoint=`` unless given."""
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
        protocol.validate_params(self._params(None, {}))
        self._info()
        return self

    @property
    def _provider(self) -> str:
        return "qianfan"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "endpoint": self.endpoint, "temperature": self.temperature}

    def _info(self) -> ModelInfo:
        return models.resolve("completions", self.model, self.endpoint)

    def _model_name(self) -> str:
        return self._info().name

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = ("top_p", "top_k", "penalty_score", "user_id")
        return {name: kwargs.pop(name, getattr(self, name)) for name in names}

    def _complete(self, request: CompletionRequest) -> ChatResult:
        return self.client.complete(self._info(), request)

    async def _acomplete(self, request: CompletionRequest) -> ChatResult:
        return await self.client.acomplete(self._info(), request)

    def _complete_stream(self, request: CompletionRequest) -> Iterator[ChatDelta]:
        return self.client.stream_complete(self._info(), request)

    def _acomplete_stream(self, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_complete(self._info(), request)
