"""What every cnllm chat model shares: request building, result conversion, streaming,
tool binding and structured output. A vendor class only says how to call its client."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models import ModelProfile as LCModelProfile
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.outputs import ChatResult as LCChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, Field

from cnllm import errors, profiles, structured
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    GenerationParams,
    Message,
    ModelProfile,
    ToolSpec,
)
from langchain_cnllm import _convert
from langchain_cnllm._common import CnModelFields
from langchain_cnllm.errors import aiterate, iterate, langchain_errors

# Call-time keywords the base class understands; anything else goes to ``extra`` (the body).
_TOOLS, _TOOL_CHOICE, _JSON_MODE, _INSTRUCTION, _RESPONSE_FORMAT = (
    "tools",
    "tool_choice",
    "json_mode",
    "json_instruction",
    "response_format",
)
_THINKING, _BUDGET = "enable_thinking", "thinking_budget"


class CnChatModel(CnModelFields, BaseChatModel):
    """Base of ChatQianfan and the other vendors' chat models.

    Reasoning models: the thinking streams chunk by chunk in
    ``additional_kwargs["reasoning_content"]`` (so ``content_blocks`` starts with a standard
    ``reasoning`` block, and ``output_version="v1"`` puts it in the content), apart from the
    answer; cached and reasoning token counts go to ``usage_metadata``'s details when the
    vendor reports them. ``profile`` comes from the vendor's model table.
    """

    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    enable_thinking: bool | None = None
    """A hybrid reasoning model's thinking switch; None leaves the model's default."""
    thinking_budget: int | None = None
    """Most reasoning tokens, where the vendor takes a budget."""

    # Whether the vendor can force "call one of these several tools" (tool_choice "required").
    # Qianfan v1 and DashScope force one named function only, and send "required" with
    # several tools as "auto"; the request is then also made in words (create_agent's
    # ToolStrategy binds tool_choice="any" next to the user's tools).
    _forces_any_tool: ClassVar[bool] = False

    # -- what a vendor provides ----------------------------------------------------------------

    @property
    @abstractmethod
    def _provider(self) -> str: ...

    def _model_profile(self, model: str | None = None) -> ModelProfile:
        """The model table's entry for ``model`` (None: this instance's model)."""
        return profiles.CONSERVATIVE

    def _supports_tools(self, model: str | None = None) -> bool:
        return self._model_profile(model).tool_calling

    def _supports_json_mode(self, model: str | None = None) -> bool:
        return self._model_profile(model).json_mode

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

    def _resolve_model_profile(self) -> LCModelProfile | None:
        """langchain-core's hook: the table's entry (a model it does not know gets the
        conservative profile); a ``profile=`` passed by the user wins."""
        return _convert.lc_profile(self._model_profile())

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
        tool_choice = _tool_choice_name(kwargs.pop(_TOOL_CHOICE, None))
        json_mode = bool(kwargs.pop(_JSON_MODE, False))
        instruction = kwargs.pop(_INSTRUCTION, None)
        response_format = kwargs.pop(_RESPONSE_FORMAT, None)
        thinking = kwargs.pop(_THINKING, self.enable_thinking)
        budget = kwargs.pop(_BUDGET, self.thinking_budget)
        profile = self._model_profile(kwargs.pop("model", None))
        json_schema = None
        if response_format is not None:
            json_schema, json_mode, instruction, thinking = _honour_response_format(
                response_format, profile, thinking, json_mode, instruction
            )
        asked = tool_choice
        tool_choice, thinking = profiles.ease_tool_choice(
            profile, bool(tools), tool_choice, thinking
        )
        unforceable = tool_choice == "required" and len(tools) > 1 and not self._forces_any_tool
        if tool_choice != asked or unforceable:  # the vendor will not force it: ask in words
            instruction = _joined(instruction, _tool_request(tools, asked))
        neutral = _convert.to_messages(messages)
        if instruction:
            neutral = _with_instruction(neutral, instruction)
        sampling = self._sampling(kwargs)
        params = GenerationParams(
            temperature=kwargs.pop("temperature", self.temperature),
            max_tokens=kwargs.pop("max_tokens", self.max_tokens),
            stop=tuple(stop or self.stop or ()) or None,
            extra={**self.model_kwargs, **kwargs},
            enable_thinking=thinking,
            thinking_budget=budget,
            **sampling,
        )
        return ChatRequest(neutral, params, tools, tool_choice, json_mode, json_schema)

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
        """Bind tools; raises ``ValidationError`` for a model without native tool calling.

        ``response_format`` (``create_agent``'s provider strategy sends
        ``{"type": "json_schema", "json_schema": {...}}``) is honoured: natively where the
        model has JSON-schema output, else through its JSON mode with the schema in the
        instruction, else by the instruction alone; the answer's text is the JSON.

        A forced ``tool_choice`` on a reasoning model: a hybrid left at its default gets
        ``enable_thinking=False`` (vendors refuse forced tools while thinking); a model that
        is thinking for sure gets ``tool_choice="auto"`` instead, and may answer in text.
        """
        if tools and not self._supports_tools():
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
        method: Literal["function_calling", "json_mode", "json_schema"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Structured output the best way the model's profile allows.

        ``method``: ``"json_schema"`` (native ``response_format``), ``"function_calling"``
        (the schema as a forced tool) or ``"json_mode"``; None picks the best native one the
        profile lists (json_schema, then a forced tool, then JSON mode). A method the model
        lacks falls to the next it has, and to prompting for JSON and parsing the answer
        when it has none. ``strict`` goes with a native JSON schema.

        Thinking: DashScope and DeepSeek refuse forced tools and JSON output while a model
        thinks. A hybrid model left at its default is called with thinking off; a model
        that thinks for sure (thinking-only, or ``enable_thinking=True``) gets the tool
        offered without forcing (or the schema in the prompt), and the answer is parsed
        from the tool call or from JSON in its text.
        """
        if method is not None and method not in profiles.METHODS:
            raise errors.ValidationError(
                "method", f"{method!r}; one of {', '.join(profiles.METHODS)}"
            )
        thinking = kwargs.pop(_THINKING, self.enable_thinking)
        profile = self._model_profile()
        method = method or profiles.default_method(profile)
        plan = profiles.plan_structured_output(profile, method, thinking)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        bound: dict[str, Any] = {"ls_structured_output_format": trace}
        if plan.enable_thinking is not None:
            bound[_THINKING] = plan.enable_thinking
        llm = self._structured_llm(schema, plan, strict, bound)
        parser: Runnable[Any, Any] = RunnableLambda(_structured_parser(schema, plan.uses_tool))
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )

    def _structured_llm(
        self,
        schema: dict[str, Any] | type | None,
        plan: profiles.StructuredPlan,
        strict: bool | None,
        bound: dict[str, Any],
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if schema is not None and plan.uses_tool:
            name = convert_to_openai_tool(schema)["function"]["name"]
            choice = name if plan.strategy == "forced_tool" else None
            if choice is None:  # an offered tool may be ignored: say what is wanted
                bound[_INSTRUCTION] = structured.json_instruction(convert_to_json_schema(schema))
            return self.bind_tools([schema], tool_choice=choice, **bound)
        if schema is not None and plan.strategy == "json_schema":
            function = convert_to_openai_tool(schema)["function"]
            spec = {"name": function["name"], "schema": function.get("parameters") or {}}
            if strict is not None:
                spec["strict"] = strict
            return self.bind(
                **{_RESPONSE_FORMAT: {"type": "json_schema", "json_schema": spec}}, **bound
            )
        json_schema = convert_to_json_schema(schema) if schema is not None else None
        return self.bind(
            json_instruction=structured.json_instruction(json_schema),
            json_mode=plan.strategy == "json_mode",
            **bound,
        )


def _honour_response_format(
    response_format: Any,
    profile: ModelProfile,
    thinking: bool | None,
    json_mode: bool,
    instruction: str | None,
) -> tuple[dict[str, Any] | None, bool, str | None, bool | None]:
    """(json_schema, json_mode, instruction, enable_thinking) for a ``response_format``."""
    spec = _json_schema_spec(response_format)
    if spec is None:  # {"type": "json_object"} or {"type": "text"}
        wants_json = isinstance(response_format, dict) and response_format.get("type") == (
            "json_object"
        )
        if wants_json:
            plan = profiles.plan_structured_output(profile, "json_mode", thinking)
            instruction = instruction or structured.json_instruction(None)
            json_mode = plan.strategy == "json_mode"
            thinking = thinking if plan.enable_thinking is None else plan.enable_thinking
        return None, json_mode, instruction, thinking
    plan = profiles.response_format_plan(profile, thinking)
    if plan.enable_thinking is not None:
        thinking = plan.enable_thinking
    if plan.strategy == "json_schema":
        return spec, False, instruction, thinking
    return None, plan.strategy == "json_mode", structured.json_instruction(spec["schema"]), thinking


def _json_schema_spec(response_format: Any) -> dict[str, Any] | None:
    """OpenAI's ``{"type": "json_schema", "json_schema": {...}}``, or a schema class."""
    if isinstance(response_format, dict):
        if response_format.get("type") != "json_schema":
            return None
        inner = response_format.get("json_schema") or {}
        if not isinstance(inner, dict) or not isinstance(inner.get("schema"), dict):
            raise errors.ValidationError(
                "response_format", "a json_schema response_format needs json_schema.schema"
            )
        return {key: inner[key] for key in ("name", "schema", "strict") if key in inner} | {
            "name": inner.get("name") or "response"
        }
    function = convert_to_openai_tool(response_format)["function"]
    return {"name": function["name"], "schema": function.get("parameters") or {}}


def _tool_request(tools: tuple[ToolSpec, ...], asked: str | None) -> str:
    """The instruction standing in for a forced ``asked`` (a tool's name, or "required")."""
    named = [tool.name for tool in tools if tool.name == asked]
    return structured.tool_instruction(named or [tool.name for tool in tools])


def _joined(instruction: str | None, extra: str) -> str:
    return f"{instruction}\n\n{extra}" if instruction else extra


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


def _structured_parser(
    schema: dict[str, Any] | type | None, from_tool: bool
) -> Callable[[AIMessage], Any]:
    """The answer's data: the first tool call's arguments when a tool was offered and
    called, else the JSON in the text; a pydantic schema validates it."""
    model = schema if isinstance(schema, type) and is_basemodel_subclass(schema) else None

    def parse(message: AIMessage, /) -> Any:
        if from_tool and message.tool_calls:
            data: Any = message.tool_calls[0]["args"]
        else:
            data = structured.extract_json(message.text)
        if model is None:
            return data
        # pydantic v2 models validate with model_validate, v1 models with parse_obj
        validate = getattr(model, "model_validate", None) or model.parse_obj  # type: ignore[attr-defined]
        return validate(data)

    return parse


__all__ = ["CnChatModel", "ToolSpec"]
