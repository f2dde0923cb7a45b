"""The rerank model table: each model's route, limits and instruction support.

Limits are the vendors' published ones (Qianfan v2 reference §7, DashScope reference §7.1).
``max_*_tokens`` limits are checked against an estimate that counts one token per character,
an upper bound for the vendors' tokenizers on Chinese and English text: a text that fits the
estimate is never silently truncated by the service.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from cnllm.errors import ValidationError

Route = Literal["qianfan-v2", "dashscope-native", "dashscope-compatible"]
Vendor = Literal["qianfan", "dashscope"]


@dataclass(frozen=True)
class RerankModel:
    name: str
    vendor: Vendor
    route: Route
    max_documents: int  # documents (after splitting long ones) per request
    max_document_chars: int | None = None  # the service rejects longer documents
    max_document_tokens: int | None = None  # the service truncates longer documents
    max_query_chars: int | None = None
    max_query_tokens: int | None = None
    # DashScope: query_tokens * documents + document tokens, per request (reference §7.1).
    max_request_tokens: int | None = None
    instruction: bool = False  # takes ``instruct``
    verified: bool = True  # False: the name or its limits are not confirmed by the vendor

    @property
    def document_limit(self) -> int:
        """Characters per document (or piece of one) that are neither rejected nor truncated."""
        limits = [n for n in (self.max_document_chars, self.max_document_tokens) if n]
        return min(limits) if limits else 1_000_000

    @property
    def query_limit(self) -> int | None:
        limits = [n for n in (self.max_query_chars, self.max_query_tokens) if n]
        return min(limits) if limits else None


_BCE = RerankModel(
    "bce-reranker-base",
    "qianfan",
    "qianfan-v2",
    max_documents=64,
    max_document_chars=4096,
    max_document_tokens=1024,
    max_query_chars=1600,
    max_query_tokens=400,
)
_QWEN3 = RerankModel(
    "qwen3-rerank",
    "dashscope",
    "dashscope-compatible",  # the Jun 2026 page lists it on /compatible-api/v1/reranks
    max_documents=500,
    max_document_tokens=4000,
    max_query_tokens=4000,
    max_request_tokens=120_000,
    instruction=True,
)

MODELS: dict[str, RerankModel] = {
    model.name: model
    for model in (
        _BCE,
        # Seen in clients only; limits assumed to be bce-reranker-base's.
        replace(_BCE, name="qwen3-reranker-8b", verified=False),
        _QWEN3,
        RerankModel(
            "gte-rerank-v2",
            "dashscope",
            "dashscope-native",
            max_documents=500,
            max_document_tokens=4000,
            max_query_tokens=4000,
            max_request_tokens=30_000,
            instruction=False,  # documented for the qwen3 rerankers only
        ),
        RerankModel(
            "qwen3-vl-rerank",
            "dashscope",
            "dashscope-native",
            max_documents=100,  # text documents
            max_document_tokens=8000,
            max_query_tokens=8000,
            max_request_tokens=120_000,
            instruction=True,
        ),
        # Named in the SDK's model list only; qwen3-rerank's limits assumed.
        replace(_QWEN3, name="qwen3.7-text-rerank", route="dashscope-native", verified=False),
    )
}

DEFAULTS: dict[Vendor, str] = {"qianfan": "bce-reranker-base", "dashscope": "qwen3-rerank"}

# name -> (vendor, what happened, the replacement)
RETIRED: dict[str, tuple[Vendor, str, str]] = {
    "gte-rerank": ("dashscope", "was discontinued on 2026-05-30", "qwen3-rerank"),
    "bce-reranker-base_v1": (
        "qianfan",
        "is the Qianfan v1 name; v2 calls it",
        "bce-reranker-base",
    ),
}


def current(vendor: Vendor) -> list[str]:
    return [name for name, model in MODELS.items() if model.vendor == vendor]


def resolve(vendor: Vendor, name: str, *, custom: bool = False) -> RerankModel:
    """The table entry for ``name``; a clear error for retired or unknown names.

    ``custom=True`` accepts a name the table does not list (a Qianfan deployed service's API
    name, a model newer than this table) with the limits of the vendor's default model.
    """
    key = name.strip().lower()  # vendors list their ids lower-case
    found = MODELS.get(key)
    if found is not None and found.vendor == vendor:
        return found
    listed = ", ".join(current(vendor))
    retired = RETIRED.get(key)
    if retired is not None and retired[0] == vendor:
        raise ValidationError(
            "model",
            f"{name!r} {retired[1]} {retired[2]!r}; current {vendor} rerank models: {listed}",
            vendor=vendor,
        )
    if custom:
        return replace(MODELS[DEFAULTS[vendor]], name=name, verified=False)
    raise ValidationError(
        "model",
        f"{name!r} is not a {vendor} rerank model; current ones: {listed} "
        "(custom_model=True sends another name, e.g. a deployed service, as it is)",
        vendor=vendor,
    )
