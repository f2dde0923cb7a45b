"""Alibaba DashScope for the demo: DashScopeEmbeddings (text-embedding-v2) and ChatDashScope."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import Provider, llamaindex_vector_retriever, vector_retriever

DEFAULT_MODEL = "chatyuan-large-v2"


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatDashScope, DashScopeEmbeddings

    embeddings = DashScopeEmbeddings(model="text-embedding-v2", **settings)
    chat = ChatDashScope(model=model or DEFAULT_MODEL, **settings)
    return vector_retriever(embeddings, corpus), chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import DashScope, DashScopeEmbedding

    embed_model = DashScopeEmbedding(model="text-embedding-v2", **settings)
    llm = DashScope(model=model or DEFAULT_MODEL, **settings)
    return llamaindex_vector_retriever(embed_model, corpus), llm


PROVIDER = Provider(
    name="Alibaba DashScope",
    live_when=(("DASHSCOPE_API_KEY",),),
    emulator_settings=lambda url: {"base_url": f"{url}/api/v1", "api_key": "demo-dashscope-key"},
    build=build,
    build_llamaindex=build_llamaindex,
)
