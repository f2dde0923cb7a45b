"""The emulated ClueAI service over raw HTTP (requests and httpx), on both of its bases."""

from __future__ import annotations

import json
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from cnllm.emulator import Emulator, Fault

HEADERS = {"Api-Key": "BEARER emu-key", "Request-Source": "python-sdk"}
CORPUS = [
    "故宫又称紫禁城，是明清两代的皇家宫殿，1420年建成。",
    "长城是中国古代规模最大的军事防御工程。",
    "检索增强生成把信息检索和大语言模型结合起来。",
    "劳动争议一般先申请劳动仲裁，对裁决不服再向法院起诉。",
]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def serving(emu: Emulator, session: requests.Session, body: dict[str, Any], **headers: str) -> Any:
    url = f"{emu.base_url}/modelfun/api/serving_api"
    return session.post(url, json=body, headers={**HEADERS, **headers}).json()


def generate(prompt: str, model: str = "clueai-large", **fields: Any) -> dict[str, Any]:
    return {"task_type": "generate", "model_name": model, "input_data": [prompt], **fields}


def jsonl(texts: list[str], field: str = "text") -> bytes:
    return "\n".join(json.dumps({field: t}, ensure_ascii=False) for t in texts).encode()


def upload(emu: Emulator, session: requests.Session, texts: list[str], sync: bool = True) -> str:
    path = "search/upload/sync/" if sync else "search/upload/"
    answer = session.post(
        f"{emu.base_url}/clueai/{path}",
        files={"file": ("corpus.json", jsonl(texts))},
        data={"field": "text"},
        headers=HEADERS,
    ).json()
    return str(answer["engine_key"])


def search(emu: Emulator, session: requests.Session, key: str, query: str) -> Any:
    params = {"key": key, "query": query}
    return session.get(f"{emu.base_url}/clueai/search/", params=params, headers=HEADERS).json()


# -- serving_api --------------------------------------------------------------------------------


def test_generate_answers_in_the_sdk_shape(emu: Emulator, session: requests.Session) -> None:
    prompt = "情感分析：\n这个看上去还可以，但其实我不喜欢\n选项：积极，消极\n答案："
    answer = serving(emu, session, generate(prompt))
    assert list(answer) == ["result"] and len(answer["result"]) == 1
    assert answer["result"][0]["generate_text"] in ("积极", "消极")
    assert serving(emu, session, generate(prompt)) == answer  # deterministic


def test_raw_utf8_and_escaped_json_bodies_are_both_accepted(
    emu: Emulator, session: requests.Session
) -> None:
    body = generate("用户：你好\n小元：")
    url = f"{emu.base_url}/modelfun/api/serving_api"
    raw = json.dumps(body, ensure_ascii=False).encode()
    escaped = json.dumps(body).encode()
    answers = [session.post(url, data=data, headers=HEADERS).json() for data in (raw, escaped)]
    assert answers[0] == answers[1] and answers[0]["result"][0]["generate_text"]


def test_keys_models_and_limits(emu: Emulator, session: requests.Session) -> None:
    assert serving(emu, session, generate("x"), **{"Api-Key": "BEARER "}) == {
        "message": "invalid api key: this call needs an Api-Key header"
    }
    free = serving(
        emu,
        session,
        generate("问答：\n问题：阿里巴巴的总部在哪里\n答案：", "clueai-base"),
        **{"Api-Key": ""},
    )
    assert free["result"][0]["generate_text"]
    assert "模型不存在" in serving(emu, session, generate("x", "gpt-4"))["message"]
    assert "超过了1024个字符" in serving(emu, session, generate("长" * 1025))["message"]
    assert (
        "task_type" in serving(emu, session, {"task_type": "embed", "input_data": ["x"]})["message"]
    )


