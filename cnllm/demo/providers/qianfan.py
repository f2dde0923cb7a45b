"""Baidu Qianfan for the demo: QianfanEmbeddings (bge-large-zh) and ChatQianfan.

Live with a v2 API key (``QIANFAN_API_KEY``) or IAM keys (v2), or with v1 OAuth keys. The
chat model is v2's default (or the seeds' Qianfan-Chinese-Llama-2-13B on v1) unless
``--model`` says."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import Provider, llamaindex_vector_retriever, vector_retriever

V1_MODEL = "Qianfan-Chinese-Llama-2-13B"  # the seed documents' model; v2 uses its default
EMULATOR_KEY = "bce-v3/ALTAK-demo/0123456789abcdef0123456789abcdef01234567"


def emulator_v2(url: str) -> dict[str, Any]:
    """Constructor arguments for the emulator's v2 (a v2 key and its v2 root)."""
    return {"api_key": EMULATOR_KEY, "v2_base_url": f"{url}/v2"}


def emulator_v1(url: str) -> dict[str, Any]:
    """Constructor arguments for the emulator's v1 (the seed documents' OAuth pair)."""
    return {"base_url": url, "api_key": "demo-ak", "secret_key": "demo-sk"}


def _model(chosen: str | None) -> dict[str, Any]:
    """``model=`` only when one was chosen: left out, the object shows the real default."""
    return {"model": chosen} if chosen else {}


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatQianfan, QianfanEmbeddings

    embeddings = QianfanEmbeddings(model="bge-large-zh", **settings)
    chosen = model or (V1_MODEL if embeddings.api == "v1" else None)
    chat = ChatQianfan(**_model(chosen), temperature=0.1, **settings)
    return vector_retriever(embeddings, corpus), chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import Qianfan, QianfanEmbedding

    embed_model = QianfanEmbedding(model="bge-large-zh", **settings)
    chosen = model or (V1_MODEL if embed_model.api == "v1" else None)
    llm = Qianfan(**_model(chosen), temperature=0.1, **settings)
    return llamaindex_vector_retriever(embed_model, corpus), llm


PROVIDER = Provider(
    name="Baidu Qianfan",
    live_when=(
        ("QIANFAN_API_KEY",),
        ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"),
        ("QIANFAN_AK", "QIANFAN_SK"),
    ),
    emulator_settings=emulator_v2,  # the demo, like a user, calls v2
    build=build,
    build_llamaindex=build_llamaindex,
    # The notebooks' emulator runs stay on v1 for now: their cells show v1 behaviours (the
    # temperature-0 refusal, error 336003).
    notebook_emulator_settings=emulator_v1,
)
