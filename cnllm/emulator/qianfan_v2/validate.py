"""Qianfan v2's request checks and error bodies (qianfan-v2.md §3, §5): a refused request
gets the HTTP status, ``{"error": {code, message, type}, "id"}`` and code the reference lists."""

from __future__ import annotations

import secrets
from typing import Any

from cnllm.qianfan.v2.models import V2Model

from ..core import Response, json_response

JSON_TYPE = "application/json; charset=utf-8"
_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "access_denied",
    405: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "Internal_error",
}
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def request_id() -> str:
    return "as-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def error(status: int, code: str, message: str, kind: str | None = None) -> Response:
    rid = request_id()
    body = {"error": {"code": code, "message": message, "type": kind or _TYPES[status]}, "id": rid}
    response = json_response(body, status, {"X-Request-Id": rid})
    response.headers["Content-Type"] = JSON_TYPE
    return response


def bad_argument(message: str) -> Response:
    return error(400, "invalid_argument", message)


def bad_messages(message: str) -> Response:
    return error(400, "invalid_messages", message)


# -- messages ---------------------------------------------------------------------------------


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def check_messages(messages: Any, system_allowed: bool = True) -> Response | None:
    """The documented order (§3.2): system only first, user/assistant alternating (tool turns
    after the call that asked for them), the last turn user or tool and not blank."""
    if not isinstance(messages, list) or not messages:
        return bad_messages("messages must be a non-empty list")
    previous: dict[str, Any] | None = None
    calls: set[str] = set()
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
        ):
            return bad_messages(f"messages[{index}] has an invalid role")
        role = message["role"]
        if role == "system" and (index != 0 or not system_allowed):
            return bad_messages("the system message must be the first message")
        if role == "tool":
            if message.get("tool_call_id") not in calls:
                return bad_messages(f"messages[{index}].tool_call_id does not match a tool call")
        elif previous is not None and previous["role"] == role and role != "system":
            return bad_messages("the role of messages must alternate between user and assistant")
        if role == "assistant":
            calls = {str(call.get("id")) for call in message.get("tool_calls") or ()}
        if role == "user" and previous is not None and previous["role"] == "tool":
            return bad_messages("a tool result must be followed by the assistant's answer")
        if role != "system" and previous is None and role != "user":
            return bad_messages("the first message must be from the user (or system)")
        previous = message if role != "system" else None
    last = messages[-1]
    if last["role"] not in ("user", "tool"):
        return bad_messages("the last message must be from the user or a tool")
    if (
        last["role"] == "user"
        and not _text(last).strip(" \n\r\f")
        and isinstance(last.get("content"), str)
    ):
        return bad_messages("the content of the last message must not be blank")
    return None


# -- parameters -------------------------------------------------------------------------------


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    return float(value)


def _within(name: str, value: float | None, low: float, high: float, open_low: bool) -> None:
    if value is None:
        return
    if (value <= low if open_low else value < low) or value > high:
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} should be in {bracket}{low}, {high}]")


def _check_sampling(body: dict[str, Any], model: V2Model) -> None:
    temperature = _number(body, "temperature")
    if temperature is not None and model.known and not model.temperature:
        raise ValueError(f"{model.id} does not support temperature")
    if model.ernie:
        _within("temperature", temperature, 0.0, 1.0, open_low=True)
    else:
        _within("temperature", temperature, 0.0, 2.0, open_low=False)
    _within("top_p", _number(body, "top_p"), 0.0, 1.0, open_low=False)
    penalty = _number(body, "penalty_score")
    if penalty is not None and model.known and not model.penalty_score:
        raise ValueError(f"{model.id} does not support penalty_score")
    _within("penalty_score", penalty, 1.0, 2.0, open_low=False)
    for name in ("frequency_penalty", "presence_penalty"):
        _within(name, _number(body, name), -2.0, 2.0, open_low=False)
    _within("repetition_penalty", _number(body, "repetition_penalty"), 0.0, 2.0, open_low=True)


def _check_limits(body: dict[str, Any], model: V2Model) -> None:
    stop = body.get("stop")
    if stop is not None:
        if model.known and not model.stop:
            raise ValueError(f"{model.id} does not support stop")
        if not isinstance(stop, list) or len(stop) > 4:
            raise ValueError("stop should be an array of at most 4 strings")
        if any(not isinstance(word, str) or len(word) > 20 for word in stop):
            raise ValueError("each stop string should be at most 20 characters")
    seed = body.get("seed")
    if seed is not None:
        if model.known and not model.seed:
            raise ValueError(f"{model.id} does not support seed")
        if not isinstance(seed, int) or not 0 < seed < 2147483647:
            raise ValueError("seed should be in (0, 2147483647)")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is None:
            continue
        limit = model.profile.max_output_tokens or 1 << 20
        if not isinstance(value, int) or not 1 <= value <= limit:
            raise ValueError(f"{name} should be in [1, {limit}]")


def _check_format(body: dict[str, Any], model: V2Model) -> None:
    fmt = body.get("response_format")
    if fmt is None:
        return
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise ValueError("response_format.type should be text, json_object or json_schema")
    if kind == "json_schema" and not isinstance(fmt.get("json_schema"), dict):
        raise ValueError("response_format.json_schema is required when type is json_schema")
    if kind != "text" and model.known and not model.profile.json_mode:
        raise ValueError(f"{model.id} does not support response_format")


def _check_tools(body: dict[str, Any], model: V2Model) -> None:
    tools = body.get("tools")
    if tools is None:
        return
    if model.known and not model.profile.tool_calling:
        raise ValueError(f"{model.id} does not support function calling")
    if not isinstance(tools, list) or not all(
        isinstance(tool, dict) and tool.get("type") == "function" and tool.get("function")
        for tool in tools
    ):
        raise ValueError("tools should be a list of {type: function, function: {...}}")
    choice = body.get("tool_choice")
    names = {tool["function"].get("name") for tool in tools}
    if isinstance(choice, dict) and choice.get("function", {}).get("name") not in names:
        raise ValueError("tool_choice names a function that is not in tools")
    if isinstance(choice, str) and choice not in ("none", "auto", "required"):
        raise ValueError("tool_choice should be none, auto, required or a function")


def check_chat(body: dict[str, Any], model: V2Model) -> Response | None:
    problem = check_messages(body.get("messages"), model.id != "glm-z1-rumination-32b-0414")
    if problem is not None:
        return problem
    try:
        _check_sampling(body, model)
        _check_limits(body, model)
        _check_format(body, model)
        _check_tools(body, model)
    except ValueError as exc:
        return bad_argument(str(exc))
    return None


def check_completion(body: dict[str, Any], model: V2Model) -> Response | None:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return bad_argument("prompt should be a non-empty string")
    try:
        _check_sampling(body, model)
        _check_limits(body, model)
    except ValueError as exc:
        return bad_argument(str(exc))
    return None


def check_embeddings(body: dict[str, Any], model: V2Model) -> Response | None:
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        return bad_argument("input should be a non-empty list of strings")
    if len(texts) > model.batch_size:
        return bad_argument(f"input should have at most {model.batch_size} elements")
    for text in texts:
        if not isinstance(text, str) or not text:
            return bad_argument("input should not contain empty strings")
        if model.max_chars is not None and len(text) > model.max_chars:
            return error(
                400, "characters_too_long", f"the max input characters is {model.max_chars}"
            )
    return None