def test_chatyuan_writes_literal_newlines_and_likelihoods_come_when_asked(
    emu: Emulator, session: requests.Session
) -> None:
    prompt = "信息抽取：\n据新华社电，清城区环保局局长陈柏已被免职\n问题：机构名，人名\n答案："
    answer = serving(emu, session, generate(prompt, "ChatYuan-large"))["result"][0]
    text = answer["generate_text"]
    assert "\\n" in text and "\n" not in text and text.startswith("机构名:")
    assert serving(emu, session, generate(prompt))["result"][0]["generate_text"] == text.replace(
        "\\n", "\n"
    )
    scored = serving(
        emu, session, generate(prompt, "clueai-large", return_likelihoods="GENERATION")
    )
    item = scored["result"][0]
    assert item["likelihood"] < 0
    assert [
        item["token_likelihoods"][str(i)]["token"] for i in range(len(item["token_likelihoods"]))
    ]
    cut = serving(emu, session, generate(prompt, generate_config={"max_length": 3}))
    assert cut["result"][0]["generate_text"] == "机构名"


def test_a_conversation_with_context_gets_an_answer_from_it(
    emu: Emulator, session: requests.Session
) -> None:
    prompt = (
        "只根据资料回答。\n用户：资料：\n"
        + "\n".join(CORPUS)
        + "\n\n问题：故宫是什么时候建成的？\n小元："
    )
    text = serving(emu, session, generate(prompt, "ChatYuan-large"))["result"][0]["generate_text"]
    assert "1420" in text


def test_classify_gives_a_prediction_and_confidences_per_input(
    emu: Emulator, session: requests.Session
) -> None:
    body = {
        "task_type": "classify",
        "model_name": "clueai-large",
        "task_name": "情感分析",
        "examples": [{"text": "基本都是欺骗", "label": "消极"}],
        "input_data": ["世界充满了欺骗", "世界和平"],
        "labels": ["消极", "积极"],
    }
    result = serving(emu, session, body)["result"]
    assert [item["input"] for item in result] == body["input_data"]
    assert result[0]["prediction"] == "消极"  # nearest to the example
    for item in result:
        assert {c["label"] for c in item["confidence"]} == {"消极", "积极"}
        assert abs(sum(c["confidence"] for c in item["confidence"]) - 1) < 0.01
        assert item["confidence"][0]["label"] == item["prediction"]
    assert "labels" in serving(emu, session, {**body, "labels": []})["message"]


def test_check_api_key(emu: Emulator, session: requests.Session) -> None:
    url = f"{emu.base_url}/modelfun/api/check_api_key"
    assert session.post(url, headers=HEADERS).json() == {"valid": True}
    assert session.post(url).json() == {"valid": False}


def test_a_configured_key_is_the_only_valid_one() -> None:
    with Emulator(credentials={"clueai_api_key": "right"}) as emu, requests.Session() as session:
        url = f"{emu.base_url}/modelfun/api/check_api_key"
        assert session.post(url, headers={"Api-Key": "BEARER right"}).json() == {"valid": True}
        assert session.post(url, headers=HEADERS).json() == {"valid": False}
        assert serving(emu, session, generate("x")) == {"message": "invalid api key"}


# -- paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/clueai/search", 404),  # the slash is part of the path
        ("GET", "/clueai/text2image/", 404),
        ("POST", "/modelfun/api/serving_api/", 404),
        ("POST", "/modelfun/serving_api", 404),  # what urljoin makes of a base without its slash
        ("GET", "/modelfun/api/serving_api", 405),
        ("POST", "/clueai/search/", 405),
    ],
)
def test_paths_are_exact(
    emu: Emulator, session: requests.Session, method: str, path: str, status: int
) -> None:
    answer = session.request(method, f"{emu.base_url}{path}", headers=HEADERS)
    assert answer.status_code == status and "message" in answer.json()


# -- search engine --------------------------------------------------------------------------------


def test_search_ranks_the_uploaded_corpus_lexically(
    emu: Emulator, session: requests.Session
) -> None:
    key = upload(emu, session, CORPUS)
    result = search(emu, session, key, "故宫 皇家宫殿")["result"]
    assert result["query"] == "故宫 皇家宫殿" and result["best_answer"] == CORPUS[0]
    scores = result["answer_score"]
    assert all(isinstance(score, str) for score in scores.values())  # strings, as the SDK allows
    assert max(scores, key=lambda doc: float(scores[doc])) == CORPUS[0]
    assert list(scores) == [doc for doc in CORPUS if doc in scores]  # corpus order, not ranked
    none = search(emu, session, key, "xyz")["result"]
    assert none == {"query": "xyz", "best_answer": "", "answer_score": {}}


