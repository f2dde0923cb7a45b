"""The demo's providers: how to build the retriever and the chat model for each vendor.

Everything else in the demo chain is the same for every provider.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import InMemoryVectorStore

# name -> module defining PROVIDER; a vendor's issue adds its line.
MODULES = {
    "qianfan": "cnllm.demo.providers.qianfan",
    "koala": "cnllm.demo.providers.koala",
    "dashscope": "cnllm.demo.providers.dashscope",
    "clueai": "cnllm.demo.providers.clueai",
}
RETRIEVED = 3


@dataclass(frozen=True)
class Provider:
    name: str
    # Groups of env vars; the live service is used when every var of some group is set.
    live_when: tuple[tuple[str, ...], ...]
    # Constructor arguments that point the classes at an emulator at this base URL.
    emulator_settings: Callable[[str], dict[str, Any]]
    # (settings, corpus, model or None) -> (retriever, chat model)
    build: Callable[[dict[str, Any], list[Document], str | None], tuple[BaseRetriever, Any]]
    # The same for LlamaIndex: (settings, corpus, model or None) -> (retriever, LLM)
    build_llamaindex: Callable[[dict[str, Any], list[Document], str | None], tuple[Any, Any]]
    # The notebooks' emulator arguments, where their cells teach something else (Qianfan: v1).
    notebook_emulator_settings: Callable[[str], dict[str, Any]] | None = None

    def notebook_settings(self, url: str) -> dict[str, Any]:
        return (self.notebook_emulator_settings or self.emulator_settings)(url)

    def is_live(self) -> bool:
        return any(all(os.environ.get(name) for name in group) for group in self.live_when)


def load(name: str) -> Provider:
    if name not in MODULES:
        raise SystemExit(f"unknown provider {name!r}; choose one of {', '.join(sorted(MODULES))}")
    provider: Provider = import_module(MODULES[name]).PROVIDER
    return provider


def vector_retriever(embeddings: Any, corpus: list[Document]) -> BaseRetriever:
    """The in-memory vector store every embedding-based provider uses."""
    store = InMemoryVectorStore.from_documents(corpus, embeddings)
    # ``embeddings`` is Any here, so mypy sees the store (and its retriever) as Any.
    retriever: BaseRetriever = store.as_retriever(search_kwargs={"k": RETRIEVED})
    return retriever


def llamaindex_documents(corpus: list[Document]) -> list[Any]:
    from llama_index.core import Document as LlamaDocument

    return [LlamaDocument(text=doc.page_content, metadata=doc.metadata) for doc in corpus]


def llamaindex_vector_retriever(embed_model: Any, corpus: list[Document]) -> Any:
    """LlamaIndex's in-memory VectorStoreIndex, for every embedding-based provider."""
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_documents(llamaindex_documents(corpus), embed_model=embed_model)
    return index.as_retriever(similarity_top_k=RETRIEVED)
