"""What the vendors' rerank calls share: the flat ``{model, query, documents, top_n}`` body and
answers' ``results[]`` of index and relevance_score."""

from __future__ import annotations

from typing import Any

from cnllm import errors
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResult


def flat_body(model: RerankModel, request: RerankRequest) -> dict[str, Any]:
    """Qianfan v2's body and DashScope's compatible one: the query, the documents, top_n."""
    payload: dict[str, Any] = {
        "model": model.name,
        "query": request.query,
        "documents": list(request.documents),
    }
    if request.top_n is not None:
        payload["top_n"] = request.top_n
    return payload


def parse_results(items: Any, request: RerankRequest, vendor: str) -> tuple[RerankResult, ...]:
    """``results[]`` of either vendor: index into the request, score; documents our own."""
    if not isinstance(items, list):
        raise errors.ProtocolError(f"rerank 'results' is not a list: {items!r:.200}", vendor=vendor)
    results = []
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        score = item.get("relevance_score") if isinstance(item, dict) else None
        if isinstance(index, bool) or not isinstance(index, int):
            raise errors.ProtocolError(
                f"rerank result without an 'index': {item!r:.200}", vendor=vendor
            )
        if not 0 <= index < len(request.documents):
            raise errors.ProtocolError(
                f"rerank result 'index' {index} is outside the {len(request.documents)} "
                "documents sent",
                vendor=vendor,
            )
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise errors.ProtocolError(
                f"rerank result without a numeric 'relevance_score': {item!r:.200}", vendor=vendor
            )
        results.append(RerankResult(index, float(score), request.documents[index]))
    return tuple(results)
