"""What every cnllm LlamaIndex LLM shares; a vendor class only says how to call its client."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from pydantic import Field

from cnllm import errors, profiles
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, ModelProfile
from llamaindex_cnllm import _convert

DEFAULT_NUM_OUTPUT = 256
DEFAULT_CONTEXT_WINDOW = 3900  # LlamaIndex's own default, for a model the table does not know


class CnLLM(FunctionCallingLLM):
    """Base of the vendors' LlamaIndex LLMs: chat, complete, streams, async, tools.

    ``metadata`` comes from the vendor's model table. A reasoning model's thinking arrives as
    a ``ThinkingBlock`` before the text, and while streaming as
    ``additional_kwargs["thinking_delta"]`` (``AgentStream.thinking_delta`` in agents).
    """

    model: str | None = Field(default=None, description="The model name.")
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_tokens: int | None = Field(default=None, description="Most tokens to generate.")
    timeout: float | None = Field(default=60.0, description="Seconds to wait for the vendor.")
    max_retries: int = Field(default=2, description="Retries of transient failures.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra fields sent in the request body as they are."
    )
    enable_thinking: bool | None = Field(
        default=None, description="A hybrid reasoning model's thinking switch (None: default)."
    )
    thinking_budget: int | None = Field(default=None, description="Most reasoning tokens.")

    # -- what a vendor provides ----------------------------------------------------------------

    @abstractmethod
    def _model_name(self) -> str: ...

    def _model_profile(self) -> ModelProfile:
        """The model table's entry for this model (conservative when it is unknown)."""
        return profiles.CONSERVATIVE

    def _context_window(self) -> int:
        return self._model_profile().context_window or DEFAULT_CONTEXT_WINDOW

    def _supports_tools(self) -> bool:
        return self._model_profile().tool_calling

    def _sampling(self) -> dict[str, Any]:
        """Vendor fields of GenerationParams (top_p, user_id…)."""
        return {}

    @abstractmethod
    def _call(self, request: ChatRequest) -> ChatResult: ...

    @abstractmethod
    async def _acall(self, request: ChatRequest) -> ChatResult: ...

    @abstractmethod
    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]: ...

    @abstractmethod
    def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]: ...

    # -- LlamaIndex plumbing -----------------------------------------------------------------

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self._context_window(),
            num_output=self.max_tokens
            or self._model_profile().max_output_tokens
            or DEFAULT_NUM_OUTPUT,
            is_chat_model=True,
            is_function_calling_model=self._supports_tools(),
            model_name=self._model_name(),
        )

    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatRequest:
        kwargs = dict(kwargs)
        tools = tuple(kwargs.pop("tools", None) or ())
        # FunctionCallingProgram forces the tool (tool_required): eased while thinking.
        tool_choice, thinking = profiles.ease_tool_choice(
            self._model_profile(),
            bool(tools),
            kwargs.pop("tool_choice", None),
            kwargs.pop("enable_thinking", self.enable_thinking),
        )
        params = GenerationParams(
            temperature=kwargs.pop("temperature", self.temperature),
            max_tokens=kwargs.pop("max_tokens", self.max_tokens),
            stop=tuple(kwargs.pop("stop", None) or ()) or None,
            extra={**self.additional_kwargs, **kwargs},
            enable_thinking=thinking,
            thinking_budget=kwargs.pop("thinking_budget", self.thinking_budget),
            **self._sampling(),
        )
        return ChatRequest(_convert.to_messages(messages), params, tools, tool_choice)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _convert.to_chat_response(self._call(self._request(messages, kwargs)))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _convert.to_chat_response(await self._acall(self._request(messages, kwargs)))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        deltas = self._call_stream(self._request(messages, kwargs))  # validates before yielding

        def gen() -> ChatResponseGen:
            accumulator = _convert.StreamAccumulator()
            for delta in deltas:
                yield accumulator.add(delta)

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        deltas = self._acall_stream(self._request(messages, kwargs))

        async def gen() -> ChatResponseAsyncGen:
            accumulator = _convert.StreamAccumulator()
            async for delta in deltas:
                yield accumulator.add(delta)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self.chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await achat_to_completion_decorator(self.achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self.stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self.astream_chat)(prompt, **kwargs)

    # -- tools -------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[Any],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if tools and not self._supports_tools():
            raise errors.ValidationError(
                "tools",
                f"{self._model_name()} has no native tool calling; use a model that has it",
            )
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = [_convert.to_tool_spec(tool) for tool in tools]
        choice = "required" if tool_required else kwargs.pop("tool_choice", None)
        return {"messages": messages, "tools": specs, "tool_choice": choice, **kwargs}

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        selections = _convert.tool_selections(response)
        if not selections and error_on_no_tool_call:
            raise ValueError(f"expected at least one tool call, got: {response.message.content!r}")
        return selections
