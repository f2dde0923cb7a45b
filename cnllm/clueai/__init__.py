"""ClueAI: model table, prompt formats, JSON Lines files, protocol and client."""

from cnllm.clueai.client import ClueAIClient
from cnllm.clueai.protocol import (
    Classification,
    GenerateConfig,
    Generation,
    SearchHit,
    SearchResult,
)

__all__ = [
    "Classification",
    "ClueAIClient",
    "GenerateConfig",
    "Generation",
    "SearchHit",
    "SearchResult",
]
