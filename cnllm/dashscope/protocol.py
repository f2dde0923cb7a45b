"""Alibaba DashScope native protocol (``/api/v1/services/...``): pure build and parse, no I/O.

Everything here follows the wire notes in docs/dashscope.md; section numbers below refer to them.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnllm import errors, hints, parsing
from cnllm.dashscope import chatyuan
from cnllm.dashscope.models import VENDOR, ModelInfo
from cnllm.sse import ServerSentEvent, iter_sse
from cnllm.transport import HttpRequest, HttpResponse
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    GenerationParams,
    Message,
    ToolCall,
    Usage,
)

DEFAULT_BASE_URL = "https://dashscope.aliyuncs.com/api/v1"
GENERATION_PATH = "/services/aigc/text-generation/generation"
EMBEDDING_PATH = "/services/embeddings/text-embedding/text-embedding"
TEXT_TYPES = ("document", "query")


# -- configuration and headers ------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What every request carries besides its body and key (§1.2)."""

    base_url: str = DEFAULT_BASE_URL
    workspace: str | None = None  # X-DashScope-WorkSpace: required for sub-account keys
    data_inspection: bool = False  # X-DashScope-DataInspection: enable (opt-in)


def request(settings: Settings, path: str, body: dict[str, Any], *, stream: bool) -> HttpRequest:
    """The POST for one service call; the API key is added per attempt by ``authorize``."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
    }
    if stream:
        # The header, not a body field, turns streaming on (§3.1).
        headers.update({"X-DashScope-SSE": "enable", "X-Accel-Buffering": "no"})
    headers.update(account_headers(settings.workspace, settings.data_inspection))
    return HttpRequest("POST", f"{settings.base_url.rstrip('/')}{path}", json=body, headers=headers)


def account_headers(workspace: str | None, data_inspection: bool) -> dict[str, str]:
    """The workspace and data-inspection headers, on both protocols (§1.2)."""
    headers = {"X-DashScope-WorkSpace": workspace} if workspace else {}
    if data_inspection:
        headers["X-DashScope-DataInspection"] = "enable"
    return headers


def auth_headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def authorize(request: HttpRequest, api_key: str) -> HttpRequest:
    return request.with_auth(headers=auth_headers(api_key))


# -- errors (§5) -----------------------------------------------------------------------------------

_ERROR_CODES: dict[str, tuple[type[errors.APIError], bool]] = {
    "InvalidParameter": (errors.InvalidRequestError, False),
    "DataInspectionFailed": (errors.ContentFilterError, False),
    "data_inspection_failed": (errors.ContentFilterError, False),
    "InvalidApiKey": (errors.AuthenticationError, False),
    "AccessDenied": (errors.PermissionDeniedError, False),
    "AccessDenied.Unpurchased": (errors.PermissionDeniedError, False),
    "Arrearage": (errors.PermissionDeniedError, False),
    "Model.NotExist": (errors.NotFoundError, False),
    "InvalidModel": (errors.NotFoundError, False),
    "InternalError": (errors.ServerError, True),
    "ServiceUnavailable": (errors.ServerError, True),
    "GatewayTimeout": (errors.ServerError, True),
    "RequestTimeOut": (errors.ServerError, True),
}
# Families: every Throttling* code is transient (§5.2), as are the InternalError.* variants.
_ERROR_PREFIXES: tuple[tuple[str, type[errors.APIError], bool], ...] = (
    ("Throttling", errors.RateLimitError, True),
    ("InternalError", errors.ServerError, True),
    ("DataInspection", errors.ContentFilterError, False),
)
_INPUT_TOO_LONG = re.compile(r"input length|too long|exceed.*(length|token)", re.IGNORECASE)
_URL_ERROR_HINT = (
    " (DashScope answers 'url error' when a model is sent to the other of its two services, "
    "text-generation and multimodal-generation)"
)


def _error_class(code: str, status: int | None) -> tuple[type[errors.APIError], bool]:
    if code in _ERROR_CODES:
        return _ERROR_CODES[code]
    for prefix, cls, retryable in _ERROR_PREFIXES:
        if code.startswith(prefix):
            return cls, retryable
    if status is not None and status >= 400:
        cls = errors.error_for_status(status)
        return cls, cls.retryable
    return errors.APIError, False


def error_from_code(
    code: str,
    message: str,
    *,
    status: int | None = None,
    request_id: str | None = None,
) -> errors.APIError:
    """The typed error for a ``{code, message, request_id}``: the code decides, then the status."""
    cls, retryable = _error_class(code, status)
    if cls is errors.InvalidRequestError and _INPUT_TOO_LONG.search(message):
        cls = errors.ContextOverflowError
    if "url error" in message.lower():
        message += _URL_ERROR_HINT
    return cls(
        message or f"DashScope error {code}",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
        retryable=retryable,
    )


def error_in_body(body: Any, *, status: int | None = None, request_id: str | None = None) -> None:
    """Raise if ``body`` is an error: a non-empty ``code`` (even with HTTP 200, §5.1)."""
    if not isinstance(body, dict):
        return
    code, message = body.get("code"), body.get("message", body.get("msg"))
    nested = body.get("error")
    if not code and isinstance(nested, dict):  # the OpenAI-style shape v2 also accepts
        code, message = nested.get("code") or nested.get("type"), nested.get("message")
    if not code:
        return
    raise error_from_code(
        str(code),
        str(message or ""),
        status=status,
        request_id=body.get("request_id") or request_id,
    )


def check_response(response: HttpResponse) -> None:
    """The transport's check: errors come as JSON, as an SSE ``data:`` line, or in a 200 body."""
    request_id = response.header("x-request-id")
    if "event-stream" in (response.header("content-type") or ""):
        if response.status >= 400:
            for event in iter_sse([response.content]):
                error_in_body(_loads(event.data), status=response.status, request_id=request_id)
        return
    try:
        body = response.json()  # parsed once: the embeddings/result parser reads it again
    except errors.ProtocolError:
        body = None  # not JSON: the transport classifies by status, the parser complains
    error_in_body(body, status=response.status, request_id=request_id)
    if response.status == 404:  # no DashScope error body: the path itself is unknown
        raise hints.missing_path(VENDOR, "/api/v1", DEFAULT_BASE_URL, "DASHSCOPE_HTTP_BASE_URL")


