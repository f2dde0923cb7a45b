"""Qianfan and QianfanEmbedding in LlamaIndex pipelines, against the emulator."""

from __future__ import annotations

import pickle

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.tools import FunctionTool

from cnllm import errors
from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator, Fault
from llamaindex_cnllm import Qianfan, QianfanEmbedding


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("QIANFAN_AK", "li-ak")
    monkeypatch.setenv("QIANFAN_SK", "li-sk")
    monkeypatch.setenv("QIANFAN_BASE_URL", emulator.base_url)
    return emulator


def documents() -> list[Document]:
    return [Document(text=doc.page_content, metadata=doc.metadata) for doc in load_corpus()]


def test_metadata_describes_the_model(env: Emulator) -> None:
    ernie = Qianfan(model="ERNIE-3.5-8K").metadata
    assert ernie.is_function_calling_model and ernie.is_chat_model
    assert (ernie.context_window, ernie.model_name) == (5120, "ERNIE-3.5-8K")
    llama = Qianfan(model="Qianfan-Chinese-Llama-2-13B").metadata
    assert not llama.is_function_calling_model and llama.context_window == 4000


def test_vector_index_query(env: Emulator) -> None:
    llm, embed = (
        Qianfan(model="Qianfan-Chinese-Llama-2-13B"),
        QianfanEmbedding(model="bge-large-zh"),
    )
    index = VectorStoreIndex.from_documents(documents(), embed_model=embed)
    response = index.as_query_engine(llm=llm, similarity_top_k=3).query("故宫是什么时候建成的？")
    assert "1420" in str(response)
    assert response.source_nodes[0].metadata["title"] == "故宫"


def test_chat_engine_keeps_the_conversation(env: Emulator) -> None:
    index = VectorStoreIndex.from_documents(documents(), embed_model=QianfanEmbedding())
    engine = index.as_chat_engine(llm=Qianfan(model="ERNIE-3.5-8K"), chat_mode="context")
    assert str(engine.chat("长城有多长？"))
    assert str(engine.chat("它是哪个朝代修的？"))
    assert len(engine.chat_history) == 4


def test_usage_reaches_the_token_counter(env: Emulator) -> None:
    counter = TokenCountingHandler()
    llm = Qianfan(model="ERNIE-3.5-8K", callback_manager=CallbackManager([counter]))
    response = llm.chat([ChatMessage(role="user", content="你好")])
    assert response.raw["usage"]["total_tokens"] > 0
    assert counter.prompt_llm_token_count == response.raw["usage"]["prompt_tokens"]
    assert counter.completion_llm_token_count == response.raw["usage"]["completion_tokens"]


async def test_async_chat_and_streams(env: Emulator) -> None:
    llm = Qianfan(model="ERNIE-3.5-8K")
    assert (await llm.achat([ChatMessage(role="user", content="你好")])).message.content
    stream = await llm.astream_chat([ChatMessage(role="user", content="介绍下故宫")])
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].message.content == "".join(chunk.delta or "" for chunk in chunks)
    assert "usage" in chunks[-1].raw
    assert (await llm.acomplete("你好")).text


def test_errors_are_raised_not_swallowed(env: Emulator) -> None:
    env.inject(Fault("error_code", code=336003, message="bad"))
    with pytest.raises(errors.InvalidRequestError):
        Qianfan(model="ERNIE-3.5-8K", max_retries=0).complete("你好")


async def test_function_agent_with_a_tool_calling_model(env: Emulator) -> None:
    calls: list[int] = []

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        calls.append(a * b)
        return a * b

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(multiply)], llm=Qianfan(model="ERNIE-3.5-8K")
    )
    response = await agent.run("What is 3 * 4?")
    assert calls == [12]
    assert "12" in str(response)


def test_structured_predict_uses_native_functions(env: Emulator) -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        """A city and its country."""

        name: str
        country: str

    from llama_index.core.prompts import PromptTemplate

    city = Qianfan(model="ERNIE-3.5-8K").structured_predict(
        City, PromptTemplate("Tell me about {x}"), x="'Beijing'"
    )
    assert isinstance(city, City)


def test_pickling_keeps_credentials_and_parameters(env: Emulator) -> None:
    llm = Qianfan(
        model="ERNIE-3.5-8K", temperature=0.3, api_key="explicit-ak", secret_key="explicit-sk"
    )
    llm.complete("warm up the client")
    copy = pickle.loads(pickle.dumps(llm))
    assert copy.qianfan_ak.get_secret_value() == "explicit-ak" and copy.temperature == 0.3
    assert copy.complete("你好").text
    embed = QianfanEmbedding(
        model="tao-8k", api_key="explicit-ak", secret_key="explicit-sk", user_id="u1"
    )
    copy_embed = pickle.loads(pickle.dumps(embed))
    assert copy_embed.qianfan_sk.get_secret_value() == "explicit-sk"
    assert (copy_embed.model_name, copy_embed.user_id) == ("tao-8k", "u1")


def test_ingestion_pipeline_in_two_worker_processes(
    env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Explicit credentials (not the env) so the workers prove they travel with the object.
    embed = QianfanEmbedding(base_url=env.base_url, api_key="worker-ak", secret_key="worker-sk")
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_BASE_URL"):
        monkeypatch.delenv(name)
    pipeline = IngestionPipeline(transformations=[SentenceSplitter(chunk_size=256), embed])
    nodes = pipeline.run(documents=documents(), num_workers=2)
    assert len(nodes) >= 36 and all(len(node.embedding or []) == 384 for node in nodes)
    assert env.stats.token_requests >= 1  # the workers (other processes) fetched tokens here


def test_settings_are_enough(env: Emulator) -> None:
    Settings.llm = Qianfan(model="ERNIE-3.5-8K")
    Settings.embed_model = QianfanEmbedding(model="bge-large-zh")
    try:
        index = VectorStoreIndex.from_documents(documents()[:5])
        assert str(index.as_query_engine().query("法律案例有哪些？"))
    finally:
        Settings._llm = None
        Settings._embed_model = None
