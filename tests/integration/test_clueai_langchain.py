"""The ClueAI LangChain classes end to end against the emulator (loopback only), faults included."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from pydantic import BaseModel

from cnllm import errors
from cnllm.clueai.protocol import image_format
from cnllm.emulator import Emulator, Fault
from cnllm.retry import RetryPolicy
from langchain_cnllm import (
    ChatClueAI,
    ClueAIClassifier,
    ClueAIFineTuner,
    ClueAILLM,
    ClueAIRetriever,
    ClueAIText2ImageTool,
)
from langchain_cnllm._clueai import ClueAISettings

KEY = "clueai-SECRET-key-424242"
SERVING = "/modelfun/api/serving_api"
SUMMARY = (
    "摘要：\n本文总结了十个可穿戴产品的设计原则，而这些原则，同样也是笔者认为是这个行业最吸引人的地方："
    "1.为人们解决重复性问题；2.从人开始，而不是从机器开始；3.要引起注意，但不要刻意；4.提升用户能力，"
    "而不是取代人\n答案："
)
CORPUS = [
    "故宫又称紫禁城，是明清两代的皇家宫殿，1420年建成。",
    "长城是中国古代规模最大的军事防御工程，现存多为明长城。",
    "检索增强生成把信息检索和大语言模型结合起来，减少幻觉。",
    "劳动争议一般先申请劳动仲裁，对裁决不服再向法院起诉。",
    "颐和园是清代皇家园林，以昆明湖和万寿山为主体。",
]


@pytest.fixture
def clueai_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The key and the emulator's two bases in the environment, as a user would set them."""
    monkeypatch.setenv("CLUEAI_API_KEY", KEY)
    monkeypatch.setenv("CLUEAI_BASE_URL", f"{emulator.base_url}/clueai")
    monkeypatch.setenv("CLUEAI_MODELFUN_URL", f"{emulator.base_url}/modelfun/api")
    return emulator


@pytest.fixture
def quick(emulator: Emulator) -> Any:
    """Short index / training delays for this test, restored afterwards."""
    saved = dict(emulator.config.options)
    emulator.config.options.update(clueai_index_seconds=0.2, clueai_train_seconds=0.2)
    yield emulator
    emulator.config.options.clear()
    emulator.config.options.update(saved)


def fast(model: ClueAISettings) -> Any:
    """Retries that wait milliseconds, not seconds (the policy is otherwise the same)."""
    policy = RetryPolicy(max_retries=model.max_retries, initial_backoff=0.001, max_backoff=0.01)
    model.client.transport.retry = policy
    model.client.light.retry = policy
    return model


def last_body(emulator: Emulator) -> Any:
    assert emulator.stats.last_request is not None
    return emulator.stats.last_request.json


def calls(emulator: Emulator, path: str = SERVING) -> int:
    return emulator.stats.requests.get(path, 0)


# -- ClueAILLM ------------------------------------------------------------------------------------


def test_llm_sends_the_sdk_request_and_reads_the_answer(clueai_env: Emulator) -> None:
    llm = ClueAILLM(model="clueai-large", do_sample=True, top_p=0.8, max_length=128, num_beams=1)
    text = llm.invoke(SUMMARY)
    assert text.startswith("本文总结了十个可穿戴产品的设计原则")
    body = last_body(clueai_env)
    assert body["input_data"] == [SUMMARY] and body["model_name"] == "clueai-large"
    assert body["generate_config"] == {
        "do_sample": True,
        "top_p": 0.8,
        "max_length": 128,
        "num_beams": 1,
    }
    headers = clueai_env.stats.last_request.headers  # type: ignore[union-attr]
    assert headers["Api-Key"] == f"BEARER {KEY}" and headers["Model-name"] == "clueai-large"
    assert headers["clueai-Version"] == "2022-08-08"


