"""The LlamaIndex Qianfan classes on v2 (Qianfan, QianfanLLM, QianfanEmbedding), against the
emulator, with only ``QIANFAN_API_KEY`` (or the IAM pair) and the v2 base URL set."""

from __future__ import annotations

import pickle

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator
from llamaindex_cnllm import Qianfan, QianfanEmbedding, QianfanLLM

V2_KEY = "bce-v3/ALTAK-llamaindex/0123456789abcdef0123456789abcdef01234567"
QIANFAN_VARS = (
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_ACCESS_TOKEN",
    "QIANFAN_BASE_URL",
)


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name in QIANFAN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_API_KEY", V2_KEY)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    return emulator


def test_metadata_comes_from_the_v2_table(env: Emulator) -> None:
    ernie = Qianfan(model="ernie-4.5-turbo-128k")
    assert ernie.api == "v2"
    assert ernie.metadata.is_function_calling_model
    assert (ernie.metadata.context_window, ernie.metadata.model_name) == (
        131072,
        "ernie-4.5-turbo-128k",
    )
    assert Qianfan(model="ERNIE-3.5-8K").metadata.model_name == "ernie-3.5-8k"
    assert not QianfanLLM(model="my-cerebras-service").metadata.is_chat_model


async def test_chat_stream_and_async(env: Emulator) -> None:
    llm = Qianfan(model="ernie-x1-turbo-32k")
    response = llm.chat([ChatMessage(role="user", content="9.11 和 9.9 哪个大？")])
    assert response.message.content and response.raw["api"] == "v2"
    assert any(isinstance(block, ThinkingBlock) for block in response.message.blocks)
    deltas = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert "".join(d.additional_kwargs.get("thinking_delta", "") for d in deltas)
    assert response.raw["usage"]["total_tokens"] > 0
    streamed = list(llm.stream_complete("你好"))
    assert streamed[-1].text and streamed[-1].raw["usage"]
    assert (await llm.acomplete("你好")).text


async def test_function_agent_on_v2(env: Emulator) -> None:
    calls: list[int] = []

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        calls.append(a * b)
        return a * b

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(multiply)], llm=Qianfan(model="ernie-4.5-turbo-128k")
    )
    await agent.run("What is 3 * 4?")
    assert len(calls) == 1
    assert env.stats.requests["/v2/chat/completions"] >= 2


async def test_the_completion_class(env: Emulator) -> None:
    llm = QianfanLLM(model="my-cerebras-service", max_tokens=64)
    assert llm.complete("introduce the city beijing").text
    assert env.stats.last_request.path == "/v2/completions"
    assert env.stats.last_request.json["max_tokens"] == 64
    pieces = list(llm.stream_complete("introduce the city beijing"))
    assert pieces[-1].text == "".join(piece.delta or "" for piece in pieces)
    assert (await llm.acomplete("hello")).raw["api"] == "v2"
    assert [p async for p in await llm.astream_complete("hello")]
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content
    assert pickle.loads(pickle.dumps(llm)).complete("again").text


def test_a_vector_index_on_v2_embeddings(env: Emulator) -> None:
    documents = [Document(text=d.page_content, metadata=d.metadata) for d in load_corpus()]
    index = VectorStoreIndex.from_documents(
        documents, embed_model=QianfanEmbedding(model="bge-large-zh")
    )
    response = index.as_query_engine(llm=Qianfan(), similarity_top_k=3).query(
        "故宫是什么时候建成的？"
    )
    assert response.source_nodes[0].metadata["title"] == "故宫"
    assert env.stats.requests["/v2/embeddings"] >= 1


def test_iam_keys_mint_a_bearer_for_llamaindex_too(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*QIANFAN_VARS, "QIANFAN_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_ACCESS_KEY", "li-iam-ak")
    monkeypatch.setenv("QIANFAN_SECRET_KEY", "li-iam-sk")
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    monkeypatch.setenv("QIANFAN_IAM_BASE_URL", emulator.base_url)
    assert Qianfan().complete("你好").text
    assert QianfanEmbedding().get_text_embedding("你好")
    assert emulator.stats.token_requests == 1
