"""Rerank: neutral request/result types, per-vendor pure build/parse, the model table and one
client that splits a request over the model's limits and merges the answers by score."""

from cnllm.rerank.models import MODELS, RETIRED, RerankModel, resolve
from cnllm.rerank.types import RerankRequest, RerankResponse, RerankResult

__all__ = [
    "MODELS",
    "RETIRED",
    "RerankModel",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
    "resolve",
]
