"""The seed's ClueAI examples, replayed by vcrpy with the network blocked.

Requests are matched on method, host, path and query; the seed's curl body is then checked to
be contained, field for field, in the body the client really sent (the client sends the SDK's
full body, of which the curl examples show a part). See make_clueai_cassettes.py for where
each response comes from; re-record against the live service: tests/cassette/README.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from langchain_core.exceptions import ModelAPIError, ModelAuthenticationError
from vcr.request import Request

from cnllm.clueai.protocol import image_format
from langchain_cnllm import ClueAIClassifier, ClueAILLM, ClueAIRetriever, ClueAIText2ImageTool
from tests.cassette.conftest import CASSETTES, SECRET_HEADERS, SECRET_QUERY

LIVE = os.environ.get("VCR_RECORD_MODE", "none") != "none"
SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "clueai"
SENT: list[Request] = []
PRODUCTS = ["美颜", "二手", "外卖", "办公", "求职"]


def _capture(request: Request) -> Request:
    """vcrpy runs this on every outgoing request before matching: keep what was sent."""
    SENT.append(request)
    return request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "record_mode": os.environ.get("VCR_RECORD_MODE", "none"),
        "match_on": ["method", "scheme", "host", "path", "query"],
        "filter_query_parameters": SECRET_QUERY,
        "filter_headers": SECRET_HEADERS,
        "before_record_request": _capture,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "clueai")


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The real hosts (the cassettes hold them); a placeholder key unless recording."""
    SENT.clear()
    monkeypatch.delenv("CLUEAI_BASE_URL", raising=False)
    monkeypatch.delenv("CLUEAI_MODELFUN_URL", raising=False)
    if LIVE:
        return {}
    monkeypatch.delenv("CLUEAI_API_KEY", raising=False)
    return {"api_key": "cassette-key"}


def curl_body(name: str) -> dict[str, Any]:
    text = (SEEDS / f"{name}.sh").read_text(encoding="utf-8")
    return dict(json.loads(text[text.index("--data '") + 8 : text.rindex("}'") + 1]))


def sent_body() -> dict[str, Any]:
    body = SENT[-1].body
    return dict(json.loads(body.decode() if isinstance(body, bytes) else body))


def assert_sent_contains(name: str) -> None:
    sent = sent_body()
    assert {key: sent[key] for key in curl_body(name)} == curl_body(name)


@pytest.mark.vcr("generate_ner_base.yaml")
def test_the_seed_ner_example(settings: dict[str, str]) -> None:
    llm = ClueAILLM(model="clueai-base", task_name="信息抽取", **settings)
    prompt = curl_body("curl_generate_ner_base")["input_data"][0]
    assert llm.invoke(prompt) == "机构名:新华社,清城区环保局,清城区区委\n人名:陈柏\n职位:局长"
    assert_sent_contains("curl_generate_ner_base")
    assert SENT[-1].headers["Model-name"] == "clueai-base"


@pytest.mark.vcr("generate_summary_base.yaml")
async def test_the_seed_summary_example_async(settings: dict[str, str]) -> None:
    llm = ClueAILLM(model="clueai-base", task_name="摘要", **settings)
    prompt = curl_body("curl_generate_summary_base")["input_data"][0]
    assert (await llm.ainvoke(prompt)).startswith("十个可穿戴产品的设计原则")
    assert_sent_contains("curl_generate_summary_base")


@pytest.mark.vcr("generate_summary_large_bad_key.yaml")
def test_a_message_answer_is_an_authentication_error(settings: dict[str, str]) -> None:
    llm = ClueAILLM(model="clueai-large", task_name="摘要", max_retries=0, **settings)
    with pytest.raises(ModelAuthenticationError, match="invalid api key"):
        llm.invoke(curl_body("curl_generate_summary_large")["input_data"][0])
    assert_sent_contains("curl_generate_summary_large")


@pytest.mark.parametrize(
    ("cassette", "model"),
    [
        pytest.param("classify_base", "clueai-base", marks=pytest.mark.vcr("classify_base.yaml")),
        pytest.param(
            "classify_large", "clueai-large", marks=pytest.mark.vcr("classify_large.yaml")
        ),
    ],
)
def test_the_seed_classification_examples(
    settings: dict[str, str], cassette: str, model: str
) -> None:
    inputs = curl_body(f"curl_{cassette}")["input_data"]
    classify = ClueAIClassifier(labels=PRODUCTS, task_name="产品分类", model=model, **settings)
    results = classify.invoke(inputs)
    assert [item["prediction"] for item in results] == ["美颜", "二手"]
    assert results[0]["confidence"] == 0.91 and set(results[1]["confidences"]) == set(PRODUCTS)
    assert_sent_contains(f"curl_{cassette}")


@pytest.mark.vcr("search.yaml")
def test_the_seed_search_example(settings: dict[str, str]) -> None:
    retriever = ClueAIRetriever(engine_key="se-law-test-cassette", model="clueai-base", **settings)
    docs = retriever.invoke("法律案例")
    assert [doc.page_content for doc in docs] == [
        "完善法律制定规则 严格监管槟榔产业",
        "最高法发布劳动争议典型案例",
    ]
    assert [doc.metadata["score"] for doc in docs] == [0.83, 0.61]
    assert docs[0].metadata["is_best"] and docs[0].metadata["engine_key"] == retriever.engine_key


@pytest.mark.vcr("text2image.yaml")
def test_the_seed_text2image_example(settings: dict[str, str], tmp_path: Path) -> None:
    tool = ClueAIText2ImageTool(output_dir=str(tmp_path), **settings)
    path = Path(tool.invoke({"prompt": "秋日的晚霞", "style": "毕加索"}))
    assert image_format(path.read_bytes()) == "png"


@pytest.mark.vcr("text2image_not_an_image.yaml")
def test_text2image_that_is_not_an_image(settings: dict[str, str], tmp_path: Path) -> None:
    tool = ClueAIText2ImageTool(output_dir=str(tmp_path), **settings)
    with pytest.raises(ModelAPIError, match="not an image"):
        tool.invoke({"prompt": "秋日的晚霞", "style": "毕加索"})
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_no_secret_is_in_the_clueai_cassettes() -> None:
    for path in (CASSETTES / "clueai").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for marker in ("BEARER", "Api-Key", "api_key=", "cassette-key"):
            assert marker not in text, f"{marker} in {path.name}"
