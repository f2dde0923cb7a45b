"""ChatQianfan: Baidu Qianfan v1 chat models for LangChain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import endpoint_without_default_model
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, Message, ModelProfile
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.chat_models.base import CnChatModel


class ChatQianfan(QianfanSettings, CnChatModel):
    """Baidu Qianfan (wenxinworkshop v1) chat models, with no vendor SDK.

    Setup: ``QIANFAN_AK``/``QIANFAN_SK`` (OAuth) or ``QIANFAN_ACCESS_KEY``/``QIANFAN_SECRET_KEY``
    (IAM signing); ``QIANFAN_BASE_URL`` overrides the host.

    Example:
        .. code-block:: python

            from langchain_cnllm import ChatQianfan

            chat = ChatQianfan(model="Qianfan-Chinese-Llama-2-13B", temperature=0.8)
            chat.invoke("你好")
            ChatQianfan(endpoint="ngxxxol8_test1")  # a chat service you deployed

    ``system`` messages go to Qianfan's ``system`` field for ERNIE models and lead the first
    question for open models (they have no such field). Consecutive turns of one role are
    merged, since Qianfan only accepts strict user/assistant alternation.
    """

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    """Qianfan model name, case-insensitive (default ``cnllm.qianfan.models.DEFAULT_CHAT_MODEL``,
    today ERNIE-Lite-8K); None with ``endpoint=`` unless given."""
    top_p: float | None = None
    top_k: int | None = None
    penalty_score: float | None = None
    user_id: str | None = None
    system: str | None = None
    """A system prompt sent with every call (in addition to any system messages)."""
    logprobs: bool | None = None
    top_logprobs: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _endpoint_model(cls, data: Any) -> Any:
        return endpoint_without_default_model(data)

    @model_validator(mode="after")
    def _check(self) -> Self:
        # Bad values fail here, at construction, naming the parameter; nothing is sent.
        protocol.validate_params(self._params())
        self._info()
        return self

    @property
    def _provider(self) -> str:
        return "qianfan"

    def _params(self) -> GenerationParams:
        return GenerationParams(
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            penalty_score=self.penalty_score,
            max_tokens=self.max_tokens,
            stop=tuple(self.stop) if self.stop else None,
            logprobs=self.logprobs,
            top_logprobs=self.top_logprobs,
        )

    def _info(self, model: str | None = None) -> ModelInfo:
        if model:
            return models.resolve("chat", model, None)
        return models.resolve("chat", self.model, self.endpoint)

    def _model_name(self) -> str:
        return self._info().name

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        return self._info(model).profile

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = ("top_p", "top_k", "penalty_score", "user_id", "logprobs", "top_logprobs")
        return {name: kwargs.pop(name, getattr(self, name)) for name in names}

    def _build_request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        request = super()._build_request(messages, stop, kwargs)
        if not self.system:
            return request
        system = Message("system", self.system)
        return replace(request, messages=(system, *request.messages))

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        return self.client.chat(self._info(model), request)

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        return await self.client.achat(self._info(model), request)

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._info(model), request)

    def _acall_stream(self, request: ChatRequest, model: str | None) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._info(model), request)