def test_llm_likelihoods_stops_and_call_time_config(clueai_env: Emulator) -> None:
    llm = ClueAILLM(return_likelihoods="GENERATION", task_name="信息抽取")
    prompt = (
        "信息抽取：\n据新华社电，清城区环保局局长陈柏已被免职\n问题：机构名，人名，职位\n答案："
    )
    result = llm.generate([prompt], stop=["\n"], min_length=2)
    (generation,) = result.generations[0]
    assert "\n" not in generation.text and generation.text.startswith("机构名:")
    info = generation.generation_info or {}
    assert info["finish_reason"] == "stop" and info["likelihood"] < 0
    assert info["token_likelihoods"][0]["token"] == "机"
    body = last_body(clueai_env)
    assert body["stop_sequences"] == ["\n"] and body["task_name"] == "信息抽取"
    assert body["generate_config"] == {"min_length": 2}
    assert result.llm_output == {"model_name": "clueai-large"}


async def test_llm_async_and_batches(clueai_env: Emulator) -> None:
    llm = ClueAILLM()
    answers = await llm.abatch(["问答：\n问题：故宫在哪里\n答案：", "用户：你好\n小元："])
    assert len(answers) == 2 and all(answers)
    assert calls(clueai_env) == 2
    assert await llm.ainvoke("用户：你好\n小元：") == answers[1]


def test_llm_truncates_only_when_asked(clueai_env: Emulator) -> None:
    long = "摘要：\n" + "长" * 2000 + "\n答案："
    with pytest.raises(errors.InputTooLongError):
        ClueAILLM().invoke(long)
    assert calls(clueai_env) == 0
    ClueAILLM(truncate=True).invoke(long)
    sent = last_body(clueai_env)["input_data"][0]
    assert len(sent) == 1024 and sent.endswith("\n答案：")


# -- ChatClueAI -----------------------------------------------------------------------------------


def test_chat_renders_the_conversation_and_unescapes_the_answer(clueai_env: Emulator) -> None:
    chat = ChatClueAI()
    message = chat.invoke(
        [
            SystemMessage("你是小元"),
            HumanMessage("帮我写个请假条"),
            AIMessage("好的，请问请几天？"),
            HumanMessage("信息抽取：\n清城区环保局局长陈柏\n问题：机构名，人名\n答案："),
        ]
    )
    assert last_body(clueai_env)["input_data"] == [
        "你是小元\n用户：帮我写个请假条\n小元：好的，请问请几天？\n"
        "用户：信息抽取：\n清城区环保局局长陈柏\n问题：机构名，人名\n答案：\n小元："
    ]
    assert "\n" in message.text and "\\n" not in message.text  # ChatYuan's literal \n restored
    assert message.usage_metadata is None
    meta = message.response_metadata
    assert meta["model_name"] == "ChatYuan-large" and meta["model_provider"] == "clueai"
    assert meta["dropped_turns"] == 0


def test_chat_drops_old_turns_to_fit(clueai_env: Emulator) -> None:
    history: list[Any] = []
    for index in range(6):
        history += [HumanMessage(f"问题{index}" + "长" * 150), AIMessage("答" * 150)]
    message = ChatClueAI().invoke([*history, HumanMessage("最后一个问题")])
    prompt = last_body(clueai_env)["input_data"][0]
    assert len(prompt) <= 1024 and prompt.endswith("用户：最后一个问题\n小元：")
    assert message.response_metadata["dropped_turns"] == 3 and "问题2" not in prompt


def test_chat_stream_is_one_final_chunk(clueai_env: Emulator) -> None:
    chunks = list(ChatClueAI().stream("你好"))
    assert len(chunks) == 1 and chunks[0].chunk_position == "last" and chunks[0].content