def _loads(data: str | bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None  # not JSON: the transport classifies by status, the parser complains


# -- validation ---------------------------------------------------------------------------------


def _check_range(
    name: str,
    value: float | None,
    low: float,
    high: float,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> None:
    if value is None:
        return
    above = low < value if open_low else low <= value
    below = value < high if open_high else value <= high
    if not (above and below):
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        raise errors.ValidationError(name, f"{value!r} is outside {interval}", vendor=VENDOR)


def validate_params(params: GenerationParams) -> None:
    """The documented ranges (§2.2), checked before anything is sent."""
    errors.require_finite(params, vendor=VENDOR)
    _check_range("temperature", params.temperature, 0.0, 2.0, open_high=True)
    _check_range("top_p", params.top_p, 0.0, 1.0, open_low=True)
    if params.top_k is not None and params.top_k < 0:
        raise errors.ValidationError("top_k", f"{params.top_k!r} must be >= 0", vendor=VENDOR)
    if params.max_tokens is not None and params.max_tokens < 1:
        raise errors.ValidationError(
            "max_tokens", f"{params.max_tokens!r} must be >= 1", vendor=VENDOR
        )
    if params.penalty_score is not None and params.penalty_score <= 0:
        raise errors.ValidationError(
            "repetition_penalty", f"{params.penalty_score!r} must be > 0", vendor=VENDOR
        )
    _check_range("presence_penalty", params.extra.get("presence_penalty"), -2.0, 2.0)


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=5)


def _prompt_only_parameters(info: ModelInfo, params: GenerationParams) -> dict[str, Any]:
    """ChatYuan's documented body has no sampling fields (seed 002): they are not sent."""
    ignored = [
        name
        for name, value in (
            ("temperature", params.temperature),
            ("top_p", params.top_p),
            ("top_k", params.top_k),
            ("repetition_penalty", params.penalty_score),
            ("max_tokens", params.max_tokens),
            ("stop", params.stop),
        )
        if value is not None
    ]
    if ignored:
        _warn_once(
            f"{', '.join(ignored)} not sent to {info.name}: its documented request takes only "
            "a prompt; pass model_kwargs={...} to send parameters anyway"
        )
    return dict(params.extra)


# -- requests (§2) ------------------------------------------------------------------------------


def _sampling(params: GenerationParams) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "max_tokens": params.max_tokens,
        "repetition_penalty": params.penalty_score,
        "stop": list(params.stop) if params.stop else None,
        "logprobs": params.logprobs,
        "top_logprobs": params.top_logprobs,
        "enable_thinking": params.enable_thinking,
        "thinking_budget": params.thinking_budget,
    }
    return {key: value for key, value in fields.items() if value is not None}


