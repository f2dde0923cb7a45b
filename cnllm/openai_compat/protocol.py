"""The OpenAI-compatible protocol (chat completions, completions, embeddings, models): pure
build and parse functions, no I/O.

Written for any server that speaks it: OpenAI, vLLM, llama.cpp's server, FastChat, Qianfan v2
(``https://qianfan.baidubce.com/v2``), DashScope compatible mode. ``OpenAIProtocol`` gathers
the functions a client needs; a server with quirks subclasses it and overrides the few that
differ (see ``cnllm.koala.protocol``).
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cnllm import errors, parsing
from cnllm.embedding import data_vectors
from cnllm.sse import ServerSentEvent
from cnllm.transport import HttpResponse
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

VENDOR = "openai-compatible"
DONE = "[DONE]"
CHAT_PATH = "chat/completions"
COMPLETIONS_PATH = "completions"
EMBEDDINGS_PATH = "embeddings"
MODELS_PATH = "models"

Kind = Literal["chat", "completions"]

# Base64 prefixes of the image formats a data URL can be built for without a mime_type.
_IMAGE_MAGIC = (
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("R0lGOD", "image/gif"),
    ("UklGR", "image/webp"),
)


@dataclass(frozen=True)
class ModelCard:
    """One entry of ``GET /models``."""

    id: str
    owned_by: str | None = None
    created: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def endpoint_url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}"


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


# -- messages -----------------------------------------------------------------------------------


def image_url(part: Mapping[str, Any], *, vendor: str = VENDOR) -> str:
    """The URL (or ``data:`` URL) of an image part in any of LangChain's shapes: OpenAI
    ``image_url``, standard ``image`` with ``url`` or ``base64``, or the v0 ``source_type`` form."""
    if part.get("type") == "image_url":
        value = part.get("image_url")
        url = value.get("url") if isinstance(value, Mapping) else value
        if isinstance(url, str) and url:
            return url
    elif part.get("type") == "image":
        if isinstance(part.get("url"), str) and part["url"]:
            return str(part["url"])
        data = part.get("base64") or (
            part.get("data") if part.get("source_type") == "base64" else None
        )
        if isinstance(data, str) and data:
            return f"data:{_mime_type(part, data, vendor)};base64,{data}"
    raise errors.ValidationError(
        "messages",
        "an image part needs a URL or base64 data (file ids are not supported): "
        f"{_describe_part(part)}",
        vendor=vendor,
    )


def _mime_type(part: Mapping[str, Any], data: str, vendor: str) -> str:
    mime = part.get("mime_type")
    if isinstance(mime, str) and mime:
        return mime
    for prefix, guessed in _IMAGE_MAGIC:
        if data.startswith(prefix):
            return guessed
    raise errors.ValidationError(
        "messages", "a base64 image part needs a mime_type (e.g. image/png)", vendor=vendor
    )


def _describe_part(part: Mapping[str, Any]) -> str:
    shown = {key: value for key, value in part.items() if key not in ("base64", "data")}
    return json.dumps(shown, ensure_ascii=False, default=str)[:200]


def is_image(part: Mapping[str, Any]) -> bool:
    return part.get("type") in ("image_url", "image")


def _content_parts(message: Message, vendor: str) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if part.get("type") == "text":
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif is_image(part):
            parts.append(
                {"type": "image_url", "image_url": {"url": image_url(part, vendor=vendor)}}
            )
        else:
            raise errors.ValidationError(
                "messages",
                f"unsupported content part type {part.get('type')!r}; text and images only",
                vendor=vendor,
            )
    return parts


def wire_tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


ReasoningBack = Literal["never", "tool_turns", "always"]


def sends_reasoning(message: Message, policy: ReasoningBack) -> bool:
    """Whether an earlier assistant turn's reasoning goes back, by the dialect's policy:
    ``never`` (servers that ignore it or answer 400), ``tool_turns`` (only turns that called
    tools, as DeepSeek's thinking mode requires within a tool loop) or ``always``."""
    if message.role != "assistant" or not message.reasoning or policy == "never":
        return False
    return policy == "always" or bool(message.tool_calls)


def wire_message(
    message: Message, *, vendor: str = VENDOR, reasoning_back: ReasoningBack = "never"
) -> dict[str, Any]:
    """One neutral message in the OpenAI chat format."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.text}
    if message.role == "user":
        wire: dict[str, Any] = {"role": "user", "content": _content_parts(message, vendor)}
    elif message.role == "assistant" and message.tool_calls:
        wire = {
            "role": "assistant",
            "content": message.text or None,  # OpenAI's form for a turn that only calls tools
            "tool_calls": [wire_tool_call(call) for call in message.tool_calls],
        }
    else:
        wire = {"role": message.role, "content": message.text}
    if message.name:
        wire["name"] = message.name
    if sends_reasoning(message, reasoning_back):
        wire["reasoning_content"] = message.reasoning
    return wire


# -- request bodies -----------------------------------------------------------------------------


def check_range(
    name: str, value: float | None, low: float, high: float, *, vendor: str = VENDOR
) -> None:
    if value is not None and not low <= value <= high:
        raise errors.ValidationError(name, f"{value!r} is outside [{low}, {high}]", vendor=vendor)


def validate_params(params: GenerationParams, *, vendor: str = VENDOR) -> None:
    """OpenAI's documented ranges; a server with other limits validates on top."""
    errors.require_finite(params, vendor=vendor)
    check_range("temperature", params.temperature, 0.0, 2.0, vendor=vendor)
    check_range("top_p", params.top_p, 0.0, 1.0, vendor=vendor)
    if params.max_tokens is not None and params.max_tokens < 1:
        raise errors.ValidationError("max_tokens", "must be at least 1", vendor=vendor)
    if params.penalty_score is not None:
        raise errors.ValidationError(
            "penalty_score",
            "is not an OpenAI parameter; pass presence_penalty or frequency_penalty instead",
            vendor=vendor,
        )
    n = params.extra.get("n", 1)
    if n != 1:
        raise errors.ValidationError(
            "n", f"{n!r}: only one choice (n=1) is supported", vendor=vendor
        )


def sampling_fields(params: GenerationParams) -> dict[str, Any]:
    """The parameters that were set; unset ones are left out, never sent as null."""
    fields: dict[str, Any] = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,  # not OpenAI's, but vLLM, llama.cpp and FastChat take it
        "max_tokens": params.max_tokens,
        "stop": list(params.stop) if params.stop else None,
        "user": params.user_id,
        "logprobs": params.logprobs,
        "top_logprobs": params.top_logprobs,
    }
    return {key: value for key, value in fields.items() if value is not None}


