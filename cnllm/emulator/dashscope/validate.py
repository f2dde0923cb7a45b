"""Request checks of the emulated DashScope service: each problem is ``(code, message)``.

ChatYuan takes ``input.prompt`` only: the seed documents nothing else, so the emulator
refuses ``input.messages`` for it (whether the live service ignores or refuses them is
unverified, reference §2.3); a client that sends them is caught here, not in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..text import count_tokens

Problem = tuple[str, str]

CHATYUAN = "chatyuan-large-v2"
CHATYUAN_MAX_TOKENS = 4096  # seed 002
QWEN_MAX_TOKENS = 30000
ROLES = ("system", "user", "assistant", "tool")

# model -> (texts per request, allowed ``dimension`` values, default size, max tokens per text)
EMBEDDING_MODELS: dict[str, tuple[int, tuple[int, ...], int, int]] = {
    "text-embedding-v1": (25, (), 1536, 2048),
    "text-embedding-v2": (25, (), 1536, 2048),
    "text-embedding-v3": (10, (1024, 768, 512, 256, 128, 64), 1024, 8192),
    "text-embedding-v4": (10, (2048, 1536, 1024, 768, 512, 256, 128, 64), 1024, 8192),
    "qwen3.7-text-embedding": (10, (2048, 1536, 1024, 768, 512, 256, 128, 64), 1024, 8192),
    "qwen3.7-text-embedding-flash": (10, (1024, 768, 512, 256, 128, 64), 1024, 8192),
}


@dataclass
class Generation:
    model: str
    chatyuan: bool
    prompt: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def result_format(self) -> str:
        return str(self.parameters.get("result_format") or "text")

    @property
    def incremental(self) -> bool:
        return self.parameters.get("incremental_output") is True


@dataclass
class Embeddings:
    model: str
    texts: list[str]
    dimension: int


def _invalid(message: str) -> Problem:
    return ("InvalidParameter", message)


def _length(tokens: int, limit: int) -> Problem | None:
    if tokens > limit:
        return _invalid(f"Range of input length should be [1, {limit}]")
    return None


def generation(body: dict[str, Any]) -> Generation | Problem:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return _invalid("Model not specified.")
    model_input, parameters = body.get("input"), body.get("parameters", {})
    if not isinstance(model_input, dict):
        return _invalid("Input is required and must be an object.")
    if not isinstance(parameters, dict):
        return _invalid("Parameters must be an object.")
    problem = _parameters(parameters)
    if problem is not None:
        return problem
    if model == CHATYUAN:
        return _chatyuan(model_input, parameters)
    return _messages_call(model, model_input, parameters)


def _chatyuan(model_input: dict[str, Any], parameters: dict[str, Any]) -> Generation | Problem:
    if "messages" in model_input:
        return _invalid(f"{CHATYUAN} does not support input.messages; use input.prompt.")
    prompt = model_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _invalid("Input prompt is required.")
    problem = _length(count_tokens(prompt.replace("\\n", "\n")), CHATYUAN_MAX_TOKENS)
    return problem or Generation(CHATYUAN, True, prompt=prompt, parameters=parameters)


def _messages_call(
    model: str, model_input: dict[str, Any], parameters: dict[str, Any]
) -> Generation | Problem:
    messages = model_input.get("messages")
    prompt = model_input.get("prompt")
    if messages is None and isinstance(prompt, str) and prompt:
        messages = [{"role": "user", "content": prompt}]  # the legacy prompt form (§2.1)
    problem = _check_messages(messages)
    if problem is not None:
        return problem
    assert isinstance(messages, list)
    text = "\n".join(str(m.get("content") or "") for m in messages)
    problem = _length(count_tokens(text), QWEN_MAX_TOKENS)
    return problem or Generation(model, False, messages=messages, parameters=parameters)


def _check_messages(messages: Any) -> Problem | None:
    if not isinstance(messages, list) or not messages:
        return _invalid("Input messages is required and must be a non-empty list.")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return _invalid(f"messages[{index}].role must be one of {', '.join(ROLES)}.")
        if message["role"] == "system" and index != 0:
            return _invalid("The system message must be the first message.")
        content = message.get("content")
        if not isinstance(content, (str, list)) and not message.get("tool_calls"):
            return _invalid(f"messages[{index}].content must be a string.")
        if message["role"] == "tool" and not message.get("tool_call_id"):
            return _invalid(f"messages[{index}].tool_call_id is required for a tool message.")
    last = messages[-1]
    if last["role"] not in ("user", "tool") and not last.get("partial"):
        return _invalid("The last message must be a user or tool message.")
    return None


def _number(
    parameters: dict[str, Any],
    name: str,
    low: float,
    high: float,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> Problem | None:
    value = parameters.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _invalid(f"{name} must be a number.")
    above = value > low if open_low else value >= low
    below = value < high if open_high else value <= high
    if not (above and below):
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        return _invalid(f"Range of {name} should be {interval}")
    return None


def _parameters(parameters: dict[str, Any]) -> Problem | None:
    checks = (
        _number(parameters, "temperature", 0.0, 2.0, open_high=True),
        _number(parameters, "top_p", 0.0, 1.0, open_low=True),
        _number(parameters, "top_k", 0, 2**31),
        _number(parameters, "max_tokens", 1, 2**31),
        _number(parameters, "presence_penalty", -2.0, 2.0),
        _number(parameters, "repetition_penalty", 0.0, 100.0, open_low=True),
    )
    problem = next((check for check in checks if check is not None), None)
    if problem is not None:
        return problem
    if parameters.get("result_format") not in (None, "text", "message"):
        return _invalid("result_format must be 'text' or 'message'.")
    stop = parameters.get("stop")
    if stop is not None and not isinstance(stop, (str, list)):
        return _invalid("stop must be a string or a list.")
    tools = parameters.get("tools")
    if tools is not None and not _tools_ok(tools):
        return _invalid("tools must be a list of {type: function, function: {name, ...}}.")
    return None


def _tools_ok(tools: Any) -> bool:
    return isinstance(tools, list) and all(
        isinstance(tool, dict)
        and tool.get("type") == "function"
        and isinstance(tool.get("function"), dict)
        and tool["function"].get("name")
        for tool in tools
    )


def embeddings(body: dict[str, Any]) -> Embeddings | Problem:
    model = body.get("model")
    if not isinstance(model, str) or model not in EMBEDDING_MODELS:
        return ("Model.NotExist", "Model not exist.")
    batch, dimensions, default_size, max_tokens = EMBEDDING_MODELS[model]
    model_input, parameters = body.get("input"), body.get("parameters", {})
    texts = model_input.get("texts") if isinstance(model_input, dict) else None
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts:
        return _invalid("Input texts is required and must be a non-empty list.")
    if len(texts) > batch:
        return _invalid(f"batch size is invalid, it should not be larger than {batch}.")
    for text in texts:
        if not isinstance(text, str) or not text:
            return _invalid("Each input text must be a non-empty string.")
        problem = _length(count_tokens(text), max_tokens)
        if problem is not None:
            return problem
    if not isinstance(parameters, dict):
        return _invalid("Parameters must be an object.")
    if parameters.get("text_type") not in (None, "query", "document"):
        return _invalid("text_type must be 'query' or 'document'.")
    dimension = parameters.get("dimension")
    if dimension is not None and dimension not in dimensions:
        allowed = ", ".join(str(d) for d in dimensions) or "none"
        return _invalid(f"dimension {dimension} is not supported by {model}; allowed: {allowed}.")
    return Embeddings(model, texts, dimension or default_size)