def thinking_on(info: ModelInfo, params: GenerationParams) -> bool:
    """Whether the call surely thinks: a thinking-only model, or the switch turned on."""
    return info.thinking == "always" or (
        info.thinking == "hybrid" and params.enable_thinking is True
    )


def _check_thinking(info: ModelInfo, request: ChatRequest) -> None:
    """DashScope's documented refusals while thinking (dashscope-current.md §4.4), caught here
    rather than as a 400: no forced tool_choice, no JSON mode or schema."""
    if not thinking_on(info, request.params):
        return
    why = (
        f"{info.name} always thinks"
        if info.thinking == "always"
        else "enable_thinking is on; set enable_thinking=False for it"
    )
    if request.tools and request.tool_choice not in (None, "auto", "none"):
        raise errors.ValidationError(
            "tool_choice",
            f"{request.tool_choice!r}: DashScope refuses a forced tool_choice in thinking mode "
            f"({why}); use 'auto' or 'none'",
            vendor=VENDOR,
        )
    if request.json_mode or request.json_schema is not None:
        raise errors.ValidationError(
            "response_format",
            f"DashScope refuses JSON output in thinking mode ({why})",
            vendor=VENDOR,
        )


def _response_format(info: ModelInfo, request: ChatRequest) -> dict[str, Any] | None:
    """JSON schema (§5; ``strict`` inside ``json_schema``, the conservative place), or JSON mode."""
    if request.json_schema is not None:
        if not info.json_schema:
            raise errors.ValidationError(
                "json_schema",
                f"{info.name} has no JSON-schema output on DashScope; use JSON mode or tools",
                vendor=VENDOR,
            )
        spec = request.json_schema
        inner = {
            key: spec[key] for key in ("name", "schema", "strict") if spec.get(key) is not None
        }
        return {"type": "json_schema", "json_schema": inner}
    if request.json_mode and info.json_mode:
        return {"type": "json_object"}
    return None


def wire_messages(messages: Sequence[Message], info: ModelInfo) -> list[dict[str, Any]]:
    """Neutral messages as DashScope ``input.messages`` (OpenAI-like roles and tool calls)."""
    wire: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name, for the tool results
    for message in messages:
        if message.role == "system":
            if wire and wire[-1]["role"] != "system":
                raise errors.ValidationError(
                    "messages", "system messages must come first", vendor=VENDOR
                )
            if wire:  # several leading system messages: one system turn
                wire[-1]["content"] += "\n" + message.text
            else:
                wire.append({"role": "system", "content": message.text})
        elif message.role == "assistant":
            wire.append(assistant_turn(message, names))
        elif message.role == "tool":
            wire.append(tool_result_turn(message, names))
        else:
            wire.append({"role": "user", "content": chatyuan.text_only(message, info.name)})
    if not wire:
        raise errors.ValidationError("messages", "must not be empty", vendor=VENDOR)
    return wire


