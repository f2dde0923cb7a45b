"""Neutral rerank types: what every vendor's rerank call takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnllm.types import Usage


@dataclass(frozen=True)
class RerankRequest:
    """Rank ``documents`` by relevance to ``query``.

    ``top_n`` None means every document, reordered. ``instruction`` is a ranking instruction
    for the models that take one (DashScope's ``instruct``); None sends nothing.
    """

    query: str
    documents: tuple[str, ...]
    top_n: int | None = None
    instruction: str | None = None


@dataclass(frozen=True)
class RerankResult:
    """One ranked document: its position in the request, its score and its text."""

    index: int
    relevance_score: float
    document: str


@dataclass(frozen=True)
class RerankResponse:
    """Results best first. ``usage`` sums what the vendor reported over every request sent
    (None if any request reported none); ``request_ids`` has one id per request."""

    results: tuple[RerankResult, ...]
    model: str
    usage: Usage | None = None
    request_ids: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
