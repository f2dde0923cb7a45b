"""Rerank build/parse against the references' own examples, byte for byte; limits, splitting,
merging and model names, offline."""

from __future__ import annotations

import json
import pickle

import pytest

from cnllm import errors
from cnllm.rerank import dashscope, models, qianfan, split
from cnllm.rerank.settings import DashScopeRerankSettings, QianfanRerankSettings
from cnllm.rerank.types import RerankRequest, RerankResponse, RerankResult
from cnllm.transport import HttpResponse
from cnllm.types import Usage

BCE = models.MODELS["bce-reranker-base"]
QWEN3 = models.MODELS["qwen3-rerank"]
GTE2 = models.MODELS["gte-rerank-v2"]
INSTRUCT = "Given a web search query, retrieve relevant passages that answer the query."


def _response(
    status: int, payload: str | bytes, content_type: str = "application/json"
) -> HttpResponse:
    content = payload.encode() if isinstance(payload, str) else payload
    return HttpResponse(status, {"Content-Type": content_type}, content)


# -- Qianfan v2 (reference §7) ---------------------------------------------------------------


def test_qianfan_request_is_the_reference_example_byte_for_byte() -> None:
    request = RerankRequest("上海天气", ("上海气候", "北京美食"), top_n=2)
    built = qianfan.http_request(qianfan.DEFAULT_BASE_URL, BCE, request)
    expected = (
        '{"model": "bce-reranker-base", "query": "上海天气", '
        '"documents": ["上海气候", "北京美食"], "top_n": 2}'
    )
    assert json.dumps(built.json, ensure_ascii=False) == expected
    assert built.method == "POST"
    assert built.url == "https://qianfan.baidubce.com/v2/rerank"
    assert "Authorization" not in built.headers  # the auth adds it per attempt


def test_qianfan_alias_path_appid_and_user() -> None:
    request = RerankRequest("q", ("d",))
    built = qianfan.http_request(
        "https://h/v2/", BCE, request, path="rerankers", appid="app-tODvu5IS", user="u1"
    )
    assert built.url == "https://h/v2/rerankers"
    assert built.headers["appid"] == "app-tODvu5IS"
    assert built.json == {
        "model": "bce-reranker-base",
        "query": "q",
        "documents": ["d"],
        "user": "u1",
    }
    with pytest.raises(errors.ValidationError, match="path"):
        qianfan.http_request("https://h/v2", BCE, request, path="rerankerz")  # type: ignore[arg-type]


QIANFAN_RESPONSE = """{
  "id": "as-97h0c3peej",
  "object": "reranker_list",
  "created": 1743904734,
  "model": "bce-reranker-base",
  "results": [
    {"document": "上海气候", "relevance_score": 0.689619243144989, "index": 0},
    {"document": "北京美食", "relevance_score": 0.36954259872436523, "index": 1}
  ],
  "usage": {"prompt_tokens": 11, "total_tokens": 11}
}"""


def test_qianfan_response_example_parses() -> None:
    request = RerankRequest("上海天气", ("上海气候", "北京美食"), top_n=2)
    parsed = qianfan.parse(json.loads(QIANFAN_RESPONSE), request, "bce-reranker-base")
    assert parsed.results == (
        RerankResult(0, 0.689619243144989, "上海气候"),
        RerankResult(1, 0.36954259872436523, "北京美食"),
    )
    assert parsed.usage == Usage(11, 0, 11)
    assert parsed.request_ids == ("as-97h0c3peej",)
    assert parsed.model == "bce-reranker-base"
    assert parsed.metadata == {"object": "reranker_list", "created": 1743904734}


def test_qianfan_error_envelope_example() -> None:
    body = (
        '{"error":{"code":"rpm_rate_limit_exceeded","message":"Rate limit reached for RPM",'
        '"type":"rate_limit_exceeded"},"id":"as-wbx23eriqh"}'
    )
    with pytest.raises(errors.RateLimitError) as caught:
        qianfan.check_response(_response(429, body))
    error = caught.value
    assert error.code == "rpm_rate_limit_exceeded" and error.request_id == "as-wbx23eriqh"
    assert error.retryable and error.vendor == "qianfan"


@pytest.mark.parametrize(
    ("status", "code", "kind", "cls"),
    [
        (401, "invalid_iam_token", "invalid_request_error", errors.AuthenticationError),
        # v2's one mapping (reference §12.7): 401 invalid_model is an unknown or unentitled model
        (401, "invalid_model", "invalid_request_error", errors.NotFoundError),
        (400, "characters_too_long", "invalid_request_error", errors.ContextOverflowError),
        (403, "model_offline", "access_denied", errors.NotFoundError),
        (500, "internal_error", "Internal_error", errors.ServerError),
    ],
)
def test_qianfan_error_classes(status: int, code: str, kind: str, cls: type[Exception]) -> None:
    body = json.dumps({"error": {"code": code, "message": "m", "type": kind}, "id": "as-1"})
    with pytest.raises(cls) as caught:
        qianfan.check_response(_response(status, body))
    assert caught.value.code == code  # type: ignore[attr-defined]