def test_multipart_from_httpx_is_read_too(emu: Emulator) -> None:
    with httpx.Client() as client:
        answer = client.post(
            f"{emu.base_url}/clueai/search/upload/sync/",
            files={"file": ("c.json", jsonl(CORPUS, "title"), "application/octet-stream")},
            data={"field": "title"},
            headers=HEADERS,
        ).json()
        params = {"key": answer["engine_key"], "query": "长城"}
        found = client.get(f"{emu.base_url}/clueai/search/", params=params).json()
    assert found["result"]["best_answer"] == CORPUS[1]


def test_upload_errors_name_the_problem(emu: Emulator, session: requests.Session) -> None:
    url = f"{emu.base_url}/clueai/search/upload/sync/"
    bad = session.post(
        url, files={"file": ("c.json", b'{"text": "a"}\n{"x": 1}')}, data={"field": "text"}
    ).json()
    assert bad == {"message": "文件格式错误：第2行缺少字段 text"}
    assert "field" in session.post(url, files={"file": ("c.json", b"{}")}).json()["message"]
    assert "multipart" in session.post(url, json={"field": "text"}).json()["message"]
    assert "不存在" in search(emu, session, "se-unknown", "x")["message"]


@pytest.mark.parametrize("query", ["A&B=1", "#1 标签", "C++ 语言", "法律 案例", "100%"])
def test_queries_round_trip_through_the_encoding(
    emu: Emulator, session: requests.Session, query: str
) -> None:
    key = upload(emu, session, [f"文档：{query}", "无关的内容"])
    assert search(emu, session, key, query)["result"]["query"] == query
    assert emu.stats.last_request is not None and emu.stats.last_request.query["query"] == query


def test_a_plus_and_a_percent_twenty_both_decode_to_a_space(
    emu: Emulator, session: requests.Session
) -> None:
    key = upload(emu, session, ["法律 案例"])
    for raw in ("%E6%B3%95%E5%BE%8B+%E6%A1%88%E4%BE%8B", "%E6%B3%95%E5%BE%8B%20%E6%A1%88%E4%BE%8B"):
        answer = session.get(f"{emu.base_url}/clueai/search/?key={key}&query={raw}").json()
        assert answer["result"]["query"] == "法律 案例"


def test_an_async_upload_is_searchable_once_indexed(
    emu: Emulator, session: requests.Session
) -> None:
    emu.config.options["clueai_index_seconds"] = 0.3
    try:
        key = upload(emu, session, CORPUS, sync=False)
        assert search(emu, session, key, "长城") == {"message": "索引构建中，引擎还未就绪"}
        time.sleep(0.35)
        assert search(emu, session, key, "长城")["result"]["best_answer"] == CORPUS[1]
    finally:
        emu.config.options.pop("clueai_index_seconds")


def test_reset_forgets_engines(emu: Emulator, session: requests.Session) -> None:
    key = upload(emu, session, CORPUS)
    emu.reset()
    assert "不存在" in search(emu, session, key, "长城")["message"]


# -- fine-tuning ----------------------------------------------------------------------------------


def finetune(
    emu: Emulator, session: requests.Session, step: str, key: str, prefix: str = "", **body: Any
) -> Any:
    url = f"{emu.base_url}/clueai/{prefix}finetune/{step}/"
    return session.post(url, json={"engine_key": key, **body}, headers=HEADERS).json()


