"""QianfanLLM: a prompt in, text out — a v2 completion service (``/v2/completions``) by its API
name, a v2 chat model as one turn, or a v1 completion endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import chat_model_default
from cnllm.qianfan.v2 import models as v2_models
from cnllm.qianfan.v2 import protocol as v2_protocol
from cnllm.types import ChatDelta, ChatResult, CompletionRequest
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.llms.base import CnLLM


class QianfanLLM(QianfanSettings, CnLLM):
    """Qianfan completions.

    Example:
        .. code-block:: python

            from langchain_cnllm import QianfanLLM

            QianfanLLM(model="my-cerebras-service").invoke("introduce the city beijing")  # v2
            QianfanLLM(endpoint="my_cerebras_api").invoke("…")  # a v1 deployed endpoint

    On v2 an id the model table does not know is a deployed completion service
    (``/v2/completions``); a table chat model is called as a one-turn chat, as the Qianfan SDK
    does. Usage is in ``generation_info["usage_metadata"]`` and ``llm_output["token_usage"]``.
    """

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    """Qianfan model name (default ``cnllm.qianfan.models.DEFAULT_CHAT_MODEL``); None with
    ``endpoint=`` unless given."""
    top_p: float | None = None
    top_k: int | None = None
    """v1 only."""
    penalty_score: float | None = None
    user_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _endpoint_model(cls, data: Any) -> Any:
        return chat_model_default(data)

    @model_validator(mode="after")
    def _check(self) -> Self:
        params = self._params(None, {})
        if self.api == "v2":
            v2_protocol.validate_params(v2_models.resolve("completions", self.model), params)
        else:
            protocol.validate_params(params)
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

    def _v2_model(self) -> str:
        return v2_models.resolve("completions", self.model).id

    def _model_name(self) -> str:
        return self._v2_model() if self.api == "v2" else self._info().name

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = ("top_p", "top_k", "penalty_score", "user_id")
        return {name: kwargs.pop(name, getattr(self, name)) for name in names}

    def _complete(self, request: CompletionRequest) -> ChatResult:
        if self.api == "v2":
            return self.v2_client.complete(self._v2_model(), request)
        return self._tag(self.client.complete(self._info(), request), "v1")

    async def _acomplete(self, request: CompletionRequest) -> ChatResult:
        if self.api == "v2":
            return await self.v2_client.acomplete(self._v2_model(), request)
        return self._tag(await self.client.acomplete(self._info(), request), "v1")

    def _complete_stream(self, request: CompletionRequest) -> Iterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.stream_complete(self._v2_model(), request)
        return self.client.stream_complete(self._info(), request)

    def _acomplete_stream(self, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.astream_complete(self._v2_model(), request)
        return self.client.astream_complete(self._info(), request)


__all__ = ["QianfanLLM"]
