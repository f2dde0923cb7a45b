"""Qianfan v2: OpenAI-compatible with Qianfan's own rules — a dialect of cnllm.openai_compat.

Pure build and parse functions, no I/O; sections (§) refer to ../shared/protocols/qianfan-v2.md.
What differs from plain OpenAI:

* every body field is range-checked per model family before sending (§3.1, §3.6): ERNIE
  ``temperature`` in (0, 1] (0 is clamped to 0.01), ``penalty_score`` [1, 2], ``seed``
  (0, 2147483647), ``stop`` ≤ 4 × ≤ 20 chars, fields a model does not take are refused;
* messages follow v2's rules (§3.2): one leading system message, consecutive turns of one
  role merged, the last turn user or tool and not blank, ``content: ""`` on tool-call turns;
* reasoning is switched per family (``enable_thinking`` or ``thinking: {type}``) and comes
  back as ``reasoning_content`` (or ``reasoning``) beside the answer (§3.6, §4);
* Qianfan's flags (``flag``/``ban_round`` moderation, ``search_results``, search-status
  frames) go to metadata; a safety refusal is a ContentFilterError, never an empty success;
* errors are ``{"error": {code, message, type}, "id"}`` with Baidu's codes (§5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cnllm import errors
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.protocol import Kind, ModelCard, OpenAIProtocol, StreamParser
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.models import V2Model
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    GenerationParams,
    Message,
)

VENDOR = "qianfan"
API = "v2"
DEFAULT_BASE_URL = "https://qianfan.baidubce.com/v2"
MAX_STOP_WORDS = 4
MAX_STOP_WORD_CHARS = 20
MAX_SEED = 2147483647
MAX_METADATA_ENTRIES = 16
MIN_THINKING_BUDGET = 100
ERNIE_MIN_TEMPERATURE = 0.01
MAX_IMAGE_BYTES = 10 * 1024 * 1024
BLANK = " \n\r\f\t"
REASONING_BACK: openai.ReasoningBack = "tool_turns"
RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-input-tokens",
    "x-ratelimit-limit-output-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-input-tokens",
    "x-ratelimit-remaining-output-tokens",
)
# Body fields of §3.1 a caller may pass as keyword arguments, each checked below.
_NUMERIC_EXTRAS = {
    "frequency_penalty": (-2.0, 2.0, False),
    "presence_penalty": (-2.0, 2.0, False),
    "repetition_penalty": (0.0, 2.0, True),  # (0, 2]
}
_REASONING_EFFORTS = ("low", "medium", "high", "max", "xhigh")  # §3.1 [doc-dated]
_THINKING_STRATEGIES = ("short_think", "chain_of_draft")
_UNDOCUMENTED = ("n", "logprobs", "top_logprobs", "logit_bias", "top_k")


def _refuse(parameter: str, problem: str) -> errors.ValidationError:
    return errors.ValidationError(parameter, problem, vendor=VENDOR)


# -- errors (§5) --------------------------------------------------------------------------------

_BY_CODE: dict[str, type[errors.APIError]] = {
    "malformed_json": errors.InvalidRequestError,
    "invalid_messages": errors.InvalidRequestError,
    "invalid_argument": errors.InvalidRequestError,
    "invalid_image_url": errors.InvalidRequestError,
    "invalid_plugin_argument": errors.InvalidRequestError,
    "method_not_supported": errors.InvalidRequestError,
    "characters_too_long": errors.ContextOverflowError,
    "tokens_too_long": errors.ContextOverflowError,
    "image_url_unsafe": errors.ContentFilterError,
    "system_unsafe": errors.ContentFilterError,
    "user_setting_unsafe": errors.ContentFilterError,
    "functions_unsafe": errors.ContentFilterError,
    "invalid_iam_token": errors.AuthenticationError,
    "invalid_appid": errors.PermissionDeniedError,
    "no_parameter_permission": errors.PermissionDeniedError,
    "account_overdue": errors.QuotaExceededError,  # arrears: waiting does not help
    "model_offline": errors.NotFoundError,
    "coding_plan_api_key_not_allowed": errors.PermissionDeniedError,
}
# The key-rejected message, with what to check; v2 has no distinct "expired" code (§12.5).
_BAD_KEY_HINT = (
    "Qianfan v2 rejected the credentials (invalid_iam_token): use a v2 API key "
    "(bce-v3/ALTAK-…, env QIANFAN_API_KEY) or IAM keys (QIANFAN_ACCESS_KEY/QIANFAN_SECRET_KEY); "
    "v1 OAuth keys and access tokens do not work on v2"
)


def rate_limits(response: HttpResponse) -> dict[str, int]:
    """The ``X-Ratelimit-*`` headers (§5.4) that were sent, as integers."""
    found: dict[str, int] = {}
    for name in RATE_LIMIT_HEADERS:
        value = response.header(name)
        if value is not None and value.strip().isdigit():
            found[name[len("x-ratelimit-") :].replace("-", "_")] = int(value)
    return found


def error_class(status: int | None, code: Any) -> type[errors.APIError]:
    """HTTP status first (many distinct 429 codes, §12.6), then the code."""
    cls: type[errors.APIError] = (
        errors.error_for_status(status) if status and status >= 400 else errors.APIError
    )
    if isinstance(code, str):
        lowered = code.lower()
        if lowered == "invalid_model":  # 401: unknown or not entitled; 400: missing (§12.7)
            return errors.NotFoundError if status == 401 else errors.InvalidRequestError
        if lowered in _BY_CODE:
            return _BY_CODE[lowered]
        if lowered.endswith("rate_limit_exceeded") or lowered.endswith("_refused"):
            return errors.RateLimitError
        if lowered.startswith("coding_plan"):
            return errors.PermissionDeniedError
        if "internal_error" in lowered or "interal_error" in lowered:
            return errors.ServerError
    return cls


def error_from_payload(
    payload: Any,
    *,
    status: int | None,
    request_id: str | None = None,
    limits: Mapping[str, int] | None = None,
) -> errors.APIError:
    inner = payload.get("error") if isinstance(payload, Mapping) else None
    if isinstance(inner, Mapping):
        code, message = inner.get("code"), str(inner.get("message") or "")
    else:
        code, message = None, str(payload)[:300] if payload is not None else ""
    if isinstance(payload, Mapping) and isinstance(payload.get("id"), str):
        request_id = str(payload["id"])  # the server's as-… id (a sent X-Request-Id is echoed)
    cls = error_class(status, code)
    if code == "invalid_iam_token":
        message = f"{_BAD_KEY_HINT} ({message})" if message else _BAD_KEY_HINT
    body = dict(payload) if isinstance(payload, Mapping) else {}
    if limits:
        body["rate_limit"] = dict(limits)
    return cls(
        message or f"HTTP {status}",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
        body=body or None,
    )


def _reset_seconds(response: HttpResponse) -> float | None:
    """OpenAI-style reset headers, if Qianfan ever sends them (undocumented, §5.4)."""
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        value = (response.header(name) or "").strip().rstrip("s")
        try:
            return float(value)
        except ValueError:
            continue
    return None


def check_response(response: HttpResponse) -> None:
    """Raise the typed error a v2 answer stands for (§5.1); the request id is kept."""
    request_id = response.header("x-request-id")
    if response.status < 400 and not response.is_json:
        return
    try:
        body = response.json()
    except errors.ProtocolError:
        body = None
    if response.status == 404 and not isinstance(body, Mapping):
        raise errors.NotFoundError(
            f"Qianfan v2 has no such path ({response.text[:60]!r}): the base URL must end at "
            "/v2 (https://qianfan.baidubce.com/v2), not at /v2/chat/completions",
            vendor=VENDOR,
            status_code=404,
            request_id=request_id,
        )
    if body is None:
        return  # not JSON: the transport classifies the status
    if response.status >= 400 or (isinstance(body, Mapping) and body.get("error")):
        error = error_from_payload(
            body, status=response.status, request_id=request_id, limits=rate_limits(response)
        )
        if error.retry_after is None and isinstance(error, errors.RateLimitError):
            error.retry_after = _reset_seconds(response)
        raise error


# -- parameters (§3.1, §3.6) --------------------------------------------------------------------


def _range(name: str, value: float | None, low: float, high: float, open_low: bool) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(name, f"{value!r} is not a number")
    if not ((low < value) if open_low else (low <= value)) or value > high:
        raise _refuse(name, f"{value!r} is outside {'(' if open_low else '['}{low}, {high}]")


def _not_for(model: V2Model, parameter: str) -> errors.ValidationError:
    return _refuse(parameter, f"{model.id} does not take {parameter} (reference §3.1)")


def temperature_for(model: V2Model, value: float | None) -> float | None:
    """ERNIE's range is (0, 1] and 0 was rejected (unverified for current models): 0 is
    sent as 0.01, the near-greedy value the reference suggests (§3.6)."""
    if value is None:
        return None
    if not model.temperature:
        raise _not_for(model, "temperature")
    if model.ernie:
        _range("temperature", value, 0.0, 1.0, open_low=False)
        return max(value, ERNIE_MIN_TEMPERATURE)
    _range("temperature", value, 0.0, 2.0, open_low=False)
    return value


def _validate_stop(model: V2Model, stop: Sequence[str] | None) -> None:
    if not stop:
        return
    if model.known and not model.stop:
        raise _not_for(model, "stop")
    if len(stop) > MAX_STOP_WORDS:
        raise _refuse("stop", f"{len(stop)} strings given; at most {MAX_STOP_WORDS} are allowed")
    for word in stop:
        if not word or len(word) > MAX_STOP_WORD_CHARS:
            raise _refuse("stop", f"{word!r} must be 1 to {MAX_STOP_WORD_CHARS} characters long")


def _validate_max_tokens(model: V2Model, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _refuse(name, f"{value!r}: must be a positive integer")
    limit = model.profile.max_output_tokens
    if limit is not None and value > limit:
        raise _refuse(name, f"{value} is more than {model.id} can write ({limit} tokens)")


def validate_params(model: V2Model, params: GenerationParams) -> None:
    """Every neutral parameter and every known body field in ``extra``, before sending."""
    temperature_for(model, params.temperature)
    _range("top_p", params.top_p, 0.0, 1.0, open_low=False)
    if params.penalty_score is not None:
        if model.known and not model.penalty_score:
            raise _not_for(model, "penalty_score")
        _range("penalty_score", params.penalty_score, 1.0, 2.0, open_low=False)
    if params.top_k is not None:
        raise _refuse("top_k", "is not a Qianfan v2 parameter; use top_p")
    if params.logprobs or params.top_logprobs is not None:
        raise _refuse("logprobs", "Qianfan v2 returns no logprobs (§3.1)")
    _validate_max_tokens(model, "max_tokens", params.max_tokens)
    _validate_stop(model, params.stop)
    _validate_thinking(model, params)
    _validate_extra(model, params.extra)
    if params.max_tokens is not None and params.extra.get("max_completion_tokens") is not None:
        raise _refuse(
            "max_completion_tokens",
            "send max_tokens or max_completion_tokens, not both (the latter wins, §3.5)",
        )


def _validate_thinking(model: V2Model, params: GenerationParams) -> None:
    if params.enable_thinking is not None and model.known:
        if model.thinking == "none":
            raise _refuse("enable_thinking", f"{model.id} is not a reasoning model")
        if params.enable_thinking is False and not model.thinking_can_disable:
            raise _refuse(
                "enable_thinking", f"{model.id} always reasons; thinking cannot be switched off"
            )
    budget = params.thinking_budget
    if budget is None:
        return
    if model.known and model.thinking == "none":
        raise _refuse("thinking_budget", f"{model.id} is not a reasoning model")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
        raise _refuse("thinking_budget", f"{budget!r}: at least {MIN_THINKING_BUDGET} tokens")
    if model.max_thinking_budget is not None and budget > model.max_thinking_budget:
        raise _refuse(
            "thinking_budget", f"{budget} is above {model.id}'s {model.max_thinking_budget}"
        )


def _validate_extra(model: V2Model, extra: Mapping[str, Any]) -> None:
    for name, (low, high, open_low) in _NUMERIC_EXTRAS.items():
        _range(name, extra.get(name), low, high, open_low)
    for name in _UNDOCUMENTED:
        if name in extra and not (name == "n" and extra[name] == 1):
            raise _refuse(name, "is not a Qianfan v2 parameter (§3.1)")
    _validate_max_tokens(model, "max_completion_tokens", extra.get("max_completion_tokens"))
    seed = extra.get("seed")
    if seed is not None:
        if model.known and not model.seed:
            raise _not_for(model, "seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 < seed < MAX_SEED:
            raise _refuse("seed", f"{seed!r} is outside (0, {MAX_SEED}) (both ends excluded)")
    _choice("reasoning_effort", extra.get("reasoning_effort"), _REASONING_EFFORTS)
    _choice("thinking_strategy", extra.get("thinking_strategy"), _THINKING_STRATEGIES)
    if "parallel_tool_calls" in extra and not isinstance(extra["parallel_tool_calls"], bool):
        raise _refuse("parallel_tool_calls", "must be true or false")
    _validate_metadata(extra.get("metadata"))
    _validate_web_search(model, extra.get("web_search"))
    thinking = extra.get("thinking")
    if thinking is not None and not (
        isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "disabled")
    ):
        raise _refuse("thinking", 'must be {"type": "enabled"} or {"type": "disabled"}')


def _choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise _refuse(name, f"{value!r} is not one of {', '.join(allowed)}")


def _validate_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping) or len(metadata) > MAX_METADATA_ENTRIES:
        raise _refuse("metadata", f"a map of at most {MAX_METADATA_ENTRIES} string entries")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _refuse("metadata", "keys and values must be strings")


def _validate_web_search(model: V2Model, search: Any) -> None:
    if search is None:
        return
    if not isinstance(search, Mapping):
        raise _refuse("web_search", 'an object such as {"enable": true} (§3.4)')
    for name in ("search_number", "reference_number"):
        _range(f"web_search.{name}", search.get(name), 1, 28, open_low=False)
    if search.get("reference_number", 0) > search.get("search_number", 28):
        raise _refuse("web_search.reference_number", "must not exceed search_number")
    if search.get("search_mode") is not None:
        _choice("web_search.search_mode", search["search_mode"], ("auto", "required"))
        if model.ernie:
            raise _refuse("web_search.search_mode", "ERNIE models do not take search_mode")


# -- messages (§3.2, §3.3) ----------------------------------------------------------------------


def _merge(first: Message, second: Message) -> Message:
    if isinstance(first.content, str) and isinstance(second.content, str):
        return replace(first, content=f"{first.content}\n\n{second.content}")
    parts = [*_parts(first.content), {"type": "text", "text": "\n\n"}, *_parts(second.content)]
    return replace(first, content=parts)


def _parts(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def normalized(messages: Sequence[Message], *, system_allowed: bool = True) -> list[Message]:
    """v2's order (§3.2): at most one system message, first (several are joined); consecutive
    user or plain assistant turns merged, as the historical strict alternation needs."""
    systems = [message.text for message in messages if message.role == "system"]
    rest: list[Message] = []
    for message in messages:
        if message.role == "system":
            continue
        previous = rest[-1] if rest else None
        mergeable = message.role in ("user", "assistant") and not message.tool_calls
        if (
            previous is not None
            and mergeable
            and previous.role == message.role
            and not previous.tool_calls
        ):
            rest[-1] = _merge(previous, message)
            continue
        rest.append(message)
    system = "\n\n".join(text for text in systems if text)
    if not system:
        return rest
    if system_allowed:
        return [Message("system", system), *rest]
    first = next((i for i, m in enumerate(rest) if m.role == "user"), None)
    if first is None:
        return [Message("user", system), *rest]
    rest[first] = _merge(Message("user", system), rest[first])
    return rest


def check_order(messages: Sequence[Message]) -> None:
    """The documented rules (§3.2): the first turn user (after system), tool results only
    after the call that asked for them, the last turn user or tool and not blank."""
    turns = [message for message in messages if message.role != "system"]
    if not turns:
        raise _refuse("messages", "no user message: Qianfan v2 needs at least one")
    if turns[0].role != "user":
        raise _refuse(
            "messages",
            f"the first message after system is from {turns[0].role!r}; it must be the user's",
        )
    if turns[-1].role not in ("user", "tool"):
        raise _refuse(
            "messages",
            f"the last message is from {turns[-1].role!r}; Qianfan v2 needs it to be the user's "
            "(or a tool result): an assistant 'prefill' turn is refused with invalid_messages",
        )
    if turns[-1].role == "user" and not turns[-1].text.strip(BLANK) and not _images(turns[-1]):
        raise _refuse("messages", "the last message must not be empty or only whitespace")
    pending: set[str] = set()
    for index, message in enumerate(turns):
        if message.role == "assistant":
            pending = {call.id for call in message.tool_calls}
        elif message.role == "tool":
            if message.tool_call_id not in pending:
                raise _refuse(
                    f"messages[{index}]",
                    f"a tool result for {message.tool_call_id!r}, which the assistant turn "
                    "before it did not call",
                )
        elif message.role == "user":
            pending = set()


def _images(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return []
    return [part for part in message.content if part.get("type") != "text"]


def _image_part(part: Mapping[str, Any]) -> dict[str, Any]:
    url = openai.image_url(part, vendor=VENDOR)
    if url.startswith("data:") and len(url) * 3 // 4 > MAX_IMAGE_BYTES:
        raise _refuse("messages", "an image is larger than Qianfan's 10 MB limit (§3.3)")
    image: dict[str, Any] = {"url": url}
    detail = part.get("detail") or (
        part["image_url"].get("detail") if isinstance(part.get("image_url"), Mapping) else None
    )
    if detail is not None:
        _choice("image_url.detail", detail, ("low", "high", "auto"))
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def _user_content(message: Message, model: V2Model) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str) or not _images(message):
        return message.text  # text models take a plain string (§3.3)
    if model.known and not (model.profile.image_input or model.profile.video_input):
        raise _refuse(
            "messages", f"{model.id} takes no images; vision models: {', '.join(vision_models())}"
        )
    parts: list[dict[str, Any]] = []
    for part in message.content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif openai.is_image(part):
            parts.append(_image_part(part))
        elif kind == "video_url" and (model.profile.video_input or not model.known):
            parts.append({"type": "video_url", "video_url": dict(part["video_url"])})
        else:
            raise _refuse("messages", f"{kind!r} content is not supported by {model.id}")
    return parts


def vision_models() -> list[str]:
    return [
        model_id
        for model_id in models.known_models("chat")
        if models.resolve("chat", model_id).profile.image_input
    ]


def wire_message(message: Message, model: V2Model, tool_names: Mapping[str, str]) -> dict[str, Any]:
    if message.role == "user":
        wire: dict[str, Any] = {"role": "user", "content": _user_content(message, model)}
    elif message.role == "tool":
        wire = {"role": "tool", "tool_call_id": message.tool_call_id or ""}
        name = message.name or tool_names.get(message.tool_call_id or "")
        if name:
            wire["name"] = name  # the official round trip names the tool (§3.2)
        wire["content"] = message.text
        return wire
    elif message.role == "assistant" and message.tool_calls:
        # content "" (not null) on the calling turn, as the official example sends (§3.2).
        wire = {
            "role": "assistant",
            "content": message.text,
            "tool_calls": [openai.wire_tool_call(call) for call in message.tool_calls],
        }
    else:
        wire = {"role": message.role, "content": message.text}
    if message.name:
        wire["name"] = message.name
    # Thinking + tools: the reasoning of a tool-calling turn goes back (unverified, §3.2).
    if openai.sends_reasoning(message, REASONING_BACK):
        wire["reasoning_content"] = message.reasoning
    return wire


def wire_messages(messages: Sequence[Message], model: V2Model) -> list[dict[str, Any]]:
    system_allowed = model.id != "glm-z1-rumination-32b-0414"
    ordered = normalized(messages, system_allowed=system_allowed)
    check_order(ordered)
    names = {call.id: call.name for m in ordered for call in m.tool_calls}
    return [wire_message(message, model, names) for message in ordered]


# -- bodies -------------------------------------------------------------------------------------


def _thinking_fields(model: V2Model, params: GenerationParams) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if params.enable_thinking is not None:
        if model.thinking == "thinking":
            kind = "enabled" if params.enable_thinking else "disabled"
            fields["thinking"] = {"type": kind}
        elif model.thinking in ("enable_thinking", "unknown"):
            fields["enable_thinking"] = params.enable_thinking
        # "always": nothing to switch (validated above)
    if params.thinking_budget is not None:
        fields["thinking_budget"] = params.thinking_budget
    return fields


def sampling_fields(model: V2Model, params: GenerationParams) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "temperature": temperature_for(model, params.temperature),
        "top_p": params.top_p,
        "penalty_score": params.penalty_score,
        "max_tokens": params.max_tokens,
        "stop": list(params.stop) if params.stop else None,  # always an array (§3.1)
        "user": params.user_id,
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    fields.update(_thinking_fields(model, params))
    return fields


def _tool_fields(model: V2Model, request: ChatRequest) -> dict[str, Any]:
    if not request.tools:
        if request.tool_choice not in (None, "auto", "none"):
            raise _refuse("tool_choice", "needs tools to choose from")
        return {}
    if model.known and not model.profile.tool_calling:
        raise _refuse(
            "tools",
            f"{model.id} has no function calling on Qianfan v2; models that do: "
            f"{', '.join(tool_models()[:8])}…",
        )
    return openai.tool_fields(request, vendor=VENDOR)


def tool_models() -> list[str]:
    return [
        model_id
        for model_id in models.known_models("chat")
        if models.resolve("chat", model_id).profile.tool_calling
    ]


def _format_fields(model: V2Model, request: ChatRequest) -> dict[str, Any]:
    """OpenAI's ``response_format`` (the json_schema wrapper is the reference's safer bet,
    §3.1), where the model has it."""
    if request.json_schema is not None and model.known and not model.profile.json_schema:
        raise _refuse("response_format", f"{model.id} has no json_schema output")
    if request.json_mode and model.known and not model.profile.json_mode:
        raise _refuse("response_format", f"{model.id} has no JSON mode (json_object)")
    field = openai.response_format_field(request, vendor=VENDOR)
    return {"response_format": field} if field is not None else {}


def _extra(params: GenerationParams) -> dict[str, Any]:
    return {key: value for key, value in params.extra.items() if value is not None}


def chat_body(model: V2Model, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    validate_params(model, request.params)
    body: dict[str, Any] = {"model": model.id, "messages": wire_messages(request.messages, model)}
    body.update(sampling_fields(model, request.params))
    body.update(_tool_fields(model, request))
    body.update(_format_fields(model, request))
    body.update(openai.stream_fields(stream, include_usage=True))
    body.update(_extra(request.params))
    return body


def completion_body(model: V2Model, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """``/v2/completions`` (§1.2; body not documented): OpenAI's completions form."""
    validate_params(model, request.params)
    if not request.prompt.strip(BLANK):
        raise _refuse("prompt", "must not be empty")
    body: dict[str, Any] = {"model": model.id, "prompt": request.prompt}
    body.update(sampling_fields(model, request.params))
    body.update(openai.stream_fields(stream, include_usage=True))
    body.update(_extra(request.params))
    return body


