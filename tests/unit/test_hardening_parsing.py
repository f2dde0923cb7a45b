"""Honest parsing (issue 10 §7): malformed answers are ProtocolErrors naming the field, usage
is never invented, a stream event that is neither a sentence nor the end is never a success,
errors are classified by their body whatever the content type; NaN refused before sending."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from cnllm import errors
from cnllm.clueai import protocol as clueai
from cnllm.dashscope import models as dashscope_models
from cnllm.dashscope import protocol as dashscope
from cnllm.koala import protocol as koala
from cnllm.openai_compat import protocol as openai
from cnllm.qianfan import models as qianfan_models
from cnllm.qianfan import protocol as qianfan
from cnllm.sse import ServerSentEvent
from cnllm.transport import HttpResponse
from cnllm.types import ChatRequest, GenerationParams, Message

ERNIE = qianfan_models.resolve("chat", "ERNIE-3.5-8K", None)
QWEN = dashscope_models.resolve("chat", "qwen-plus")
QWEN_EMBED = dashscope_models.resolve("embeddings", "text-embedding-v1")
QIANFAN_EMBED = qianfan_models.resolve("embeddings", "Embedding-V1", None)


def answer(status: int, body: Any, content_type: str = "application/json") -> HttpResponse:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, {"Content-Type": content_type}, content)


def qianfan_stream(*bodies: Any) -> list[Any]:
    parser = qianfan.StreamParser(ERNIE)
    out = [parser.feed(ServerSentEvent(data=json.dumps(body))) for body in bodies]
    parser.finish()
    return out


# -- Qianfan streams -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [{}, {"message": "rate limited"}, {"error": {"code": 18}}, {"status": "busy"}],
    ids=["empty", "message", "error-object", "unknown"],
)
def test_a_qianfan_stream_event_neither_sentence_nor_end_is_a_protocol_error(event: Any) -> None:
    with pytest.raises(errors.ProtocolError, match="neither a sentence nor the end"):
        qianfan_stream(event)


def test_an_unknown_qianfan_event_after_a_sentence_is_not_the_end() -> None:
    sentence = {"id": "as-1", "sentence_id": 0, "is_end": False, "result": "你好"}
    with pytest.raises(errors.ProtocolError, match="neither a sentence"):
        qianfan_stream(sentence, {"message": "oops"})


def test_a_whole_qianfan_answer_to_a_stream_request_is_still_complete() -> None:
    whole = {
        "id": "as-1",
        "result": "你好",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    (delta,) = qianfan_stream(whole)
    assert delta.text == "你好" and delta.is_final and delta.usage.output_tokens == 2


# -- malformed 200 bodies, every vendor ------------------------------------------------------------

QIANFAN_OK = {
    "id": "as-1",
    "result": "好",
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (
            {"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": "abc"}},
            "usage.total_tokens",
        ),
        (
            {"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": None}},
            "usage.total_tokens",
        ),
        ({"usage": "x"}, "usage"),
        ({"function_call": "x"}, "function_call"),
        ({"function_call": {"name": 5}}, "function_call.name"),
        ({"result": ["x"]}, "result"),
        ({"error_code": "abc"}, "error_code"),
    ],
)
def test_malformed_qianfan_answers_name_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field.replace(".", r"\.")):
        qianfan.parse_result({**QIANFAN_OK, **patch}, ERNIE)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([{"embedding": [0.1]}, "x"], r"data\[1\]"),
        ([{"object": "embedding"}, {"embedding": [0.1]}], r"data\[0\]\.embedding"),
        ([{"embedding": ["abc"]}, {"embedding": [0.1]}], r"data\[0\]\.embedding\[0\]"),
    ],
)
def test_malformed_qianfan_embeddings_name_the_field(data: list[Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        qianfan.parse_embeddings({"data": data}, QIANFAN_EMBED, 2)


OPENAI_OK = {
    "id": "c",
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "好"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"choices": ["x"]}, r"choices\[0\]"),
        ({"choices": [{"index": 0, "message": "str"}]}, r"choices\[0\]\.message"),
        (
            {"choices": [{"index": 0, "message": {"content": ["a"]}}]},
            r"choices\[0\]\.message\.content",
        ),
        ({"choices": [{"index": 0, "message": {"content": "", "tool_calls": "x"}}]}, "tool_calls"),
        (
            {
                "choices": [
                    {"index": 0, "message": {"content": "", "tool_calls": [{"function": "x"}]}}
                ]
            },
            r"tool_calls\[0\]\.function",
        ),
        (
            {"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": "abc"}},
            r"usage\.total_tokens",
        ),
        ({"usage": {"prompt_tokens": None, "completion_tokens": 1}}, r"usage\.prompt_tokens"),
    ],
)
@pytest.mark.parametrize(
    "parse", [openai.parse_result, koala.parse_result], ids=["openai", "koala"]
)
def test_malformed_openai_style_answers_name_the_field(
    parse: Any, patch: dict[str, Any], field: str
) -> None:
    kwargs = {"model": "m"} if parse is openai.parse_result else {}
    args = ("chat",) if kwargs else ("chat", "m")
    with pytest.raises(errors.ProtocolError, match=field):
        parse({**OPENAI_OK, **patch}, *args, **kwargs)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        (["x"], r"data\[0\]"),
        ([{"object": "embedding", "index": 0}], r"data\[0\]\.embedding"),
        ([{"embedding": [0.1, "abc"], "index": 0}], r"data\[0\]\.embedding\[1\]"),
        ([{"embedding": [0.1, None], "index": 0}], r"data\[0\]\.embedding\[1\]"),
        ([{"embedding": "!!!not base64", "index": 0}], r"data\[0\]\.embedding"),
    ],
)
def test_malformed_openai_style_embeddings_name_the_field(items: list[Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        openai.parse_embeddings({"data": items}, 1, model="m")


def test_malformed_openai_style_stream_chunks_name_the_field() -> None:
    for chunk, field in (
        ({"choices": "x"}, "choices"),
        ({"choices": ["x"]}, r"choices\[0\]"),
        ({"choices": [{"index": 0, "delta": "str"}]}, r"choices\[0\]\.delta"),
        ({"choices": [{"index": 0, "delta": {"content": 5}}]}, r"choices\[0\]\.delta\.content"),
        ({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": "a"}]}}]}, "index"),
    ):
        parser = openai.StreamParser("chat", "m")
        with pytest.raises(errors.ProtocolError, match=field):
            parser.feed(ServerSentEvent(data=json.dumps(chunk)))


DASHSCOPE_OK = {
    "request_id": "r",
    "output": {
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "好"}}]
    },
    "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"output": {"choices": ["x"]}}, r"output\.choices\[0\]"),
        (
            {"output": {"choices": [{"finish_reason": "stop", "message": "str"}]}},
            r"output\.choices\[0\]\.message",
        ),
        ({"output": {"choices": "x"}}, r"output\.choices"),
        ({"output": {"text": 5, "finish_reason": "stop"}}, r"output\.text"),
        ({"usage": {"input_tokens": "abc", "output_tokens": 1}}, r"usage\.input_tokens"),
        (
            {
                "output": {
                    "choices": [
                        {"finish_reason": "stop", "message": {"content": "", "tool_calls": ["x"]}}
                    ]
                }
            },
            r"tool_calls\[0\]",
        ),
    ],
)
def test_malformed_dashscope_answers_name_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        dashscope.parse_result({**DASHSCOPE_OK, **patch}, QWEN)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        (["x"], r"output\.embeddings\[0\]"),
        ([{"text_index": 0}], r"output\.embeddings\[0\]\.embedding"),
        ([{"text_index": 0, "embedding": ["abc"]}], r"output\.embeddings\[0\]\.embedding\[0\]"),
    ],
)
def test_malformed_dashscope_embeddings_name_the_field(items: list[Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        dashscope.parse_embeddings({"output": {"embeddings": items}}, QWEN_EMBED, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"result": [{"generate_text": "好", "likelihood": "abc"}]}, r"result\[0\]\.likelihood"),
        ({"result": [{"generate_text": 5}]}, r"result\[0\]\.generate_text"),
    ],
)
def test_malformed_clueai_generations_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        clueai.parse_generations(body)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ("x", r"result\[0\]"),
        (
            {"prediction": "好", "confidence": [{"label": "好", "confidence": "abc"}]},
            r"confidence\[0\]\.confidence",
        ),
        ({"prediction": "好", "confidence": ["x"]}, r"result\[0\]\.confidence\[0\]"),
        ({"confidence": []}, r"result\[0\]\.prediction"),
    ],
)
def test_malformed_clueai_classifications_name_the_field(item: Any, field: str) -> None:
    with pytest.raises(errors.ProtocolError, match=field):
        clueai.parse_classifications({"result": [item]}, ["文本"])


# -- usage is never invented ---------------------------------------------------------------------


def test_a_lone_total_is_not_split_into_input_and_output() -> None:
    assert qianfan.parse_result({**QIANFAN_OK, "usage": {"total_tokens": 5}}, ERNIE).usage is None
    assert (
        koala.parse_result({**OPENAI_OK, "usage": {"total_tokens": 5}}, "chat", "m").usage is None
    )
    assert openai.parse_usage({"total_tokens": 5}) is None
    assert openai.parse_usage({"completion_tokens": 5}) is None
    end = {
        "id": "a",
        "sentence_id": 0,
        "is_end": True,
        "result": "好",
        "usage": {"total_tokens": 5},
    }
    (delta,) = qianfan_stream(end)
    assert delta.usage is None


def test_usage_given_is_kept_exactly() -> None:
    usage = openai.parse_usage({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 9})
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (3, 4, 9)
    usage = openai.parse_usage({"prompt_tokens": 3, "total_tokens": 9})
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (3, 6, 9)


# -- errors classified by body, whatever the content type ----------------------------------------


def test_a_qianfan_error_served_as_text_plain_keeps_its_code() -> None:
    response = answer(
        200, {"error_code": 18, "error_msg": "Open api qps request limit reached"}, "text/plain"
    )
    with pytest.raises(errors.RateLimitError) as caught:
        qianfan.check_response(response)
    assert caught.value.code == 18 and caught.value.retryable


@pytest.mark.parametrize("check", [openai.check_response, koala.check_response])
def test_an_openai_style_error_served_as_text_plain_is_classified(check: Any) -> None:
    body = {
        "error": {
            "message": "Rate limit reached",
            "type": "rate_limit_exceeded",
            "code": "rate_limit_exceeded",
        }
    }
    with pytest.raises(errors.RateLimitError):
        check(answer(200, body, "text/plain; charset=utf-8"))


def test_dashscope_and_clueai_errors_as_text_plain_are_classified() -> None:
    with pytest.raises(errors.AuthenticationError):
        dashscope.check_response(
            answer(200, {"code": "InvalidApiKey", "message": "bad key"}, "text/plain")
        )
    with pytest.raises(errors.APIError):
        clueai.check_response(answer(200, {"message": "服务繁忙"}, "text/plain"))


def test_a_plain_text_success_is_left_to_the_parser() -> None:
    qianfan.check_response(answer(200, b"hello", "text/plain"))
    openai.check_response(answer(200, b"hello", "text/plain"))


# -- Koala streams: deltas unless cumulative is asked for ---------------------------------------


def test_koala_streams_default_to_deltas() -> None:
    parser = koala.KoalaProtocol().stream_parser("chat", "m")
    texts = []
    for piece in ("哈", "哈哈", "哈哈哈"):
        chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
        delta = parser.feed(ServerSentEvent(data=json.dumps(chunk, ensure_ascii=False)))
        texts.append(delta.text if delta else "")
    assert "".join(texts) == "哈哈哈哈哈哈"


# -- NaN and infinity never reach the wire ------------------------------------------------------

REQUEST = ChatRequest((Message("user", "你好"),), GenerationParams())


@pytest.mark.parametrize(
    ("params", "name"),
    [
        (GenerationParams(temperature=math.nan), "temperature"),
        (GenerationParams(top_p=math.inf), "top_p"),
        (GenerationParams(extra={"presence_penalty": -math.inf}), "presence_penalty"),
        (GenerationParams(extra={"nested": {"x": [1.0, math.nan]}}), r"nested\['x'\]\[1\]"),
    ],
)
def test_nan_and_inf_are_refused_before_sending(params: GenerationParams, name: str) -> None:
    request = ChatRequest(REQUEST.messages, params)
    builders = [
        lambda: qianfan.chat_body(ERNIE, request, stream=False),
        lambda: openai.chat_body("m", request, stream=False),
        lambda: koala.chat_body("m", request, stream=False),
        lambda: dashscope.chat_body(QWEN, request, stream=False),
    ]
    for build in builders:
        with pytest.raises(errors.ValidationError, match=name):
            build()


def test_nan_in_a_clueai_generate_config_is_refused() -> None:
    with pytest.raises(errors.ValidationError, match="repetition_penalty"):
        clueai.GenerateConfig(repetition_penalty=math.nan).to_dict()
    with pytest.raises(errors.ValidationError, match="custom"):
        clueai.GenerateConfig(extra={"custom": math.inf}).to_dict()
