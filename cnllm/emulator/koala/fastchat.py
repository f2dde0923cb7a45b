"""FastChat ``openai_api_server`` wire shapes and request checks (reference koala.md §3–§9).

Bodies are FastAPI's compact JSON (``application/json``, raw UTF-8); stream events are
pydantic v1's ``.json()``, with Python's ``", "`` and ``": "`` separators.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..core import Response
from ..text import stable_int

JSON_TYPE = "application/json"
STREAM_TYPE = "text/event-stream; charset=utf-8"
NETWORK_ERROR = (
    "**NETWORK ERROR DUE TO HIGH TRAFFIC. PLEASE REGENERATE OR REFRESH THIS PAGE.**\n\n"
    "(emulated worker failure)"
)
MESSAGES = {
    40001: "[{'loc': ('body',), 'msg': 'invalid request', 'type': 'value_error'}]",
    40101: "invalid api key",
    40301: "model not found",
    40302: "parameter out of range",
    40303: "This model's maximum context length is 4096 tokens.",
    42901: "rate limit exceeded",
    42903: "engine overloaded",
    50001: NETWORK_ERROR,
    50002: "**NETWORK ERROR DUE TO HIGH TRAFFIC. PLEASE REGENERATE OR REFRESH THIS PAGE.**\n\n"
    "(CUDA out of memory)",
}
_SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def compact(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def body_response(payload: Any, status: int = 200) -> Response:
    return Response(status, {"Content-Type": JSON_TYPE}, compact(payload))


def event(payload: Any) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def short_id(prefix: str, seed: str) -> str:
    number = stable_int("koala-id", seed)
    chars = []
    for _ in range(22):
        number, digit = divmod(number * 7919 + 17, len(_SHORTUUID))
        chars.append(_SHORTUUID[digit])
    return prefix + "".join(chars)


# -- errors -------------------------------------------------------------------------------------


def error(code: int, message: str | None = None) -> Response:
    """FastChat's ``create_error_response``: HTTP 400 for every code, 5xxxx included."""
    text = message or MESSAGES.get(code, "error")
    return body_response({"object": "error", "message": text, "code": code}, 400)


def worker_error_event(code: int, message: str | None = None) -> bytes:
    """A worker failure inside a stream: the raw worker dict, then ``[DONE]`` (§5)."""
    text = message or MESSAGES.get(code, NETWORK_ERROR)
    return event({"text": text, "error_code": code}) + event("[DONE]")


def auth_error() -> Response:
    detail = {
        "error": {
            "message": "",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    return body_response({"detail": detail}, 401)


def detail(status: int) -> Response:
    text = {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
    return body_response({"detail": text}, status)


def server_crash() -> Response:
    """What an unhandled exception in FastChat gives: 500, plain text (§9)."""
    return Response(500, {"Content-Type": "text/plain; charset=utf-8"}, b"Internal Server Error")


# -- request checks -----------------------------------------------------------------------------

_NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_INTEGERS = ("top_k", "n", "max_tokens", "logprobs", "best_of")
# Fields the worker reads with float()/int(): an explicit null reaches it and fails (§5).
WORKER_FIELDS = ("temperature", "top_p", "top_k", "presence_penalty", "frequency_penalty")


def _validation(location: str, problem: str) -> Response:
    return error(40001, f"[{{'loc': ('body', '{location}'), 'msg': '{problem}'}}]")


def check_types(body: dict[str, Any], required: tuple[str, ...]) -> Response | None:
    """pydantic's schema check of the request model: 40001 (§9)."""
    for name in required:
        if name not in body:
            return _validation(name, "field required")
    for name in _NUMBERS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return _validation(name, "value is not a valid float")
    for name in _INTEGERS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return _validation(name, "value is not a valid integer")
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        return error(40302, f"{stop} is not valid under any of the given schemas - 'stop'")
    return None


def check_messages(messages: Any) -> Response | None:
    """0.2.30/0.2.31: a string, or a list of str -> str dicts (so no content lists, no nulls)."""
    if isinstance(messages, str):
        return None
    if not isinstance(messages, list):
        return _validation("messages", "value is not a valid list")
    for message in messages:
        if not isinstance(message, dict) or not all(
            isinstance(value, str) for value in message.values()
        ):
            return _validation("messages", "str type expected")
    return None


def check_ranges(body: dict[str, Any]) -> Response | None:
    """``check_requests``: FastChat's messages, code 40302."""
    checks: tuple[tuple[str, Callable[[float], bool], str], ...] = (
        ("max_tokens", lambda v: v <= 0, "{} is less than the minimum of 1 - 'max_tokens'"),
        ("n", lambda v: v <= 0, "{} is less than the minimum of 1 - 'n'"),
        ("temperature", lambda v: v < 0, "{} is less than the minimum of 0 - 'temperature'"),
        ("temperature", lambda v: v > 2, "{} is greater than the maximum of 2 - 'temperature'"),
        ("top_p", lambda v: v < 0, "{} is less than the minimum of 0 - 'top_p'"),
        ("top_p", lambda v: v > 1, "{} is greater than the maximum of 1 - 'top_p'"),
        ("top_k", lambda v: -1 < v < 1, "{} is out of Range. Either set top_k to -1 or >=1."),
    )
    for name, bad, message in checks:
        value = body.get(name)
        if value is not None and bad(value):
            return error(40302, message.format(value))
    return None


def model_list_error(models: list[str], model: Any) -> Response:
    return error(40301, f"Only {'&&'.join(models)} allowed now, your model {model}")


def overflow(context: int, tokens: int) -> Response:
    return error(
        40303,
        f"This model's maximum context length is {context} tokens. However, your messages "
        f"resulted in {tokens} tokens. Please reduce the length of the messages.",
    )
