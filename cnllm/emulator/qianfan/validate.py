"""Request validation like the real server's (reference §5): each check returns a problem.

A problem is ``(error_code, error_msg)``; ``None`` means the body is acceptable.
"""

from __future__ import annotations

from typing import Any

from ..text import count_tokens

Problem = tuple[int, str]
INVALID = 336003
MAX_STOP_WORDS, MAX_STOP_CHARS = 4, 20
MAX_OUTPUT_TOKENS = (2, 2048)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range(
    body: dict[str, Any], name: str, low: float, high: float, open_low: bool
) -> Problem | None:
    value = body.get(name)
    if value is None:
        return None
    inside = _is_number(value) and (low < value if open_low else low <= value) and value <= high
    if inside:
        return None
    shown = f"({low}, {high}]" if open_low else f"[{low}, {high}]"
    return INVALID, f"invalid {name}: must be a number in {shown}, got {value!r}"


def check_sampling(body: dict[str, Any]) -> Problem | None:
    return (
        _range(body, "temperature", 0, 1.0, open_low=True)
        or _range(body, "top_p", 0, 1.0, open_low=False)
        or _range(body, "penalty_score", 1.0, 2.0, open_low=False)
        or _check_top_k(body)
        or _check_stop(body.get("stop"))
        or _check_logprobs(body)
        or _check_max_output(body)
        or _check_types(body)
    )


def _check_top_k(body: dict[str, Any]) -> Problem | None:
    value = body.get("top_k")
    if value is None or (_is_int(value) and value >= 1):
        return None
    return INVALID, f"invalid top_k: must be a positive integer, got {value!r}"


def _check_stop(stop: Any) -> Problem | None:
    if stop is None:
        return None
    if not isinstance(stop, list) or not all(isinstance(word, str) for word in stop):
        return INVALID, "invalid stop: must be a list of strings"
    if len(stop) > MAX_STOP_WORDS:
        return INVALID, f"invalid stop: at most {MAX_STOP_WORDS} elements, got {len(stop)}"
    for word in stop:
        if len(word) > MAX_STOP_CHARS:
            return INVALID, f"invalid stop: each element at most {MAX_STOP_CHARS} characters"
    return None


def _check_logprobs(body: dict[str, Any]) -> Problem | None:
    flag, top = body.get("logprobs"), body.get("top_logprobs")
    if flag is not None and not isinstance(flag, bool):
        return INVALID, "invalid logprobs: must be a boolean"
    if top is not None and not (_is_int(top) and 0 <= top <= 5):
        return INVALID, f"invalid top_logprobs: must be an integer in [0, 5], got {top!r}"
    if flag and top is None:
        return INVALID, "invalid top_logprobs: required when logprobs is true"
    return None


def _check_max_output(body: dict[str, Any]) -> Problem | None:
    value = body.get("max_output_tokens")
    low, high = MAX_OUTPUT_TOKENS
    if value is None or (_is_int(value) and low <= value <= high):
        return None
    return INVALID, f"invalid max_output_tokens: must be an integer in [{low}, {high}]"


def _check_types(body: dict[str, Any]) -> Problem | None:
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        return INVALID, "invalid stream: must be a boolean"
    if body.get("user_id") is not None and not isinstance(body["user_id"], str):
        return INVALID, "invalid user_id: must be a string"
    return None


# -- chat --------------------------------------------------------------------------------------


def check_chat(body: dict[str, Any]) -> Problem | None:
    return (
        check_messages(body.get("messages"))
        or check_sampling(body)
        or _check_system(body.get("system"))
        or _check_functions(body)
        or _check_response_format(body.get("response_format"))
    )


def _has_call(message: Any) -> bool:
    return isinstance(message, dict) and isinstance(message.get("function_call"), dict)


def check_messages(messages: Any) -> Problem | None:
    if not isinstance(messages, list) or not messages:
        return INVALID, "invalid messages: must be a non-empty list"
    if len(messages) % 2 == 0:
        return INVALID, "invalid messages: the number of messages must be odd"
    for index, message in enumerate(messages):
        problem = _check_message(index, message, messages[index - 1] if index else None)
        if problem:
            return problem
    return None


def _check_message(index: int, message: Any, previous: Any) -> Problem | None:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        return INVALID, f"invalid {where}: must be an object with role and content"
    role = message.get("role")
    if index % 2 == 1 and role != "assistant":
        return INVALID, f"invalid {where}: role must be assistant (user/assistant must alternate)"
    if index % 2 == 0 and role != "user":
        if role != "function":
            return INVALID, f"invalid {where}: role must be user (user/assistant must alternate)"
        if not _has_call(previous):
            return INVALID, f"invalid {where}: a function message must follow a function_call"
    if role == "function" and not (isinstance(message.get("name"), str) and message["name"]):
        return INVALID, f"invalid {where}: a function message needs a name"
    return _check_content(where, message)


def _check_content(where: str, message: dict[str, Any]) -> Problem | None:
    content = message.get("content")
    if _has_call(message):
        if not isinstance(message["function_call"].get("name"), str):
            return INVALID, f"invalid {where}: function_call needs a name"
        if content is None or isinstance(content, str):
            return None
    if not isinstance(content, str):
        return INVALID, f"invalid {where}: content must be a string"
    if not content.strip():
        return INVALID, f"invalid {where}: content must not be empty"
    return None


def _check_system(system: Any) -> Problem | None:
    if system is None or isinstance(system, str):
        return None
    return 336104, "invalid system: must be a string"


def _check_functions(body: dict[str, Any]) -> Problem | None:
    functions, choice = body.get("functions"), body.get("tool_choice")
    if functions is not None:
        if not isinstance(functions, list) or not functions:
            return INVALID, "invalid functions: must be a non-empty list"
        for index, function in enumerate(functions):
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                return INVALID, f"invalid functions[{index}]: needs a name"
            if not isinstance(function.get("parameters", {}), dict):
                return INVALID, f"invalid functions[{index}]: parameters must be a JSON schema"
    if choice is None:
        return None
    names = [f["name"] for f in functions or []]
    name = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or name not in names:
        return INVALID, (
            'invalid tool_choice: must be {"type": "function", "function": {"name": <one of '
            f"the functions {names}>}}}}"
        )
    return None


def _check_response_format(value: Any) -> Problem | None:
    if value is None or value in ("text", "json_object"):
        return None
    return INVALID, f'invalid response_format: must be "text" or "json_object", got {value!r}'


# -- completions and embeddings ----------------------------------------------------------------


def check_completion(body: dict[str, Any]) -> Problem | None:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return INVALID, "invalid prompt: must be a non-empty string"
    return check_sampling(body)


def check_embeddings(body: dict[str, Any], batch: int, max_tokens: int) -> Problem | None:
    texts = body.get("input")
    if not isinstance(texts, list) or not texts:
        return INVALID, "invalid input: must be a non-empty list of strings"
    if len(texts) > batch:
        return INVALID, f"invalid input: at most {batch} texts per request, got {len(texts)}"
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            return INVALID, f"invalid input[{index}]: must be a non-empty string"
        if count_tokens(text) > max_tokens:
            return INVALID, f"invalid input[{index}]: longer than {max_tokens} tokens"
    return None