def test_qianfan_plain_text_404_names_the_base_url_to_use() -> None:
    with pytest.raises(errors.NotFoundError, match="must end at /v2"):
        qianfan.check_response(_response(404, "404 page not found", "text/plain"))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": "as-1"}, "'results'"),
        ({"results": [{"relevance_score": 0.5}]}, "'index'"),
        ({"results": [{"index": 5, "relevance_score": 0.5}]}, "outside"),
        ({"results": [{"index": 0, "relevance_score": "high"}]}, "'relevance_score'"),
        ({"results": "none"}, "'results'"),
    ],
)
def test_malformed_answers_name_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        qianfan.parse(payload, RerankRequest("q", ("a", "b")), "bce-reranker-base")


# -- DashScope native and compatible (reference §7.2, §7.3) ------------------------------------


def test_dashscope_native_request_is_the_reference_example_byte_for_byte() -> None:
    request = RerankRequest("q", ("d1", "d2"), top_n=1)
    body = dashscope.native_body(GTE2, request, return_documents=True)
    expected = (
        '{"model":"gte-rerank-v2","input":{"query":"q","documents":["d1","d2"]},'
        '"parameters":{"top_n":1,"return_documents":true}}'
    )
    assert json.dumps(body, ensure_ascii=False, separators=(",", ":")) == expected


def test_dashscope_native_request_with_instruct_matches_the_reference() -> None:
    docs = ("Rerank models sort candidates ...", "Quantum computing is ...", "Pretrained LMs ...")
    request = RerankRequest("What is a text reranking model?", docs, 2, INSTRUCT)
    body = dashscope.native_body(QWEN3, request, return_documents=True)
    expected = {
        "model": "qwen3-rerank",
        "input": {"query": "What is a text reranking model?", "documents": list(docs)},
        "parameters": {"return_documents": True, "top_n": 2, "instruct": INSTRUCT},
    }
    assert body == expected
    built = dashscope.http_request(
        "https://dashscope.aliyuncs.com/api/v1", QWEN3, request, compatible=False, workspace="ws-1"
    )
    assert built.url == (
        "https://dashscope.aliyuncs.com/api/v1/services/rerank/text-rerank/text-rerank"
    )
    assert built.headers["X-DashScope-WorkSpace"] == "ws-1"
    assert "X-DashScope-SSE" not in built.headers


def test_dashscope_compatible_request_is_the_reference_example_byte_for_byte() -> None:
    example = (
        '{"model": "qwen3-rerank", "query": "What is a rerank model?",\n'
        ' "documents": ["...", "...", "..."], "top_n": 2, "return_documents": true,\n'
        ' "instruct": "Given a web search query, retrieve relevant passages that answer the '
        'query."}'
    )
    request = RerankRequest("What is a rerank model?", ("...", "...", "..."), 2, INSTRUCT)
    body = dashscope.compatible_body(QWEN3, request, return_documents=True)
    assert json.dumps(body, ensure_ascii=False) == example.replace("\n", "")


def test_dashscope_urls_from_any_base() -> None:
    request = RerankRequest("q", ("d",))
    for base in (
        "https://dashscope.aliyuncs.com/api/v1",
        "https://dashscope.aliyuncs.com/compatible-mode/v1/",
        "https://dashscope.aliyuncs.com",
    ):
        built = dashscope.http_request(base, QWEN3, request)  # qwen3-rerank: compatible form
        assert built.url == "https://dashscope.aliyuncs.com/compatible-api/v1/reranks"
    native = dashscope.http_request("https://dashscope.aliyuncs.com/api/v1", GTE2, request)
    assert native.url.endswith("/api/v1/services/rerank/text-rerank/text-rerank")
    assert native.json == {"model": "gte-rerank-v2", "input": {"query": "q", "documents": ["d"]}}


# The reference's example; one long line is split with a backslash (no character changes).
NATIVE_RESPONSE = """{
  "output": {"results": [
    {"document": {"text": "Rerank models sort candidates ..."}, "index": 0, \
"relevance_score": 0.9334521178273196},
    {"document": {"text": "Pretrained LMs ..."}, "index": 2, "relevance_score": 0.34}
  ]},
  "usage": {"total_tokens": 79},
  "request_id": "..."
}"""


