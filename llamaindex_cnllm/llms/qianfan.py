"""Qianfan for LlamaIndex: ``Qianfan`` (chat, tools) and ``QianfanLLM`` (completions) — v2 by
default, v1 for OAuth application keys and ``endpoint=``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.qianfan.settings import QianfanSettings, chat_model_default
from cnllm.qianfan.v2 import models as v2_models
from cnllm.qianfan.v2 import protocol as v2_protocol
from cnllm.qianfan.v2.models import V2Model
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    GenerationParams,
    ModelProfile,
)
from llamaindex_cnllm import _convert
from llamaindex_cnllm.llms.base import DEFAULT_NUM_OUTPUT, CnLLM

# LlamaIndex wants tokens: the model table gives them (ModelInfo.context_window). User-deployed
# services document nothing, so they get this.
DEFAULT_CONTEXT_WINDOW = 4096


class Qianfan(QianfanSettings, CnLLM):
    """Baidu Qianfan chat models for LlamaIndex; models with function calling call tools natively.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from llamaindex_cnllm import Qianfan

            Settings.llm = Qianfan(model="ernie-4.5-turbo-128k")  # QIANFAN_API_KEY=bce-v3/…
    """

    model: str | None = Field(
        default=models.DEFAULT_CHAT_MODEL,
        description="A v2 model id (v1 names map) or service API name; v1: a table name. "
        "Default: the API's; None with endpoint= unless given.",
    )
    top_p: float | None = None
    top_k: int | None = None
    penalty_score: float | None = None
    user_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _endpoint_model(cls, data: Any) -> Any:
        return chat_model_default(data)

    @model_validator(mode="after")
    def _check(self) -> Self:
        params = GenerationParams(
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            enable_thinking=self.enable_thinking,
            thinking_budget=self.thinking_budget,
            **self._sampling(),
        )
        if self.api == "v2":
            v2_protocol.validate_params(self._v2_info(), params)
        else:
            protocol.validate_params(params)
            self._info()
        return self

    @classmethod
    def class_name(cls) -> str:
        return "Qianfan"

    def _info(self) -> ModelInfo:
        return models.resolve("chat", self.model, self.endpoint)

    def _v2_info(self) -> V2Model:
        return v2_models.resolve("chat", self.model)

    def _model_name(self) -> str:
        return self._v2_info().id if self.api == "v2" else self._info().name

    def _model_profile(self) -> ModelProfile:
        return self._v2_info().profile if self.api == "v2" else self._info().profile

    def _context_window(self) -> int:
        return self._model_profile().context_window or DEFAULT_CONTEXT_WINDOW

    def _supports_tools(self) -> bool:
        if self.api == "v2" and not self._v2_info().known:
            return True  # a deployed service the table does not know: the server decides
        return super()._supports_tools()

    def _sampling(self) -> dict[str, Any]:
        return {
            "top_p": self.top_p,
            "top_k": self.top_k,
            "penalty_score": self.penalty_score,
            "user_id": self.user_id,
        }

    def _call(self, request: ChatRequest) -> ChatResult:
        if self.api == "v2":
            return self.v2_client.chat(self._v2_info().id, request)
        return self._tag(self.client.chat(self._info(), request), "v1")

    async def _acall(self, request: ChatRequest) -> ChatResult:
        if self.api == "v2":
            return await self.v2_client.achat(self._v2_info().id, request)
        return self._tag(await self.client.achat(self._info(), request), "v1")

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.stream_chat(self._v2_info().id, request)
        return self.client.stream_chat(self._info(), request)

    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.astream_chat(self._v2_info().id, request)
        return self.client.astream_chat(self._info(), request)


class QianfanLLM(QianfanSettings, CustomLLM):
    """A Qianfan completion model for LlamaIndex: a v2 deployed completion service by its API
    name (``/v2/completions``), a v2 chat model as one turn, or a v1 completion endpoint.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import QianfanLLM

            QianfanLLM(model="my-cerebras-service").complete("introduce the city beijing")
    """

    model: str | None = Field(default=None, description="A completion service's API name.")
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_tokens: int | None = Field(default=None, description="Most tokens to generate.")
    top_p: float | None = None
    timeout: float | None = Field(default=60.0, description="Seconds to wait for the vendor.")
    max_retries: int = Field(default=2, description="Retries of transient failures.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra fields sent in the request body as they are."
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.api == "v2":
            v2_protocol.validate_params(
                v2_models.resolve("completions", self.model), self._params({})
            )
        else:
            protocol.validate_params(self._params({}))
            models.resolve("completions", self.model, self.endpoint)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "QianfanLLM"

    @property
    def metadata(self) -> LLMMetadata:
        context = None
        if self.api == "v2":
            context = v2_models.resolve("completions", self.model).profile.context_window
        return LLMMetadata(
            context_window=context or DEFAULT_CONTEXT_WINDOW,
            num_output=self.max_tokens or DEFAULT_NUM_OUTPUT,
            is_chat_model=False,
            model_name=self._model(),
        )

    def _model(self) -> str:
        if self.api == "v2":
            return v2_models.resolve("completions", self.model).id
        return models.resolve("completions", self.model, self.endpoint).name

    def _params(self, kwargs: dict[str, Any]) -> GenerationParams:
        kwargs = dict(kwargs)
        return GenerationParams(
            temperature=kwargs.pop("temperature", self.temperature),
            max_tokens=kwargs.pop("max_tokens", self.max_tokens),
            top_p=kwargs.pop("top_p", self.top_p),
            stop=tuple(kwargs.pop("stop", None) or ()) or None,
            extra={**self.additional_kwargs, **kwargs},
        )

    def _request(self, prompt: str, kwargs: dict[str, Any]) -> CompletionRequest:
        return CompletionRequest(prompt, self._params(kwargs))

    def _complete_result(self, request: CompletionRequest) -> ChatResult:
        if self.api == "v2":
            return self.v2_client.complete(self._model(), request)
        info = models.resolve("completions", self.model, self.endpoint)
        return self._tag(self.client.complete(info, request), "v1")

    def _stream_deltas(self, request: CompletionRequest) -> Iterator[ChatDelta]:
        if self.api == "v2":
            return self.v2_client.stream_complete(self._model(), request)
        info = models.resolve("completions", self.model, self.endpoint)
        return self.client.stream_complete(info, request)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(self._complete_result(self._request(prompt, kwargs)))

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        request = self._request(prompt, kwargs)
        if self.api == "v2":
            return _completion(await self.v2_client.acomplete(self._model(), request))
        info = models.resolve("completions", self.model, self.endpoint)
        return _completion(self._tag(await self.client.acomplete(info, request), "v1"))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        deltas = self._stream_deltas(self._request(prompt, kwargs))  # validates before yielding

        def gen() -> CompletionResponseGen:
            text = ""
            for delta in deltas:
                text += delta.text
                yield _completion_delta(text, delta)

        return gen()

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        request = self._request(prompt, kwargs)
        if self.api == "v2":
            deltas = self.v2_client.astream_complete(self._model(), request)
        else:
            info = models.resolve("completions", self.model, self.endpoint)
            deltas = self.client.astream_complete(info, request)

        async def gen() -> CompletionResponseAsyncGen:
            text = ""
            async for delta in deltas:
                text += delta.text
                yield _completion_delta(text, delta)

        return gen()


def _completion(result: ChatResult) -> CompletionResponse:
    response = _convert.to_chat_response(result)
    return CompletionResponse(
        text=result.text, raw=response.raw, additional_kwargs=response.additional_kwargs
    )


def _completion_delta(text: str, delta: ChatDelta) -> CompletionResponse:
    response = _convert.StreamAccumulator().add(delta)
    return CompletionResponse(
        text=text, delta=delta.text, raw=response.raw, additional_kwargs=response.additional_kwargs
    )
