"""ChatQianfan: Baidu Qianfan chat models for LangChain — v2 (OpenAI-compatible) by default,
v1 (wenxinworkshop) for OAuth application keys and ``endpoint=``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import chat_model_default
from cnllm.qianfan.v2 import models as v2_models
from cnllm.qianfan.v2 import protocol as v2_protocol
from cnllm.qianfan.v2.models import V2Model
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, Message, ModelProfile
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.chat_models.base import CnChatModel


class ChatQianfan(QianfanSettings, CnChatModel):
    """Baidu Qianfan chat models, with no vendor SDK.

    Setup (v2, the live API): ``QIANFAN_API_KEY`` (a v2 API key ``bce-v3/ALTAK-…``) or
    ``QIANFAN_ACCESS_KEY``/``QIANFAN_SECRET_KEY`` (IAM keys; a bearer token is minted and
    renewed); ``QIANFAN_V2_BASE_URL`` overrides https://qianfan.baidubce.com/v2 and
    ``QIANFAN_APPID`` sends an ``appid``. v1 (switched off by Baidu on 2026-08-31) is used for
    ``QIANFAN_AK``/``QIANFAN_SK``, ``endpoint=`` or ``api_version="v1"``.

    Example:
        .. code-block:: python

            from langchain_cnllm import ChatQianfan

            chat = ChatQianfan(model="ernie-4.5-turbo-128k")
            chat.invoke("你好")
            ChatQianfan(model="ernie-x1-turbo-32k").stream("9.11 和 9.9 哪个大？")
            ChatQianfan(model="ERNIE-3.5-8K")  # a v1 name: sent as ernie-3.5-8k
            ChatQianfan(model="my-deployed-service")  # a v2 service, by its API name

    On v2 every body field is checked against the model before sending; ``system`` messages
    lead the conversation and consecutive turns of one role are merged, as Qianfan requires.
    ``enable_thinking``/``thinking_budget`` switch reasoning where the model has a switch;
    ``response_metadata`` carries ``api``, Qianfan's moderation ``flag`` and ``search_results``.
    """

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    """A v2 model id or deployed service's API name (v1 names map to v2 ids); on v1 a table
    name, case-insensitive. Default: the API's (v2 ``ernie-4.5-turbo-128k``, v1
    ``ERNIE-Lite-8K``); None with ``endpoint=`` unless given."""
    top_p: float | None = None
    top_k: int | None = None
    """v1 only."""
    penalty_score: float | None = None
    user_id: str | None = None
    system: str | None = None
    """A system prompt sent with every call (in addition to any system messages)."""
    logprobs: bool | None = None
    """v1 only."""
    top_logprobs: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _endpoint_model(cls, data: Any) -> Any:
        return chat_model_default(data)

    @model_validator(mode="after")
    def _check(self) -> Self:
        # Bad values fail here, at construction, naming the parameter; nothing is sent.
        if self.api == "v2":  # model_kwargs too: they are body fields, checked the same way
            params = replace(self._params(), extra=dict(self.model_kwargs))
            v2_protocol.validate_params(self._v2_info(), params)
        else:
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
            enable_thinking=self.enable_thinking,
            thinking_budget=self.thinking_budget,
        )

    def _info(self, model: str | None = None) -> ModelInfo:
        if model:
            return models.resolve("chat", model, None)
        return models.resolve("chat", self.model, self.endpoint)

    def _v2_info(self, model: str | None = None) -> V2Model:
        return v2_models.resolve("chat", model or self.model)

    def _model_name(self) -> str:
        return self._v2_info().id if self.api == "v2" else self._info().name

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        if self.api == "v2":
            return self._v2_info(model).profile
        return self._info(model).profile

    @property
    def _forces_any_tool(self) -> bool:  # type: ignore[override]
        """v2 forces tool_choice "required" among several tools; v1 forces one named function."""
        return self.api == "v2"

    def _supports_tools(self, model: str | None = None) -> bool:
        if self.api == "v2" and not self._v2_info(model).known:
            return True  # a deployed service the table does not know: the server decides
        return super()._supports_tools(model)

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = ("top_p", "top_k", "penalty_score", "user_id", "logprobs", "top_logprobs")
        return {name: kwargs.pop(name, getattr(self, name)) for name in names}

    def _build_request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        request = super()._build_request(messages, stop, kwargs)
        if not self.system:
            return request
        return replace(request, messages=(Message("system", self.system), *request.messages))

    # -- calls: v2, or v1 tagged with its API --------------------------------------------------

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        if self.api == "v2":
            return self.v2_client.chat(self._v2_info(model).id, request)
        return self._tag(self.client.chat(self._info(model), request), "v1")

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        if self.api == "v2":
            return await self.v2_client.achat(self._v2_info(model).id, request)
        return self._tag(await self.client.achat(self._info(model), request), "v1")

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.stream_chat(self._v2_info(model).id, request)
        deltas = self.client.stream_chat(self._info(model), request)
        return (self._tag(delta, "v1") for delta in deltas)

    def _acall_stream(self, request: ChatRequest, model: str | None) -> AsyncIterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.astream_chat(self._v2_info(model).id, request)
        return _tagged(self.client.astream_chat(self._info(model), request), self)


async def _tagged(deltas: AsyncIterator[ChatDelta], owner: ChatQianfan) -> AsyncIterator[ChatDelta]:
    async for delta in deltas:
        yield owner._tag(delta, "v1")