async def test_chat_async(clueai_env: Emulator) -> None:
    chat = ChatClueAI(model="clueai-large", temperature=0.7, max_tokens=64)
    message = await chat.ainvoke("你好")
    assert message.content and message.response_metadata["model_name"] == "clueai-large"
    assert last_body(clueai_env)["generate_config"] == {
        "do_sample": True,
        "max_length": 64,
        "temperature": 0.7,
    }
    chunks = [chunk async for chunk in chat.astream("你好")]
    assert len(chunks) == 1


def test_chat_structured_output_by_prompt_and_parse(clueai_env: Emulator) -> None:
    class Joke(BaseModel):
        setup: str
        punchline: str

    joke = ChatClueAI().with_structured_output(Joke).invoke("讲一个关于猫的笑话")
    assert isinstance(joke, Joke)
    assert "JSON schema" in last_body(clueai_env)["input_data"][0]


def test_chat_model_override_and_stop(clueai_env: Emulator) -> None:
    message = ChatClueAI().invoke("你好", model="clueai-base", stop=["模拟"])
    assert message.response_metadata["model_name"] == "clueai-base"
    assert "模拟" not in message.text and message.response_metadata["finish_reason"] == "stop"


def test_the_issue_rag_chain(clueai_env: Emulator) -> None:
    retriever = ClueAIRetriever.from_texts(CORPUS, k=3)
    prompt = ChatPromptTemplate.from_messages([("human", "资料：\n{context}\n\n问题：{question}")])
    chain = (
        {"context": retriever, "question": RunnablePassthrough()}
        | prompt
        | ChatClueAI(model="clueai-large")
        | StrOutputParser()
    )
    assert "1420" in chain.invoke("故宫是什么时候建成的？")


# -- ClueAIRetriever ------------------------------------------------------------------------------


def test_retriever_from_texts_ranks_and_annotates(clueai_env: Emulator) -> None:
    metadatas = [{"n": index} for index in range(len(CORPUS))]
    retriever = ClueAIRetriever.from_texts(CORPUS, metadatas, k=2)
    assert retriever.engine_key.startswith("se-")
    assert calls(clueai_env, "/clueai/search/upload/sync/") == 1
    docs = retriever.invoke("故宫 皇家宫殿")
    assert docs[0].page_content == CORPUS[0] and len(docs) <= 2
    first = docs[0].metadata
    assert first["n"] == 0 and first["engine_key"] == retriever.engine_key
    assert first["is_best"] is True and first["query"] == "故宫 皇家宫殿"
    scores = [doc.metadata["score"] for doc in retriever.invoke("皇家 园林 宫殿 长城", k=3)]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    again = ClueAIRetriever(engine_key=retriever.engine_key, k=1)  # an engine built earlier
    assert [doc.page_content for doc in again.invoke("长城")] == [CORPUS[1]]


async def test_retriever_async(clueai_env: Emulator) -> None:
    docs = [
        Document(page_content=text, metadata={"title": f"t{i}"}) for i, text in enumerate(CORPUS)
    ]
    retriever = await ClueAIRetriever.afrom_documents(docs, k=3)
    found = await retriever.ainvoke("劳动仲裁")
    assert found[0].metadata["title"] == "t3" and found[0].page_content == CORPUS[3]


@pytest.mark.parametrize(
    "query", ["A&B=1 法律", "#1 故宫", "C++ 与 C#", "50% 折扣 + 满减", "紫禁城?皇家"]
)
def test_queries_round_trip(clueai_env: Emulator, query: str) -> None:
    retriever = ClueAIRetriever.from_texts([f"记录：{query}", "无关的文字"], k=1)
    docs = retriever.invoke(query)
    assert docs[0].page_content == f"记录：{query}" and docs[0].metadata["query"] == query
    assert clueai_env.stats.last_request.query == {  # type: ignore[union-attr]
        "key": retriever.engine_key,
        "query": query,
    }


