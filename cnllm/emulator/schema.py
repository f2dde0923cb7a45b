"""Deterministic JSON-schema instances, function choice and JSON-mode answers.

Values come from the user's own words where they fit (numbers in order, quoted strings in
order), so "What is magic_function(3)?" calls ``magic_function`` with ``{"input": 3}`` and
"a customer named '你好啊集团'" fills the name with 你好啊集团.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from .text import CJK, features, quoted

_NUMBER = re.compile(r"(?<![A-Za-z_\d.])-?\d+(?:\.\d+)?")
_PHRASE = re.compile(
    r"\b(?:in|at|for|about|named|called|from)\s+([^.?!;:()\n\"'“”]+)", re.IGNORECASE
)
_CAPITALISED = re.compile(r"(?<=[a-z,]\s)[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*")
_KEY = re.compile(rf"[A-Za-z_][\w\- ]{{0,39}}|[{CJK}]{{1,12}}")
_SCHEMA_MARKER = re.compile(r"json\s*schema\s*[:：]", re.IGNORECASE)
# A request in words for a tool call (sent where a vendor will not force one while thinking).
_TOOLS_REQUEST = re.compile(r"calling one of these tools:\s*([\w\-, ]+)\.")
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def salient(text: str) -> str:
    """A short phrase of the user's that a string argument can sensibly hold."""
    runs = re.findall(f"[{CJK}]{{2,}}", text)
    if runs:
        return str(max(runs, key=len))[:20]
    phrase = _PHRASE.search(text)
    if phrase and phrase.group(1).strip(" ,"):
        return phrase.group(1).strip(" ,")[:40]
    capitalised = _CAPITALISED.findall(text)
    if capitalised:
        return str(capitalised[0])
    words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in {"the", "and"}]
    return words[-1] if words else "示例"


class Hints:
    """Numbers and strings from the user's message, handed out in order."""

    def __init__(self, text: str, exclude: Iterable[str] = ()) -> None:
        skipped = set(exclude)
        self.numbers = [float(match) for match in _NUMBER.findall(text)]
        self.strings = [item for item in quoted(text) if item not in skipped]
        self.fallback = salient(text)
        self._number_at = 0
        self._string_at = 0

    def number(self, low: float, high: float, integer: bool) -> float | None:
        for index in range(self._number_at, len(self.numbers)):
            value = self.numbers[index]
            if low <= value <= high and (not integer or value.is_integer()):
                self._number_at = index + 1
                return value
        return None

    def string(self) -> str:
        if self._string_at < len(self.strings):
            self._string_at += 1
            return self.strings[self._string_at - 1]
        return self.fallback


# -- instances ----------------------------------------------------------------------------------


