"""ClueAI for the demo: ClueAIRetriever (its hosted search engine over the corpus) and
ChatClueAI (ChatYuan-large). Only the retriever's construction differs from the other
providers: the corpus is uploaded once and searched by ClueAI, not embedded locally."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from cnllm.demo.providers import RETRIEVED, Provider

DEFAULT_MODEL = "ChatYuan-large"


def build(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[BaseRetriever, Any]:
    from langchain_cnllm import ChatClueAI, ClueAIRetriever

    retriever = ClueAIRetriever.from_documents(corpus, k=RETRIEVED, **settings)
    chat = ChatClueAI(model=model or DEFAULT_MODEL, **settings)
    return retriever, chat


def build_llamaindex(
    settings: dict[str, Any], corpus: list[Document], model: str | None
) -> tuple[Any, Any]:
    from llamaindex_cnllm import ClueAI, ClueAIRetriever

    texts, metadatas = [doc.page_content for doc in corpus], [doc.metadata for doc in corpus]
    retriever = ClueAIRetriever.from_texts(texts, metadatas, k=RETRIEVED, **settings)
    return retriever, ClueAI(model=model or DEFAULT_MODEL, **settings)


def emulator_settings(url: str) -> dict[str, Any]:
    return {
        "base_url": f"{url}/clueai",
        "modelfun_url": f"{url}/modelfun/api",
        "api_key": "demo-clueai-key",
    }


PROVIDER = Provider(
    name="ClueAI",
    live_when=(("CLUEAI_API_KEY",),),
    emulator_settings=emulator_settings,
    build=build,
    build_llamaindex=build_llamaindex,
)
