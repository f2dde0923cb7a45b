"""``cnllm demo``: a small RAG chain over the bundled Chinese corpus.

The chain is built once and is the same for every provider; only the retriever and the chat
model come from the provider (``--provider``). ``--framework llamaindex`` builds the same RAG
with LlamaIndex (a VectorStoreIndex or ClueAI's search engine, and a query engine). With no
credentials for the provider in the environment it runs against the built-in emulator, and
says so; with them, the live service.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from operator import itemgetter
from typing import Any

import numpy  # noqa: F401 - InMemoryVectorStore needs it; fail early with the install hint
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from cnllm.demo import providers
from cnllm.demo.providers import Provider

QUESTIONS = ("故宫是什么时候建成的？", "检索增强生成有什么好处？", "劳动争议应该怎么解决？")
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "你是一个严谨的助手，只根据给出的资料回答，资料里没有的就说不知道。"),
        ("human", "资料：\n{context}\n\n问题：{question}"),
    ]
)


def load_corpus() -> list[Document]:
    text = resources.files("cnllm.demo").joinpath("corpus.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Document(page_content=row["text"], metadata={"id": row["id"], "title": row["title"]})
        for row in rows
    ]


@contextmanager
def target(provider: Provider) -> Iterator[dict[str, Any]]:
    """Constructor arguments for the live service, or for an emulator started here."""
    if provider.is_live():
        print(f"Using the live {provider.name} service (credentials found in the environment).")
        yield {}
        return
    from cnllm.emulator import Emulator

    with Emulator() as emulator:
        needed = " or ".join("/".join(group) for group in provider.live_when)
        print(
            f"No {provider.name} credentials set ({needed}): running against the built-in "
            f"emulator at {emulator.base_url}; answers are simulated."
        )
        yield provider.emulator_settings(emulator.base_url)


def format_docs(docs: list[Document]) -> str:
    return "\n".join(f"[{doc.metadata['title']}] {doc.page_content}" for doc in docs)


def _prompt_inputs(state: dict[str, Any]) -> dict[str, str]:
    return {"context": format_docs(state["docs"]), "question": state["question"]}


def build_chain(
    retriever: Runnable[str, list[Document]], chat: Runnable[Any, Any]
) -> Runnable[dict[str, Any], dict[str, Any]]:
    """The provider-independent chain: {question} -> {question, docs, answer}."""
    answer = RunnableLambda(_prompt_inputs) | PROMPT | chat | StrOutputParser()
    return RunnablePassthrough.assign(docs=itemgetter("question") | retriever).assign(answer=answer)


def answer_with_langchain(
    provider: Provider, settings: dict[str, Any], questions: tuple[str, ...], model: str | None
) -> Iterator[tuple[str, list[str], str]]:
    retriever, chat = provider.build(settings, load_corpus(), model)
    chain = build_chain(retriever, chat)
    for question in questions:
        result = chain.invoke({"question": question})
        yield question, [doc.metadata["title"] for doc in result["docs"]], result["answer"]


def answer_with_llamaindex(
    provider: Provider, settings: dict[str, Any], questions: tuple[str, ...], model: str | None
) -> Iterator[tuple[str, list[str], str]]:
    from cnllm.demo.llamaindex_rag import build_query_engine

    retriever, llm = provider.build_llamaindex(settings, load_corpus(), model)
    engine = build_query_engine(retriever, llm)
    for question in questions:
        response = engine.query(question)
        titles = [node.metadata["title"] for node in response.source_nodes]
        yield question, titles, str(response)


FRAMEWORKS = {"langchain": answer_with_langchain, "llamaindex": answer_with_llamaindex}


def run(
    provider_name: str,
    questions: tuple[str, ...],
    model: str | None,
    framework: str = "langchain",
    rerank: bool = False,
) -> None:
    provider = providers.load(provider_name)
    if rerank:
        from cnllm.demo import rerank as reranking

        reranking.check(provider_name)
    with target(provider) as settings:
        started = time.perf_counter()
        if rerank:
            answers = reranking.FRAMEWORKS[framework](
                provider, settings, questions, model, provider_name
            )
            found = f"检索 {reranking.FETCHED} 篇，重排后前 {reranking.KEPT}"
        else:
            answers = FRAMEWORKS[framework](provider, settings, questions, model)
            found = "检索到"
        for question, titles, answer in answers:
            print(f"\n问题：{question}\n{found}：{'、'.join(titles)}\n回答：{answer}")
        print(f"\n{len(questions)} questions answered in {time.perf_counter() - started:.2f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cnllm demo", description=__doc__.replace("``", ""))
    parser.add_argument("--provider", default="qianfan", choices=sorted(providers.MODULES))
    parser.add_argument("--question", action="append", help="ask this instead (repeatable)")
    parser.add_argument("--model", help="the chat model (default: the provider's demo model)")
    parser.add_argument(
        "--framework",
        default="langchain",
        choices=sorted(FRAMEWORKS),
        help="build the RAG with LangChain (default) or LlamaIndex (needs the llamaindex extra)",
    )
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="retrieve 8 and keep the best 3 by the provider's reranker (qianfan, dashscope)",
    )
    args = parser.parse_args(argv)
    run(args.provider, tuple(args.question or QUESTIONS), args.model, args.framework, args.rerank)
    return 0
