"""ChatKoala: Koala 悠然 chat and image chat (a FastChat OpenAI-compatible server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm import errors
from cnllm.koala import models, protocol
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, ModelProfile
from langchain_cnllm._koala import KoalaSettings
from langchain_cnllm.chat_models.base import CnChatModel


class ChatKoala(KoalaSettings, CnChatModel):
    """Koala 悠然 chat models, with no vendor SDK.

    Setup: ``KOALA_BASE_URL`` (your server, e.g. ``http://10.1.2.3:9015/v1``; required) and,
    if the server checks keys, ``KOALA_API_KEY``.

    Example:
        .. code-block:: python

            from langchain_core.messages import HumanMessage
            from langchain_cnllm import ChatKoala

            chat = ChatKoala(model="Baichuan2-13B-Chat", temperature=0)
            chat.invoke("讲个笑话")
            chat.list_models()  # what the server hosts
            ChatKoala(model="koala-mm").invoke([HumanMessage(content=[
                {"type": "text", "text": "图片里面有什么"},
                {"type": "image_url", "image_url": {"url": "http://example.com/a.jpg"}},
            ])])

    Koala has no tool calling and no JSON mode: ``bind_tools`` raises, and
    ``with_structured_output`` (any method) asks for JSON in the prompt and parses the answer.
    Parameters you do not set are not sent. Token usage is reported when the server gives it:
    on whole answers of text models, not in streams (FastChat sends none) and not for koala-mm
    (it reports zeros).
    """

    model: str = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    """Any model the server lists (``list_models()``): koala-mm, Baichuan2-13B-Chat,
    vicuna-13b-v1.5, sqlcoder, gpt-3.5-turbo…"""
    top_p: float | None = None
    top_k: int | None = None
    """-1 (off) or at least 1."""
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None
    image_input: bool | None = None
    """Whether ``model`` takes images; by default only koala-mm does. Set True for a
    multimodal model of your own that takes the same ``images`` field."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        # Bad values fail here, at construction, naming the parameter; nothing is sent.
        protocol.validate_params(self._params())
        return self

    @property
    def _provider(self) -> str:
        return "koala"

    def _params(self) -> GenerationParams:
        return GenerationParams(
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_tokens=self.max_tokens,
            stop=tuple(self.stop) if self.stop else None,
        )

    def _image_input(self) -> dict[str, bool]:
        return {} if self.image_input is None else {self.model: self.image_input}

    def _model_name(self) -> str:
        return self.model

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        profile = models.profile(model or self.model)
        if self.image_input is None or (model or self.model) != self.model:
            return profile
        return replace(profile, image_input=self.image_input)

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        sampling = {name: kwargs.pop(name, getattr(self, name)) for name in ("top_p", "top_k")}
        sampling["user_id"] = kwargs.pop("user", self.user)
        for name in ("presence_penalty", "frequency_penalty"):
            value = kwargs.pop(name, getattr(self, name))
            if value is not None:
                kwargs[name] = value  # not neutral parameters: they go in the body as they are
        return sampling

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Koala (FastChat) has no tool calling; this always raises ``ValidationError``."""
        raise errors.ValidationError(
            "tools",
            "Koala (a FastChat server) has no tool calling: it ignores `tools` and cannot "
            "return tool calls; use with_structured_output(), which prompts for JSON",
            vendor="koala",
        )

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        return self.client.chat(model or self.model, request)

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        return await self.client.achat(model or self.model, request)

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        return self.client.stream_chat(model or self.model, request)

    def _acall_stream(self, request: ChatRequest, model: str | None) -> AsyncIterator[ChatDelta]:
        return self.client.astream_chat(model or self.model, request)
