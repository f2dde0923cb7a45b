"""LangChain classes for Chinese LLM vendors, as thin adapters over ``cnllm``.

Classes are imported on first use, so ``import langchain_cnllm`` stays cheap and one vendor's
module never loads another's.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_cnllm.chat_models.qianfan import ChatQianfan
    from langchain_cnllm.embeddings.qianfan import QianfanEmbeddings
    from langchain_cnllm.llms.qianfan import QianfanLLM

_EXPORTS: dict[str, str] = {
    "ChatQianfan": "langchain_cnllm.chat_models.qianfan",
    "QianfanLLM": "langchain_cnllm.llms.qianfan",
    "QianfanEmbeddings": "langchain_cnllm.embeddings.qianfan",
}

__all__ = ["ChatQianfan", "QianfanEmbeddings", "QianfanLLM"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_cnllm' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
