"""Baidu Qianfan for the demo: QianfanEmbeddings (bge-large-zh) and ChatQianfan."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import Provider, llamaindex_vector_retriever, vector_retriever

DEFAULT_MODEL = "Qianfan-Chinese-Llama-2-13B"


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatQianfan, QianfanEmbeddings

    embeddings = QianfanEmbeddings(model="bge-large-zh", **settings)
    chat = ChatQianfan(model=model or DEFAULT_MODEL, temperature=0.1, **settings)
    return vector_retriever(embeddings, corpus), chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import Qianfan, QianfanEmbedding

    embed_model = QianfanEmbedding(model="bge-large-zh", **settings)
    llm = Qianfan(model=model or DEFAULT_MODEL, temperature=0.1, **settings)
    return llamaindex_vector_retriever(embed_model, corpus), llm


PROVIDER = Provider(
    name="Baidu Qianfan",
    live_when=(("QIANFAN_AK", "QIANFAN_SK"), ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY")),
    emulator_settings=lambda url: {"base_url": url, "api_key": "demo-ak", "secret_key": "demo-sk"},
    build=build,
    build_llamaindex=build_llamaindex,
)
