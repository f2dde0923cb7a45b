"""The emulator's rerank endpoints: shapes, deterministic overlap scores, limits, errors."""

from __future__ import annotations

from typing import Any

import requests

from cnllm.emulator import Emulator, Fault
from cnllm.emulator.rerank import score, truncate

QF = {"Authorization": "Bearer bce-v3/ALTAK-x/y"}
DS = {"Authorization": "Bearer sk-x"}
NATIVE = "/api/v1/services/rerank/text-rerank/text-rerank"


def post(emu: Emulator, path: str, body: Any, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{emu.base_url}{path}", json=body, headers=headers, timeout=10)


def test_scores_follow_overlap_and_are_deterministic() -> None:
    assert (
        score("上海天气", "上海天气预报")
        > score("上海天气", "上海气候")
        > score("上海天气", "北京")
    )
    assert score("HNSW是什么", "用HNSW索引") == score("HNSW是什么", "用HNSW索引")
    assert 0 < score("q", "nothing") < 0.1
    assert truncate("字" * 2000, 1024) == "字" * 1024


def test_qianfan_shape_sorted_with_top_n(emu: Emulator) -> None:
    body = {
        "model": "bce-reranker-base",
        "query": "上海天气",
        "documents": ["北京美食", "上海天气很好", "上海气候"],
        "top_n": 2,
    }
    answer = post(emu, "/v2/rerank", body, QF)
    payload = answer.json()
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == payload["id"]
    assert payload["object"] == "reranker_list" and payload["id"].startswith("as-")
    assert [r["index"] for r in payload["results"]] == [1, 2]
    assert payload["results"][0]["document"] == "上海天气很好"
    assert set(payload["usage"]) == {"prompt_tokens", "total_tokens"}
    assert post(emu, "/v2/rerankers", body, QF).json()["results"] == payload["results"]


def _qianfan_error(answer: requests.Response) -> tuple[int, str]:
    payload = answer.json()
    assert set(payload) == {"error", "id"} and set(payload["error"]) == {"code", "message", "type"}
    return answer.status_code, payload["error"]["code"]


def test_qianfan_limits_and_errors(emu: Emulator) -> None:
    ok = {"model": "bce-reranker-base", "query": "q", "documents": ["d"]}
    cases = [
        ({**ok, "documents": ["d"] * 65}, QF, (400, "invalid_argument")),
        ({**ok, "documents": ["长" * 4097]}, QF, (400, "characters_too_long")),
        ({**ok, "query": "问" * 1601}, QF, (400, "characters_too_long")),
        ({**ok, "documents": ["d", ""]}, QF, (400, "invalid_argument")),
        ({**ok, "documents": []}, QF, (400, "invalid_argument")),
        ({**ok, "model": "gpt-rerank"}, QF, (401, "invalid_model")),
        (ok, {}, (401, "invalid_iam_token")),
        (ok, {"Authorization": "bce-v3/ALTAK-x/y"}, (401, "invalid_iam_token")),  # no "Bearer "
    ]
    for body, headers, expected in cases:
        assert _qianfan_error(post(emu, "/v2/rerank", body, headers)) == expected, body
    wrong = requests.get(f"{emu.base_url}/v2/rerank", headers=QF, timeout=10)
    assert _qianfan_error(wrong) == (405, "method_not_supported")
    emu.inject(Fault("error_code", code=429, path_contains="/v2/rerank"))
    assert _qianfan_error(post(emu, "/v2/rerank", ok, QF)) == (429, "rpm_rate_limit_exceeded")


def test_dashscope_native_and_compatible_shapes(emu: Emulator) -> None:
    docs = ["北京美食", "上海天气很好"]
    native = post(
        emu,
        NATIVE,
        {
            "model": "gte-rerank-v2",
            "input": {"query": "上海天气", "documents": docs},
            "parameters": {"top_n": 1},
        },
        DS,
    ).json()
    assert set(native) == {"output", "usage", "request_id"}
    assert native["output"]["results"] == [
        {"index": 1, "relevance_score": native["output"]["results"][0]["relevance_score"]}
    ]  # no document without return_documents
    compatible = post(
        emu,
        "/compatible-api/v1/reranks",
        {
            "model": "qwen3-rerank",
            "query": "上海天气",
            "documents": docs,
            "return_documents": True,
            "instruct": "x",
        },
        DS,
    ).json()
    assert compatible["object"] == "list" and compatible["model"] == "qwen3-rerank"
    assert compatible["results"][0]["document"] == {"text": "上海天气很好"}
    assert set(compatible["usage"]) == {"total_tokens"}


def test_dashscope_errors(emu: Emulator) -> None:
    def code(path: str, body: Any, headers: dict[str, str] = DS) -> tuple[int, str]:
        answer = post(emu, path, body, headers)
        payload = answer.json()
        assert set(payload) == {"code", "message", "request_id"}
        return answer.status_code, payload["code"]

    retired = {"model": "gte-rerank", "query": "q", "documents": ["d"]}
    assert code("/compatible-api/v1/reranks", retired) == (404, "Model.NotExist")
    assert code("/compatible-api/v1/reranks", {**retired, "model": "qwen3-rerank"}, {}) == (
        401,
        "InvalidApiKey",
    )
    many = {"model": "qwen3-vl-rerank", "input": {"query": "q", "documents": ["d"] * 101}}
    assert code(NATIVE, many) == (400, "InvalidParameter")
    heavy = {"model": "gte-rerank-v2", "input": {"query": "q", "documents": ["字" * 3900] * 8}}
    assert code(NATIVE, heavy) == (400, "InvalidParameter")  # over 30,000 tokens per request
    dead = {"model": "qwen3-rerank", "query": "q", "documents": ["d"]}
    assert code("/compatible-mode/v1/reranks", dead) == (400, "InvalidParameter")
    emu.inject(Fault("error_code", code="Throttling", path_contains="/reranks"))  # type: ignore[arg-type]
    assert code("/compatible-api/v1/reranks", dead) == (429, "Throttling")
