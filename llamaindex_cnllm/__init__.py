"""LlamaIndex classes for Chinese LLM vendors, as thin adapters over ``cnllm``.

Classes are imported on first use, so one vendor's module never loads another's.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaindex_cnllm.embeddings.qianfan import QianfanEmbedding
    from llamaindex_cnllm.llms.qianfan import Qianfan

_EXPORTS: dict[str, str] = {
    "Qianfan": "llamaindex_cnllm.llms.qianfan",
    "QianfanEmbedding": "llamaindex_cnllm.embeddings.qianfan",
}

__all__ = ["Qianfan", "QianfanEmbedding"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llamaindex_cnllm' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