def stream_fields(stream: bool, include_usage: bool) -> dict[str, Any]:
    if not stream:
        return {}
    if include_usage:
        return {"stream": True, "stream_options": {"include_usage": True}}
    return {"stream": True}


def tool_choice_field(request: ChatRequest, *, vendor: str = VENDOR) -> Any:
    choice = request.tool_choice
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    names = [tool.name for tool in request.tools]
    if choice not in names:
        raise errors.ValidationError(
            "tool_choice", f"{choice!r} is not one of the bound tools {names}", vendor=vendor
        )
    return {"type": "function", "function": {"name": choice}}


def tool_fields(request: ChatRequest, *, vendor: str = VENDOR) -> dict[str, Any]:
    if not request.tools:
        return {}
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
    choice = tool_choice_field(request, vendor=vendor)
    if choice is not None:
        fields["tool_choice"] = choice
    return fields


def response_format_field(request: ChatRequest, *, vendor: str = VENDOR) -> dict[str, Any] | None:
    """OpenAI's ``response_format``: a json_schema (native structured output) wins over JSON
    mode; ``strict`` goes inside ``json_schema``, OpenAI's place for it."""
    if request.json_schema is not None:
        spec = request.json_schema
        if not isinstance(spec.get("schema"), Mapping) or not spec.get("name"):
            raise errors.ValidationError(
                "json_schema", "needs a name and a JSON-schema object `schema`", vendor=vendor
            )
        inner: dict[str, Any] = {"name": str(spec["name"]), "schema": dict(spec["schema"])}
        if spec.get("description"):
            inner["description"] = str(spec["description"])
        if spec.get("strict") is not None:
            inner["strict"] = bool(spec["strict"])
        return {"type": "json_schema", "json_schema": inner}
    if request.json_mode:
        return {"type": "json_object"}
    return None


def thinking_fields(params: GenerationParams) -> dict[str, Any]:
    """The thinking switches as vLLM and SGLang take them (the chat template's kwargs); a
    dialect with its own fields (Qianfan v2, DashScope) overrides this."""
    switches = {
        "enable_thinking": params.enable_thinking,
        "thinking_budget": params.thinking_budget,
    }
    kwargs = {key: value for key, value in switches.items() if value is not None}
    return {"chat_template_kwargs": kwargs} if kwargs else {}


