"""The rerank endpoints of Qianfan v2 and DashScope, with their limits and error shapes.

Scores are a deterministic function of query/document overlap: the share of the query's
content terms (CJK character bigrams without function characters, English words) found in
the document, through a logistic curve. So the document that shares the question's words
really comes first, as with a real cross-encoder on easy questions.

Like the services, over-long documents are truncated silently (Qianfan: 1024 tokens,
DashScope: 4000 or 8000), while limits the services enforce are errors: Qianfan's 64
documents, 4096 characters per document and 1600 per query; DashScope's documents per request
and tokens per request.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .core import Request, Response, Route, Vendor, json_response, register_vendor, route
from .dashscope.vendor import error as dashscope_error
from .dashscope.vendor import fault_code as dashscope_fault_code
from .dashscope.vendor import json_body as dashscope_json_body
from .dashscope.vendor import key_problem as dashscope_key_problem
from .faults import Fault
from .text import CJK, count_tokens

# -- scoring ------------------------------------------------------------------------------------

_FUNCTION_CHARS = frozenset("的是了吗呢么什怎哪谁和与及在有为把被就都也一个这那")
_CJK_RUN = re.compile(f"[{CJK}]+")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {"a", "an", "the", "is", "are", "was", "were", "be", "of", "to", "in", "on", "at", "for"}
    | {"and", "or", "with", "what", "which", "who", "how", "why", "when", "where", "do"}
    | {"does", "did", "can", "me", "you", "i", "it", "this", "that"}
)


def terms(text: str) -> set[str]:
    lowered = text.lower()
    found: set[str] = set()
    for run in _CJK_RUN.findall(lowered):
        if len(run) == 1 and run not in _FUNCTION_CHARS:
            found.add(run)
        found.update(
            run[i : i + 2]
            for i in range(len(run) - 1)
            if not _FUNCTION_CHARS.intersection(run[i : i + 2])
        )
    found.update(word for word in _WORD.findall(lowered) if word not in _STOPWORDS)
    return found


def _weight(term: str) -> float:
    # A name or an acronym (HNSW, Shor) says more than one Chinese bigram does.
    return 2.0 if term.isascii() else 1.0


def _chars(text: str) -> set[str]:
    return {char for char in "".join(_CJK_RUN.findall(text)) if char not in _FUNCTION_CHARS}


def score(query: str, document: str) -> float:
    """In (0, 1): ~0.05 with nothing in common, ~0.95 when every query term is present.

    Mostly the weighted share of query terms found; a little of the share of query
    characters found, so that near-misses (川菜 vs 粤菜 on 口味) still order sensibly.
    """
    wanted = terms(query)
    if not wanted:
        return 0.05
    found = terms(document)
    total = sum(_weight(term) for term in wanted)
    coverage = sum(_weight(term) for term in wanted & found) / total
    chars = _chars(query)
    if chars:
        coverage = 0.85 * coverage + 0.15 * len(chars & _chars(document)) / len(chars)
    return 1.0 / (1.0 + math.exp(3.0 - 6.0 * coverage))


def truncate(text: str, tokens: int) -> str:
    """The first ``tokens`` tokens of ``text`` (what the services rank of a longer text)."""
    if count_tokens(text) <= tokens:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix within the budget
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def ranked(query: str, documents: list[str], doc_tokens: int) -> list[tuple[int, float]]:
    scores = [(i, score(query, truncate(doc, doc_tokens))) for i, doc in enumerate(documents)]
    return sorted(scores, key=lambda item: (-item[1], item[0]))


def _top(items: list[tuple[int, float]], top_n: Any) -> list[tuple[int, float]]:
    return items[:top_n] if isinstance(top_n, int) else items


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# -- Qianfan v2 (reference §7; errors §5) ----------------------------------------------------


@dataclass(frozen=True)
class _QianfanModel:
    max_documents: int = 64
    document_chars: int = 4096
    document_tokens: int = 1024
    query_chars: int = 1600
    query_tokens: int = 400


QIANFAN_MODELS = {"bce-reranker-base": _QianfanModel(), "qwen3-reranker-8b": _QianfanModel()}
QIANFAN_ERRORS: dict[str, tuple[int, str, str]] = {
    "malformed_json": (400, "invalid_request_error", "Invalid Argument"),
    "invalid_argument": (400, "invalid_request_error", "Invalid Argument"),
    "characters_too_long": (400, "invalid_request_error", "the max input characters is 4096"),
    "invalid_model": (
        401,
        "invalid_request_error",
        "The model does not exist or you do not have access to it.",
    ),
    "invalid_iam_token": (401, "invalid_request_error", "IAM Certification failed"),
    "model_offline": (403, "access_denied", "The model is offline"),
    "method_not_supported": (405, "invalid_request_error", "Only POST requests are accepted"),
    "rpm_rate_limit_exceeded": (429, "rate_limit_exceeded", "Rate limit reached for RPM"),
    "tpm_rate_limit_exceeded": (429, "rate_limit_exceeded", "Rate limit reached for TPM"),
    "internal_error": (500, "Internal_error", "Internal error"),
}
_QIANFAN_CODE_FOR_STATUS = {
    400: "invalid_argument",
    401: "invalid_iam_token",
    403: "model_offline",
    405: "method_not_supported",
    429: "rpm_rate_limit_exceeded",
    500: "internal_error",
}


def qianfan_id() -> str:
    return "as-" + uuid.uuid4().hex[:10]


def qianfan_error(code: str, message: str | None = None) -> Response:
    status, kind, text = QIANFAN_ERRORS.get(code, (400, "invalid_request_error", code))
    rid = qianfan_id()
    payload = {"error": {"code": code, "message": message or text, "type": kind}, "id": rid}
    return json_response(payload, status, {"X-Request-Id": rid})


@register_vendor("qianfan-v2-rerank")
class QianfanRerankVendor(Vendor):
    name = "qianfan-v2-rerank"

    def routes(self) -> list[Route]:
        return [route(r"/v2/rerank(?:ers)?", self._rerank, "qianfan-v2", "rerank")]

    def error_response(self, fault: Fault, request: Request) -> Response:
        code: object = fault.code
        if isinstance(code, int):
            code = _QIANFAN_CODE_FOR_STATUS.get(code, "internal_error")
        return qianfan_error(str(code or "internal_error"), fault.message)

    def _authenticate(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer ") or not header[7:].strip():
            return qianfan_error("invalid_iam_token")
        expected = self.config.credential("qianfan_api_key")
        if self.config.strict and expected and header[7:].strip() != expected:
            return qianfan_error("invalid_iam_token")
        return None

    def _rerank(self, request: Request) -> Response:
        if request.method != "POST":
            return qianfan_error("method_not_supported")
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return qianfan_error("malformed_json")
        problem = _qianfan_problem(body)
        if problem is not None:
            return problem
        model = QIANFAN_MODELS[body["model"]]
        query = truncate(body["query"], model.query_tokens)
        documents: list[str] = body["documents"]
        items = _top(ranked(query, documents, model.document_tokens), body.get("top_n"))
        tokens = count_tokens(query) * len(documents) + sum(count_tokens(d) for d in documents)
        rid = qianfan_id()
        payload = {
            "id": rid,
            "object": "reranker_list",
            "created": int(time.time()),
            "model": body["model"],
            "results": [
                {"document": documents[i], "relevance_score": s, "index": i} for i, s in items
            ],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return json_response(payload, headers={"X-Request-Id": rid})


def _qianfan_problem(body: dict[str, Any]) -> Response | None:
    name = body.get("model")
    if not name:
        return qianfan_error("invalid_model", "model is empty")
    if name not in QIANFAN_MODELS:
        return qianfan_error("invalid_model")
    model = QIANFAN_MODELS[name]
    query, documents, top_n = body.get("query"), body.get("documents"), body.get("top_n")
    if not isinstance(query, str) or not query:
        return qianfan_error("invalid_argument", "query is empty")
    if len(query) > model.query_chars:
        return qianfan_error(
            "characters_too_long", f"the max input characters is {model.query_chars}"
        )
    if not _is_texts(documents) or not documents or not all(documents):
        return qianfan_error("invalid_argument", "documents must be a non-empty list of strings")
    if len(documents) > model.max_documents:
        return qianfan_error(
            "invalid_argument", f"the number of documents must not exceed {model.max_documents}"
        )
    if any(len(document) > model.document_chars for document in documents):
        return qianfan_error(
            "characters_too_long", f"the max input characters is {model.document_chars}"
        )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        return qianfan_error("invalid_argument", "top_n must be a positive integer")
    return None


# -- DashScope native and compatible-api (reference §7) ---------------------------------------


@dataclass(frozen=True)
class _DashScopeModel:
    max_documents: int
    tokens: int  # per query and per document; longer ones are truncated
    request_tokens: int


DASHSCOPE_MODELS = {
    "qwen3-rerank": _DashScopeModel(500, 4000, 120_000),
    "gte-rerank-v2": _DashScopeModel(500, 4000, 30_000),
    "qwen3-vl-rerank": _DashScopeModel(100, 8000, 120_000),
    "qwen3.7-text-rerank": _DashScopeModel(500, 4000, 120_000),
}
DASHSCOPE_RETIRED = {"gte-rerank"}


@register_vendor("dashscope-rerank")
class DashScopeRerankVendor(Vendor):
    name = "dashscope-rerank"

    def routes(self) -> list[Route]:
        return [
            route(
                r"/api/v1/services/rerank/text-rerank/text-rerank",
                self._native,
                "dashscope",
                "rerank",
            ),
            route(r"/compatible-api/v1/reranks", self._compatible, "dashscope", "rerank"),
            # "a dead route on every DashScope host" (reference §7.3)
            route(
                r"/compatible-mode/v1/reranks",
                lambda _r: dashscope_error("InvalidParameter", "task can not be null"),
                "dashscope",
            ),
        ]

    def error_response(self, fault: Fault, request: Request) -> Response:
        return dashscope_error(dashscope_fault_code(fault), fault.message, fault.status)

    def _body(self, request: Request) -> dict[str, Any] | Response:
        if request.method != "POST":
            return dashscope_error("InvalidParameter", "Only POST is supported.", 405)
        denied = dashscope_key_problem(request, self.config)
        return denied if denied is not None else dashscope_json_body(request)

    def _native(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        given = body.get("input")
        parameters = body.get("parameters") or {}
        if not isinstance(given, dict) or not isinstance(parameters, dict):
            return dashscope_error("InvalidParameter", "input must be an object")
        outcome = _dashscope_rank(body.get("model"), given, parameters)
        if isinstance(outcome, Response):
            return outcome
        results, tokens = outcome
        rid = str(uuid.uuid4())
        payload = {
            "output": {"results": results},
            "usage": {"total_tokens": tokens},
            "request_id": rid,
        }
        return json_response(payload, headers={"X-Request-Id": rid})

    def _compatible(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        outcome = _dashscope_rank(body.get("model"), body, body)
        if isinstance(outcome, Response):
            return outcome
        results, tokens = outcome
        rid = str(uuid.uuid4())
        payload = {
            "id": rid,
            "object": "list",
            "model": body["model"],
            "results": results,
            "usage": {"total_tokens": tokens},
        }
        return json_response(payload, headers={"X-Request-Id": rid})


def _dashscope_rank(
    name: Any, given: dict[str, Any], parameters: dict[str, Any]
) -> tuple[list[dict[str, Any]], int] | Response:
    if not name:
        return dashscope_error("InvalidParameter", "Model can not be empty.")
    if name in DASHSCOPE_RETIRED or name not in DASHSCOPE_MODELS:
        return dashscope_error("Model.NotExist", "Model not exist.")
    model = DASHSCOPE_MODELS[name]
    query, documents = given.get("query"), given.get("documents")
    top_n = parameters.get("top_n")
    if not isinstance(query, str) or not query:
        return dashscope_error(
            "InvalidParameter", "Required parameter(s) missing or invalid: query"
        )
    if not _is_texts(documents) or not documents:
        return dashscope_error(
            "InvalidParameter", "Required parameter(s) missing or invalid: documents"
        )
    if len(documents) > model.max_documents:
        return dashscope_error(
            "InvalidParameter",
            f"The number of documents exceeds the limit of {model.max_documents}.",
        )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        return dashscope_error("InvalidParameter", "top_n must be a positive integer.")
    query = truncate(query, model.tokens)
    kept = [truncate(document, model.tokens) for document in documents]
    tokens = count_tokens(query) * len(kept) + sum(count_tokens(d) for d in kept)
    if tokens > model.request_tokens:
        return dashscope_error(
            "InvalidParameter",
            f"Input tokens exceed the per-request limit of {model.request_tokens}.",
        )
    items = _top(ranked(query, documents, model.tokens), top_n)
    with_text = parameters.get("return_documents") is True
    results = [
        {
            **({"document": {"text": documents[i]}} if with_text else {}),
            "index": i,
            "relevance_score": s,
        }
        for i, s in items
    ]
    return results, tokens


__all__ = ["DashScopeRerankVendor", "QianfanRerankVendor", "score", "terms"]
