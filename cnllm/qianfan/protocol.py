"""Baidu Qianfan v1 (wenxinworkshop) protocol: pure build and parse functions, no I/O.

Everything here follows the wire notes in docs/qianfan.md; section numbers below refer to them.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from cnllm import errors, parsing
from cnllm.embedding import data_vectors
from cnllm.qianfan.models import ModelInfo
from cnllm.sse import ServerSentEvent
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

VENDOR = "qianfan"
DEFAULT_BASE_URL = "https://aip.baidubce.com"
API_PREFIX = "/rpc/2.0/ai_custom/v1/wenxinworkshop"
TOKEN_PATH = "/oauth/2.0/token"
MAX_STOP_WORDS = 4
MAX_STOP_WORD_CHARS = 20
# Stands in for the empty content of an assistant turn that only calls a function: the
# vendor's own OpenAI adapter does the same, as the server rejects blank content (§5.4).
FUNCTION_CALL_PLACEHOLDER = "/"

# §7.2: error_code -> (class, retryable). 110/111 are refreshed by the client (§2.3).
_ERROR_CODES: dict[int, tuple[type[errors.APIError], bool]] = {
    1: (errors.ServerError, False),
    2: (errors.ServerError, True),
    3: (errors.NotFoundError, False),
    4: (errors.RateLimitError, False),
    6: (errors.PermissionDeniedError, False),
    13: (errors.AuthenticationError, False),
    14: (errors.AuthenticationError, False),
    15: (errors.ServerError, True),
    17: (errors.QuotaExceededError, False),
    18: (errors.RateLimitError, True),
    19: (errors.QuotaExceededError, False),
    100: (errors.InvalidRequestError, False),
    110: (errors.AuthenticationError, False),
    111: (errors.AuthenticationError, False),
    336000: (errors.ServerError, False),
    336001: (errors.InvalidRequestError, False),
    336002: (errors.InvalidRequestError, False),
    336003: (errors.InvalidRequestError, False),
    336004: (errors.PermissionDeniedError, False),
    336005: (errors.NotFoundError, False),
    336100: (errors.ServerError, True),
    336101: (errors.InvalidRequestError, False),
    336104: (errors.InvalidRequestError, False),
    336105: (errors.InvalidRequestError, False),
    336501: (errors.RateLimitError, True),
    336502: (errors.RateLimitError, True),
}
TOKEN_ERROR_CODES = frozenset({110, 111})


# -- URLs and auth ------------------------------------------------------------------------------


def model_url(base_url: str, info: ModelInfo) -> str:
    return f"{base_url.rstrip('/')}{API_PREFIX}/{info.kind}/{info.endpoint}"


def token_request(base_url: str, api_key: str, secret_key: str) -> HttpRequest:
    """§2.1: all three parameters go in the query; the body does not matter."""
    return HttpRequest(
        "POST",
        f"{base_url.rstrip('/')}{TOKEN_PATH}",
        params={
            "grant_type": "client_credentials",
            "client_id": api_key,
            "client_secret": secret_key,
        },
        json={},
        headers={"Accept": "application/json"},
    )


def parse_token(body: Any) -> tuple[str, float | None]:
    """The access token and its lifetime in seconds (None when the server did not say)."""
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.AuthenticationError(
            f"the token endpoint returned no access_token: {str(body)[:200]}", vendor=VENDOR
        )
    errors.remember_secret(token)  # no error message may ever show it (servers echo tokens)
    expires_in = body.get("expires_in")
    return token, float(expires_in) if isinstance(expires_in, (int, float)) else None


# -- errors -------------------------------------------------------------------------------------


def error_from_code(
    code: int, message: str, *, request_id: str | None = None, status: int | None = None
) -> errors.APIError:
    cls, retryable = _ERROR_CODES.get(code, (errors.APIError, False))
    if code == 336003 and "length" in message.lower():
        cls = errors.ContextOverflowError
    return cls(
        message or f"Qianfan error {code}",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
        retryable=retryable,
    )


def check_response(response: HttpResponse) -> None:
    """Raise the typed error a Qianfan answer stands for (errors come in 200 bodies too, §7.1)."""
    request_id = response.header("x-baidu-request-id") or response.header("x-bce-request-id")
    bce_code = response.header("x-bce-error-code")
    if response.status >= 400 and bce_code:
        raise _gateway_error(response, bce_code, request_id)
    # The body decides, whatever the content type: errors served as text/plain still carry
    # their error_code (and a body that is not JSON is left to the status check or parser).
    looks_json = response.is_json or response.content.lstrip()[:1] == b"{"
    if not looks_json and response.status < 400:
        return
    try:
        body = response.json()
    except errors.ProtocolError:
        return  # not JSON: the status check (transport) or the parser reports it
    if isinstance(body, dict):
        raise_for_body(body, status=response.status, request_id=request_id)


def raise_for_body(
    body: dict[str, Any], *, status: int | None = None, request_id: str | None = None
) -> None:
    if "error_code" in body:
        code = body["error_code"]
        if isinstance(code, str) and code.strip().isdigit():
            code = int(code)
        if isinstance(code, bool) or not isinstance(code, int):
            raise parsing.malformed("error_code", "an integer", code, VENDOR)
        raise error_from_code(
            code,
            str(body.get("error_msg", "")),
            request_id=body.get("id") or request_id,
            status=status,
        )
    if isinstance(body.get("error"), str):  # OAuth token endpoint (§2.1)
        cls = errors.AuthenticationError if body["error"] == "invalid_client" else errors.APIError
        raise cls(
            f"{body['error']}: {body.get('error_description', '')}",
            vendor=VENDOR,
            code=body["error"],
            status_code=status,
            request_id=request_id,
        )


def _gateway_error(response: HttpResponse, code: str, request_id: str | None) -> errors.APIError:
    """IAM signature failures come as non-2xx with X-Bce-Error-* headers (§3.2)."""
    message = response.header("x-bce-error-message") or response.text[:200]
    cls: type[errors.APIError] = (
        errors.PermissionDeniedError if response.status == 403 else errors.AuthenticationError
    )
    if response.status >= 500:
        cls = errors.ServerError
    elif response.status == 429:
        cls = errors.RateLimitError
    return cls(
        f"{code}: {message}",
        vendor=VENDOR,
        code=code,
        status_code=response.status,
        request_id=request_id,
    )


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=4)


# -- validation ---------------------------------------------------------------------------------


def _check_range(
    name: str, value: float | None, low: float, high: float, *, open_low: bool
) -> None:
    if value is None:
        return
    ok = (low < value if open_low else low <= value) and value <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise errors.ValidationError(
            name, f"{value!r} is outside {bracket}{low}, {high}]", vendor=VENDOR
        )


def validate_params(params: GenerationParams) -> None:
    """Client-side checks of the documented ranges (D003/D004 parameter tables)."""
    errors.require_finite(params, vendor=VENDOR)
    if params.temperature is not None and params.temperature <= 0:
        raise errors.ValidationError(
            "temperature",
            f"{params.temperature!r} is outside (0, 1]: Qianfan rejects 0; "
            "use a small value such as 0.01 for near-greedy output",
            vendor=VENDOR,
        )
    _check_range("temperature", params.temperature, 0, 1, open_low=True)
    _check_range("top_p", params.top_p, 0, 1, open_low=False)
    _check_range("penalty_score", params.penalty_score, 1, 2, open_low=False)
    if params.top_k is not None and (isinstance(params.top_k, bool) or params.top_k < 1):
        raise errors.ValidationError("top_k", "must be a positive integer", vendor=VENDOR)
    if params.max_tokens is not None and params.max_tokens < 2:
        raise errors.ValidationError("max_tokens", "must be at least 2", vendor=VENDOR)
    _validate_stop(params.stop)
    if params.top_logprobs is not None:
        _check_range("top_logprobs", params.top_logprobs, 0, 5, open_low=False)
    if params.logprobs and params.top_logprobs is None:
        raise errors.ValidationError(
            "top_logprobs", "is required (0 to 5) when logprobs is true", vendor=VENDOR
        )


def _validate_stop(stop: Sequence[str] | None) -> None:
    if not stop:
        return
    if len(stop) > MAX_STOP_WORDS:
        raise errors.ValidationError(
            "stop",
            f"{len(stop)} strings given; at most {MAX_STOP_WORDS} are allowed",
            vendor=VENDOR,
        )
    for word in stop:
        if not word or len(word) > MAX_STOP_WORD_CHARS:
            raise errors.ValidationError(
                "stop",
                f"{word!r} must be 1 to {MAX_STOP_WORD_CHARS} characters long",
                vendor=VENDOR,
            )


def validate_wire_messages(wire: Sequence[dict[str, Any]], info: ModelInfo) -> None:
    """§5.1: non-empty, odd count, user/assistant alternating, ending with the question."""
    if not wire:
        raise errors.ValidationError(
            "messages", "no user message: Qianfan needs at least one", vendor=VENDOR
        )
    for index, message in enumerate(wire):
        expected = ("user", "function") if index % 2 == 0 else ("assistant",)
        if message["role"] not in expected:
            raise errors.ValidationError(
                "messages",
                f"message {index} is from {message['role']!r} but Qianfan needs "
                f"{' or '.join(repr(r) for r in expected)} there: after system messages are "
                "moved to the system field, turns must alternate user/assistant, start with a "
                "user message and end with one (an odd count)",
                vendor=VENDOR,
            )
        if not str(message.get("content") or "").strip():
            raise errors.ValidationError(
                f"messages[{index}].content", "must not be empty", vendor=VENDOR
            )
    if len(wire) % 2 == 0:
        raise errors.ValidationError(
            "messages",
            f"the last message is from {wire[-1]['role']!r}; Qianfan needs the conversation to "
            "end with the user's question (an odd number of turns)",
            vendor=VENDOR,
        )
    total = sum(len(str(message["content"])) for message in wire)
    if info.max_input_chars is not None and total > info.max_input_chars:
        raise errors.InputTooLongError(
            "messages",
            f"the content is {total} characters; {info.name} accepts at most "
            f"{info.max_input_chars}",
            vendor=VENDOR,
        )


# -- requests -----------------------------------------------------------------------------------


def _sampling_fields(params: GenerationParams, info: ModelInfo) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "penalty_score": params.penalty_score,
        "stop": list(params.stop) if params.stop else None,
        "user_id": params.user_id,
        "logprobs": params.logprobs,
        "top_logprobs": params.top_logprobs,
    }
    if info.ernie:
        fields["max_output_tokens"] = params.max_tokens
    elif params.max_tokens is not None:
        _warn_once(
            f"max_tokens is not sent to {info.name}: Qianfan documents max_output_tokens "
            "for ERNIE models only"
        )
    return {key: value for key, value in fields.items() if value is not None}


def wire_messages(
    messages: Iterable[Message], info: ModelInfo
) -> tuple[str | None, list[dict[str, Any]]]:
    """Convert neutral messages to Qianfan's: ``system`` apart, one function call per turn."""
    system_parts: list[str] = []
    wire: list[dict[str, Any]] = []
    pending_calls: dict[str, ToolCall] = {}
    pending_text = ""
    for message in messages:
        if message.role == "system":
            system_parts.append(message.text)
        elif message.role == "user":
            _append_text(wire, "user", _text_only(message))
        elif message.role == "assistant" and message.tool_calls:
            pending_calls.update({call.id: call for call in message.tool_calls})
            pending_text = message.text
        elif message.role == "assistant":
            _append_text(wire, "assistant", message.text)
        else:  # a tool result: replay "assistant calls f, f answers" as one pair of turns
            call = pending_calls.pop(message.tool_call_id or "", None)
            name = call.name if call else (message.name or "tool")
            arguments = call.arguments if call else "{}"
            wire.append(
                {
                    "role": "assistant",
                    "content": pending_text or FUNCTION_CALL_PLACEHOLDER,
                    "function_call": {"name": name, "arguments": arguments},
                }
            )
            pending_text = ""
            wire.append(
                {"role": "function", "name": name, "content": function_content(message.text)}
            )
    system = "\n".join(part for part in system_parts if part) or None
    return system, wire