def assistant_turn(message: Message, names: dict[str, str]) -> dict[str, Any]:
    """An assistant turn (text content; ``multimodal`` makes it a part list); the ids of its
    tool calls are noted in ``names`` for the results that follow."""
    # An earlier turn's reasoning is not sent back: the native service drops it for its
    # reasoning models and resending re-bills it (dashscope-current.md §4.5).
    turn: dict[str, Any] = {"role": "assistant", "content": message.text}
    if message.tool_calls:
        names.update({call.id: call.name for call in message.tool_calls})
        turn["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    return turn


def tool_result_turn(message: Message, names: dict[str, str]) -> dict[str, Any]:
    """A tool result, named after its call when the message does not name it."""
    turn: dict[str, Any] = {"role": "tool", "content": message.text}
    if message.tool_call_id:
        turn["tool_call_id"] = message.tool_call_id
    name = message.name or names.get(message.tool_call_id or "")
    if name:
        turn["name"] = name
    return turn


def _tool_fields(info: ModelInfo, request: ChatRequest) -> dict[str, Any]:
    if not request.tools:
        return {}
    if not info.tools:
        raise errors.ValidationError(
            "tools",
            f"{info.name} has no native tool calling on DashScope; Qwen models ("
            "qwen-plus, qwen-max...) have it",
            vendor=VENDOR,
        )
    fields: dict[str, Any] = {
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                },
            }
            for tool in request.tools
        ]
    }
    choice = _tool_choice(request)
    if choice is not None:
        fields["tool_choice"] = choice
    return fields


def _tool_choice(request: ChatRequest) -> str | dict[str, Any] | None:
    """``auto``, ``none`` or one named function: DashScope's forms (§2.2)."""
    choice = request.tool_choice
    if choice in (None, "auto", "none"):
        return choice
    names = [tool.name for tool in request.tools]
    if choice in ("required", "any"):
        if len(names) == 1:
            choice = names[0]
        else:
            _warn_once(
                "tool_choice='required' has no DashScope form when several tools are bound "
                "(it can force one named function only); sent as 'auto'"
            )
            return "auto"
    if choice not in names:
        raise errors.ValidationError(
            "tool_choice", f"{choice!r} is not one of the bound tools {names}", vendor=VENDOR
        )
    return {"type": "function", "function": {"name": choice}}