def instance(schema: Any, hints: Hints, root: Any = None, depth: int = 0) -> Any:
    """A value valid for ``schema`` (the common JSON-schema subset pydantic emits)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if depth > 10 or not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return instance(_first_non_null(schema[key], root), hints, root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = _merge(merged, _resolve(part, root))
        return instance(merged, hints, root, depth + 1)
    return _typed(schema, _type_of(schema), hints, root, depth)


def _typed(schema: dict[str, Any], kind: str, hints: Hints, root: Any, depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: instance(sub, hints, root, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return _array(schema, hints, root, depth)
    if kind in ("integer", "number"):
        return _number(schema, hints, kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, hints)


def _resolve(schema: Any, root: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 20:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) and part else target
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = _merge(target, rest) if isinstance(target, dict) else rest
        seen += 1
    return schema


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = {**left, **right}
    if "properties" in left or "properties" in right:
        merged["properties"] = {**left.get("properties", {}), **right.get("properties", {})}
    return merged


def _first_non_null(options: list[Any], root: Any) -> Any:
    for option in options:
        if _resolve(option, root) != {"type": "null"}:
            return option
    return options[0]


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _array(schema: dict[str, Any], hints: Hints, root: Any, depth: int) -> list[Any]:
    if isinstance(schema.get("prefixItems"), list):
        return [instance(item, hints, root, depth + 1) for item in schema["prefixItems"]]
    if schema.get("maxItems") == 0:
        return []
    items = schema.get("items", {})
    if isinstance(items, list):
        return [instance(item, hints, root, depth + 1) for item in items]
    count = max(1, int(schema.get("minItems", 1)))
    return [instance(items, hints, root, depth + 1) for _ in range(count)]


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[float, float]:
    step = 1.0 if integer else 1e-6
    low, high = -math.inf, math.inf
    if isinstance(schema.get("minimum"), (int, float)):
        low = float(schema["minimum"])
    if isinstance(schema.get("maximum"), (int, float)):
        high = float(schema["maximum"])
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if exclusive_low is True:  # draft 4: a flag on minimum
        low += step
    elif isinstance(exclusive_low, (int, float)):
        low = max(low, float(exclusive_low) + step)
    if exclusive_high is True:
        high -= step
    elif isinstance(exclusive_high, (int, float)):
        high = min(high, float(exclusive_high) - step)
    if integer:  # round inwards; infinities stay as they are
        low = float(math.ceil(low)) if math.isfinite(low) else low
        high = float(math.floor(high)) if math.isfinite(high) else high
    return low, high


def _number(schema: dict[str, Any], hints: Hints, integer: bool) -> int | float:
    low, high = _bounds(schema, integer)
    value = hints.number(low, high, integer)
    if value is None:
        value = 3.0 if low <= 3.0 <= high else (low if low > -math.inf else high)
    return int(value) if integer or float(value).is_integer() else value


def _string(schema: dict[str, Any], hints: Hints) -> str:
    value = _FORMATS.get(str(schema.get("format", ""))) or hints.string()
    minimum, maximum = schema.get("minLength"), schema.get("maxLength")
    if isinstance(minimum, int) and len(value) < minimum:
        value = value + "x" * (minimum - len(value))
    if isinstance(maximum, int):
        value = value[:maximum]
    return value


# -- functions and JSON mode -------------------------------------------------------------------


def property_names(schema: Any) -> list[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return list(properties) if isinstance(properties, dict) else []


def choose_function(
    functions: list[dict[str, Any]], text: str, forced: str | None
) -> dict[str, Any]:
    """The forced function, else the one whose name/description best matches, else the first."""
    for function in functions:
        if forced is not None and function.get("name") == forced:
            return function
    scores = [(_score(function, text), -index) for index, function in enumerate(functions)]
    return functions[-max(scores)[1]]


def _score(function: dict[str, Any], text: str) -> float:
    name = str(function.get("name", ""))
    said = set(features(text))
    words = {w.lower() for w in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", name) if w}
    score = 10.0 if name and name.lower() in text.lower() else 0.0
    score += 2.0 * len(words & said)
    return score + len(set(features(str(function.get("description", "")))) & said)


def requested_tools(text: str) -> list[str]:
    """The tools a message asks to be answered through ("...calling one of these tools: a, b.")."""
    found = _TOOLS_REQUEST.search(text)
    return [name.strip() for name in found.group(1).split(",") if name.strip()] if found else []


def call_arguments(function: dict[str, Any], text: str) -> dict[str, Any]:
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    found = extract_schema(text)  # a JSON instruction's schema is not the user's words
    words = found[1] if found is not None else text
    value = instance(parameters, Hints(words, property_names(parameters)))
    return value if isinstance(value, dict) else {}


def extract_schema(text: str) -> tuple[dict[str, Any], str] | None:
    """The schema after a ``JSON schema:`` marker, and the text around it."""
    marker = _SCHEMA_MARKER.search(text)
    start = text.find("{", marker.end()) if marker else -1
    if marker is None or start < 0:
        return None
    try:
        schema, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    if not isinstance(schema, dict):
        return None
    return schema, text[: marker.start()] + " " + text[end:]


def named_keys(text: str) -> list[str]:
    """Keys named in quotes in a request for JSON ("with 'setup' and 'punchline' keys")."""
    if "json" not in text.lower():
        return []
    return [item for item in quoted(text) if _KEY.fullmatch(item)]


def json_answer(system: str, message: str, json_object: bool, reply: str) -> str | None:
    """A JSON text when JSON is asked for (schema marker, named keys, or json_object), else None."""
    for source in (message, system):
        found = extract_schema(source)
        if found is not None:
            schema, rest = found
            value = instance(
                schema, Hints(rest if source is message else message, property_names(schema))
            )
            return json.dumps(value, ensure_ascii=False)
    keys = named_keys(message) or named_keys(system)
    if keys:
        hints = Hints(message, keys)
        return json.dumps({key: hints.string() for key in keys}, ensure_ascii=False)
    if json_object:
        return json.dumps({"answer": reply}, ensure_ascii=False)
    return None