def chat_body(
    model: str,
    request: ChatRequest,
    *,
    stream: bool,
    include_usage: bool = False,
    reasoning_back: ReasoningBack = "never",
) -> dict[str, Any]:
    validate_params(request.params)
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            wire_message(message, reasoning_back=reasoning_back) for message in request.messages
        ],
    }
    body.update(sampling_fields(request.params))
    body.update(tool_fields(request))
    body.update(thinking_fields(request.params))
    response_format = response_format_field(request)
    if response_format is not None:
        body["response_format"] = response_format
    body.update(stream_fields(stream, include_usage))
    body.update(request.params.extra)
    return body


def completion_body(
    model: str, request: CompletionRequest, *, stream: bool, include_usage: bool = False
) -> dict[str, Any]:
    validate_params(request.params)
    body: dict[str, Any] = {"model": model, "prompt": request.prompt}
    body.update(sampling_fields(request.params))
    body.update(stream_fields(stream, include_usage))
    body.update(request.params.extra)
    return body


def embedding_body(
    model: str,
    texts: Sequence[str],
    *,
    encoding_format: str | None = None,
    dimensions: int | None = None,
    user: str | None = None,
    vendor: str = VENDOR,
) -> dict[str, Any]:
    if not texts:
        raise errors.ValidationError("input", "needs at least one text", vendor=vendor)
    body: dict[str, Any] = {"model": model, "input": list(texts)}
    optional = {"encoding_format": encoding_format, "dimensions": dimensions, "user": user}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


# -- errors -------------------------------------------------------------------------------------

_BY_CODE: dict[str, type[errors.APIError]] = {
    "context_length_exceeded": errors.ContextOverflowError,
    "string_above_max_length": errors.ContextOverflowError,
    "insufficient_quota": errors.QuotaExceededError,
    "invalid_api_key": errors.AuthenticationError,
    "authentication_error": errors.AuthenticationError,
    "permission_error": errors.PermissionDeniedError,
    "model_not_found": errors.NotFoundError,
    "not_found_error": errors.NotFoundError,
    "rate_limit_exceeded": errors.RateLimitError,
    "server_error": errors.ServerError,
    "overloaded_error": errors.ServerError,
    "content_filter": errors.ContentFilterError,
    "content_policy_violation": errors.ContentFilterError,
    "data_inspection_failed": errors.ContentFilterError,  # DashScope compatible mode
}
_OVERFLOW_HINTS = ("maximum context length", "context length", "too many tokens")


def request_id_of(response: HttpResponse, body: Any = None) -> str | None:
    for name in ("x-request-id", "request-id", "x-dashscope-request-id"):
        value = response.header(name)
        if value:
            return value
    if isinstance(body, Mapping) and isinstance(body.get("request_id"), str):
        return str(body["request_id"])
    return None


def _error_fields(payload: Any) -> tuple[str, Any, Any]:
    """(message, code, type) of OpenAI's ``{"error": {...}}``, a bare ``{"error": "text"}`` or
    FastAPI's ``{"detail": ...}``."""
    if isinstance(payload, Mapping):
        inner = payload.get("error")
        if isinstance(inner, Mapping):
            return str(inner.get("message") or ""), inner.get("code"), inner.get("type")
        if isinstance(inner, str):
            return inner, payload.get("code"), payload.get("type")
        if "detail" in payload:
            detail = payload["detail"]
            if isinstance(detail, Mapping) and "error" in detail:
                return _error_fields(detail)
            return json.dumps(detail, ensure_ascii=False, default=str)[:500], None, None
        if "message" in payload:
            return str(payload["message"]), payload.get("code"), payload.get("type")
    return str(payload)[:500], None, None


def error_from_payload(
    payload: Any,
    *,
    status: int | None,
    request_id: str | None = None,
    vendor: str = VENDOR,
) -> errors.APIError:
    """The typed error for an OpenAI-style error body."""
    message, code, kind = _error_fields(payload)
    cls: type[errors.APIError] = (
        errors.error_for_status(status) if status and status >= 400 else errors.APIError
    )
    for key in (code, kind):
        if isinstance(key, str) and key in _BY_CODE:
            cls = _BY_CODE[key]
            break
    if issubclass(cls, errors.InvalidRequestError) and any(
        hint in message.lower() for hint in _OVERFLOW_HINTS
    ):
        cls = errors.ContextOverflowError
    return cls(
        message or f"HTTP {status}",
        vendor=vendor,
        code=code if code is not None else kind,
        status_code=status,
        request_id=request_id,
        body=payload if isinstance(payload, Mapping) else None,
    )


