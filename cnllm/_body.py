"""Request bodies and URLs as they leave the process: one JSON serialisation for the sync and
the async path (same bytes), refusing what JSON cannot carry before anything is sent."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cnllm import errors

_SURROGATES = range(0xD800, 0xE000)


def encode_json(value: Any, vendor: str | None = None) -> bytes:
    """UTF-8 JSON; NaN/inf and lone surrogates raise ValidationError naming where they are."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except ValueError as exc:  # also UnicodeEncodeError (a ValueError)
        raise _explain(value, exc, vendor) from None


def _explain(value: Any, exc: ValueError, vendor: str | None) -> errors.ValidationError:
    for path, leaf in _leaves(value, ""):
        if isinstance(leaf, float) and not math.isfinite(leaf):
            return errors.ValidationError(
                path or "body",
                f"NaN and infinity are not valid JSON numbers (got {leaf})",
                vendor=vendor,
            )
        if isinstance(leaf, str):
            index = next((i for i, c in enumerate(leaf) if ord(c) in _SURROGATES), None)
            if index is not None:
                return errors.ValidationError(
                    path or "body",
                    f"the input contains a lone surrogate (U+{ord(leaf[index]):04X} at index "
                    f"{index}), which is not valid Unicode text; decode the source with "
                    "errors='replace' or remove it",
                    vendor=vendor,
                )
    return errors.ValidationError("body", f"cannot be serialised as JSON: {exc}", vendor=vendor)


def _leaves(value: Any, path: str) -> Any:
    """(path, leaf) pairs, keys included (a surrogate may hide in a key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key
            yield from _leaves(item, child)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def redact_url(url: str) -> str:
    """The URL with every query value masked (a redirect target may carry anything)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return errors.redact(url)
    if not parts.query:
        return errors.redact(url)
    query = urlencode([(key, "***") for key, _ in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(query=query.replace("%2A", "*")))