def test_dashscope_native_response_example_parses() -> None:
    docs = ("Rerank models sort candidates ...", "Quantum computing is ...", "Pretrained LMs ...")
    request = RerankRequest("What is a text reranking model?", docs, 2)
    parsed = dashscope.parse(
        json.loads(NATIVE_RESPONSE), request, "gte-rerank-v2", compatible=False
    )
    assert [(r.index, r.relevance_score, r.document) for r in parsed.results] == [
        (0, 0.9334521178273196, docs[0]),
        (2, 0.34, docs[2]),
    ]
    assert parsed.usage == Usage(79, 0, 79) and parsed.request_ids == ("...",)


def test_dashscope_compatible_response_example_parses() -> None:
    body = (
        '{"id": "<string>", "object": "list", "model": "qwen3-rerank",\n'
        ' "results": [{"document": {"text": "<string>"}, "index": 0, '
        '"relevance_score": 0.9334521178273196}],\n "usage": {"total_tokens": 0}}'
    )
    request = RerankRequest("What is a rerank model?", ("<string>",))
    parsed = dashscope.parse(json.loads(body), request, "qwen3-rerank", compatible=True)
    assert parsed.results == (RerankResult(0, 0.9334521178273196, "<string>"),)
    assert parsed.usage == Usage(0, 0, 0) and parsed.request_ids == ("<string>",)
    assert parsed.metadata == {"object": "list"}


def test_dashscope_errors_native_envelope_on_both_forms() -> None:
    body = '{"code":"InvalidParameter","message":"task can not be null"}'
    with pytest.raises(errors.InvalidRequestError, match="task can not be null"):
        dashscope.check_response(_response(400, body))
    with pytest.raises(errors.RateLimitError):
        dashscope.check_response(_response(429, '{"code":"Throttling","message":"slow down"}'))
    # an error in a 200 body (reference §8.1) is an error too
    with pytest.raises(errors.PermissionDeniedError):
        dashscope.parse(
            {"code": "AccessDenied", "message": "no"},
            RerankRequest("q", ("d",)),
            "gte-rerank-v2",
            compatible=False,
        )
    with pytest.raises(errors.ProtocolError, match=r"output\.results"):
        dashscope.parse(
            {"output": {}}, RerankRequest("q", ("d",)), "gte-rerank-v2", compatible=False
        )


# -- the model table -----------------------------------------------------------------------------


def test_retired_gte_rerank_names_the_date_and_the_current_models() -> None:
    with pytest.raises(errors.ValidationError) as caught:
        models.resolve("dashscope", "gte-rerank")
    message = str(caught.value)
    assert "2026-05-30" in message and "qwen3-rerank" in message and "gte-rerank-v2" in message
    assert caught.value.parameter == "model"


def test_unknown_and_v1_names() -> None:
    with pytest.raises(errors.ValidationError, match="bce-reranker-base"):
        models.resolve("qianfan", "bce-reranker-base_v1")
    with pytest.raises(errors.ValidationError, match="current ones: bce-reranker-base"):
        models.resolve("qianfan", "my-reranker")
    with pytest.raises(errors.ValidationError, match="qwen3-rerank"):
        models.resolve("dashscope", "bce-reranker-base")  # another vendor's model
    custom = models.resolve("qianfan", "idgn-custom", custom=True)
    assert custom.name == "idgn-custom" and custom.max_documents == 64 and not custom.verified
    assert models.resolve("dashscope", "Qwen3-Rerank") is QWEN3


# -- splitting and merging ------------------------------------------------------------------------


def test_empty_document_list_plans_no_request() -> None:
    assert split.plan(BCE, RerankRequest("q", ())) == []
    merged = split.merge("bce-reranker-base", RerankRequest("q", ()), [])
    assert merged.results == () and merged.usage is None


def test_more_documents_than_a_request_takes_are_split_without_top_n() -> None:
    documents = tuple(f"文档{i}" for i in range(130))
    batches = split.plan(BCE, RerankRequest("查询", documents, top_n=3))
    assert [len(b.pieces) for b in batches] == [64, 64, 2]
    assert all(b.request.top_n is None for b in batches)  # every score is needed to merge
    assert [p.document for b in batches for p in b.pieces] == list(range(130))


def test_one_request_carries_top_n_capped_to_the_documents() -> None:
    (batch,) = split.plan(BCE, RerankRequest("q", ("a", "b"), top_n=5))
    assert batch.request.top_n == 2
    (batch,) = split.plan(BCE, RerankRequest("q", ("a", "b")))
    assert batch.request.top_n is None


