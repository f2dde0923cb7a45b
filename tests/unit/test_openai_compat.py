"""The general OpenAI-compatible protocol and client, offline (a scripted requests adapter)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from cnllm import errors
from cnllm.openai_compat import OpenAICompatClient, protocol
from cnllm.retry import RetryPolicy
from cnllm.sse import ServerSentEvent, iter_sse
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    Message,
    ToolCall,
    ToolSpec,
)

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
    + "WjR9awAAAABJRU5ErkJggg=="
)
WEATHER = ToolSpec("get_weather", "Weather of a city", {"type": "object", "properties": {}})


def response(status: int, body: Any, content_type: str = "application/json") -> HttpResponse:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, {"Content-Type": content_type}, content)


def sse(*objects: Any) -> bytes:
    lines = [
        f"data: {o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)}\n\n"
        for o in objects
    ]
    return "".join(lines).encode()


def parse_stream(raw: bytes, kind: protocol.Kind = "chat") -> list:
    parser = protocol.StreamParser(kind, "m")
    deltas = [parser.feed(event) for event in iter_sse([raw])]
    deltas.append(parser.finish())
    return [delta for delta in deltas if delta is not None]


# -- messages and bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "url"),
    [
        ({"type": "image_url", "image_url": {"url": "http://x/a.jpg"}}, "http://x/a.jpg"),
        ({"type": "image_url", "image_url": "http://x/a.jpg"}, "http://x/a.jpg"),
        ({"type": "image", "url": "http://x/b.png"}, "http://x/b.png"),
        (
            {"type": "image", "base64": "QUJD", "mime_type": "image/gif"},
            "data:image/gif;base64,QUJD",
        ),
        ({"type": "image", "base64": PNG}, f"data:image/png;base64,{PNG}"),
        (
            {"type": "image", "source_type": "base64", "data": "/9j/AA", "mime_type": "image/jpeg"},
            "data:image/jpeg;base64,/9j/AA",
        ),
        ({"type": "image", "source_type": "url", "url": "http://x/c"}, "http://x/c"),
    ],
)
def test_every_langchain_image_shape_becomes_a_url(part: dict, url: str) -> None:
    assert protocol.image_url(part) == url


def test_images_without_data_or_type_are_refused_clearly() -> None:
    with pytest.raises(errors.ValidationError, match="mime_type"):
        protocol.image_url({"type": "image", "base64": "AAAA"})
    with pytest.raises(errors.ValidationError, match="file ids"):
        protocol.image_url({"type": "image", "file_id": "f-1"})


def test_wire_messages_in_openai_form() -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "北京"}')
    messages = (
        Message("system", "be brief"),
        Message("user", [{"type": "text", "text": "看图"}, {"type": "image", "url": "http://x/a"}]),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "晴", tool_call_id="call_1"),
        Message("user", "thanks", name="ann"),
    )
    body = protocol.chat_body("gpt", ChatRequest(messages), stream=False)
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "看图"},
                {"type": "image_url", "image_url": {"url": "http://x/a"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "北京"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "晴"},
        {"role": "user", "content": "thanks", "name": "ann"},
    ]


def test_unset_parameters_are_never_sent_as_null() -> None:
    body = protocol.chat_body("m", ChatRequest((Message("user", "hi"),)), stream=False)
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    params = GenerationParams(temperature=0, top_p=0.5, max_tokens=8, stop=("\n",), user_id="u")
    body = protocol.chat_body("m", ChatRequest((Message("user", "hi"),), params), stream=True)
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0,
        "top_p": 0.5,
        "max_tokens": 8,
        "stop": ["\n"],
        "user": "u",
        "stream": True,
    }


def test_tools_tool_choice_json_mode_and_stream_usage() -> None:
    request = ChatRequest(
        (Message("user", "weather?"),), tools=(WEATHER,), tool_choice="get_weather", json_mode=True
    )
    body = protocol.chat_body("m", request, stream=True, include_usage=True)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather of a city",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["response_format"] == {"type": "json_object"}
    assert body["stream_options"] == {"include_usage": True}
    required = ChatRequest((Message("user", "x"),), tools=(WEATHER,), tool_choice="required")
    assert protocol.chat_body("m", required, stream=False)["tool_choice"] == "required"
    with pytest.raises(errors.ValidationError, match="tool_choice"):
        protocol.chat_body(
            "m",
            ChatRequest((Message("user", "x"),), tools=(WEATHER,), tool_choice="nope"),
            stream=False,
        )


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        (GenerationParams(temperature=2.5), "temperature"),
        (GenerationParams(top_p=-0.1), "top_p"),
        (GenerationParams(max_tokens=0), "max_tokens"),
        (GenerationParams(penalty_score=1.1), "penalty_score"),
        (GenerationParams(extra={"n": 2}), "n"),
    ],
)
def test_bad_parameters_fail_before_sending(params: GenerationParams, parameter: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        protocol.chat_body("m", ChatRequest((Message("user", "x"),), params), stream=False)
    assert caught.value.parameter == parameter


def test_completion_and_embedding_bodies() -> None:
    params = GenerationParams(max_tokens=16, extra={"echo": True})
    assert protocol.completion_body("m", CompletionRequest("hi", params), stream=True) == {
        "model": "m",
        "prompt": "hi",
        "max_tokens": 16,
        "stream": True,
        "echo": True,
    }
    assert protocol.embedding_body("e", ["a"], dimensions=256) == {
        "model": "e",
        "input": ["a"],
        "dimensions": 256,
    }
    with pytest.raises(errors.ValidationError):
        protocol.embedding_body("e", [])


# -- errors -------------------------------------------------------------------------------------


def error(status: int, code: str | None = None, message: str = "no", kind: str = "x") -> Any:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return response(status, body)


@pytest.mark.parametrize(
    ("answer", "cls", "retryable"),
    [
        (error(401, "invalid_api_key"), errors.AuthenticationError, False),
        (error(403), errors.PermissionDeniedError, False),
        (error(404, "model_not_found"), errors.NotFoundError, False),
        (error(400, "context_length_exceeded"), errors.ContextOverflowError, False),
        (
            error(400, None, "This model's maximum context length is 4096"),
            errors.ContextOverflowError,
            False,
        ),
        (error(400, "data_inspection_failed"), errors.ContentFilterError, False),
        (error(429, "rate_limit_exceeded"), errors.RateLimitError, True),
        (error(429, "insufficient_quota"), errors.QuotaExceededError, False),
        (error(500), errors.ServerError, True),
        (error(200, "server_error"), errors.ServerError, True),
        (error(200, "odd"), errors.APIError, False),
        (
            response(422, {"detail": [{"loc": ["body"], "msg": "field required"}]}),
            errors.InvalidRequestError,
            False,
        ),
        (response(400, {"error": "bad prompt"}), errors.InvalidRequestError, False),
    ],
)
def test_openai_error_shapes_become_typed_errors(
    answer: HttpResponse, cls: type[errors.APIError], retryable: bool
) -> None:
    with pytest.raises(cls) as caught:
        protocol.check_response(answer)
    assert type(caught.value) is cls and caught.value.retryable is retryable
    assert caught.value.status_code == answer.status


def test_request_id_and_message_are_kept() -> None:
    answer = HttpResponse(
        429,
        {"Content-Type": "application/json", "x-request-id": "req-9"},
        json.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}}).encode(),
    )
    with pytest.raises(errors.RateLimitError) as caught:
        protocol.check_response(answer)
    assert caught.value.request_id == "req-9" and caught.value.message == "slow down"
    assert caught.value.code == "rate_limit_exceeded"


def test_successful_and_non_json_answers_pass_the_check() -> None:
    protocol.check_response(response(200, {"choices": [], "error": None}))
    protocol.check_response(response(200, b"data: x", "text/event-stream"))
    protocol.check_response(response(502, b"Bad Gateway", "text/plain"))  # the transport's job


# -- results ------------------------------------------------------------------------------------

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-x",
    "system_fingerprint": "fp",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"上海"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
}


def test_chat_result_with_tool_calls_usage_and_metadata() -> None:
    result = protocol.parse_result(CHAT, "chat", model="asked")
    assert result.text == "" and result.model == "gpt-x" and result.request_id == "chatcmpl-1"
    assert result.tool_calls == (ToolCall("call_a", "get_weather", '{"city":"上海"}'),)
    assert result.finish_reason == "tool_calls"
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (
        10,
        5,
        15,
    )
    assert result.metadata == {
        "object": "chat.completion",
        "created": 1,
        "system_fingerprint": "fp",
    }


def test_completion_result_and_missing_choices() -> None:
    body = {
        "id": "cmpl-1",
        "model": "m",
        "choices": [{"index": 0, "text": "ok", "finish_reason": "length", "logprobs": None}],
    }
    result = protocol.parse_result(body, "completions", model="m")
    assert (result.text, result.finish_reason, result.usage) == ("ok", "length", None)
    with pytest.raises(errors.ProtocolError, match="no choices"):
        protocol.parse_result({"id": "x"}, "chat", model="m")


def test_usage_variants() -> None:
    assert protocol.parse_usage({"prompt_tokens": 3, "total_tokens": 3}).output_tokens == 0
    assert protocol.parse_usage({"prompt_tokens": 3, "completion_tokens": 4}).total_tokens == 7
    assert protocol.parse_usage(None) is None and protocol.parse_usage({}) is None


def test_embeddings_are_ordered_by_index_and_base64_decoded() -> None:
    packed = base64.b64encode(struct.pack("<2f", 0.5, -1.0)).decode()
    body = {
        "data": [
            {"object": "embedding", "embedding": [3.0, 4.0], "index": 1},
            {"object": "embedding", "embedding": packed, "index": 0},
        ],
        "model": "e",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    result = protocol.parse_embeddings(body, 2, model="e")
    assert result.vectors == [[0.5, -1.0], [3.0, 4.0]]
    assert result.usage is not None and result.usage.input_tokens == 4
    with pytest.raises(errors.ProtocolError, match="1 embeddings for 2"):
        protocol.parse_embeddings({"data": body["data"][:1]}, 2, model="e")
    assert protocol.l2_normalize([3.0, 4.0]) == [0.6, 0.8]
    assert protocol.l2_normalize([0.0, 0.0]) == [0.0, 0.0]


def test_models_list() -> None:
    cards = protocol.parse_models(
        {"object": "list", "data": [{"id": "a", "owned_by": "me", "created": 5}]}
    )
    assert [(c.id, c.owned_by, c.created) for c in cards] == [("a", "me", 5)]


# -- streams ------------------------------------------------------------------------------------


def chunk(delta: dict, finish: str | None = None, **extra: Any) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def test_openai_stream_with_tool_call_deltas_and_a_usage_chunk() -> None:
    raw = sse(
        chunk({"role": "assistant", "content": None}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    }
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "g", "arguments": "{}"},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}),
        chunk({}, "tool_calls"),
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 9, "total_tokens": 16},
        },
        "[DONE]",
    )
    deltas = parse_stream(raw)
    assert len(deltas) == 1
    final = deltas[0]
    assert final.is_final and final.finish_reason == "tool_calls"
    assert final.tool_calls == (ToolCall("call_1", "f", '{"a": 1}'), ToolCall("call_2", "g", "{}"))
    assert final.usage is not None and final.usage.total_tokens == 16
    assert final.request_id == "c1" and final.metadata["object"] == "chat.completion.chunk"


def test_text_stream_usage_only_on_the_final_delta() -> None:
    raw = sse(
        chunk({"role": "assistant"}),
        chunk({"content": "你"}),
        chunk({"content": "好"}, "stop"),
        "[DONE]",
    )
    deltas = parse_stream(raw)
    assert [d.text for d in deltas] == ["你", "好", ""]
    assert [d.is_final for d in deltas] == [False, False, True]
    assert deltas[-1].finish_reason == "stop" and deltas[-1].usage is None


def test_a_stream_without_done_is_complete_only_if_it_finished() -> None:
    finished = parse_stream(sse(chunk({"content": "a"}), chunk({}, "length")))
    assert finished[-1].is_final and finished[-1].finish_reason == "length"
    with pytest.raises(errors.StreamInterruptedError):
        parse_stream(sse(chunk({"role": "assistant"}), chunk({"content": "a"})))


def test_done_without_any_answer_is_an_error() -> None:
    with pytest.raises(errors.ProtocolError, match="without any answer"):
        parse_stream(sse("[DONE]"))


def test_error_event_in_a_stream_raises() -> None:
    raw = sse(chunk({"content": "a"}), {"error": {"message": "overloaded", "code": "server_error"}})
    with pytest.raises(errors.APIError, match="overloaded"):
        parse_stream(raw)


def test_a_whole_json_answer_to_a_stream_request() -> None:
    deltas = parse_stream(
        json.dumps(
            {
                **CHAT,
                "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
            }
        ).encode()
    )
    assert [d.text for d in deltas] == ["hi", ""]
    assert deltas[-1].usage is not None and deltas[-1].usage.total_tokens == 15


def test_completion_stream() -> None:
    def c(text: str, finish: str | None = None) -> dict:
        return {
            "id": "cmpl-1",
            "object": "text_completion",
            "model": "m",
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
        }

    deltas = parse_stream(sse(c("火"), c("锅"), c("", "stop"), "[DONE]"), "completions")
    assert "".join(d.text for d in deltas) == "火锅" and deltas[-1].finish_reason == "stop"


def test_other_choices_are_ignored_and_garbage_raises() -> None:
    raw = sse(
        {
            "id": "x",
            "choices": [
                {"index": 1, "delta": {"content": "no"}},
                {"index": 0, "delta": {"content": "yes"}, "finish_reason": "stop"},
            ],
        },
        "[DONE]",
    )
    assert "".join(d.text for d in parse_stream(raw)) == "yes"
    parser = protocol.StreamParser("chat", "m")
    with pytest.raises(errors.ProtocolError):
        parser.feed(ServerSentEvent("not json"))


# -- the client over a scripted adapter ---------------------------------------------------------


class Scripted(BaseAdapter):
    def __init__(self, script: list[tuple[int, str, bytes]]) -> None:
        super().__init__()
        self.script = script
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.requests.append(request)
        status, content_type, body = self.script[len(self.requests) - 1]
        answer = requests.Response()
        answer.status_code, answer._content = status, body
        answer._content_consumed = True  # type: ignore[attr-defined]
        answer.headers["Content-Type"] = content_type
        answer.request, answer.url = request, request.url or ""
        return answer

    def close(self) -> None:
        pass


def client(
    script: list[tuple[int, str, bytes]], **kwargs: Any
) -> tuple[OpenAICompatClient, Scripted]:
    made = OpenAICompatClient("http://server.invalid/v1/", api_key="sk-test", **kwargs)
    made.transport.retry = RetryPolicy(max_retries=2, initial_backoff=0.0, max_backoff=0.0)
    adapter = Scripted(script)
    made.transport.session.mount("http://", adapter)
    return made, adapter


JSON = "application/json"
STREAM = "text/event-stream"


def test_client_chat_sends_bearer_and_parses() -> None:
    made, adapter = client([(200, JSON, json.dumps(CHAT).encode())])
    result = made.chat("gpt-x", ChatRequest((Message("user", "hi"),)))
    assert result.tool_calls[0].name == "get_weather"
    sent = adapter.requests[0]
    assert sent.url == "http://server.invalid/v1/chat/completions"
    assert sent.headers["Authorization"] == "Bearer sk-test"
    assert json.loads(sent.body or b"{}") == {
        "model": "gpt-x",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_client_replays_a_transient_error_event_that_came_before_any_text() -> None:
    busy = {"error": {"message": "busy", "type": "server_error", "code": None}}
    failed = sse(chunk({"role": "assistant"}), busy)
    good = sse(chunk({"content": "ok"}, "stop"), "[DONE]")
    made, adapter = client([(200, STREAM, failed), (200, STREAM, good)])
    deltas = list(made.stream_chat("m", ChatRequest((Message("user", "hi"),))))
    assert "".join(d.text for d in deltas) == "ok" and len(adapter.requests) == 2
    bad = {"error": {"message": "bad", "type": "invalid_request_error", "code": None}}
    made, adapter = client([(200, STREAM, sse(bad)), (200, STREAM, good)])
    with pytest.raises(errors.APIError, match="bad"):
        list(made.stream_chat("m", ChatRequest((Message("user", "hi"),))))
    assert len(adapter.requests) == 1  # not transient: never replayed


def test_client_replays_a_broken_stream_only_before_text() -> None:
    cut = sse(chunk({"role": "assistant"}))  # ends cleanly without finishing
    good = sse(chunk({"content": "ok"}, "stop"), "[DONE]")
    made, adapter = client([(200, STREAM, cut), (200, STREAM, good)])
    deltas = list(made.stream_chat("m", ChatRequest((Message("user", "hi"),))))
    assert "".join(d.text for d in deltas) == "ok" and len(adapter.requests) == 2
    body = json.loads(adapter.requests[0].body or b"{}")
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    partial = sse(chunk({"content": "half"}))
    made, adapter = client([(200, STREAM, partial), (200, STREAM, good)])
    with pytest.raises(errors.StreamInterruptedError):
        list(made.stream_chat("m", ChatRequest((Message("user", "hi"),))))
    assert len(adapter.requests) == 1  # text was delivered: never replayed


def test_client_embeddings_batches_and_models() -> None:
    def batch(n: int, offset: int) -> bytes:
        data = [
            {"object": "embedding", "embedding": [float(offset + i), 0.0], "index": i}
            for i in reversed(range(n))
        ]
        return json.dumps(
            {"data": data, "model": "e", "usage": {"prompt_tokens": n, "total_tokens": n}}
        ).encode()

    models = json.dumps({"object": "list", "data": [{"id": "e"}]}).encode()
    made, adapter = client(
        [(200, JSON, batch(2, 0)), (200, JSON, batch(1, 2)), (200, JSON, models)]
    )
    result = made.embed("e", ["a", "b", "c"], batch_size=2)
    assert [v[0] for v in result.vectors] == [0.0, 1.0, 2.0]
    assert result.usage is not None and result.usage.total_tokens == 3
    assert [json.loads(r.body or b"{}")["input"] for r in adapter.requests] == [["a", "b"], ["c"]]
    assert [card.id for card in made.list_models()] == ["e"]
    assert adapter.requests[-1].method == "GET" and adapter.requests[-1].url.endswith("/v1/models")


def test_client_needs_a_base_url() -> None:
    with pytest.raises(errors.ConfigurationError, match="base_url"):
        OpenAICompatClient("")
