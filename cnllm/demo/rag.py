"""``cnllm demo``: a small RAG chain over the bundled Chinese corpus.

QianfanEmbeddings + an in-memory vector store + ChatQianfan. With no Qianfan credentials in
the environment it runs against the built-in emulator (and says so); with credentials it
uses the live service.
"""

from __future__ import annotations

import argparse
import json
import os
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
from langchain_core.vectorstores import InMemoryVectorStore

QUESTIONS = ("故宫是什么时候建成的？", "检索增强生成有什么好处？", "劳动争议应该怎么解决？")
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "你是一个严谨的助手，只根据给出的资料回答，资料里没有的就说不知道。"),
        ("human", "资料：\n{context}\n\n问题：{question}"),
    ]
)
CREDENTIAL_VARS = (("QIANFAN_AK", "QIANFAN_SK"), ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"))


def load_corpus() -> list[Document]:
    text = resources.files("cnllm.demo").joinpath("corpus.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Document(page_content=row["text"], metadata={"id": row["id"], "title": row["title"]})
        for row in rows
    ]


def has_live_credentials() -> bool:
    return any(all(os.environ.get(name) for name in pair) for pair in CREDENTIAL_VARS)


@contextmanager
def qianfan_target() -> Iterator[dict[str, Any]]:
    """Constructor arguments for the live service, or for an emulator started here."""
    if has_live_credentials():
        print("Using the live Qianfan service (credentials found in the environment).")
        yield {}
        return
    from cnllm.emulator import Emulator

    with Emulator() as emulator:
        print(
            "No Qianfan credentials set (QIANFAN_AK/QIANFAN_SK or QIANFAN_ACCESS_KEY/"
            f"QIANFAN_SECRET_KEY): running against the built-in emulator at {emulator.base_url}; "
            "answers are simulated."
        )
        yield {"base_url": emulator.base_url, "api_key": "demo-ak", "secret_key": "demo-sk"}


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


def run(questions: tuple[str, ...], model: str, embedding_model: str) -> None:
    from langchain_cnllm import ChatQianfan, QianfanEmbeddings

    with qianfan_target() as target:
        started = time.perf_counter()
        embeddings = QianfanEmbeddings(model=embedding_model, **target)
        store = InMemoryVectorStore.from_documents(load_corpus(), embeddings)
        chat = ChatQianfan(model=model, temperature=0.1, **target)
        chain = build_chain(store.as_retriever(search_kwargs={"k": 3}), chat)
        for question in questions:
            result = chain.invoke({"question": question})
            titles = "、".join(doc.metadata["title"] for doc in result["docs"])
            print(f"\n问题：{question}\n检索到：{titles}\n回答：{result['answer']}")
        print(f"\n{len(questions)} questions answered in {time.perf_counter() - started:.2f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cnllm demo", description=__doc__)
    parser.add_argument("--question", action="append", help="ask this instead (repeatable)")
    parser.add_argument("--model", default="Qianfan-Chinese-Llama-2-13B")
    parser.add_argument("--embedding-model", default="bge-large-zh")
    args = parser.parse_args(argv)
    run(tuple(args.question or QUESTIONS), args.model, args.embedding_model)
    return 0
