"""Checked reading of vendor answers: a malformed field is a ProtocolError that names it.

Vendor parsers read bodies a server sent; ``int("abc")``, ``"x".get(...)`` or a missing key
must never escape as a bare ValueError/AttributeError/KeyError. These helpers say what was
expected at which path (``usage.total_tokens``, ``choices[0].message``) and what came instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cnllm import errors
from cnllm.types import Usage


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 100 else text[:100] + "…"


def malformed(path: str, expected: str, value: Any, vendor: str) -> errors.ProtocolError:
    return errors.ProtocolError(
        f"malformed answer: {path} should be {expected}, got {_shown(value)}", vendor=vendor
    )


def mapping(value: Any, path: str, vendor: str, *, optional: bool = False) -> dict[str, Any]:
    """``value`` as an object; None (or absent) is ``{}`` when ``optional``."""
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise malformed(path, "an object", value, vendor)
    return dict(value)


def text(value: Any, path: str, vendor: str) -> str:
    """A text field; None (JSON null, or absent) is the empty text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise malformed(path, "a string", value, vendor)
    return value


def count(value: Any, path: str, vendor: str) -> int:
    """A token count: a non-negative integer (``5.0`` is accepted, ``"5"`` and null are not)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise malformed(path, "a non-negative integer", value, vendor)
    return value


def number(value: Any, path: str, vendor: str) -> float:
    """A finite number (a likelihood, a score, a vector component)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise malformed(path, "a number", value, vendor)
    if not math.isfinite(value):
        raise malformed(path, "a finite number", value, vendor)
    return float(value)


def vector(value: Any, path: str, vendor: str) -> list[float]:
    if not isinstance(value, list):
        raise malformed(path, "a list of numbers", value, vendor)
    # Fast path: a vector of plain floats is by far the common case.
    if all(type(item) is float and math.isfinite(item) for item in value):
        return value
    return [number(item, f"{path}[{index}]", vendor) for index, item in enumerate(value)]


def usage(
    raw: Any,
    vendor: str,
    *,
    path: str = "usage",
    input_key: str = "prompt_tokens",
    output_key: str = "completion_tokens",
    total_key: str = "total_tokens",
    embedding: bool = False,
) -> Usage | None:
    """Token counts exactly as given, never invented.

    Absent usage is None. Each count present must be a non-negative integer. Input and output
    given: the total is given or their sum. Input and total given: output is the difference
    (what Qianfan's streams document). For ``embedding`` usage the output is 0 by nature and
    the input alone is enough. Anything less (``{"total_tokens": 5}`` alone) cannot be
    split honestly into input and output: None.
    """
    if raw is None:
        return None
    body = mapping(raw, path, vendor)
    counts = {
        key: count(body[key], f"{path}.{key}", vendor)
        for key in (input_key, output_key, total_key)
        if key in body
    }
    given_input, given_output = counts.get(input_key), counts.get(output_key)
    total = counts.get(total_key)
    if embedding:
        if given_input is None:
            return None
        return Usage(given_input, 0, given_input if total is None else total)
    if given_input is None or (given_output is None and total is None):
        return None
    if given_output is None:
        assert total is not None
        if total < given_input:
            raise malformed(f"{path}.{total_key}", f"at least {input_key}", total, vendor)
        given_output = total - given_input
    return Usage(
        given_input,
        given_output,
        given_input + given_output if total is None else total,
        cached_input_tokens=_detail(body, _CACHED_GROUPS, "cached_tokens", path, vendor),
        reasoning_tokens=_detail(body, _REASONING_GROUPS, "reasoning_tokens", path, vendor),
    )


# Where vendors put the details: OpenAI names (vLLM, DeepSeek, Qianfan v2, DashScope compatible
# mode) and DashScope's native ones; each is reported only when relevant, never 0 by default.
_CACHED_GROUPS = ("prompt_tokens_details", "input_tokens_details")
_REASONING_GROUPS = ("completion_tokens_details", "output_tokens_details")


def _detail(
    body: Mapping[str, Any], groups: tuple[str, ...], key: str, path: str, vendor: str
) -> int | None:
    for group in groups:
        details = body.get(group)
        if isinstance(details, Mapping) and details.get(key) is not None:
            return count(details[key], f"{path}.{group}.{key}", vendor)
    return None
