"""LlamaIndex classes for Chinese LLM vendors, as thin adapters over ``cnllm``.

Classes are imported on first use, so one vendor's module never loads another's.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llamaindex_cnllm.embeddings.dashscope import DashScopeEmbedding
    from llamaindex_cnllm.embeddings.koala import KoalaEmbedding
    from llamaindex_cnllm.embeddings.qianfan import QianfanEmbedding
    from llamaindex_cnllm.llms.clueai import ClueAI
    from llamaindex_cnllm.llms.dashscope import DashScope
    from llamaindex_cnllm.llms.koala import Koala
    from llamaindex_cnllm.llms.qianfan import Qianfan
    from llamaindex_cnllm.postprocessor import DashScopeRerank, QianfanRerank
    from llamaindex_cnllm.retrievers.clueai import ClueAIRetriever

_EXPORTS: dict[str, str] = {
    "Qianfan": "llamaindex_cnllm.llms.qianfan",
    "QianfanEmbedding": "llamaindex_cnllm.embeddings.qianfan",
    "Koala": "llamaindex_cnllm.llms.koala",
    "KoalaEmbedding": "llamaindex_cnllm.embeddings.koala",
    "DashScope": "llamaindex_cnllm.llms.dashscope",
    "DashScopeEmbedding": "llamaindex_cnllm.embeddings.dashscope",
    "ClueAI": "llamaindex_cnllm.llms.clueai",
    "ClueAIRetriever": "llamaindex_cnllm.retrievers.clueai",
    "QianfanRerank": "llamaindex_cnllm.postprocessor",
    "DashScopeRerank": "llamaindex_cnllm.postprocessor",
}

__all__ = [
    "ClueAI",
    "ClueAIRetriever",
    "DashScope",
    "DashScopeEmbedding",
    "DashScopeRerank",
    "Koala",
    "KoalaEmbedding",
    "Qianfan",
    "QianfanEmbedding",
    "QianfanRerank",
]


# The framework this package adapts to is an extra; without it, say which one to install.
_FRAMEWORK = "llama_index"
_MISSING = (
    "llamaindex_cnllm needs llama-index-core, which is not installed: "
    "pip install 'langchain-cnllm[llamaindex]'"
)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llamaindex_cnllm' has no attribute {name!r}")
    try:
        value = getattr(import_module(module), name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != _FRAMEWORK:
            raise
        raise ModuleNotFoundError(_MISSING, name=exc.name) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