def test_retriever_from_file_with_a_chosen_field(clueai_env: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "law_test.json"
    rows = [{"id": index, "title": text, "kind": "law"} for index, text in enumerate(CORPUS)]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")
    retriever = ClueAIRetriever.from_file(path, field="title", k=1)
    (doc,) = retriever.invoke("长城")
    assert (
        doc.page_content == CORPUS[1] and doc.metadata["id"] == 1 and doc.metadata["kind"] == "law"
    )
    array = tmp_path / "array.json"
    array.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    assert ClueAIRetriever.from_file(array, field="title").invoke("颐和园")[0].metadata["id"] == 4


def test_async_upload_polls_until_the_engine_is_ready(clueai_env: Emulator, quick: Any) -> None:
    retriever = ClueAIRetriever.from_texts(CORPUS, sync=False, poll_interval=0.05)
    assert calls(clueai_env, "/clueai/search/upload/") == 1
    assert calls(clueai_env, "/clueai/search/") >= 2  # "not ready" answers, then the ready one
    assert retriever.invoke("长城")[0].page_content == CORPUS[1]


async def test_async_upload_polling_gives_up_after_the_timeout(
    clueai_env: Emulator, quick: Any
) -> None:
    clueai_env.config.options["clueai_index_seconds"] = 30
    with pytest.raises(ModelTimeoutError, match=r"not ready after 0\.3s"):
        await ClueAIRetriever.afrom_texts(CORPUS, sync=False, wait_timeout=0.3, poll_interval=0.05)
    with pytest.raises(errors.TimeoutError):
        ClueAIRetriever.from_texts(CORPUS, sync=False, wait_timeout=0.2, poll_interval=0.05)


def test_polling_stops_at_once_on_a_bad_key(clueai_env: Emulator, quick: Any) -> None:
    clueai_env.config.credentials["clueai_api_key"] = "the-right-key"
    try:
        with pytest.raises(ModelAuthenticationError):
            ClueAIRetriever.from_texts(CORPUS, sync=False, wait_timeout=5, poll_interval=0.05)
    finally:
        clueai_env.config.credentials.clear()


def test_an_unknown_engine_is_not_found(clueai_env: Emulator) -> None:
    with pytest.raises(ModelNotFoundError, match="engine_key不存在"):
        ClueAIRetriever(engine_key="se-missing").invoke("x")


# -- ClueAIClassifier -----------------------------------------------------------------------------


def test_classifier_gives_prediction_and_confidences(clueai_env: Emulator) -> None:
    classify = ClueAIClassifier(
        labels=["消极", "积极"],
        task_name="情感分析",
        examples=[{"text": "基本都是欺骗", "label": "消极"}],
    )
    one = classify.invoke("世界充满了欺骗")
    assert one["prediction"] == "消极" and one["input"] == "世界充满了欺骗"
    assert set(one["confidences"]) == {"消极", "积极"}
    assert one["confidence"] == one["confidences"]["消极"]
    assert last_body(clueai_env)["task_name"] == "情感分析"
    many = classify.invoke(["世界充满了欺骗", "世界和平"])
    assert [item["input"] for item in many] == ["世界充满了欺骗", "世界和平"]
    assert calls(clueai_env) == 2


async def test_classifier_batches_in_one_request(clueai_env: Emulator) -> None:
    classify = ClueAIClassifier(labels=["美颜", "二手", "外卖"], task_name="产品分类")
    texts: list[str | list[str]] = ["修图美颜相机", "闲置二手买卖", "外卖送餐", "美颜滤镜"]
    results: list[Any] = classify.batch(texts)
    assert [item["input"] for item in results] == texts and calls(clueai_env) == 1
    results = await ClueAIClassifier(labels=["美颜", "二手"], batch_size=3).abatch(texts)
    assert len(results) == 4 and calls(clueai_env) == 3
    assert (await classify.ainvoke("外卖"))["prediction"] in classify.labels


# -- text to image --------------------------------------------------------------------------------


def test_the_tool_saves_a_png_and_returns_its_path(clueai_env: Emulator, tmp_path: Path) -> None:
    tool = ClueAIText2ImageTool(output_dir=str(tmp_path))
    path = Path(tool.invoke({"prompt": "秋日的晚霞", "style": "毕加索"}))
    assert path.parent == tmp_path and path.suffix == ".png"
    assert image_format(path.read_bytes()) == "png"
    assert clueai_env.stats.last_request.query == {"text": "毕加索风格，秋日的晚霞"}  # type: ignore[union-attr]


async def test_the_tool_is_async_too(clueai_env: Emulator, tmp_path: Path) -> None:
    tool = ClueAIText2ImageTool(output_dir=str(tmp_path))
    path = Path(await tool.ainvoke({"prompt": "浩瀚星空"}))
    assert image_format(path.read_bytes()) == "png"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"status": 1, "detail": "model busy"}', ModelAPIError),
        ("<html><body>502 Bad Gateway</body></html>", ModelAPIError),
        ('{"message": "invalid api key"}', ModelAuthenticationError),
    ],
)
def test_an_answer_that_is_not_an_image_raises_and_writes_nothing(
    clueai_env: Emulator, tmp_path: Path, body: str, error: type[Exception]
) -> None:
    clueai_env.inject(Fault("http", status=200, body=body, path_contains="text2image"))
    with pytest.raises(error):
        ClueAIText2ImageTool(output_dir=str(tmp_path)).invoke({"prompt": "秋日的晚霞"})
    assert list(tmp_path.iterdir()) == []