def test_the_finetune_lifecycle(emu: Emulator, session: requests.Session) -> None:
    emu.config.options["clueai_train_seconds"] = 0.2
    try:
        data = "\n".join(
            json.dumps({"input": q, "output": a}, ensure_ascii=False)
            for q, a in (("花呗怎么还款？", "在支付宝里还款"), ("今天天气怎么样？", "晴天"))
        ).encode()
        answer = session.post(
            f"{emu.base_url}/clueai/finetune/upload/sync/",
            files={"file": ("train.json", data)},
            data={"input_field": "input"},  # target_field left out: the SDK's "output"
            headers=HEADERS,
        ).json()
        key = answer["engine_key"]
        assert finetune(emu, session, "finished", key)["finished"] is False
        assert finetune(emu, session, "start", key) == {"start": False}
        predict = {"task_type": "generate", "input_data": ["花呗怎么还款？"]}
        assert "未启动" in finetune(emu, session, "predict", key, **predict)["message"]
        time.sleep(0.25)
        assert finetune(emu, session, "finished", key)["finished"] is True
        assert finetune(emu, session, "start", key) == {"start": True}
        result = finetune(emu, session, "predict", key, **predict)["result"]
        assert result == [{"generate_text": "在支付宝里还款"}]
        assert "不存在" in finetune(emu, session, "finished", key, prefix="chatyuan/")["message"]
    finally:
        emu.config.options.pop("clueai_train_seconds")


def test_finetune_needs_a_key(emu: Emulator, session: requests.Session) -> None:
    answer = session.post(
        f"{emu.base_url}/clueai/chatyuan/finetune/upload/",
        files={"file": ("t.json", b'{"input": "a", "output": "b"}')},
    ).json()
    assert answer == {"message": "invalid api key: this call needs an Api-Key header"}


# -- text2image and usage -------------------------------------------------------------------------


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        at += 12 + length
    return chunks


def test_text2image_returns_a_real_png(emu: Emulator, session: requests.Session) -> None:
    url = f"{emu.base_url}/clueai/text2image"
    answer = session.get(url, params={"text": "毕加索风格，秋日的晚霞"})
    assert answer.headers["Content-Type"] == "image/png"
    chunks = png_chunks(answer.content)
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, height, depth, colour) == (64, 64, 8, 2)
    assert len(zlib.decompress(chunks[b"IDAT"])) == 64 * (1 + 64 * 3)
    assert b"IEND" in chunks
    other = session.get(url, params={"text": "梵高风格，秋日的晚霞"}).content
    assert other != answer.content
    assert session.get(url, params={"text": ""}).json() == {"message": "text 不能为空"}


def test_user_info_counts_calls_for_the_key(emu: Emulator, session: requests.Session) -> None:
    serving(emu, session, generate("用户：你好\n小元："))
    url = f"{emu.base_url}/clueai/serving/api/user_info"
    info = session.get(url, params={"api_key": "emu-key"}, headers=HEADERS).json()
    assert (
        info["used"] == 1 and info["finetune_user"] is False and "emu-key" not in json.dumps(info)
    )
    finetune_url = f"{emu.base_url}/clueai/serving/finetune_api/user_info"
    assert session.get(finetune_url, params={"api_key": "emu-key"}).json()["finetune_user"] is True
    assert session.get(url).json() == {"message": "invalid api key"}


# -- faults ---------------------------------------------------------------------------------------


def test_faults_take_clueai_error_shapes(emu: Emulator, session: requests.Session) -> None:
    emu.inject(Fault("error_code", code=1))
    assert serving(emu, session, generate("x")) == {"message": "服务繁忙，请稍后再试"}
    key = upload(emu, session, CORPUS)
    emu.inject(Fault("error_code", code=503, message="上游错误", path_contains="/search/"))
    answer = session.get(f"{emu.base_url}/clueai/search/", params={"key": key, "query": "长城"})
    assert answer.status_code == 503 and answer.json() == {"message": "上游错误"}
    emu.inject(Fault("http", status=200, body="<html>gateway</html>", path_contains="text2image"))
    page = session.get(f"{emu.base_url}/clueai/text2image", params={"text": "x"})
    assert page.status_code == 200 and page.text == "<html>gateway</html>"
    assert emu.stats.faults_applied == 3
    assert emu.stats.requests["/modelfun/api/serving_api"] == 1
