"""Structured output by prompt and parse, for models without native tools or JSON mode.

Framework-neutral: the LangChain and LlamaIndex adapters both use it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cnllm import errors

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def json_instruction(schema: dict[str, Any] | None) -> str:
    """The instruction added to the conversation. It names the schema after ``JSON schema:``."""
    if not schema:
        return "Respond only with a single JSON object, with no text before or after it."
    return (
        "Respond only with a single JSON object, with no text before or after it, that "
        "conforms to this JSON schema: " + json.dumps(schema, ensure_ascii=False)
    )


def tool_instruction(names: list[str]) -> str:
    """Asks in words for the tool call a vendor will not force (tool_choice while thinking)."""
    return "Respond only by calling one of these tools: " + ", ".join(names) + "."


def extract_json(text: str) -> Any:
    """The JSON object in a model's answer, tolerating code fences and surrounding prose."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end < start:
        raise errors.ProtocolError(f"the answer holds no JSON object: {text[:200]!r}")
    try:
        return json.loads(candidate[start : end + 1])
    except ValueError as exc:
        raise errors.ProtocolError(f"the answer holds invalid JSON: {text[:200]!r}") from exc
