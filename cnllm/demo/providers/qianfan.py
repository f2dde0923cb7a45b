"""Baidu Qianfan for the demo: QianfanEmbeddings (bge-large-zh) and ChatQianfan.

Live with a v2 API key (``QIANFAN_API_KEY``) or IAM keys (v2), or with v1 OAuth keys; on the
emulator with a v2 key. The chat model is each API's default unless ``--model`` says."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import Provider, llamaindex_vector_retriever, vector_retriever

EMULATOR_KEY = "bce-v3/ALTAK-demo/0123456789abcdef0123456789abcdef01234567"


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatQianfan, QianfanEmbeddings

    embeddings = QianfanEmbeddings(model="bge-large-zh", **settings)
    chat = ChatQianfan(model=model, temperature=0.1, **settings)
    return vector_retriever(embeddings, corpus), chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import Qianfan, QianfanEmbedding

    embed_model = QianfanEmbedding(model="bge-large-zh", **settings)
    llm = Qianfan(model=model, temperature=0.1, **settings)
    return llamaindex_vector_retriever(embed_model, corpus), llm


PROVIDER = Provider(
    name="Baidu Qianfan",
    live_when=(
        ("QIANFAN_API_KEY",),
        ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"),
        ("QIANFAN_AK", "QIANFAN_SK"),
    ),
    emulator_settings=lambda url: {"api_key": EMULATOR_KEY, "v2_base_url": f"{url}/v2"},
    build=build,
    build_llamaindex=build_llamaindex,
)