def embedding_body(model: V2Model, texts: Sequence[str]) -> dict[str, Any]:
    """§6: a non-empty list, no empty string, within the model's batch and length limits."""
    if not texts:
        raise _refuse("input", "needs at least one text")
    if len(texts) > model.batch_size:
        raise _refuse(
            "input", f"{len(texts)} texts in one request; {model.id} takes {model.batch_size}"
        )
    for index, text in enumerate(texts):
        if not text:
            raise _refuse(f"input[{index}]", "an empty string is refused by Qianfan (§6)")
        if model.max_chars is not None and len(text) > model.max_chars:
            raise errors.InputTooLongError(
                f"input[{index}]",
                f"{len(text)} characters; {model.id} takes at most {model.max_chars}",
                vendor=VENDOR,
            )
    return {"model": model.id, "input": list(texts)}


# -- answers (§4) -------------------------------------------------------------------------------


def _flags(source: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    """Qianfan's own fields (§4.1): moderation flag, ban_round, search results and tokens."""
    found: dict[str, Any] = {"api": API}
    if choice.get("flag") is not None:
        found["flag"] = choice["flag"]
    if choice.get("ban_round") is not None:
        found["ban_round"] = choice["ban_round"]
    if source.get("search_results"):
        found["search_results"] = source["search_results"]
    usage = source.get("usage")
    details = usage.get("prompt_tokens_details") if isinstance(usage, Mapping) else None
    if isinstance(details, Mapping) and details.get("search_tokens") is not None:
        found["search_tokens"] = details["search_tokens"]
    return found


def refusal(
    flag: Any, finish_reason: Any, answered: bool, request_id: str | None
) -> errors.ContentFilterError | None:
    """A moderation outcome that must not look like an answer: flag 3 (must not be shown),
    flag 4 (retract what was shown) or a content_filter finish with nothing in it."""
    hidden = flag in (3, 4)
    if not hidden and not (finish_reason == "content_filter" and not answered):
        return None
    what = {3: "must not be shown", 4: "must be retracted"}.get(flag, "was filtered")
    return errors.ContentFilterError(
        f"Qianfan's content safety stopped the answer (flag={flag}, finish_reason="
        f"{finish_reason}): the answer {what}; clear the offending turn before continuing",
        vendor=VENDOR,
        code="content_filter" if not hidden else f"flag_{flag}",
        request_id=request_id,
        body={"flag": flag, "finish_reason": finish_reason},
    )


def parse_result(data: Any, kind: Kind, model: str) -> ChatResult:
    result = openai.parse_result(data, kind, model=model, vendor=VENDOR)
    body = result.raw
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    text = result.text
    if kind == "completions" and not text and message:  # tolerate a chat-shaped answer
        text = str(message.get("content") or "")
    error = refusal(
        choice.get("flag"), result.finish_reason, bool(text or result.tool_calls), result.request_id
    )
    if error is not None:
        raise error
    metadata = {**result.metadata, **_flags(body, choice)}
    return replace(
        result,
        text=text,
        metadata=metadata,
    )


def parse_embeddings(data: Any, expected: int, model: str) -> EmbeddingResult:
    """``object`` is ``embedding_list`` (§6), not checked: vectors are read by index."""
    return openai.parse_embeddings(data, expected, model=model, vendor=VENDOR)


class QianfanV2StreamParser(StreamParser):
    """v2's SSE (§4.2) on the OpenAI parser (reasoning pieces before the answer, tool calls by
    ``index``, usage from the last chunk that has it, cumulative with ``chunk_include_usage``):
    search-status frames are kept out of the answer, search results and moderation flags go
    to the metadata, and a moderated answer raises ContentFilterError."""

    def __init__(self, kind: Kind, model: str) -> None:
        super().__init__(kind, model, vendor=VENDOR)
        self.metadata["api"] = API
        self._answered = False

    def raise_for_event(self, body: dict[str, Any]) -> None:
        if body.get("error"):
            raise error_from_payload(body, status=None, request_id=self.request_id)

    def _chunk(self, body: dict[str, Any]) -> ChatDelta | None:
        if body.get("search_results"):
            self.metadata["search_results"] = body["search_results"]
        delta = super()._chunk(body)
        if delta is not None and delta.text:
            self._answered = True
        return delta

    def _choice_text(self, choice: dict[str, Any]) -> str:
        flag = choice.get("flag")
        if flag:
            self.metadata["flag"] = flag
            if choice.get("ban_round") is not None:
                self.metadata["ban_round"] = choice["ban_round"]
        error = refusal(flag, None, True, self.request_id)
        if error is not None:
            raise error
        if choice.get("delta_tag") == "search_status":  # a signal frame, not answer text
            self.metadata["search_status"] = (choice.get("delta") or {}).get("content")
            return ""
        if self.kind == "completions" and not choice.get("text"):
            delta = choice.get("delta") or {}  # tolerate chat-shaped completion chunks
            return str(delta.get("content") or "")
        return super()._choice_text(choice)

    def _final(self) -> ChatDelta:
        answered = self._answered or bool(self._tool_calls)
        error = refusal(self.metadata.get("flag"), self.finish_reason, answered, self.request_id)
        if error is not None:
            raise error
        return super()._final()


# -- the dialect --------------------------------------------------------------------------------


class QianfanV2Protocol(OpenAIProtocol):
    """Qianfan v2 as an OpenAI dialect; bodies are built against the v2 model table."""

    vendor = VENDOR
    include_usage_in_streams = True

    def check_response(self, response: HttpResponse) -> None:
        check_response(response)

    def chat_body(self, model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return chat_body(models.resolve("chat", model), request, stream=stream)

    def completion_body(
        self, model: str, request: CompletionRequest, *, stream: bool
    ) -> dict[str, Any]:
        return completion_body(models.resolve("completions", model), request, stream=stream)

    def embedding_body(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        return embedding_body(models.resolve("embeddings", model), texts)

    def parse_result(self, data: Any, kind: Kind, model: str) -> ChatResult:
        return parse_result(data, kind, model)

    def stream_parser(self, kind: Kind, model: str) -> StreamParser:
        return QianfanV2StreamParser(kind, model)

    def parse_embeddings(self, data: Any, expected: int, model: str) -> EmbeddingResult:
        return parse_embeddings(data, expected, model)

    def parse_models(self, data: Any) -> list[ModelCard]:
        return openai.parse_models(data, vendor=VENDOR)
