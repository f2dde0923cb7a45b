"""Koala 悠然 for the demo: KoalaEmbeddings (text2vec-large-chinese) and ChatKoala."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import Provider, llamaindex_vector_retriever, vector_retriever

DEFAULT_MODEL = "Baichuan2-13B-Chat"


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatKoala, KoalaEmbeddings

    embeddings = KoalaEmbeddings(model="text2vec-large-chinese", **settings)
    chat = ChatKoala(model=model or DEFAULT_MODEL, temperature=0.1, **settings)
    return vector_retriever(embeddings, corpus), chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import Koala, KoalaEmbedding

    embed_model = KoalaEmbedding(model="text2vec-large-chinese", **settings)
    llm = Koala(model=model or DEFAULT_MODEL, temperature=0.1, **settings)
    return llamaindex_vector_retriever(embed_model, corpus), llm


PROVIDER = Provider(
    name="Koala 悠然",
    # Self-hosted: the server's address is all it takes (KOALA_API_KEY only if it checks keys).
    live_when=(("KOALA_BASE_URL",),),
    emulator_settings=lambda url: {"base_url": f"{url}/v1"},
    build=build,
    build_llamaindex=build_llamaindex,
)
