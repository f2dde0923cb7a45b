"""Pure helpers every vendor's embeddings share: batching, and vectors placed by index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cnllm import errors, parsing

T = TypeVar("T")


def batches(texts: Sequence[T], size: int) -> list[Sequence[T]]:
    """``texts`` cut into slices of ``size`` (the last one shorter), in order."""
    return [texts[start : start + size] for start in range(0, len(texts), size)]


def by_index(
    items: Sequence[Any],
    expected: int,
    *,
    key: str,
    vendor: str,
    vector: Callable[[Any, int], list[float]],
) -> list[list[float]]:
    """The vectors of ``items`` in input order. Items carrying ``key`` are placed by it; an
    index that is not an int, out of range or repeated, or a text left without a vector,
    raises ProtocolError (never a silently shifted or duplicated vector). Without indexes,
    array order is the input order. ``vector(item, position)`` reads one item's vector
    (``position``: where it sits in the answer, for error messages)."""
    if len(items) != expected:
        raise errors.ProtocolError(
            f"the answer holds {len(items)} embeddings for {expected} texts", vendor=vendor
        )
    if not any(isinstance(item, dict) and key in item for item in items):
        return [vector(item, position) for position, item in enumerate(items)]
    placed: list[list[float] | None] = [None] * expected
    for position, item in enumerate(items):
        index = item.get(key) if isinstance(item, dict) else None
        if type(index) is not int or not 0 <= index < expected or placed[index] is not None:
            raise errors.ProtocolError(
                f"embedding {key} {index!r} is missing, out of range or repeated "
                f"(expected each of 0..{expected - 1} once)",
                vendor=vendor,
            )
        placed[index] = vector(item, position)
    return [item for item in placed if item is not None]


def data_vectors(
    items: Any,
    expected: int,
    *,
    vendor: str,
    who: str,
    decode: Callable[[Any, str], list[float]],
) -> list[list[float]]:
    """The vectors of an OpenAI-style ``data[]`` of ``{index, embedding}`` in input order:
    one item per text (else ProtocolError, ``who`` returned how many), each an object, placed
    by ``index``. ``decode(raw, path)`` reads one ``embedding``."""
    if not isinstance(items, list) or len(items) != expected:
        count = len(items) if isinstance(items, list) else "no"
        raise errors.ProtocolError(
            f"{who} returned {count} embeddings for {expected} texts", vendor=vendor
        )
    for position, item in enumerate(items):
        parsing.mapping(item, f"data[{position}]", vendor)
    return by_index(
        items,
        expected,
        key="index",
        vendor=vendor,
        vector=lambda item, position: decode(item.get("embedding"), f"data[{position}].embedding"),
    )
