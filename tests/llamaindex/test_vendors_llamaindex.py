"""Every vendor's LlamaIndex LLM and embedding class in the same pipelines (emulator)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import LLM, ChatMessage
from llama_index.core.node_parser import SentenceSplitter

from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator
from llamaindex_cnllm import (
    DashScope,
    DashScopeEmbedding,
    Koala,
    KoalaEmbedding,
    Qianfan,
    QianfanEmbedding,
)

Factory = Callable[[str], tuple[LLM, BaseEmbedding]]


def qianfan(url: str) -> tuple[LLM, BaseEmbedding]:
    keys = {"base_url": url, "api_key": "li-ak", "secret_key": "li-sk"}
    return Qianfan(model="ERNIE-3.5-8K", **keys), QianfanEmbedding(model="bge-large-zh", **keys)


def koala(url: str) -> tuple[LLM, BaseEmbedding]:
    return Koala(base_url=f"{url}/v1"), KoalaEmbedding(base_url=f"{url}/v1", normalize=True)


def dashscope(url: str) -> tuple[LLM, BaseEmbedding]:
    keys = {"base_url": f"{url}/api/v1", "api_key": "li-dashscope-key"}
    return DashScope(model="qwen-plus", **keys), DashScopeEmbedding(**keys)


VENDORS: dict[str, Factory] = {"qianfan": qianfan, "koala": koala, "dashscope": dashscope}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request: pytest.FixtureRequest, emulator: Emulator) -> tuple[LLM, BaseEmbedding]:
    return VENDORS[request.param](emulator.base_url)


def documents() -> list[Document]:
    return [Document(text=doc.page_content, metadata=doc.metadata) for doc in load_corpus()]


def test_rag_query_engine(vendor: tuple[LLM, BaseEmbedding]) -> None:
    llm, embed = vendor
    index = VectorStoreIndex.from_documents(documents(), embed_model=embed)
    response = index.as_query_engine(llm=llm, similarity_top_k=3).query("故宫是什么时候建成的？")
    assert "故宫" in [node.metadata["title"] for node in response.source_nodes]
    assert str(response)


async def test_async_and_streaming(vendor: tuple[LLM, BaseEmbedding]) -> None:
    llm, embed = vendor
    assert (await llm.acomplete("你好")).text
    stream = await llm.astream_chat([ChatMessage(role="user", content="介绍下故宫")])
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].message.content == "".join(chunk.delta or "" for chunk in chunks)
    assert len(await embed.aget_text_embedding_batch(["a", "b", "c"])) == 3
    assert await embed.aget_query_embedding("法律")


def test_pickling_keeps_every_parameter(vendor: tuple[LLM, BaseEmbedding]) -> None:
    llm, embed = vendor
    for obj in (llm, embed):
        copy: Any = pickle.loads(pickle.dumps(obj))
        assert copy.model_dump() == obj.model_dump()
        secrets = [
            name for name, value in obj.__dict__.items() if hasattr(value, "get_secret_value")
        ]
        for name in secrets:
            original = getattr(obj, name)
            restored = getattr(copy, name)
            assert (restored and restored.get_secret_value()) == (
                original and original.get_secret_value()
            )


def test_ingestion_in_two_workers(vendor: tuple[LLM, BaseEmbedding]) -> None:
    _, embed = vendor
    pipeline = IngestionPipeline(transformations=[SentenceSplitter(chunk_size=256), embed])
    nodes = pipeline.run(documents=documents()[:12], num_workers=2)
    assert len(nodes) >= 12 and all(node.embedding for node in nodes)


# -- ClueAI: an LLM without embeddings, and a hosted search engine as the retriever ------------


@pytest.fixture
def clueai_settings(emulator: Emulator) -> dict[str, str]:
    url = emulator.base_url
    return {
        "base_url": f"{url}/clueai",
        "modelfun_url": f"{url}/modelfun/api",
        "api_key": "li-clue",
    }


def test_clueai_retriever_in_a_query_engine(clueai_settings: dict[str, str]) -> None:
    from llama_index.core.query_engine import RetrieverQueryEngine

    from llamaindex_cnllm import ClueAI, ClueAIRetriever

    corpus = load_corpus()
    retriever = ClueAIRetriever.from_texts(
        [doc.page_content for doc in corpus],
        [doc.metadata for doc in corpus],
        k=3,
        **clueai_settings,
    )
    nodes = retriever.retrieve("故宫是什么时候建成的？")
    assert len(nodes) == 3 and nodes[0].metadata["title"] == "故宫"
    assert nodes[0].score is not None and nodes[0].score >= nodes[-1].score
    engine = RetrieverQueryEngine.from_args(retriever, llm=ClueAI(**clueai_settings))
    response = engine.query("故宫是什么时候建成的？")
    assert str(response) and response.source_nodes[0].metadata["title"] == "故宫"
    copy = pickle.loads(pickle.dumps(retriever))
    assert copy.engine.engine_key == retriever.engine.engine_key
    assert copy.engine.api_key.get_secret_value() == "li-clue"


async def test_clueai_llm_async_and_pickling(clueai_settings: dict[str, str]) -> None:
    from llamaindex_cnllm import ClueAI

    llm = ClueAI(**clueai_settings)
    assert (await llm.achat([ChatMessage(role="user", content="帮我写个请假条")])).message.content
    assert not llm.metadata.is_function_calling_model
    copy = pickle.loads(pickle.dumps(llm))
    assert copy.model_dump() == llm.model_dump()
