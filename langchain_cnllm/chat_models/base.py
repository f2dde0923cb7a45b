"""What every cnllm chat model shares: request building, result conversion, streaming,
tool binding and structured output. A vendor class only says how to call its client."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.outputs import ChatResult as LCChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, Field

from cnllm import errors, structured
from cnllm.types import ChatDelta, ChatRequest, ChatResult, GenerationParams, Message, ToolSpec
from langchain_cnllm import _convert
from langchain_cnllm._common import CnModelFields
from langchain_cnllm.errors import aiterate, iterate, langchain_errors

# Call-time keywords the base class understands; anything else goes to ``extra`` (the body).
_TOOLS, _TOOL_CHOICE, _JSON_MODE, _INSTRUCTION = (
    "tools",
    "tool_choice",
    "json_mode",
    "json_instruction",
)


class CnChatModel(CnModelFields, BaseChatModel):
    """Base of ChatQianfan and the other vendors' chat models."""

    stop: list[str] | None = Field(default=None, alias="stop_sequences")

    # -- what a vendor provides ----------------------------------------------------------------

    @property
    @abstractmethod
    def _provider(self) -> str: ...

    @abstractmethod
    def _supports_tools(self, model: str | None = None) -> bool: ...

    def _supports_json_mode(self, model: str | None = None) -> bool:
        return False

    @abstractmethod
    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Vendor fields of GenerationParams (top_p, user_id…), call-time kwargs winning."""

    @abstractmethod
    def _call(self, request: ChatRequest, model: str | None) -> ChatResult: ...

    @abstractmethod
    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult: ...

    @abstractmethod
    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]: ...

    @abstractmethod
    def _acall_stream(
        self, request: ChatRequest, model: str | None
    ) -> AsyncIterator[ChatDelta]: ...

    # -- LangChain plumbing ------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return f"{self._provider}-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self._provider,
            ls_model_name=kwargs.get("model") or self._model_name(),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _build_request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        kwargs = {key: value for key, value in kwargs.items() if not key.startswith("ls_")}
        tools = tuple(_convert.to_tool_spec(tool) for tool in kwargs.pop(_TOOLS, None) or ())
        tool_choice = kwargs.pop(_TOOL_CHOICE, None)
        json_mode = bool(kwargs.pop(_JSON_MODE, False))
        instruction = kwargs.pop(_INSTRUCTION, None)
        kwargs.pop("model", None)
        neutral = _convert.to_messages(messages)
        if instruction:
            neutral = _with_instruction(neutral, instruction)
        sampling = self._sampling(kwargs)
        params = GenerationParams(
            temperature=kwargs.pop("temperature", self.temperature),
            max_tokens=kwargs.pop("max_tokens", self.max_tokens),
            stop=tuple(stop or self.stop or ()) or None,
            extra={**self.model_kwargs, **kwargs},
            **sampling,
        )
        return ChatRequest(neutral, params, tools, _tool_choice_name(tool_choice), json_mode)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LCChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        request = self._build_request(messages, stop, dict(kwargs))
        with langchain_errors():
            result = self._call(request, kwargs.get("model"))
        return self._lc_result(result)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LCChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        request = self._build_request(messages, stop, dict(kwargs))
        with langchain_errors():
            result = await self._acall(request, kwargs.get("model"))
        return self._lc_result(result)

    def _lc_result(self, result: ChatResult) -> LCChatResult:
        message = _convert.to_ai_message(result, self._provider)
        info = {"finish_reason": result.finish_reason}
        return LCChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)],
            llm_output={"model_name": result.model, "token_usage": message.usage_metadata},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._build_request(messages, stop, dict(kwargs))
        with langchain_errors():
            deltas = self._call_stream(request, kwargs.get("model"))
        for delta in iterate(deltas):
            chunk = ChatGenerationChunk(message=_convert.to_chunk(delta, self._provider))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._build_request(messages, stop, dict(kwargs))
        with langchain_errors():
            deltas = self._acall_stream(request, kwargs.get("model"))
        async for delta in aiterate(deltas):
            chunk = ChatGenerationChunk(message=_convert.to_chunk(delta, self._provider))
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    # -- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; raises ``ValidationError`` for a model without native tool calling."""
        if not self._supports_tools():
            raise errors.ValidationError(
                "tools",
                f"{self.model or 'this model'} has no native tool calling on {self._provider}; "
                "use a model that has it, or with_structured_output(), which falls back to "
                "prompting for JSON",
                vendor=self._provider,
            )
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        if tool_choice is not None:
            kwargs[_TOOL_CHOICE] = tool_choice
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Structured output with native tools where the model has them, else by prompting.

        ``strict`` is accepted for compatibility; no vendor here enforces schemas strictly.
        """
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        if method == "function_calling" and schema is not None and self._supports_tools():
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, ls_structured_output_format=trace)
            parser: Runnable[Any, Any] = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)
                if is_pydantic
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
        else:
            json_schema = convert_to_json_schema(schema) if schema is not None else None
            llm = self.bind(
                json_instruction=structured.json_instruction(json_schema),
                json_mode=self._supports_json_mode(),
                ls_structured_output_format=trace,
            )
            pydantic_schema = schema if is_pydantic and isinstance(schema, type) else None
            parser = RunnableLambda(_json_parser(pydantic_schema))
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )


def _tool_choice_name(choice: dict[str, Any] | str | bool | None) -> str | None:
    """LangChain's tool_choice forms as one name, or "auto" / "none" / "required"."""
    if choice is None or choice is False:
        return None
    if choice is True or choice == "any":
        return "required"
    if isinstance(choice, dict):
        return str(choice.get("function", {}).get("name") or choice.get("name") or "required")
    return str(choice)


def _with_instruction(messages: tuple[Message, ...], instruction: str) -> tuple[Message, ...]:
    """Append the JSON instruction to the last user turn, where every vendor will see it."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "user":
            content: str | list[dict[str, Any]] = (
                f"{message.content}\n\n{instruction}"
                if isinstance(message.content, str)
                else [*message.content, {"type": "text", "text": f"\n\n{instruction}"}]
            )
            updated = Message("user", content, name=message.name)
            return (*messages[:index], updated, *messages[index + 1 :])
    return (*messages, Message("user", instruction))


def _json_parser(model: type | None) -> Callable[[AIMessage], Any]:
    def parse(message: AIMessage, /) -> Any:
        data = structured.extract_json(message.text)
        if model is None:
            return data
        # pydantic v2 models validate with model_validate, v1 models with parse_obj
        validate = getattr(model, "model_validate", None) or model.parse_obj  # type: ignore[attr-defined]
        return validate(data)

    return parse


__all__ = ["CnChatModel", "ToolSpec"]
