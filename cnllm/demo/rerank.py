"""``cnllm demo --rerank``: retrieve 8, rerank to the best 3 with the provider's reranker, show
the scores. Qianfan uses QianfanRerank (bce-reranker-base), DashScope DashScopeRerank
(qwen3-rerank); the rest of the chain is the demo's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import VectorStoreRetriever

from cnllm.demo.providers import Provider

FETCHED = 8
KEPT = 3
# provider -> the env vars its reranker needs against the live service (any one group)
LIVE_KEYS = {
    "qianfan": (("QIANFAN_API_KEY",), ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY")),
    "dashscope": (("DASHSCOPE_API_KEY",),),
}


def check(provider: str) -> None:
    """Fail early, with the way out, where the provider has no reranker."""
    if provider not in LIVE_KEYS:
        raise SystemExit(
            f"--rerank: {provider} has no reranker; use --provider {' or '.join(sorted(LIVE_KEYS))}"
        )


def _settings(provider: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Reranker arguments: the emulator's, or none (the vendor's env vars) for the service."""
    if not settings:
        groups = LIVE_KEYS[provider]
        if not any(all(os.environ.get(name) for name in group) for group in groups):
            needed = " or ".join("/".join(group) for group in groups)
            raise SystemExit(f"--rerank against the live service needs {needed}")
        return {"top_n": KEPT}
    if provider == "qianfan":  # the demo's v2 settings: the rerankers take the same names
        return {**settings, "top_n": KEPT}
    return {"base_url": settings["base_url"], "api_key": settings["api_key"], "top_n": KEPT}


def langchain_reranker(provider: str, settings: dict[str, Any]) -> Any:
    from langchain_cnllm import DashScopeRerank, QianfanRerank

    cls = QianfanRerank if provider == "qianfan" else DashScopeRerank
    return cls(**_settings(provider, settings))


def llamaindex_reranker(provider: str, settings: dict[str, Any]) -> Any:
    from llamaindex_cnllm import DashScopeRerank, QianfanRerank

    cls = QianfanRerank if provider == "qianfan" else DashScopeRerank
    return cls(**_settings(provider, settings))


def label(title: str, score: float | None, retrieved_rank: int) -> str:
    shown = f"{score:.3f}" if score is not None else "-"
    return f"{title}（{shown}，检索第{retrieved_rank}）"


def build_rerank_chain(
    retriever: Runnable[str, list[Document]], reranker: Any, chat: Runnable[Any, Any]
) -> Runnable[dict[str, Any], dict[str, Any]]:
    """{question} -> {question, retrieved, docs, answer}: the reranked docs feed the prompt."""
    from cnllm.demo.rag import PROMPT, _prompt_inputs

    rerank: Runnable[dict[str, Any], list[Document]] = RunnableLambda(
        lambda state: list(reranker.compress_documents(state["retrieved"], state["question"]))
    )
    answer = RunnableLambda(_prompt_inputs) | PROMPT | chat | StrOutputParser()
    return (
        RunnablePassthrough.assign(retrieved=itemgetter("question") | retriever)
        .assign(docs=rerank)
        .assign(answer=answer)
    )


def answer_with_langchain(
    provider: Provider,
    settings: dict[str, Any],
    questions: tuple[str, ...],
    model: str | None,
    name: str,
) -> Iterator[tuple[str, list[str], str]]:
    from cnllm.demo.rag import load_corpus

    retriever, chat = provider.build(settings, load_corpus(), model)
    if isinstance(retriever, VectorStoreRetriever):
        retriever.search_kwargs = {**retriever.search_kwargs, "k": FETCHED}
    chain = build_rerank_chain(retriever, langchain_reranker(name, settings), chat)
    for question in questions:
        result = chain.invoke({"question": question})
        ids = [doc.metadata["id"] for doc in result["retrieved"]]
        labels = [
            label(
                d.metadata["title"], d.metadata["relevance_score"], ids.index(d.metadata["id"]) + 1
            )
            for d in result["docs"]
        ]
        yield question, labels, result["answer"]


def answer_with_llamaindex(
    provider: Provider,
    settings: dict[str, Any],
    questions: tuple[str, ...],
    model: str | None,
    name: str,
) -> Iterator[tuple[str, list[str], str]]:
    from cnllm.demo.llamaindex_rag import build_query_engine
    from cnllm.demo.rag import load_corpus

    retriever, llm = provider.build_llamaindex(settings, load_corpus(), model)
    retriever.similarity_top_k = FETCHED
    engine = build_query_engine(retriever, llm, [llamaindex_reranker(name, settings)])
    for question in questions:
        ids = [hit.node.metadata["id"] for hit in retriever.retrieve(question)]
        response = engine.query(question)
        labels = [
            label(n.node.metadata["title"], n.score, ids.index(n.node.metadata["id"]) + 1)
            for n in response.source_nodes
        ]
        yield question, labels, str(response)


FRAMEWORKS = {"langchain": answer_with_langchain, "llamaindex": answer_with_llamaindex}