def _json_or_none(response: HttpResponse) -> Any:
    try:
        return response.json()
    except errors.ProtocolError:
        return None


def check_response(response: HttpResponse, *, vendor: str = VENDOR) -> None:
    """Raise the typed error an answer stands for; errors may come in 200 bodies too."""
    # The body decides, whatever the content type: an error served as text/plain is still
    # classified by its code (a body that is not JSON is left to the status and the parser).
    if response.status < 400 and not response.is_json and response.content.lstrip()[:1] != b"{":
        return
    body = _json_or_none(response)
    if body is None:
        return  # not JSON: the transport classifies the status, the parser reports a 200
    if response.status >= 400 or (isinstance(body, Mapping) and body.get("error")):
        raise error_from_payload(
            body, status=response.status, request_id=request_id_of(response, body), vendor=vendor
        )


# -- responses ----------------------------------------------------------------------------------


def parse_usage(raw: Any, *, vendor: str = VENDOR) -> Usage | None:
    """Token counts as given, never invented (``cnllm.parsing.usage``); a count that is not a
    non-negative integer is a ProtocolError naming it."""
    return parsing.usage(raw, vendor)


def _body(data: Any, vendor: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise errors.ProtocolError(f"expected a JSON object, got: {str(data)[:200]}", vendor=vendor)
    return data


def _first_choice(body: Mapping[str, Any], vendor: str) -> dict[str, Any]:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise errors.ProtocolError(
            f"the answer has no choices: {json.dumps(body, ensure_ascii=False)[:200]}",
            vendor=vendor,
        )
    return parsing.mapping(choices[0], "choices[0]", vendor)


def parse_tool_calls(
    raw: Any, *, vendor: str = VENDOR, path: str = "choices[0].message.tool_calls"
) -> tuple[ToolCall, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise parsing.malformed(path, "a list", raw, vendor)
    calls = []
    for index, item in enumerate(raw):
        item = parsing.mapping(item, f"{path}[{index}]", vendor)
        function = parsing.mapping(item.get("function"), f"{path}[{index}].function", vendor)
        name = parsing.text(function.get("name"), f"{path}[{index}].function.name", vendor)
        if not name:
            raise parsing.malformed(f"{path}[{index}].function.name", "a name", name, vendor)
        arguments = function.get("arguments", "{}")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        calls.append(ToolCall(str(item.get("id") or f"call_{index}"), name, arguments))
    return tuple(calls)


def reasoning_of(message: Mapping[str, Any]) -> str:
    """A message's or delta's reasoning: ``reasoning_content`` (DeepSeek, Qianfan v2,
    DashScope, vLLM before 0.10) or ``reasoning`` (vLLM, SGLang, OpenRouter)."""
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


_METADATA_KEYS = ("object", "created", "system_fingerprint", "service_tier")


def response_metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in _METADATA_KEYS if body.get(key) is not None}


def parse_result(
    data: Any,
    kind: Kind,
    *,
    model: str,
    vendor: str = VENDOR,
) -> ChatResult:
    """A whole chat or completion answer."""
    body = _body(data, vendor)
    choice = _first_choice(body, vendor)
    reasoning = ""
    if kind == "chat":
        message = parsing.mapping(choice.get("message"), "choices[0].message", vendor)
        text = parsing.text(message.get("content"), "choices[0].message.content", vendor)
        tool_calls = parse_tool_calls(message.get("tool_calls"), vendor=vendor)
        reasoning = reasoning_of(message)
    else:
        text, tool_calls = parsing.text(choice.get("text"), "choices[0].text", vendor), ()
    metadata = response_metadata(body)
    if choice.get("logprobs") is not None:
        metadata["logprobs"] = choice["logprobs"]
    return ChatResult(
        text=str(text),
        model=str(body.get("model") or model),
        tool_calls=tool_calls,
        finish_reason=choice.get("finish_reason"),
        usage=parse_usage(body.get("usage"), vendor=vendor),
        request_id=body.get("id"),
        metadata=metadata,
        raw=body,
        reasoning=reasoning,
    )


def parse_models(data: Any, *, vendor: str = VENDOR) -> list[ModelCard]:
    body = _body(data, vendor)
    items = body.get("data")
    if not isinstance(items, list):
        raise errors.ProtocolError("the model list has no data array", vendor=vendor)
    return [
        ModelCard(str(item["id"]), item.get("owned_by"), item.get("created"), dict(item))
        for item in items
        if isinstance(item, dict) and item.get("id")
    ]


def _decode_vector(raw: Any, vendor: str, path: str = "data[].embedding") -> list[float]:
    if isinstance(raw, str):  # encoding_format="base64": little-endian float32
        try:
            packed = base64.b64decode(raw, validate=True)
        except ValueError:
            raise parsing.malformed(path, "base64 float32 data", raw, vendor) from None
        if len(packed) % 4:
            raise parsing.malformed(path, "base64 float32 data", raw, vendor)
        return list(struct.unpack(f"<{len(packed) // 4}f", packed))
    return parsing.vector(raw, path, vendor)


def parse_embeddings(
    data: Any,
    expected: int,
    *,
    model: str,
    vendor: str = VENDOR,
) -> EmbeddingResult:
    """Vectors in input order: sorted by ``index``, whatever order the server sent."""
    body = _body(data, vendor)
    vectors = data_vectors(
        body.get("data"),
        expected,
        vendor=vendor,
        who="the server",
        decode=lambda raw, path: _decode_vector(raw, vendor, path),
    )
    return EmbeddingResult(
        vectors=vectors,
        model=str(body.get("model") or model),
        usage=parsing.usage(body.get("usage"), vendor, embedding=True),
    )


def l2_normalize(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else list(vector)


# -- streams ------------------------------------------------------------------------------------


@dataclass
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamParser:
    """Turns ``data:`` events into deltas. Text comes as it arrives; tool calls, the finish
    reason and usage come whole on the final delta, made at ``[DONE]``.

    Tolerated: chunks without ``object``/``created``, a finish reason on a chunk that also
    carries text, usage on a separate ``choices: []`` chunk (``stream_options``), and a whole
    JSON answer instead of a stream. A stream that ends without ``[DONE]`` is complete only if
    its choice finished; otherwise ``finish()`` raises StreamInterruptedError.
    """

    def __init__(self, kind: Kind, model: str, *, vendor: str = VENDOR) -> None:
        self.kind = kind
        self.model = model
        self.vendor = vendor
        self.events = 0
        self.finished = False
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.request_id: str | None = None
        self.metadata: dict[str, Any] = {}
        self._tool_calls: dict[int, _ToolCallParts] = {}
        self._choices_seen = False

    # -- hooks for servers with quirks -------------------------------------------------------

    def raise_for_event(self, body: dict[str, Any]) -> None:
        """An error sent inside the stream (the status was already 200)."""
        if body.get("error"):
            raise error_from_payload(
                body, status=None, request_id=self.request_id, vendor=self.vendor
            )

    def parse_usage(self, raw: Any) -> Usage | None:
        return parse_usage(raw, vendor=self.vendor)

    def text_increment(self, text: str) -> str:
        """The new text a chunk adds (chunks are deltas here)."""
        return text

    def pending_text(self) -> str:
        """Text held back until the stream ends (none here)."""
        return ""

    # -- parsing ------------------------------------------------------------------------------

    def feed(self, event: ServerSentEvent) -> ChatDelta | None:
        data = event.data.strip()
        if self.finished or not data:
            return None
        if data == DONE:
            return self._final()
        try:
            body = json.loads(data)
        except ValueError as exc:
            raise errors.ProtocolError(
                f"unexpected stream data: {data[:200]!r}", vendor=self.vendor
            ) from exc
        if not isinstance(body, dict):
            raise errors.ProtocolError(
                f"unexpected stream data: {data[:200]!r}", vendor=self.vendor
            )
        self.events += 1
        self.raise_for_event(body)
        return self._chunk(body)

    def _chunk(self, body: dict[str, Any]) -> ChatDelta | None:
        self.request_id = self.request_id or body.get("id")
        self.model = str(body.get("model") or self.model)
        self.metadata.update(response_metadata(body))
        if body.get("usage") is not None:
            self.usage = self.parse_usage(body["usage"]) or self.usage
        text = reasoning = ""
        choices = body.get("choices")
        if choices is not None and not isinstance(choices, list):
            raise parsing.malformed("choices", "a list", choices, self.vendor)
        for position, choice in enumerate(choices or ()):
            choice = parsing.mapping(choice, f"choices[{position}]", self.vendor)
            if choice.get("index", 0) != 0:
                continue  # one choice (n=1) is all a neutral result holds
            self._choices_seen = True
            text += self._choice_text(choice)
            if self.kind == "chat":
                reasoning += reasoning_of(choice.get("delta") or choice.get("message") or {})
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        if not (text or reasoning):
            return None
        # Reasoning is handed on as it arrives, so thinking shows before the answer starts.
        return ChatDelta(
            text=text, model=self.model, request_id=self.request_id, reasoning=reasoning
        )

    def _choice_text(self, choice: dict[str, Any]) -> str:
        if self.kind == "completions":
            return self.text_increment(
                parsing.text(choice.get("text"), "choices[0].text", self.vendor)
            )
        # "message" when the server answered a stream request with one whole JSON body.
        key = "delta" if "delta" in choice else "message"
        delta = parsing.mapping(choice.get(key), f"choices[0].{key}", self.vendor, optional=True)
        calls = delta.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise parsing.malformed(f"choices[0].{key}.tool_calls", "a list", calls, self.vendor)
        for index, call in enumerate(calls or ()):
            call = parsing.mapping(call, f"choices[0].{key}.tool_calls[{index}]", self.vendor)
            self._add_tool_call(call, index)
        content = parsing.text(delta.get("content"), f"choices[0].{key}.content", self.vendor)
        return self.text_increment(content)

    def _add_tool_call(self, call: dict[str, Any], position: int) -> None:
        path = f"choices[0].delta.tool_calls[{position}]"
        index = parsing.count(call.get("index", position), f"{path}.index", self.vendor)
        parts = self._tool_calls.setdefault(index, _ToolCallParts())
        path += ".function"
        function = parsing.mapping(call.get("function"), path, self.vendor, optional=True)
        parts.id = parts.id or str(call.get("id") or "")
        parts.name = parts.name or str(function.get("name") or "")
        arguments = function.get("arguments")
        if arguments:
            parts.arguments.append(
                arguments if isinstance(arguments, str) else json.dumps(arguments)
            )

    def _final(self) -> ChatDelta:
        if not self._choices_seen:
            raise errors.ProtocolError(
                "the stream ended without any answer: the server may have run out of context",
                vendor=self.vendor,
            )
        self.finished = True
        calls = tuple(
            ToolCall(parts.id or f"call_{index}", parts.name, "".join(parts.arguments) or "{}")
            for index, parts in sorted(self._tool_calls.items())
            if parts.name
        )
        return ChatDelta(
            text=self.pending_text(),
            model=self.model,
            is_final=True,
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
            request_id=self.request_id,
            metadata=dict(self.metadata),
        )

    def finish(self) -> ChatDelta | None:
        """Call when the events are exhausted: the final delta if ``[DONE]`` never came."""
        if self.finished:
            return None
        if self.finish_reason is not None:
            return self._final()
        raise errors.StreamInterruptedError(
            f"the stream ended after {self.events} events without finishing: "
            "the answer is incomplete",
            vendor=self.vendor,
        )


# -- the protocol object a client is built on ---------------------------------------------------


class OpenAIProtocol:
    """The plain OpenAI dialect. Subclass and override for a server's quirks."""

    vendor = VENDOR
    include_usage_in_streams = True  # send stream_options.include_usage
    # Whether an earlier assistant turn's reasoning is sent back (see sends_reasoning). Plain
    # OpenAI-style servers ignore it at best, and DeepSeek's reasoner answered 400 to it.
    reasoning_back: ReasoningBack = "never"

    def check_response(self, response: HttpResponse) -> None:
        check_response(response, vendor=self.vendor)

    def chat_body(self, model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return chat_body(
            model,
            request,
            stream=stream,
            include_usage=self.include_usage_in_streams,
            reasoning_back=self.reasoning_back,
        )

    def completion_body(
        self, model: str, request: CompletionRequest, *, stream: bool
    ) -> dict[str, Any]:
        return completion_body(
            model, request, stream=stream, include_usage=self.include_usage_in_streams
        )

    def embedding_body(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        return embedding_body(model, texts, vendor=self.vendor)

    def parse_result(self, data: Any, kind: Kind, model: str) -> ChatResult:
        return parse_result(data, kind, model=model, vendor=self.vendor)

    def stream_parser(self, kind: Kind, model: str) -> StreamParser:
        return StreamParser(kind, model, vendor=self.vendor)

    def parse_embeddings(self, data: Any, expected: int, model: str) -> EmbeddingResult:
        return parse_embeddings(data, expected, model=model, vendor=self.vendor)

    def parse_models(self, data: Any) -> list[ModelCard]:
        return parse_models(data, vendor=self.vendor)