def _text_only(message: Message) -> str:
    if not isinstance(message.content, str):
        kinds = sorted({str(part.get("type")) for part in message.content} - {"text"})
        if kinds:
            raise errors.ValidationError(
                "messages",
                f"Qianfan v1 chat takes text only; the message holds {', '.join(kinds)} content",
                vendor=VENDOR,
            )
    return message.text


def _append_text(wire: list[dict[str, Any]], role: str, text: str) -> None:
    # Consecutive turns of one role are merged: Qianfan only accepts strict alternation.
    if wire and wire[-1]["role"] == role and "function_call" not in wire[-1]:
        wire[-1]["content"] = f"{wire[-1]['content']}\n\n{text}"
    else:
        wire.append({"role": role, "content": text})


def function_content(text: str) -> str:
    """Function results must be JSON objects for the model to use them (§5.4)."""
    try:
        if isinstance(json.loads(text), dict):
            return text
    except ValueError:
        pass
    return json.dumps({"result": text}, ensure_ascii=False)


def chat_body(info: ModelInfo, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    validate_params(request.params)
    system, wire = wire_messages(request.messages, info)
    if system and not info.ernie and wire and wire[0]["role"] == "user":
        # Open models have no system field (§5.1): the instructions lead the first question.
        wire[0] = {**wire[0], "content": f"{system}\n\n{wire[0]['content']}"}
        system = None
    validate_wire_messages(wire, info)
    body: dict[str, Any] = {"messages": wire, **_stream_flag(stream)}
    if system:
        body["system"] = system
    body.update(_sampling_fields(request.params, info))
    body.update(_tool_fields(info, request))
    if request.json_mode and info.ernie:
        body["response_format"] = "json_object"
    body.update(request.params.extra)
    return body


def _stream_flag(stream: bool) -> dict[str, Any]:
    # "stream" defaults to false: it is sent only when true, as in the documented requests.
    return {"stream": True} if stream else {}


def _tool_fields(info: ModelInfo, request: ChatRequest) -> dict[str, Any]:
    if not request.tools or request.tool_choice == "none":
        return {}
    if not info.functions:
        raise errors.ValidationError(
            "tools",
            f"{info.name} has no native function calling on Qianfan; models that have it: "
            "the ERNIE 3.5, 4.0, Speed, Lite-8K-0922, Tiny and Novel families",
            vendor=VENDOR,
        )
    fields: dict[str, Any] = {
        "functions": [
            {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
            for tool in request.tools
        ]
    }
    forced = _forced_function(request)
    if forced and info.tool_choice:
        fields["tool_choice"] = {"type": "function", "function": {"name": forced}}
    return fields


def _forced_function(request: ChatRequest) -> str | None:
    """Qianfan can force one named function; "required" is honoured when there is one tool."""
    choice = request.tool_choice
    if choice in (None, "auto"):
        return None
    if choice in ("required", "any"):
        return request.tools[0].name if len(request.tools) == 1 else None
    names = [tool.name for tool in request.tools]
    if choice not in names:
        raise errors.ValidationError(
            "tool_choice", f"{choice!r} is not one of the bound tools {names}", vendor=VENDOR
        )
    return choice


def completion_body(info: ModelInfo, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """§5.2; a chat model asked for a completion gets a one-turn chat (what the SDK does)."""
    if info.kind == "chat":
        return chat_body(info, request.as_chat(), stream=stream)
    validate_params(request.params)
    if not request.prompt:
        raise errors.ValidationError("prompt", "must not be empty", vendor=VENDOR)
    body: dict[str, Any] = {"prompt": request.prompt, **_stream_flag(stream)}
    body.update(_sampling_fields(request.params, info))
    body.update(request.params.extra)
    return body


def embedding_body(info: ModelInfo, texts: Sequence[str], user_id: str | None) -> dict[str, Any]:
    if not texts or len(texts) > info.batch_size:
        raise errors.ValidationError(
            "input", f"{len(texts)} texts; {info.name} takes 1 to {info.batch_size}", vendor=VENDOR
        )
    for index, text in enumerate(texts):
        if not text:
            raise errors.ValidationError(f"texts[{index}]", "must not be empty", vendor=VENDOR)
        if info.max_input_chars is not None and len(text) > info.max_input_chars:
            raise errors.InputTooLongError(
                f"texts[{index}]",
                f"{len(text)} characters; {info.name} takes at most {info.max_input_chars}",
                vendor=VENDOR,
            )
    body: dict[str, Any] = {"input": list(texts)}
    if user_id:
        body["user_id"] = user_id
    return body


# -- responses ----------------------------------------------------------------------------------


def _usage(body: dict[str, Any]) -> Usage | None:
    """As given; ``{"total_tokens": 5}`` alone is not split into input and output."""
    return parsing.usage(body.get("usage"), VENDOR)


def _function_call(body: dict[str, Any]) -> dict[str, Any]:
    return parsing.mapping(body.get("function_call"), "function_call", VENDOR, optional=True)


def _tool_calls(body: dict[str, Any]) -> tuple[ToolCall, ...]:
    call = _function_call(body)
    name = parsing.text(call.get("name"), "function_call.name", VENDOR)
    if not name:
        return ()
    arguments = call.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    # Qianfan gives no call id; the answer's id keeps it unique within a conversation.
    return (ToolCall(f"call_{body.get('id') or 'qianfan'}", name, arguments),)


_METADATA_KEYS = (
    "object",
    "created",
    "is_truncated",
    "need_clear_history",
    "ban_round",
    "is_safe",
    "search_info",
    "flag",
    "logprobs",
)


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    metadata = {key: body[key] for key in _METADATA_KEYS if key in body}
    if "is_safe" in metadata:
        metadata["is_safe"] = bool(metadata["is_safe"])  # documented as bool, sent as 0/1
    thoughts = _function_call(body).get("thoughts")
    if thoughts:
        metadata["thoughts"] = thoughts
    return metadata


def _finish_reason(body: dict[str, Any], tool_calls: tuple[ToolCall, ...]) -> str | None:
    if tool_calls:
        return "function_call"
    reason = body.get("finish_reason")
    if reason:
        return str(reason)
    return "length" if body.get("is_truncated") else None


def raise_if_filtered(body: dict[str, Any]) -> None:
    """An unsafe input must never look like an empty answer (need_clear_history, is_safe)."""
    if body.get("result") or body.get("function_call"):
        return
    if body.get("need_clear_history"):
        raise errors.ContentFilterError(
            "Qianfan flagged the conversation as unsafe (need_clear_history) and returned no "
            f"answer; clear the history before continuing (ban_round={body.get('ban_round')})",
            vendor=VENDOR,
            code="need_clear_history",
            request_id=body.get("id"),
            body={"ban_round": body.get("ban_round")},
        )
    if body.get("is_safe") in (0, False):
        raise errors.ContentFilterError(
            "Qianfan flagged the input as unsafe (is_safe=0) and returned no answer",
            vendor=VENDOR,
            code="is_safe",
            request_id=body.get("id"),
        )


def parse_result(body: Any, info: ModelInfo) -> ChatResult:
    """A whole chat or completion answer (§6.1)."""
    if isinstance(body, dict):
        raise_for_body(body)
    if not isinstance(body, dict) or "result" not in body:
        raise errors.ProtocolError(
            f"Qianfan answered without a result: {str(body)[:200]}", vendor=VENDOR
        )
    text = parsing.text(body["result"], "result", VENDOR)
    raise_if_filtered(body)
    tool_calls = _tool_calls(body)
    return ChatResult(
        text=text,
        model=info.name,
        tool_calls=tool_calls,
        finish_reason=_finish_reason(body, tool_calls),
        usage=_usage(body),
        request_id=body.get("id"),
        metadata=_metadata(body),
        raw=body,
    )


class StreamParser:
    """Turns stream events into deltas (§6.2) with usage taken once, at the end (§6.3)."""

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self.finished = False
        self.events = 0
        self.any_output = False

    def feed(self, event: ServerSentEvent) -> ChatDelta | None:
        if self.finished or not event.data.strip():
            return None
        try:
            body = json.loads(event.data)
        except ValueError as exc:
            raise errors.ProtocolError(
                f"unexpected stream data from Qianfan: {event.data[:200]!r}", vendor=VENDOR
            ) from exc
        if not isinstance(body, dict):
            raise errors.ProtocolError(
                f"unexpected stream data: {event.data[:200]!r}", vendor=VENDOR
            )
        raise_for_body(body)
        self.events += 1
        final = self._is_final(body)
        if final:
            self.finished = True
            if not self.any_output:
                raise_if_filtered(body)
        self.any_output = self.any_output or bool(body.get("result") or body.get("function_call"))
        return self._delta(body, final)

    @staticmethod
    def _is_final(body: dict[str, Any]) -> bool:
        """A sentence (``sentence_id``), the end (``is_end``), or a stream request answered
        with one whole answer (``result`` and no stream fields). Anything else — ``{}``,
        ``{"message": …}``, an unknown error shape — is never taken for the end of a
        successful answer."""
        if "sentence_id" in body or "is_end" in body:
            return bool(body.get("is_end"))
        if "result" in body or body.get("function_call") is not None:
            return True
        raise errors.ProtocolError(
            "a Qianfan stream event is neither a sentence nor the end (no sentence_id, "
            f"is_end or result): {json.dumps(body, ensure_ascii=False)[:200]}",
            vendor=VENDOR,
        )

    def _delta(self, body: dict[str, Any], final: bool) -> ChatDelta:
        text = parsing.text(body.get("result"), "result", VENDOR)
        tool_calls = _tool_calls(body)
        usage = None
        if final:
            usage = _stream_usage(body)
        return ChatDelta(
            text=text,
            model=self.info.name,
            is_final=final,
            tool_calls=tool_calls,
            finish_reason=_finish_reason(body, tool_calls) or ("normal" if final else None),
            usage=usage,
            request_id=body.get("id"),
            metadata=_metadata(body) if final else {},
        )

    def finish(self) -> None:
        """Call when the event source is exhausted: a stream without is_end is not a success."""
        if not self.finished:
            raise errors.StreamInterruptedError(
                f"the Qianfan stream ended after {self.events} events without is_end: "
                "the answer is incomplete",
                vendor=VENDOR,
            )


def _stream_usage(body: dict[str, Any]) -> Usage | None:
    """§6.3: the only rule that fits every documented stream is prompt and total from the
    is_end chunk, completion = total - prompt."""
    usage = body.get("usage")
    if usage is None:
        return None
    usage = parsing.mapping(usage, "usage", VENDOR)
    if "prompt_tokens" not in usage or "total_tokens" not in usage:
        return None  # not enough to split honestly into input and output
    prompt = parsing.count(usage["prompt_tokens"], "usage.prompt_tokens", VENDOR)
    total = parsing.count(usage["total_tokens"], "usage.total_tokens", VENDOR)
    if total < prompt:
        raise parsing.malformed("usage.total_tokens", "at least prompt_tokens", total, VENDOR)
    return Usage(prompt, total - prompt, total)


def parse_embeddings(body: Any, info: ModelInfo, expected: int) -> EmbeddingResult:
    vectors = data_vectors(
        body.get("data") if isinstance(body, dict) else None,
        expected,
        vendor=VENDOR,
        who="Qianfan",
        decode=lambda raw, path: parsing.vector(raw, path, VENDOR),
    )
    return EmbeddingResult(
        vectors=vectors,
        model=info.name,
        usage=parsing.usage(body.get("usage"), VENDOR, embedding=True),
    )
