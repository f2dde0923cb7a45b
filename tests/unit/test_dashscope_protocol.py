"""DashScope protocol: pure build/parse functions against the seed's own examples (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnllm import errors
from cnllm.dashscope import chatyuan, models, protocol
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

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "dashscope"
CHATYUAN = models.resolve("chat", "chatyuan-large-v2")
QWEN = models.resolve("chat", "qwen-plus")
V2 = models.resolve("embeddings", "text-embedding-v2")
V3 = models.resolve("embeddings", "text-embedding-v3")
WEATHER = ToolSpec(
    "get_weather", "Get the weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    protocol._WARNED.clear()  # each test sees its one-time warnings


def seed(name: str) -> Any:
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


def seed_bytes(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def chat(*messages: Message, **kwargs: Any) -> ChatRequest:
    return ChatRequest(tuple(messages), **kwargs)


def sse_events(text: str) -> list[ServerSentEvent]:
    return list(iter_sse([text.encode("utf-8")]))


# -- the seed's curl exchange ---------------------------------------------------------------------


def test_the_seed_curl_body_is_what_a_verbatim_prompt_sends() -> None:
    request = seed("chatyuan_curl_request.json")
    body = protocol.completion_body(
        CHATYUAN, CompletionRequest(request["input"]["prompt"]), stream=False
    )
    assert body == request


def test_the_seed_curl_response_parses_with_real_newlines_and_no_usage() -> None:
    result = protocol.parse_result(seed("chatyuan_curl_response.json"), CHATYUAN)
    assert result.text == "尊敬的领导:\n\n我因感冒不适,需要请假一天,希望您能够"
    assert result.usage is None and result.finish_reason is None
    assert result.request_id == "2f632081-cb29-9f8b-a5c4-1af836cb794e"
    assert result.model == "chatyuan-large-v2"
    assert "usage" not in result.metadata


def test_the_seed_sdk_result_with_an_empty_code_is_a_success() -> None:
    body = seed("chatyuan_sdk_result.json")
    assert body["code"] == ""
    result = protocol.parse_result(body, CHATYUAN)
    assert result.text.startswith("好的,以下是一份限塑的倡议书提纲:\n\nI. 引言")
    assert result.usage is None


def test_the_seed_error_example_is_an_authentication_error() -> None:
    response = HttpResponse(
        401, {"Content-Type": "application/json"}, seed_bytes("chatyuan_error.json")
    )
    with pytest.raises(errors.AuthenticationError) as caught:
        protocol.check_response(response)
    error = caught.value
    assert error.code == "InvalidApiKey" and error.message == "Invalid API-key provided."
    assert error.request_id == "2f632081-cb29-9f8b-a5c4-1af836cb794e"
    assert error.status_code == 401 and not error.retryable


def test_chatyuan_usage_default_values_are_not_reported_as_counts() -> None:
    body = {"output": {"text": "好"}, "usage": {"input_tokens": 0, "output_tokens": 0}}
    assert protocol.parse_result(body, CHATYUAN).usage is None


# -- ChatYuan rendering ---------------------------------------------------------------------------


def test_single_turn_rendering_is_chatyuans_canonical_form_escaped() -> None:
    prompt = chatyuan.render([Message("user", "帮我写个请假条")])
    assert prompt == "用户：帮我写个请假条\\n小元："
    assert "\n" not in prompt


def test_multi_turn_rendering_concatenates_older_turns() -> None:
    prompt = chatyuan.render(
        [Message("user", "你好"), Message("assistant", "你好！"), Message("user", "介绍下长城")],
        escape=False,
    )
    assert prompt == "用户：你好\n小元：你好！\n用户：介绍下长城\n小元："


def test_system_text_leads_the_first_user_turn_and_newlines_inside_turns_are_escaped() -> None:
    prompt = chatyuan.render(
        [Message("system", "简短回答"), Message("user", "资料：\n故宫\n\n问题：什么？")]
    )
    assert prompt == "用户：简短回答\\n资料：\\n故宫\\n\\n问题：什么？\\n小元："


def test_a_conversation_ending_with_the_assistant_is_left_open() -> None:
    prompt = chatyuan.render(
        [Message("user", "写首诗"), Message("assistant", "春眠")], escape=False
    )
    assert prompt == "用户：写首诗\n小元：春眠"


def test_chatyuan_chat_body_is_prompt_only_and_sends_no_sampling_fields() -> None:
    request = chat(Message("user", "你好"), params=GenerationParams(temperature=0.5))
    with pytest.warns(UserWarning, match="temperature not sent"):
        body = protocol.chat_body(CHATYUAN, request, stream=False)
    assert body == {
        "model": "chatyuan-large-v2",
        "input": {"prompt": "用户：你好\\n小元："},
        "parameters": {},
    }
    streamed = protocol.chat_body(CHATYUAN, chat(Message("user", "你好")), stream=True)
    assert streamed["parameters"] == {"incremental_output": True}


def test_model_kwargs_reach_chatyuans_parameters() -> None:
    request = chat(Message("user", "你好"), params=GenerationParams(extra={"top_k": 3}))
    assert protocol.chat_body(CHATYUAN, request, stream=False)["parameters"] == {"top_k": 3}


@pytest.mark.parametrize(
    "message",
    [
        Message("tool", "42", tool_call_id="c1"),
        Message("assistant", "", tool_calls=(ToolCall("c1", "f", "{}"),)),
        Message("user", [{"type": "image_url", "image_url": {"url": "data:x"}}]),
    ],
)
def test_chatyuan_refuses_what_it_cannot_render(message: Message) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        chatyuan.render([Message("user", "hi"), message])
    assert caught.value.parameter == "messages"


def test_chatyuan_refuses_tools() -> None:
    with pytest.raises(errors.ValidationError, match="no native tool calling"):
        protocol.chat_body(CHATYUAN, chat(Message("user", "hi"), tools=(WEATHER,)), stream=False)


def test_escape_can_be_turned_off() -> None:
    info = models.ModelInfo("chatyuan-large-v2", "chat", prompt_only=True, escape_newlines=False)
    body = protocol.completion_body(info, CompletionRequest("a\nb"), stream=False)
    assert body["input"]["prompt"] == "a\nb"


# -- messages models ----------------------------------------------------------------------------


def test_qwen_body_uses_messages_and_result_format_message() -> None:
    params = GenerationParams(
        temperature=0.0,
        top_p=0.8,
        max_tokens=100,
        stop=("你",),
        penalty_score=1.1,
        extra={"seed": 7, "enable_search": True},
    )
    request = chat(Message("system", "简短"), Message("user", "你好"), params=params)
    body = protocol.chat_body(QWEN, request, stream=True)
    assert body == {
        "model": "qwen-plus",
        "input": {
            "messages": [
                {"role": "system", "content": "简短"},
                {"role": "user", "content": "你好"},
            ]
        },
        "parameters": {
            "result_format": "message",
            "temperature": 0.0,
            "top_p": 0.8,
            "max_tokens": 100,
            "repetition_penalty": 1.1,
            "stop": ["你"],
            "seed": 7,
            "enable_search": True,
            "incremental_output": True,
        },
    }


def test_streams_are_always_incremental_even_if_extra_says_otherwise() -> None:
    request = chat(Message("user", "hi"), params=GenerationParams(extra={"incremental_output": 0}))
    assert protocol.chat_body(QWEN, request, stream=True)["parameters"]["incremental_output"]


def test_tools_tool_calls_and_results_on_the_wire() -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "北京"}')
    request = chat(
        Message("user", "北京天气"),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "晴", tool_call_id="call_1"),
        tools=(WEATHER,),
        tool_choice="get_weather",
    )
    body = protocol.chat_body(QWEN, request, stream=False)
    assert body["input"]["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "北京"}'},
            }
        ],
    }
    assert body["input"]["messages"][2] == {
        "role": "tool",
        "content": "晴",
        "tool_call_id": "call_1",
        "name": "get_weather",
    }
    assert body["parameters"]["tools"][0]["function"]["name"] == "get_weather"
    assert body["parameters"]["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


def test_required_with_one_tool_forces_it_and_with_several_falls_back_to_auto() -> None:
    one = chat(Message("user", "x"), tools=(WEATHER,), tool_choice="required")
    assert protocol.chat_body(QWEN, one, stream=False)["parameters"]["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }
    other = ToolSpec("other", "", {"type": "object", "properties": {}})
    several = chat(Message("user", "x"), tools=(WEATHER, other), tool_choice="required")
    with pytest.warns(UserWarning, match="no DashScope form"):
        body = protocol.chat_body(QWEN, several, stream=False)
    assert body["parameters"]["tool_choice"] == "auto"


def test_unknown_tool_choice_names_the_parameter() -> None:
    request = chat(Message("user", "x"), tools=(WEATHER,), tool_choice="nope")
    with pytest.raises(errors.ValidationError) as caught:
        protocol.chat_body(QWEN, request, stream=False)
    assert caught.value.parameter == "tool_choice"


def test_json_mode_sends_response_format() -> None:
    request = chat(Message("user", "x"), json_mode=True)
    body = protocol.chat_body(QWEN, request, stream=False)
    assert body["parameters"]["response_format"] == {"type": "json_object"}


def test_leading_system_messages_merge_and_a_late_one_is_refused() -> None:
    wire = protocol.wire_messages(
        [Message("system", "a"), Message("system", "b"), Message("user", "c")], QWEN
    )
    assert wire[0] == {"role": "system", "content": "a\nb"}
    with pytest.raises(errors.ValidationError, match="must come first"):
        protocol.wire_messages([Message("user", "c"), Message("system", "a")], QWEN)


def test_a_completion_on_a_chat_model_is_a_one_turn_chat() -> None:
    body = protocol.completion_body(QWEN, CompletionRequest("你好"), stream=False)
    assert body["input"] == {"messages": [{"role": "user", "content": "你好"}]}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        (GenerationParams(temperature=2.0), "temperature"),
        (GenerationParams(temperature=-0.1), "temperature"),
        (GenerationParams(top_p=0.0), "top_p"),
        (GenerationParams(top_p=1.5), "top_p"),
        (GenerationParams(top_k=-1), "top_k"),
        (GenerationParams(max_tokens=0), "max_tokens"),
        (GenerationParams(penalty_score=0.0), "repetition_penalty"),
        (GenerationParams(extra={"presence_penalty": 3}), "presence_penalty"),
    ],
)
def test_out_of_range_parameters_fail_before_sending(params: GenerationParams, name: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        protocol.chat_body(QWEN, chat(Message("user", "x"), params=params), stream=False)
    assert caught.value.parameter == name


# -- results ------------------------------------------------------------------------------------


def test_message_result_maps_usage_finish_reason_request_id_and_tool_calls() -> None:
    body = {
        "output": {
            "choices": [
                {
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "reasoning_content": "想一想",
                        "tool_calls": [
                            {
                                "id": "call_a",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": {"city": "北京"}},
                            }
                        ],
                    },
                }
            ]
        },
        "usage": {"input_tokens": 30, "output_tokens": 4, "prompt_tokens_details": {"x": 1}},
        "request_id": "rid",
    }
    result = protocol.parse_result(body, QWEN)
    assert result.tool_calls == (ToolCall("call_a", "get_weather", '{"city": "北京"}'),)
    assert result.finish_reason == "tool_calls"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (30, 4)  # type: ignore[union-attr]
    assert result.usage.total_tokens == 34  # type: ignore[union-attr]
    assert result.request_id == "rid"
    assert result.reasoning == "想一想"  # reasoning apart from the answer, not in metadata
    assert result.metadata["usage"]["prompt_tokens_details"] == {"x": 1}


def test_text_result_format_and_content_parts() -> None:
    text = protocol.parse_result(
        {"output": {"text": "好", "finish_reason": "stop"}, "usage": {}}, QWEN
    )
    assert (text.text, text.finish_reason, text.usage) == ("好", "stop", None)
    parts = {"output": {"choices": [{"message": {"content": [{"text": "a"}, {"text": "b"}]}}]}}
    assert protocol.parse_result(parts, QWEN).text == "ab"


def test_a_body_without_output_is_a_protocol_error() -> None:
    with pytest.raises(errors.ProtocolError):
        protocol.parse_result({"request_id": "x"}, QWEN)


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"),
    [
        ("Throttling", 429, errors.RateLimitError, True),
        ("Throttling.RateQuota", 429, errors.RateLimitError, True),
        ("Throttling.AllocationQuota", 429, errors.RateLimitError, True),
        ("InternalError", 500, errors.ServerError, True),
        ("InternalError.Algo", 500, errors.ServerError, True),
        ("ServiceUnavailable", 503, errors.ServerError, True),
        ("InvalidParameter", 400, errors.InvalidRequestError, False),
        ("DataInspectionFailed", 400, errors.ContentFilterError, False),
        ("InvalidApiKey", 401, errors.AuthenticationError, False),
        ("AccessDenied.Unpurchased", 403, errors.PermissionDeniedError, False),
        ("Model.NotExist", 404, errors.NotFoundError, False),
        ("SomethingNew", 503, errors.ServerError, True),
        ("SomethingNew", 400, errors.InvalidRequestError, False),
    ],
)
def test_codes_become_typed_errors(
    code: str, status: int, cls: type[errors.APIError], retryable: bool
) -> None:
    body = json.dumps({"code": code, "message": "m", "request_id": "r"}).encode()
    with pytest.raises(cls) as caught:
        protocol.check_response(HttpResponse(status, {"content-type": "application/json"}, body))
    assert caught.value.retryable is retryable
    assert (caught.value.code, caught.value.request_id) == (code, "r")


def test_a_200_body_with_a_code_is_an_error() -> None:
    body = b'{"code":"Throttling","message":"Requests rate limit exceeded","request_id":"r"}'
    with pytest.raises(errors.RateLimitError):
        protocol.check_response(HttpResponse(200, {"content-type": "application/json"}, body))
    ok = b'{"code":"","message":"","output":{"text":"x"}}'
    protocol.check_response(HttpResponse(200, {"content-type": "application/json"}, ok))


def test_an_sse_error_body_before_the_stream_is_read() -> None:
    body = b'id:1\nevent:error\ndata:{"code":"InvalidApiKey","message":"bad","request_id":"r"}\n\n'
    with pytest.raises(errors.AuthenticationError):
        protocol.check_response(HttpResponse(401, {"content-type": "text/event-stream"}, body))


def test_a_non_json_error_is_left_to_the_status() -> None:
    protocol.check_response(HttpResponse(502, {"content-type": "text/html"}, b"<html>"))


def test_url_error_and_input_length_messages() -> None:
    url = protocol.error_from_code("InvalidParameter", "url error, please check url！")
    assert "two services" in url.message
    long = protocol.error_from_code("InvalidParameter", "Range of input length should be [1, 6000]")
    assert isinstance(long, errors.ContextOverflowError)


def test_the_request_id_header_is_used_when_the_body_has_none() -> None:
    response = HttpResponse(429, {"x-request-id": "hdr"}, b'{"code":"Throttling","message":"m"}')
    with pytest.raises(errors.RateLimitError) as caught:
        protocol.check_response(response)
    assert caught.value.request_id == "hdr"


# -- streams (layout of reference §3.2) --------------------------------------------------------

QWEN_STREAM = (
    'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":{"role":'
    '"assistant","content":"你"},"finish_reason":"null"}]},"usage":{"input_tokens":26,'
    '"output_tokens":1,"total_tokens":27},"request_id":"rid"}\n\n'
    'id:2\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":{"role":'
    '"assistant","content":"好"},"finish_reason":"stop"}]},"usage":{"input_tokens":26,'
    '"output_tokens":2,"total_tokens":28},"request_id":"rid"}\n\n'
)


def test_a_stream_gives_deltas_and_usage_once_on_the_final_event() -> None:
    parser = protocol.StreamParser(QWEN)
    deltas = [parser.feed(event) for event in sse_events(QWEN_STREAM)]
    assert [d.text for d in deltas if d] == ["你", "好"]
    first, last = deltas
    assert first is not None and last is not None
    assert first.usage is None and not first.is_final and first.finish_reason is None
    assert last.is_final and last.finish_reason == "stop" and last.request_id == "rid"
    assert last.usage is not None and last.usage.total_tokens == 28
    assert parser.finish() is None


def test_events_after_the_final_one_are_ignored() -> None:
    parser = protocol.StreamParser(QWEN)
    for event in sse_events(QWEN_STREAM):
        parser.feed(event)
    assert parser.feed(ServerSentEvent(data="{}", event="done")) is None


def test_a_stream_without_its_final_event_raises() -> None:
    parser = protocol.StreamParser(QWEN)
    first_event = QWEN_STREAM.split("\n\n")[0] + "\n\n"
    for event in sse_events(first_event):
        parser.feed(event)
    with pytest.raises(errors.StreamInterruptedError) as caught:
        parser.finish()
    assert caught.value.request_id == "rid"


def test_an_empty_stream_raises() -> None:
    with pytest.raises(errors.StreamInterruptedError):
        protocol.StreamParser(QWEN).finish()


def test_an_error_event_mid_stream_raises_the_typed_error() -> None:
    parser = protocol.StreamParser(QWEN)
    parser.feed(sse_events(QWEN_STREAM)[0])
    error = (
        'id:2\nevent:error\n:HTTP_STATUS/400\ndata:{"code":"DataInspectionFailed",'
        '"message":"Output data may contain inappropriate content.","request_id":"rid"}\n\n'
    )
    with pytest.raises(errors.ContentFilterError) as caught:
        parser.feed(sse_events(error)[0])
    assert caught.value.code == "DataInspectionFailed" and caught.value.request_id == "rid"


def test_a_code_in_any_event_is_an_error_and_a_bare_error_event_too() -> None:
    parser = protocol.StreamParser(QWEN)
    with pytest.raises(errors.RateLimitError):
        parser.feed(ServerSentEvent('{"code":"Throttling","message":"slow down"}', "result"))
    with pytest.raises(errors.APIError):
        protocol.StreamParser(QWEN).feed(ServerSentEvent('{"message":"x"}', "error"))


def test_a_space_after_event_colon_still_marks_an_error() -> None:
    events = sse_events('event: error\ndata:{"code":"InternalError","message":"x"}\n\n')
    with pytest.raises(errors.ServerError):
        protocol.StreamParser(QWEN).feed(events[0])


def test_streamed_tool_calls_are_assembled_by_index() -> None:
    def event(piece: dict[str, Any], finish: str) -> ServerSentEvent:
        message = {"role": "assistant", "content": "", "tool_calls": [piece]}
        body = {"output": {"choices": [{"message": message, "finish_reason": finish}]}}
        return ServerSentEvent(json.dumps(body), "result", "1")

    parser = protocol.StreamParser(QWEN)
    pieces = [
        ({"index": 0, "id": "c0", "function": {"name": "f", "arguments": '{"a"'}}, "null"),
        ({"index": 1, "id": "c1", "function": {"name": "g", "arguments": "{}"}}, "null"),
        ({"index": 0, "function": {"arguments": ": 1}"}}, "tool_calls"),
    ]
    deltas = [parser.feed(event(piece, finish)) for piece, finish in pieces]
    assert all(d is not None and not d.tool_calls for d in deltas[:-1])
    final = deltas[-1]
    assert final is not None and final.finish_reason == "tool_calls"
    assert final.tool_calls == (ToolCall("c0", "f", '{"a": 1}'), ToolCall("c1", "g", "{}"))


def test_chatyuan_stream_ends_at_a_clean_close_and_unescapes_across_deltas() -> None:
    parser = protocol.StreamParser(CHATYUAN)
    texts = ["尊敬的领导:\\", "n\\n我因感冒", "不适"]
    deltas = [
        parser.feed(ServerSentEvent(json.dumps({"output": {"text": t}, "request_id": "r"})))
        for t in texts
    ]
    final = parser.finish()
    assert final is not None and final.is_final and final.usage is None
    assert "".join(d.text for d in [*deltas, final] if d) == "尊敬的领导:\n\n我因感冒不适"
    assert final.request_id == "r"


def test_a_trailing_backslash_is_given_back_at_the_end() -> None:
    parser = protocol.StreamParser(CHATYUAN)
    delta = parser.feed(ServerSentEvent('{"output":{"text":"a\\\\"}}'))
    final = parser.finish()
    assert delta is not None and final is not None
    assert delta.text + final.text == "a\\"


def test_a_whole_json_answer_to_a_stream_request_is_one_final_delta() -> None:
    body = {"output": {"choices": [{"message": {"content": "好"}, "finish_reason": "stop"}]}}
    delta = protocol.StreamParser(QWEN).feed(ServerSentEvent(json.dumps(body)))
    assert delta is not None and delta.is_final and delta.text == "好"


def test_unparseable_stream_data_is_a_protocol_error() -> None:
    with pytest.raises(errors.ProtocolError):
        protocol.StreamParser(QWEN).feed(ServerSentEvent("not json", "result"))


# -- embeddings ---------------------------------------------------------------------------------


def test_embedding_body_carries_text_type_and_dimension() -> None:
    body = protocol.embedding_body(V3, ["a", "b"], text_type="query", dimension=512)
    assert body == {
        "model": "text-embedding-v3",
        "input": {"texts": ["a", "b"]},
        "parameters": {"text_type": "query", "dimension": 512},
    }
    plain = protocol.embedding_body(V2, ["a"], text_type="document", dimension=None)
    assert plain["parameters"] == {"text_type": "document"}


@pytest.mark.parametrize(
    ("info", "texts", "text_type", "dimension", "parameter"),
    [
        (V2, ["a"], "document", 512, "dimension"),
        (V3, ["a"], "document", 2048, "dimension"),
        (V3, ["a"], "passage", None, "text_type"),
        (V3, ["a"] * 11, "document", None, "texts"),
        (V2, ["a"] * 26, "document", None, "texts"),
        (V2, ["a", ""], "document", None, "texts[1]"),
    ],
)
def test_embedding_options_are_checked(
    info: models.ModelInfo, texts: list[str], text_type: str, dimension: int | None, parameter: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        protocol.embedding_body(info, texts, text_type=text_type, dimension=dimension)
    assert caught.value.parameter == parameter


def test_embeddings_are_placed_by_text_index() -> None:
    body = {
        "output": {
            "embeddings": [
                {"text_index": 1, "embedding": [1.0, 1.0]},
                {"text_index": 0, "embedding": [0.0, 0.5]},
            ]
        },
        "usage": {"total_tokens": 12},
        "request_id": "r",
    }
    result = protocol.parse_embeddings(body, V2, 2)
    assert result.vectors == [[0.0, 0.5], [1.0, 1.0]]
    assert result.usage is not None and result.usage.total_tokens == 12


@pytest.mark.parametrize(
    "items",
    [
        [{"text_index": 0, "embedding": [1.0]}],
        [{"text_index": 0, "embedding": [1.0]}, {"text_index": 0, "embedding": [1.0]}],
        [{"text_index": 0, "embedding": [1.0]}, {"text_index": 5, "embedding": [1.0]}],
    ],
)
def test_missing_or_duplicate_text_indexes_are_protocol_errors(items: list[Any]) -> None:
    with pytest.raises(errors.ProtocolError):
        protocol.parse_embeddings({"output": {"embeddings": items}}, V2, 2)


# -- models and headers -------------------------------------------------------------------------


def test_model_table() -> None:
    assert CHATYUAN.prompt_only and not CHATYUAN.metered and not CHATYUAN.tools
    assert QWEN.tools and QWEN.json_mode and not QWEN.prompt_only
    assert models.resolve("chat", "qwen2.5-72b-instruct").tools
    assert not models.resolve("chat", "llama2-13b-chat-v2").tools
    assert models.resolve("chat", None).name == "qwen-plus"
    assert models.resolve("embeddings", None).name == "text-embedding-v2"
    assert models.resolve("embeddings", "text-embedding-v4").batch_size == 10
    assert models.resolve("embeddings", "text-embedding-v1").batch_size == 25
    assert models.resolve("embeddings", "some-new-embedding").batch_size == 10


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("chat", "qwen-vl-max"),
        ("chat", "text-embedding-v2"),
        ("embeddings", "chatyuan-large-v2"),
        ("chat", " "),
    ],
)
def test_models_that_cannot_be_called_here_fail_at_configuration(kind: Any, name: str) -> None:
    with pytest.raises(errors.ConfigurationError):
        models.resolve(kind, name)


def test_request_headers() -> None:
    settings = protocol.Settings(
        base_url="http://x/api/v1/", workspace="ws_1", data_inspection=True
    )
    request = protocol.request(settings, protocol.GENERATION_PATH, {}, stream=True)
    assert request.url == "http://x/api/v1/services/aigc/text-generation/generation"
    assert request.headers["X-DashScope-SSE"] == "enable"
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["X-DashScope-WorkSpace"] == "ws_1"
    assert request.headers["X-DashScope-DataInspection"] == "enable"
    assert "Authorization" not in request.headers
    assert protocol.authorize(request, "sk-1").headers["Authorization"] == "Bearer sk-1"
    plain = protocol.request(protocol.Settings(), protocol.EMBEDDING_PATH, {}, stream=False)
    assert plain.headers == {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.mark.parametrize("requested", [0, 11])
def test_a_batch_size_outside_the_models_limit_is_refused(requested: int) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        protocol.batch_size(V3, requested)
    assert caught.value.parameter == "batch_size"
    assert protocol.batch_size(V3, None) == 10 and protocol.batch_size(V3, 4) == 4