def _envelope(
    info: ModelInfo, model_input: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    return {"model": info.name, "input": model_input, "parameters": parameters}


def _stream_parameters(stream: bool) -> dict[str, Any]:
    # Always incremental: each event holds only new tokens, accumulated by the caller (§3.1).
    return {"incremental_output": True} if stream else {}


def chat_body(info: ModelInfo, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    validate_params(request.params)
    if info.prompt_only:
        if request.tools:
            _tool_fields(info, request)  # raises: no native tools
        prompt = chatyuan.render(request.messages, escape=info.escape_newlines)
        parameters = {
            **_prompt_only_parameters(info, request.params),
            **_stream_parameters(stream),
        }
        return _envelope(info, {"prompt": prompt}, parameters)
    _check_thinking(info, request)
    parameters = {"result_format": "message", **_sampling(request.params)}
    parameters.update(_tool_fields(info, request))
    response_format = _response_format(info, request)
    if response_format is not None:
        parameters["response_format"] = response_format
    parameters.update(request.params.extra)
    parameters.update(_stream_parameters(stream))
    return _envelope(info, {"messages": wire_messages(request.messages, info)}, parameters)


def completion_chat(request: CompletionRequest) -> ChatRequest:
    """A chat model's completion: the prompt, which must not be empty, as one user turn."""
    if not request.prompt:
        raise errors.ValidationError("prompt", "must not be empty", vendor=VENDOR)
    return request.as_chat()


def completion_body(info: ModelInfo, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """ChatYuan gets the prompt as written (newlines escaped); chat models a one-turn chat."""
    if not info.prompt_only:
        return chat_body(info, completion_chat(request), stream=stream)
    if not request.prompt:
        raise errors.ValidationError("prompt", "must not be empty", vendor=VENDOR)
    validate_params(request.params)
    prompt = chatyuan.escape_newlines(request.prompt) if info.escape_newlines else request.prompt
    parameters = {**_prompt_only_parameters(info, request.params), **_stream_parameters(stream)}
    return _envelope(info, {"prompt": prompt}, parameters)


def embedding_body(
    info: ModelInfo, texts: Sequence[str], *, text_type: str, dimension: int | None
) -> dict[str, Any]:
    if not texts or len(texts) > info.batch_size:
        raise errors.ValidationError(
            "texts", f"{len(texts)} texts; {info.name} takes 1 to {info.batch_size}", vendor=VENDOR
        )
    for index, text in enumerate(texts):
        if not text:
            raise errors.ValidationError(f"texts[{index}]", "must not be empty", vendor=VENDOR)
    validate_embedding_options(info, text_type, dimension)
    parameters: dict[str, Any] = {"text_type": text_type}
    if dimension is not None:
        parameters["dimension"] = dimension
    return _envelope(info, {"texts": list(texts)}, parameters)


def batch_size(info: ModelInfo, requested: int | None) -> int:
    """Texts per request: the model's limit, or a smaller size the caller asks for."""
    size = info.batch_size if requested is None else requested
    if not 1 <= size <= info.batch_size:
        raise errors.ValidationError(
            "batch_size",
            f"{size}; {info.name} takes 1 to {info.batch_size} texts per request",
            vendor=VENDOR,
        )
    return size


def validate_embedding_options(info: ModelInfo, text_type: str, dimension: int | None) -> None:
    if text_type not in TEXT_TYPES:
        raise errors.ValidationError(
            "text_type", f"{text_type!r}; one of {', '.join(TEXT_TYPES)}", vendor=VENDOR
        )
    if dimension is None or info.native_dimension is None:
        return  # an unknown model: the server judges the dimension
    if not info.dimensions:
        raise errors.ValidationError(
            "dimension",
            f"{info.name} takes no dimension (its vectors have {info.native_dimension}); "
            "text-embedding-v3 and -v4 do",
            vendor=VENDOR,
        )
    if dimension not in info.dimensions:
        allowed = ", ".join(str(value) for value in info.dimensions)
        raise errors.ValidationError(
            "dimension", f"{dimension!r}; {info.name} takes one of {allowed}", vendor=VENDOR
        )


# -- responses (§2.4) ---------------------------------------------------------------------------


def _usage(body: dict[str, Any], info: ModelInfo) -> Usage | None:
    usage = body.get("usage")
    if not info.metered or not isinstance(usage, dict):
        return None  # ChatYuan's "default values" are not counts (seed 002)
    # As given: input and output both, or nothing (a total alone is not split).
    if "input_tokens" not in usage or "output_tokens" not in usage:
        return None
    return parsing.usage(usage, VENDOR, input_key="input_tokens", output_key="output_tokens")


def _finish_reason(value: Any) -> str | None:
    # "null" (a string) means "still generating" (§7.2).
    return None if value in (None, "", "null") else str(value)


def _content(value: Any, path: str = "output.text") -> str:
    if isinstance(value, list):  # multimodal-style parts: [{"text": ...}]
        return "".join(
            parsing.text(part.get("text"), f"{path}[{index}].text", VENDOR)
            for index, part in enumerate(value)
            if isinstance(part, dict)
        )
    return parsing.text(value, path, VENDOR)


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value or {}, ensure_ascii=False)


@dataclass(frozen=True)
class _Output:
    """The parts of one ``output`` object, in either result format."""

    text: str
    finish_reason: str | None
    has_finish_field: bool
    tool_calls: list[dict[str, Any]]
    metadata: dict[str, Any]
    reasoning: str = ""  # message.reasoning_content: the whole, or a stream's increment


def _output(body: dict[str, Any]) -> _Output:
    output = body.get("output")
    if not isinstance(output, dict):
        raise errors.ProtocolError(
            f"DashScope answered without an output: {str(body)[:200]}", vendor=VENDOR
        )
    metadata: dict[str, Any] = {}
    if "search_info" in output:
        metadata["search_info"] = output["search_info"]
    choices = output.get("choices")
    if choices is not None and not isinstance(choices, list):
        raise parsing.malformed("output.choices", "a list", choices, VENDOR)
    if choices:
        choice = parsing.mapping(choices[0], "output.choices[0]", VENDOR)
        message = parsing.mapping(
            choice.get("message"), "output.choices[0].message", VENDOR, optional=True
        )
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise parsing.malformed("output.choices[0].message.tool_calls", "a list", calls, VENDOR)
        return _Output(
            _content(message.get("content"), "output.choices[0].message.content"),
            _finish_reason(choice.get("finish_reason")),
            "finish_reason" in choice,
            [
                parsing.mapping(call, f"output.choices[0].message.tool_calls[{index}]", VENDOR)
                for index, call in enumerate(calls or ())
            ],
            metadata,
            _content(message.get("reasoning_content")),
        )
    if "text" in output:
        return _Output(
            _content(output.get("text")),
            _finish_reason(output.get("finish_reason")),
            "finish_reason" in output,
            [],
            metadata,
        )
    raise errors.ProtocolError(
        f"DashScope output has neither text nor choices: {str(output)[:200]}", vendor=VENDOR
    )


def _tool_calls(pieces: Sequence[dict[str, Any]]) -> tuple[ToolCall, ...]:
    calls = []
    for index, call in enumerate(pieces):
        function = parsing.mapping(
            call.get("function"), f"tool_calls[{index}].function", VENDOR, optional=True
        )
        call_id = call.get("id") or f"call_{index}"
        calls.append(
            ToolCall(
                str(call_id), str(function.get("name", "")), _arguments(function.get("arguments"))
            )
        )
    return tuple(calls)


def _metadata(body: dict[str, Any], output: _Output, info: ModelInfo) -> dict[str, Any]:
    metadata = dict(output.metadata)
    if info.metered and isinstance(body.get("usage"), dict):
        metadata["usage"] = body["usage"]  # as sent: every key, e.g. cached or image tokens
    return metadata


def parse_result(body: Any, info: ModelInfo) -> ChatResult:
    """A whole answer, ``result_format`` text or message."""
    if not isinstance(body, dict):
        raise errors.ProtocolError(f"unexpected DashScope answer: {str(body)[:200]}", vendor=VENDOR)
    error_in_body(body)
    output = _output(body)
    text = chatyuan.unescape_newlines(output.text) if info.prompt_only else output.text
    tool_calls = _tool_calls(output.tool_calls)
    return ChatResult(
        text=text,
        model=info.name,
        tool_calls=tool_calls,
        finish_reason=output.finish_reason,
        usage=_usage(body, info),
        request_id=body.get("request_id"),
        metadata=_metadata(body, output, info),
        raw=body,
        reasoning=output.reasoning,
    )


class StreamParser:
    """Events of one incremental stream (§3) to deltas; usage once, on the final delta.

    The stream ends with the event whose finish_reason is not "null" (there is no ``[DONE]``).
    ChatYuan's events carry no finish_reason at all: for a model that never reports one, a
    cleanly closed connection is the end (a broken one raises in the transport).
    """

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self.finished = False
        self.events = 0
        self._finish_field_seen = False
        self._calls: dict[int, dict[str, str]] = {}
        self._unescaper = chatyuan.Unescaper() if info.prompt_only else None
        self._request_id: str | None = None

    def feed(self, event: ServerSentEvent) -> ChatDelta | None:
        if self.finished or not event.data.strip():
            return None  # e.g. an ``event:done`` after the final event (§3.3)
        body = _loads(event.data)
        if not isinstance(body, dict):
            raise errors.ProtocolError(
                f"unexpected stream data from DashScope: {event.data[:200]!r}", vendor=VENDOR
            )
        if (event.event or "").strip() == "error" and not body.get("code"):
            body = {**body, "code": "Unknown"}
        error_in_body(body)  # ``event:error`` or a non-empty code in any event (§3.4)
        self.events += 1
        self._request_id = body.get("request_id") or self._request_id
        output = _output(body)
        self._finish_field_seen = self._finish_field_seen or output.has_finish_field
        self._collect_calls(output.tool_calls)
        final = output.finish_reason is not None
        text = self._unescaper.feed(output.text) if self._unescaper else output.text
        if not final:
            # Thinking comes first, as its own increments: handed on as it arrives.
            return ChatDelta(
                text=text,
                model=self.info.name,
                request_id=self._request_id,
                reasoning=output.reasoning,
            )
        self.finished = True
        return self._final(text, output.finish_reason, body, output)

    def _collect_calls(self, pieces: Sequence[dict[str, Any]]) -> None:
        """Tool calls arrive in pieces keyed by ``index``; arguments are concatenated (§7.14)."""
        for position, piece in enumerate(pieces):
            index = piece.get("index", position)
            index = index if isinstance(index, int) else position
            call = self._calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
            function = parsing.mapping(
                piece.get("function"), f"tool_calls[{position}].function", VENDOR, optional=True
            )
            call["id"] = call["id"] or str(piece.get("id") or "")
            call["name"] = call["name"] or str(function.get("name") or "")
            if function.get("arguments") is not None:
                call["arguments"] += _arguments(function["arguments"])

    def _final(
        self, text: str, finish_reason: str | None, body: dict[str, Any], output: _Output | None
    ) -> ChatDelta:
        if self._unescaper:
            text += self._unescaper.flush()
        calls = tuple(
            ToolCall(call["id"] or f"call_{index}", call["name"], call["arguments"] or "{}")
            for index, call in sorted(self._calls.items())
        )
        metadata = _metadata(body, output, self.info) if output is not None else {}
        return ChatDelta(
            text=text,
            model=self.info.name,
            is_final=True,
            tool_calls=calls,
            finish_reason=finish_reason,
            usage=_usage(body, self.info),  # running totals: the last event's are the answer's
            request_id=self._request_id,
            metadata=metadata,
            reasoning=output.reasoning if output is not None else "",
        )

    def finish(self) -> ChatDelta | None:
        """Call when the events are exhausted: the final delta of a model without
        finish_reason, or StreamInterruptedError when the final event never came."""
        if self.finished:
            return None
        if self.events and not self._finish_field_seen:
            self.finished = True
            return self._final("", None, {}, None)
        raise errors.StreamInterruptedError(
            f"the DashScope stream ended after {self.events} events without a final "
            "finish_reason: the answer is incomplete",
            vendor=VENDOR,
            request_id=self._request_id,
        )


# -- embeddings (§4) ----------------------------------------------------------------------------


def parse_embeddings(body: Any, info: ModelInfo, expected: int) -> EmbeddingResult:
    """Vectors placed by ``text_index`` (never by array order)."""
    if not isinstance(body, dict):
        raise errors.ProtocolError(f"unexpected DashScope answer: {str(body)[:200]}", vendor=VENDOR)
    error_in_body(body)
    output = parsing.mapping(body.get("output"), "output", VENDOR, optional=True)
    items = output.get("embeddings")
    if not isinstance(items, list):
        raise errors.ProtocolError(
            f"DashScope answered without embeddings: {str(body)[:200]}", vendor=VENDOR
        )
    vectors: list[list[float] | None] = [None] * expected
    for position, item in enumerate(items):
        item = parsing.mapping(item, f"output.embeddings[{position}]", VENDOR)
        index = item.get("text_index", item.get("index", position))
        if not isinstance(index, int) or not 0 <= index < expected or vectors[index] is not None:
            raise errors.ProtocolError(
                f"DashScope returned text_index {index!r} for {expected} texts", vendor=VENDOR
            )
        vectors[index] = parsing.vector(
            item.get("embedding"), f"output.embeddings[{position}].embedding", VENDOR
        )
    missing = [index for index, vector in enumerate(vectors) if vector is None]
    if missing:
        raise errors.ProtocolError(
            f"DashScope returned no embedding for texts {missing}", vendor=VENDOR
        )
    # Embeddings consume input only: DashScope's total_tokens is the input count.
    usage = parsing.usage(body.get("usage"), VENDOR, input_key="total_tokens", embedding=True)
    return EmbeddingResult(
        vectors=[vector for vector in vectors if vector is not None],
        model=info.name,
        usage=usage,
    )
