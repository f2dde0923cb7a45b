"""ChatDashScope: DashScope chat models (ChatYuan, Qwen, Qwen 3.5+/VL/omni) for LangChain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import model_validator
from typing_extensions import Self

from cnllm.dashscope import models, protocol, thinking
from cnllm.dashscope.models import ModelInfo
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, ModelProfile
from langchain_cnllm._dashscope import DashScopeSettings
from langchain_cnllm.chat_models.base import CnChatModel

# DashScope parameters with no neutral GenerationParams field; sent in ``parameters``.
_VENDOR_FIELDS = ("seed", "presence_penalty", "enable_search", "reasoning_effort")


class ChatDashScope(DashScopeSettings, CnChatModel):
    """DashScope's native text-generation service, with no vendor SDK.

    Setup: ``DASHSCOPE_API_KEY``; ``DASHSCOPE_HTTP_BASE_URL`` overrides the host (it includes
    ``/api/v1``); ``workspace=`` (or ``DASHSCOPE_WORKSPACE_ID``) for sub-account keys.

    Example:
        .. code-block:: python

            from langchain_core.messages import HumanMessage
            from langchain_cnllm import ChatDashScope

            ChatDashScope(model="chatyuan-large-v2").invoke([HumanMessage("帮我写个请假条")])
            ChatDashScope(model="qwen-plus", temperature=0.7).bind_tools([get_weather])

    ``chatyuan-large-v2`` is prompt-only: the conversation is rendered as
    ``用户：…\\n小元：…\\n用户：…\\n小元：`` with newlines sent as the two characters ``\\n``
    (``escape_newlines=False`` sends real newlines), system text leading the first user turn;
    its answers get ``\\n`` turned back into newlines. It reports no usage, so
    ``usage_metadata`` is None, and has no tools: ``bind_tools`` raises and
    ``with_structured_output`` prompts for JSON. Other models (``qwen-*``...) use
    ``messages`` with ``result_format=message``, tools and JSON mode where they have them.
    ``model_kwargs`` go into the request's ``parameters`` as they are.

    The 2026 models (``qwen3.6-plus``, ``qwen3.8-max``, Qwen-VL, QVQ, Omni...) are called on
    the service each is bound to (multimodal-generation for Qwen 3.5+, VL, QVQ, Omni), take
    LangChain image/audio/video blocks and OpenAI ``image_url`` parts where the model does,
    and think where they can: ``enable_thinking`` / ``thinking_budget`` (validated per
    model), reasoning streamed before the answer. A ``base_url`` ending in
    ``/compatible-mode/v1`` (or ``compatible_mode=True``) speaks the OpenAI-compatible
    protocol with the same results; ``region=`` / ``workspace=`` pick the host.
    """

    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    enable_search: bool | None = None
    reasoning_effort: str | None = None
    """Qwen3.8 only: ``low``, ``medium`` or ``xhigh``; not together with thinking_budget."""
    escape_newlines: bool = True
    """ChatYuan only: send newlines as ``\\n`` (its tokenizer's convention; see the README)."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        # Bad values fail here, at construction, naming the parameter; nothing is sent.
        protocol.validate_params(self._params())
        info = self._info()
        extra = {"reasoning_effort": self.reasoning_effort} if self.reasoning_effort else {}
        thinking.validate(info.name, ChatRequest((), replace(self._params(), extra=extra)))
        return self

    @property
    def _provider(self) -> str:
        return "dashscope"

    def _params(self) -> GenerationParams:
        return GenerationParams(
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            penalty_score=self.repetition_penalty,
            max_tokens=self.max_tokens,
            enable_thinking=self.enable_thinking,
            thinking_budget=self.thinking_budget,
            extra={"presence_penalty": self.presence_penalty},
        )

    def _info(self, model: str | None = None) -> ModelInfo:
        info = models.resolve("chat", model or self.model)
        return replace(info, escape_newlines=self.escape_newlines)

    def _model_name(self) -> str:
        return self._info().name

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        return self._info(model).profile

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        sampling = {name: kwargs.pop(name, getattr(self, name)) for name in ("top_p", "top_k")}
        sampling["penalty_score"] = kwargs.pop("repetition_penalty", self.repetition_penalty)
        return sampling

    def _build_request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        vendor = {name: kwargs.pop(name, getattr(self, name)) for name in _VENDOR_FIELDS}
        request = super()._build_request(messages, stop, kwargs)
        extra = {name: value for name, value in vendor.items() if value is not None}
        return replace(
            request, params=replace(request.params, extra={**extra, **request.params.extra})
        )

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        return self.client.chat(self._info(model), request)

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        return await self.client.achat(self._info(model), request)

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        return self.client.stream_chat(self._info(model), request)

    def _acall_stream(self, request: ChatRequest, model: str | None) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(self._info(model), request)
