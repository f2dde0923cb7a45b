"""QianfanRerank and DashScopeRerank against the emulator: ordering, top_n, metadata, splitting
above the per-request limit, errors and retries, LCEL and ContextualCompressionRetriever, and a
retrieval-quality check on the bundled corpus."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import ModelAuthenticationError
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from cnllm import errors
from cnllm.demo.rag import load_corpus
from cnllm.emulator import Emulator, Fault
from langchain_cnllm import DashScopeEmbeddings, DashScopeRerank, QianfanRerank

QIANFAN_PATH = "/v2/rerank"
NATIVE_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"
COMPATIBLE_PATH = "/compatible-api/v1/reranks"

DOCS = [
    Document(page_content="北京美食有烤鸭和炸酱面。", metadata={"source": "a"}, id="d0"),
    Document(page_content="上海气候温和湿润。", metadata={"source": "b", "tags": ["x"]}, id="d1"),
    Document(page_content="上海天气预报：明天多云。", metadata={"source": "c"}, id="d2"),
    Document(page_content="广州早茶很有名。", metadata={"source": "d"}, id="d3"),
]
QUERY = "上海天气"


def qianfan(emulator: Emulator, **kwargs: Any) -> QianfanRerank:
    return QianfanRerank(api_key="bce-v3/ALTAK-x/y", base_url=f"{emulator.base_url}/v2", **kwargs)


def dashscope(emulator: Emulator, **kwargs: Any) -> DashScopeRerank:
    return DashScopeRerank(api_key="sk-test", base_url=f"{emulator.base_url}/api/v1", **kwargs)


RERANKERS: dict[str, tuple[Any, dict[str, Any], str]] = {
    "qianfan": (qianfan, {}, QIANFAN_PATH),
    "dashscope-compatible": (dashscope, {}, COMPATIBLE_PATH),
    "dashscope-native": (dashscope, {"model": "gte-rerank-v2"}, NATIVE_PATH),
    "dashscope-qwen3-native": (dashscope, {"compatible": False}, NATIVE_PATH),
}


@pytest.fixture(params=sorted(RERANKERS))
def case(request: pytest.FixtureRequest, emulator: Emulator) -> tuple[Any, str]:
    factory, kwargs, path = RERANKERS[request.param]
    return (lambda **more: factory(emulator, **{**kwargs, **more})), path


def _check_ranked(ranked: list[Document], top_n: int) -> None:
    assert len(ranked) == top_n
    assert ranked[0].page_content == DOCS[2].page_content  # shares 上海 and 天气
    assert ranked[0].id == "d2" and ranked[0].metadata["source"] == "c"
    scores = [doc.metadata["relevance_score"] for doc in ranked]
    assert scores == sorted(scores, reverse=True) and all(isinstance(s, float) for s in scores)
    assert (
        ranked[1].metadata["tags"] == ["x"]
        and ranked[1].metadata["tags"] is not DOCS[1].metadata["tags"]
    )
    assert "relevance_score" not in DOCS[2].metadata  # the inputs are untouched


def test_compress_documents_sync(case: tuple[Any, str], emulator: Emulator) -> None:
    make, path = case
    ranked = list(make(top_n=2).compress_documents(DOCS, QUERY))
    _check_ranked(ranked, 2)
    assert emulator.stats.requests == {path: 1}
    assert emulator.stats.last_request is not None
    sent = emulator.stats.last_request.json
    assert sent.get("top_n", (sent.get("parameters") or {}).get("top_n")) == 2


def test_compress_documents_async(case: tuple[Any, str], emulator: Emulator) -> None:
    make, path = case
    ranked = list(asyncio.run(make(top_n=3).acompress_documents(DOCS, QUERY)))
    _check_ranked(ranked, 3)
    assert emulator.stats.requests == {path: 1}


def test_top_n_none_keeps_every_document_reordered(case: tuple[Any, str]) -> None:
    make, _ = case
    ranked = make(top_n=None).compress_documents(DOCS, QUERY)
    assert sorted(doc.id or "" for doc in ranked) == ["d0", "d1", "d2", "d3"]


def test_no_documents_sends_nothing(case: tuple[Any, str], emulator: Emulator) -> None:
    make, _ = case
    assert make().compress_documents([], QUERY) == []
    assert asyncio.run(make().acompress_documents([], QUERY)) == []
    assert emulator.stats.requests == {}


def test_instruction_reaches_qwen3_rerank(emulator: Emulator) -> None:
    reranker = dashscope(emulator, instruction="Retrieve semantically similar text.")
    reranker.compress_documents(DOCS, QUERY)
    assert emulator.stats.last_request is not None
    assert emulator.stats.last_request.json["instruct"] == "Retrieve semantically similar text."


def test_rerankers_alias_path(emulator: Emulator) -> None:
    ranked = qianfan(emulator, path="rerankers", top_n=1).compress_documents(DOCS, QUERY)
    assert ranked[0].id == "d2" and emulator.stats.requests == {"/v2/rerankers": 1}


# -- splitting above the per-request limit -------------------------------------------------------


def _many(count: int, relevant_at: int) -> list[Document]:
    docs = [Document(page_content=f"第{i}号文件：关于城市交通的普通记录。") for i in range(count)]
    docs[relevant_at] = Document(
        page_content="上海天气：明天有雨，气温下降。", metadata={"hit": True}
    )
    return docs


@pytest.mark.parametrize("use_async", [False, True])
def test_qianfan_over_64_documents_is_split_and_merged(emulator: Emulator, use_async: bool) -> None:
    docs = _many(150, relevant_at=140)
    reranker = qianfan(emulator, top_n=3, max_concurrency=2)
    if use_async:
        ranked = asyncio.run(reranker.acompress_documents(docs, QUERY))
    else:
        ranked = reranker.compress_documents(docs, QUERY)
    assert emulator.stats.requests == {QIANFAN_PATH: 3}  # 64 + 64 + 22, none rejected
    assert len(ranked) == 3 and ranked[0].metadata["hit"] is True


def test_long_document_is_ranked_by_its_best_piece_not_truncated(emulator: Emulator) -> None:
    # The relevant sentence sits after 3000 characters: the service would cut it off at 1024
    # tokens (and reject the document above 4096 characters); cut into pieces, it is found.
    filler = "这段文字记录了一些无关的日常琐事。" * 180
    long = Document(page_content=filler + "上海天气：明天多云转晴。", metadata={"long": True})
    docs = [DOCS[0], DOCS[3], long]
    ranked = qianfan(emulator, top_n=1).compress_documents(docs, QUERY)
    assert ranked[0].metadata["long"] is True
    assert ranked[0].page_content == long.page_content  # the whole document comes back
    assert emulator.stats.last_request is not None
    assert all(len(d) <= 1024 for d in emulator.stats.last_request.json["documents"])


def test_dashscope_request_token_cap_is_split(emulator: Emulator) -> None:
    docs = [Document(page_content="记录" * 1900) for _ in range(12)] + [DOCS[2]]
    ranked = dashscope(emulator, model="gte-rerank-v2", top_n=1).compress_documents(docs, QUERY)
    assert ranked[0].page_content == DOCS[2].page_content
    assert emulator.stats.requests[NATIVE_PATH] >= 2  # 30,000 tokens per request at most


# -- errors and retries -----------------------------------------------------------------------


def test_retired_model_fails_before_any_request(emulator: Emulator) -> None:
    with pytest.raises(errors.ValidationError, match="qwen3-rerank"):
        dashscope(emulator, model="gte-rerank").compress_documents(DOCS, QUERY)
    assert emulator.stats.requests == {}


def test_rate_limit_is_retried(emulator: Emulator) -> None:
    emulator.inject(Fault("error_code", code=429, path_contains="/v2/rerank"))
    ranked = qianfan(emulator, top_n=1).compress_documents(DOCS, QUERY)
    assert ranked[0].id == "d2"
    assert emulator.stats.requests == {QIANFAN_PATH: 2} and emulator.stats.faults_applied == 1


def test_dashscope_throttling_is_retried_async(emulator: Emulator) -> None:
    emulator.inject(Fault("error_code", code="Throttling", path_contains="/reranks"))  # type: ignore[arg-type]
    ranked = asyncio.run(dashscope(emulator, top_n=1).acompress_documents(DOCS, QUERY))
    assert ranked[0].id == "d2" and emulator.stats.requests == {COMPATIBLE_PATH: 2}


def test_persistent_server_error_gives_up_after_the_retries(emulator: Emulator) -> None:
    emulator.inject(Fault("error_code", code=500, times=5, path_contains="/v2/rerank"))
    with pytest.raises(errors.ServerError) as caught:
        qianfan(emulator, max_retries=1).compress_documents(DOCS, QUERY)
    assert caught.value.code == "internal_error" and caught.value.request_id
    assert emulator.stats.requests == {QIANFAN_PATH: 2}


def test_bad_key_is_an_authentication_error_for_both_frameworks_of_errors(
    emulator: Emulator,
) -> None:
    emulator.inject(Fault("error_code", code="invalid_iam_token", path_contains="/v2"))  # type: ignore[arg-type]
    with pytest.raises(errors.AuthenticationError) as caught:
        qianfan(emulator).compress_documents(DOCS, QUERY)
    assert isinstance(caught.value, ModelAuthenticationError)
    assert emulator.stats.requests == {QIANFAN_PATH: 1}  # not retried


def test_unknown_model_on_the_service_is_not_found(emulator: Emulator) -> None:
    reranker = dashscope(emulator, model="qwen9-rerank", custom_model=True)
    with pytest.raises(errors.NotFoundError, match="Model not exist"):
        reranker.compress_documents(DOCS, QUERY)


def test_rerank_returns_neutral_results(emulator: Emulator) -> None:
    results = qianfan(emulator).rerank(["上海天气很好", "北京"], QUERY, top_n=None)
    assert [r.index for r in results] == [0, 1] and results[0].document == "上海天气很好"


# -- in chains --------------------------------------------------------------------------------


def _retriever(emulator: Emulator, k: int = 8) -> Any:
    embeddings = DashScopeEmbeddings(
        model="text-embedding-v2", api_key="sk-test", base_url=f"{emulator.base_url}/api/v1"
    )
    store = InMemoryVectorStore.from_documents(load_corpus(), embeddings)
    return store.as_retriever(search_kwargs={"k": k})


def test_plain_lcel_chain_sync_and_async(emulator: Emulator) -> None:
    reranker = qianfan(emulator, top_n=3)
    chain = {"docs": _retriever(emulator), "question": RunnablePassthrough()} | RunnableLambda(
        lambda state: reranker.compress_documents(state["docs"], state["question"]),
        afunc=lambda state: reranker.acompress_documents(state["docs"], state["question"]),
    )
    for ranked in (
        chain.invoke("哪座城市是双奥之城？"),
        asyncio.run(chain.ainvoke("哪座城市是双奥之城？")),
    ):
        assert len(ranked) == 3 and ranked[0].metadata["title"] == "北京冬奥会"
        assert "relevance_score" in ranked[0].metadata and "id" in ranked[0].metadata


def test_contextual_compression_retriever(emulator: Emulator) -> None:
    compression = pytest.importorskip(
        "langchain_classic.retrievers",
        reason="langchain-classic (home of ContextualCompressionRetriever in LangChain 1.x) "
        "is not installed",
    )
    retriever = compression.ContextualCompressionRetriever(
        base_compressor=dashscope(emulator, top_n=3), base_retriever=_retriever(emulator)
    )
    for ranked in (
        retriever.invoke("中国的国宝动物主要吃什么？"),
        asyncio.run(retriever.ainvoke("中国的国宝动物主要吃什么？")),
    ):
        assert len(ranked) == 3 and ranked[0].metadata["title"] == "大熊猫"


# -- retrieval quality on the bundled corpus -------------------------------------------------------

# (question, the title of the document that answers it): fixed, natural questions.
QUESTIONS = (
    ("故宫是什么时候建成的？", "故宫"),
    ("检索增强生成有什么好处？", "检索增强生成RAG"),
    ("劳动争议应该怎么解决？", "法律案例：劳动争议"),
    ("川菜的口味有什么特点？", "川菜"),
    ("哪座城市是双奥之城？", "北京冬奥会"),
    ("中国的国宝动物主要吃什么？", "大熊猫"),
    ("HNSW是用来做什么的？", "向量数据库"),
    ("茶叶分为哪几类？", "中国茶文化"),
    ("红楼梦的作者是谁？", "红楼梦"),
    ("中国第一个世界冠军是谁？", "乒乓球"),
    ("川藏线经过哪些地方？", "川藏线"),
    ("端午节为什么要赛龙舟吃粽子？", "端午节"),
    ("量子比特和经典比特有什么区别？", "量子计算"),
    ("发明专利的保护期限是多少年？", "法律案例：知识产权"),
    ("兵马俑是怎么被发现的？", "秦始皇兵马俑"),
    ("西湖十景包括哪些？", "杭州西湖"),
    ("中秋节吃什么？", "中秋节"),
    ("北京烤鸭有哪两大流派？", "北京烤鸭"),
    ("粤菜的口味有什么特点？", "粤菜"),
    ("天坛是干什么用的？", "天坛"),
)


def _rank(docs: list[Document], title: str) -> int:
    titles = [doc.metadata["title"] for doc in docs]
    return titles.index(title) + 1 if title in titles else len(docs) + 1


def _figures(ranks: list[int]) -> tuple[float, int]:
    return sum(1 / r for r in ranks) / len(ranks), sum(r == 1 for r in ranks)


@pytest.mark.parametrize("make", [qianfan, dashscope], ids=["qianfan", "dashscope"])
def test_reranking_improves_the_rank_of_the_right_document(
    emulator: Emulator, make: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    retriever = _retriever(emulator, k=8)
    reranker = make(emulator, top_n=None)
    before, after = [], []
    for question, title in QUESTIONS:
        retrieved = retriever.invoke(question)
        before.append(_rank(retrieved, title))
        after.append(_rank(list(reranker.compress_documents(retrieved, question)), title))
    (mrr_before, hits_before), (mrr_after, hits_after) = _figures(before), _figures(after)
    with capsys.disabled():
        print(
            f"\nrerank quality ({len(QUESTIONS)} questions, top 8 retrieved): "
            f"MRR {mrr_before:.3f} -> {mrr_after:.3f}, hit@1 {hits_before} -> {hits_after}"
        )
    assert all(a <= b for a, b in zip(after, before, strict=True))  # never worse
    assert hits_after > hits_before and mrr_after > mrr_before


def test_keys_hidden_and_rerankers_pickle(emulator: Emulator) -> None:
    import pickle

    for reranker in (qianfan(emulator, top_n=1), dashscope(emulator, top_n=1)):
        reranker.compress_documents(DOCS, QUERY)  # the client exists, and is left behind
        copy = pickle.loads(pickle.dumps(reranker))
        assert copy.compress_documents(DOCS, QUERY)[0].id == "d2"
        assert "ALTAK" not in repr(copy) and "sk-test" not in repr(copy)


QIANFAN_VARS = (
    "QIANFAN_API_KEY",
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_TOKEN",
    "QIANFAN_APPID",
)


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_qianfan_rerank_with_only_the_iam_pair_mints_a_bearer(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    from cnllm.qianfan.v2.auth import MintedBearer, clear_token_cache

    clear_token_cache()
    for name in QIANFAN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_ACCESS_KEY", "rerank-iam-ak")
    monkeypatch.setenv("QIANFAN_SECRET_KEY", "rerank-iam-sk")
    monkeypatch.setenv("QIANFAN_IAM_BASE_URL", emulator.base_url)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    if framework == "llamaindex":
        pytest.importorskip("llama_index.core")
        from llama_index.core.schema import NodeWithScore, TextNode

        from llamaindex_cnllm import QianfanRerank as LlamaIndexQianfanRerank

        reranker: Any = LlamaIndexQianfanRerank(top_n=2)
        nodes = [NodeWithScore(node=TextNode(text=doc.page_content)) for doc in DOCS]
        best = reranker.postprocess_nodes(nodes, query_str=QUERY)[0].node.get_content()
    else:
        reranker = QianfanRerank(top_n=2)
        best = reranker.compress_documents(DOCS, QUERY)[0].page_content
    assert best == DOCS[2].page_content
    assert isinstance(reranker.rerank_client.auth, MintedBearer)
    assert emulator.stats.token_requests == 1 and emulator.stats.requests[QIANFAN_PATH] == 1
    last = emulator.stats.last_request
    assert last is not None
    bearer = last.headers["Authorization"].removeprefix("Bearer ")
    assert bearer.startswith("bce-v3/") and "rerank-iam" not in repr(reranker)
    clear_token_cache()


def test_qianfan_rerank_takes_the_chat_classes_v2_base_url_name(emulator: Emulator) -> None:
    reranker = QianfanRerank(api_key="bce-v3/ALTAK-x/y", v2_base_url=f"{emulator.base_url}/v2")
    assert reranker.compress_documents(DOCS, QUERY)[0].id == "d2"
    assert emulator.stats.requests[QIANFAN_PATH] == 1