# -- fine-tuning ----------------------------------------------------------------------------------


def test_finetune_upload_train_start_generate(clueai_env: Emulator, quick: Any) -> None:
    tuner = ClueAIFineTuner(poll_interval=0.05)
    pairs = [("以下两句话的意思相同的吗？花呗怎么还\n答案：", "不是"), ("今天天气怎么样？", "晴天")]
    key = tuner.fine_tune(pairs)
    assert tuner.is_trained(key)
    assert calls(clueai_env, "/clueai/finetune/upload/sync/") == 1
    assert calls(clueai_env, "/clueai/finetune/start/") == 1
    assert tuner.llm(key).invoke(pairs[0][0]) == "不是"
    body = last_body(clueai_env)
    assert body["engine_key"] == key and body["model_name"] is None
    assert clueai_env.stats.requests["/clueai/finetune/predict/"] == 1


async def test_finetune_the_chatyuan_variant_from_a_file(
    clueai_env: Emulator, quick: Any, tmp_path: Path
) -> None:
    path = tmp_path / "qa_test.json"
    rows = [
        {
            "id": 401,
            "type": "qa",
            "question": "用户：你能干什么？\n小元：",
            "answer": "我能写请假条",
        }
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")
    tuner = ClueAIFineTuner(
        finetune_base="ChatYuan", input_field="question", target_field="answer", poll_interval=0.05
    )
    key = await tuner.afine_tune(path)
    assert calls(clueai_env, "/clueai/chatyuan/finetune/upload/sync/") == 1
    chat = tuner.chat_model(key)
    message = await chat.ainvoke("你能干什么？")
    assert message.content == "我能写请假条"
    assert message.response_metadata["model_name"] == f"ChatYuan-finetuned:{key}"
    assert clueai_env.stats.last_request.headers["Model-name"] == "ChatYuan"  # type: ignore[union-attr]


def test_finetune_waits_and_starts_carefully(clueai_env: Emulator, quick: Any) -> None:
    clueai_env.config.options["clueai_train_seconds"] = 30
    tuner = ClueAIFineTuner(poll_interval=0.05)
    key = tuner.upload([("q", "a")])
    assert tuner.is_trained(key) is False
    with pytest.raises(ModelTimeoutError, match=f"training of {key}"):
        tuner.wait_until_trained(key, timeout=0.2)
    with pytest.raises(ModelAPIError, match="did not start"):
        tuner.start(key)
    with pytest.raises(ModelAPIError, match="未启动"):
        tuner.llm(key, max_retries=0).invoke("q")


# -- usage, errors, faults, secrets ---------------------------------------------------------------


def test_check_usage(clueai_env: Emulator) -> None:
    llm = ClueAILLM()
    llm.invoke("用户：你好\n小元：")
    usage = llm.check_usage()
    assert usage["used"] >= 1 and usage["finetune_user"] is False
    assert clueai_env.stats.last_request.query == {"api_key": KEY}  # type: ignore[union-attr]


async def test_acheck_usage_for_finetune_users(clueai_env: Emulator) -> None:
    assert (await ClueAIFineTuner().acheck_usage(finetune_user=True))["finetune_user"] is True


def test_busy_answers_and_5xx_are_retried(clueai_env: Emulator) -> None:
    clueai_env.inject(Fault("error_code", code=1, times=1))  # HTTP 200 {"message": "服务繁忙…"}
    clueai_env.inject(Fault("http", status=503, retry_after="0", times=1))
    assert fast(ClueAILLM()).invoke("用户：你好\n小元：")
    assert calls(clueai_env) == 3


async def test_async_retries_too(clueai_env: Emulator) -> None:
    clueai_env.inject(Fault("error_code", code=502, times=2))
    assert await fast(ChatClueAI()).ainvoke("你好")
    assert calls(clueai_env) == 3


def test_permanent_errors_are_not_retried(clueai_env: Emulator) -> None:
    clueai_env.inject(Fault("http", status=401, body='{"message": "api key 已过期"}'))
    with pytest.raises(ModelAuthenticationError) as caught:
        fast(ChatClueAI()).invoke("你好")
    assert caught.value.message == "api key 已过期" and caught.value.status_code == 401  # type: ignore[attr-defined]
    clueai_env.config.credentials["clueai_api_key"] = "another"
    try:
        with pytest.raises(ModelAuthenticationError, match="invalid api key"):
            fast(ChatClueAI()).invoke("你好")
    finally:
        clueai_env.config.credentials.clear()
    assert calls(clueai_env) == 2


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<html>502 Bad Gateway</html>", "non-JSON body"),
        ('{"status": "ok"}', "without 'result'"),
        ("[1, 2]", "JSON list"),
    ],
)
def test_odd_answers_are_protocol_errors_with_the_body(
    clueai_env: Emulator, body: str, text: str
) -> None:
    clueai_env.inject(Fault("http", status=200, body=body))
    with pytest.raises(ModelAPIError, match=text) as caught:
        fast(ClueAILLM()).invoke("用户：你好\n小元：")
    assert isinstance(caught.value, errors.ProtocolError)
    assert calls(clueai_env) == 1


def test_connection_resets_and_timeouts(clueai_env: Emulator) -> None:
    clueai_env.inject(Fault("reset", times=1))
    assert fast(ChatClueAI()).invoke("你好")
    clueai_env.inject(Fault("reset", times=5))
    with pytest.raises(ModelConnectionError):
        fast(ChatClueAI(max_retries=1)).invoke("你好")
    clueai_env.reset()
    clueai_env.inject(Fault("slow", delay=1.0, times=5))
    with pytest.raises(ModelTimeoutError):
        fast(ChatClueAI(timeout=0.2, max_retries=0)).invoke("你好")


def test_secrets_stay_out_of_logs_and_errors(
    clueai_env: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    llm = ClueAILLM()
    llm.invoke("用户：你好\n小元：")
    llm.check_usage()  # the key travels in the query string here
    clueai_env.inject(Fault("http", status=500, body=f'{{"message": "boom api_key={KEY}"}}'))
    with pytest.raises(ModelAPIError) as caught:
        fast(ClueAILLM(max_retries=0)).invoke("用户：你好\n小元：")
    assert "api_key=***" in caplog.text
    for text in (caplog.text, str(caught.value), repr(caught.value), repr(llm)):
        assert KEY not in text
