"""LangChain classes for Chinese LLM vendors, as thin adapters over ``cnllm``.

Classes are imported on first use, so ``import langchain_cnllm`` stays cheap and one vendor's
module never loads another's.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_cnllm.chat_models.clueai import ChatClueAI
    from langchain_cnllm.chat_models.dashscope import ChatDashScope
    from langchain_cnllm.chat_models.koala import ChatKoala
    from langchain_cnllm.chat_models.qianfan import ChatQianfan
    from langchain_cnllm.clueai_finetune import ClueAIFineTuner
    from langchain_cnllm.clueai_tools import ClueAIClassifier, ClueAIText2ImageTool
    from langchain_cnllm.embeddings.dashscope import DashScopeEmbeddings
    from langchain_cnllm.embeddings.koala import KoalaEmbeddings
    from langchain_cnllm.embeddings.qianfan import QianfanEmbeddings
    from langchain_cnllm.llms.clueai import ClueAILLM
    from langchain_cnllm.llms.dashscope import DashScopeLLM
    from langchain_cnllm.llms.koala import KoalaLLM
    from langchain_cnllm.llms.qianfan import QianfanLLM
    from langchain_cnllm.rerank import DashScopeRerank, QianfanRerank
    from langchain_cnllm.retrievers.clueai import ClueAIRetriever

_EXPORTS: dict[str, str] = {
    "ChatQianfan": "langchain_cnllm.chat_models.qianfan",
    "QianfanLLM": "langchain_cnllm.llms.qianfan",
    "QianfanEmbeddings": "langchain_cnllm.embeddings.qianfan",
    "ChatKoala": "langchain_cnllm.chat_models.koala",
    "KoalaLLM": "langchain_cnllm.llms.koala",
    "KoalaEmbeddings": "langchain_cnllm.embeddings.koala",
    "ChatDashScope": "langchain_cnllm.chat_models.dashscope",
    "DashScopeLLM": "langchain_cnllm.llms.dashscope",
    "DashScopeEmbeddings": "langchain_cnllm.embeddings.dashscope",
    "ChatClueAI": "langchain_cnllm.chat_models.clueai",
    "ClueAILLM": "langchain_cnllm.llms.clueai",
    "ClueAIRetriever": "langchain_cnllm.retrievers.clueai",
    "ClueAIClassifier": "langchain_cnllm.clueai_tools",
    "ClueAIText2ImageTool": "langchain_cnllm.clueai_tools",
    "ClueAIFineTuner": "langchain_cnllm.clueai_finetune",
    "QianfanRerank": "langchain_cnllm.rerank",
    "DashScopeRerank": "langchain_cnllm.rerank",
}

__all__ = [
    "ChatClueAI",
    "ChatDashScope",
    "ChatKoala",
    "ChatQianfan",
    "ClueAIClassifier",
    "ClueAIFineTuner",
    "ClueAILLM",
    "ClueAIRetriever",
    "ClueAIText2ImageTool",
    "DashScopeEmbeddings",
    "DashScopeLLM",
    "DashScopeRerank",
    "KoalaEmbeddings",
    "KoalaLLM",
    "QianfanEmbeddings",
    "QianfanLLM",
    "QianfanRerank",
]


# The framework this package adapts to is an extra; without it, say which one to install.
_FRAMEWORK = "langchain_core"
_MISSING = (
    "langchain_cnllm needs langchain-core, which is not installed: "
    "pip install 'langchain-cnllm[langchain]'"
)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_cnllm' has no attribute {name!r}")
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