def test_long_documents_are_cut_at_sentence_ends_never_truncated() -> None:
    sentence = "这是一个用来测试切分的句子。"  # 14 characters
    long = sentence * 200  # 2800 characters > 1024
    batches = split.plan(BCE, RerankRequest("q", ("短文", long)))
    pieces = [p for b in batches for p in b.pieces]
    assert "".join(p.text for p in pieces if p.document == 1) == long  # nothing lost
    assert all(len(p.text) <= BCE.document_limit for p in pieces)
    assert all(p.text.endswith("。") for p in pieces if p.document == 1)
    assert batches[0].request.top_n is None


def test_dashscope_request_token_budget_splits() -> None:
    documents = tuple("字" * 3000 for _ in range(20))  # 20 x (3000 + query) > 30,000 per request
    batches = split.plan(GTE2, RerankRequest("查" * 10, documents))
    assert len(batches) == 3
    for batch in batches:
        cost = sum(10 + len(p.text) for p in batch.pieces)
        assert cost <= 30_000


@pytest.mark.parametrize(
    ("model", "request_", "parameter"),
    [
        (BCE, RerankRequest("", ("d",)), "query"),
        (BCE, RerankRequest("问" * 401, ("d",)), "query"),
        (BCE, RerankRequest("q", ("d",), top_n=0), "top_n"),
        (BCE, RerankRequest("q", ("d",), top_n=True), "top_n"),
        (BCE, RerankRequest("q", ("d",), instruction="rank"), "instruction"),
        (GTE2, RerankRequest("q", ("d",), instruction="rank"), "instruction"),
        (BCE, RerankRequest("q", ("d", 3)), "documents[1]"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused_before_sending(
    model: models.RerankModel, request_: RerankRequest, parameter: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        split.plan(model, request_)
    assert caught.value.parameter == parameter


def test_too_long_query_is_input_too_long() -> None:
    with pytest.raises(errors.InputTooLongError, match="400"):
        split.plan(BCE, RerankRequest("问" * 401, ("d",)))


def test_merge_keeps_a_documents_best_piece_orders_by_score_and_cuts_top_n() -> None:
    request = RerankRequest("q", ("a", "", "c", "d"), top_n=None)
    first = split.Batch(
        (split.Piece(0, "a1"), split.Piece(0, "a2"), split.Piece(2, "c")),
        RerankRequest("q", ("a1", "a2", "c")),
    )
    second = split.Batch((split.Piece(3, "d"),), RerankRequest("q", ("d",)))
    answers = [
        (
            first,
            RerankResponse(
                (RerankResult(2, 0.2, "c"), RerankResult(1, 0.9, "a2"), RerankResult(0, 0.1, "a1")),
                "m",
                Usage(5, 0, 5),
                ("r1",),
            ),
        ),
        (second, RerankResponse((RerankResult(0, 0.5, "d"),), "m", Usage(3, 0, 3), ("r2",))),
    ]
    merged = split.merge("m", request, answers)
    assert [(r.index, r.relevance_score, r.document) for r in merged.results] == [
        (0, 0.9, "a"),
        (3, 0.5, "d"),
        (2, 0.2, "c"),
        (1, 0.0, ""),  # blank: not sent, last
    ]
    assert merged.usage == Usage(8, 0, 8) and merged.request_ids == ("r1", "r2")
    top = split.merge("m", RerankRequest("q", request.documents, top_n=2), answers)
    assert [r.index for r in top.results] == [0, 3]


def test_usage_unknown_when_a_request_reported_none() -> None:
    batch = split.Batch((split.Piece(0, "a"),), RerankRequest("q", ("a",)))
    answers = [(batch, RerankResponse((RerankResult(0, 0.5, "a"),), "m", None))]
    assert split.merge("m", RerankRequest("q", ("a",)), answers).usage is None


# -- configuration --------------------------------------------------------------------------------


def test_settings_read_the_vendors_env_and_hide_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIANFAN_API_KEY", "bce-v3/ALTAK-hush/abc")
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", "http://127.0.0.1:1/v2")
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://127.0.0.1:2/compatible-mode/v1")
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-hush")
    qf = QianfanRerankSettings()
    ds = DashScopeRerankSettings()
    assert qf.base_url == "http://127.0.0.1:1/v2" and ds.base_url.startswith("http://127.0.0.1:2")
    for obj in (qf, ds, qf.rerank_client, ds.rerank_client, qf.rerank_client.auth):
        assert "hush" not in repr(obj)
    assert pickle.loads(pickle.dumps(qf)).qianfan_api_key.get_secret_value() == (
        "bce-v3/ALTAK-hush/abc"
    )


def test_no_key_is_a_configuration_error_but_no_documents_needs_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QIANFAN_API_KEY", raising=False)
    settings = QianfanRerankSettings()
    assert settings.rerank_texts("q", [], 3).results == ()
    with pytest.raises(errors.ConfigurationError, match="QIANFAN_API_KEY"):
        settings.rerank_texts("q", ["d"], 3)
