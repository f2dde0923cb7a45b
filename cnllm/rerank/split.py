"""Fitting a rerank request into a model's limits, and merging the answers back.

Nothing is ever cut off silently. A document longer than the model takes whole is cut into
pieces at sentence ends, each piece is ranked, and the document keeps its best piece's score.
More documents (or pieces) than one request takes go out as several requests, whose answers are
merged by score: cross-encoder scores are absolute per (query, document) pair, so scores from
different requests compare. Blank documents are never sent (Qianfan rejects them); they come
last with a score of 0.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cnllm.errors import InputTooLongError, ValidationError
from cnllm.rerank.models import MODELS, RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse, RerankResult
from cnllm.types import Usage

_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s)")


@dataclass(frozen=True)
class Piece:
    document: int  # index in the caller's documents
    text: str


@dataclass(frozen=True)
class Batch:
    """One request: its pieces, and the wire request made of them."""

    pieces: tuple[Piece, ...]
    request: RerankRequest


def validate(model: RerankModel, request: RerankRequest) -> None:
    """Bad input, named, before anything is sent."""
    if not isinstance(request.query, str) or not request.query.strip():
        raise ValidationError("query", "must be a non-empty string", vendor=model.vendor)
    limit = model.query_limit
    if limit is not None and len(request.query) > limit:
        raise InputTooLongError(
            "query",
            f"{len(request.query)} characters; {model.name} takes at most {limit} (a longer "
            "query would be rejected or silently truncated by the service)",
            vendor=model.vendor,
        )
    if request.top_n is not None and (
        isinstance(request.top_n, bool) or not isinstance(request.top_n, int) or request.top_n < 1
    ):
        raise ValidationError(
            "top_n",
            f"must be a positive integer or None, got {request.top_n!r}",
            vendor=model.vendor,
        )
    for position, document in enumerate(request.documents):
        if not isinstance(document, str):
            raise ValidationError(
                f"documents[{position}]",
                f"must be a string, got {type(document).__name__}",
                vendor=model.vendor,
            )
    if request.instruction is not None and not model.instruction:
        takers = ", ".join(name for name, m in MODELS.items() if m.instruction)
        raise ValidationError(
            "instruction",
            f"{model.name} takes no ranking instruction; models that do: {takers}",
            vendor=model.vendor,
        )


def cut(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after a sentence end when one
    falls in the last fifth of the window (a sentence cut in two ranks worse)."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= limit * 4 // 5]
        stop = start + (ends[-1] if ends else limit)
        pieces.append(text[start:stop])
        start = stop
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _pieces(model: RerankModel, documents: Sequence[str]) -> list[Piece]:
    limit = model.document_limit
    return [
        Piece(index, text)
        for index, document in enumerate(documents)
        if document.strip()
        for text in cut(document, limit)
    ]


def plan(model: RerankModel, request: RerankRequest) -> list[Batch]:
    """The requests that rank ``request`` within ``model``'s limits; [] for no documents."""
    validate(model, request)
    pieces = _pieces(model, request.documents)
    groups: list[list[Piece]] = []
    query_cost = len(request.query)
    tokens = 0
    for piece in pieces:
        cost = query_cost + len(piece.text)  # the vendor charges the query once per document
        full = bool(groups) and (
            len(groups[-1]) >= model.max_documents
            or (model.max_request_tokens is not None and tokens + cost > model.max_request_tokens)
        )
        if not groups or full:
            groups.append([])
            tokens = 0
        groups[-1].append(piece)
        tokens += cost
    whole = len(groups) == 1 and len(pieces) == len(request.documents)
    # top_n goes to the service only when its answer is the final one; a split request needs
    # every score back to merge.
    top_n = min(request.top_n, len(pieces)) if whole and request.top_n else None
    return [
        Batch(
            tuple(group),
            RerankRequest(request.query, tuple(p.text for p in group), top_n, request.instruction),
        )
        for group in groups
    ]


def merge(
    model: str, request: RerankRequest, answers: Sequence[tuple[Batch, RerankResponse]]
) -> RerankResponse:
    """One ranking from the answers of every batch: a document's best piece counts."""
    best: dict[int, float] = {}
    for batch, answer in answers:
        for result in answer.results:
            document = batch.pieces[result.index].document
            best[document] = max(best.get(document, result.relevance_score), result.relevance_score)
    order = sorted(best, key=lambda index: (-best[index], index))
    ranked = [RerankResult(i, best[i], request.documents[i]) for i in order]
    sent = {piece.document for batch, _ in answers for piece in batch.pieces}
    ranked += [
        RerankResult(i, 0.0, text)
        for i, text in enumerate(request.documents)
        if i not in sent and not text.strip()
    ]
    if request.top_n is not None:
        ranked = ranked[: request.top_n]
    return RerankResponse(
        results=tuple(ranked),
        model=answers[0][1].model if answers else model,
        usage=_total(answer.usage for _, answer in answers),
        request_ids=tuple(rid for _, answer in answers for rid in answer.request_ids),
    )


def _total(usages: Iterable[Usage | None]) -> Usage | None:
    items = list(usages)
    known = [item for item in items if item is not None]
    if not items or len(known) != len(items):
        return None
    return Usage(
        sum(item.input_tokens for item in known),
        sum(item.output_tokens for item in known),
        sum(item.total_tokens for item in known),
    )
