"""Qianfan v2 dialect against the reference's own examples (tests/seeds/qianfan_v2), offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnllm import errors
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2 import protocol as v2
from cnllm.sse import iter_sse
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    Message,
    ToolCall,
    ToolSpec,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "qianfan_v2"
WEATHER = ToolSpec(
    "get_current_weather",
    "天气查询工具",
    {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "地理位置，精确到区县级别"},
            "time": {"type": "string", "description": "时间，格式为YYYY-MM-DD"},
        },
    },
)
PROTOCOL = v2.QianfanV2Protocol()


def seed(name: str) -> Any:
    return json.loads((SEEDS / name).read_text("utf-8"))


def compact(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    content = body if isinstance(body, bytes) else compact(body)
    return HttpResponse(status, {"Content-Type": "application/json", **(headers or {})}, content)


def chat(*messages: Message, **params: Any) -> ChatRequest:
    return ChatRequest(tuple(messages), GenerationParams(**params))


def body_for(model: str, request: ChatRequest, stream: bool = False) -> dict[str, Any]:
    return PROTOCOL.chat_body(model, request, stream=stream)


def stream_deltas(raw: bytes, model: str = "ernie-4.5-turbo-128k") -> list[Any]:
    parser = PROTOCOL.stream_parser("chat", model)
    deltas = [parser.feed(event) for event in iter_sse([raw])]
    deltas.append(parser.finish())
    return [delta for delta in deltas if delta is not None]


# -- the reference's requests, byte for byte -------------------------------------------------


def test_the_chat_request_of_section_3_byte_for_byte() -> None:
    request = chat(Message("system", "You are a helpful assistant."), Message("user", "你好"))
    body = body_for("ernie-4.5-turbo-128k", request)
    assert compact(body) == (SEEDS / "chat_request.json").read_bytes().strip()


def test_the_tool_round_trip_of_section_3_2() -> None:
    calls = (
        ToolCall(
            "04fed17840d34b1e99bf3cd6dc94150d",
            "get_current_weather",
            '{"location": "上海市", "time": "2025-08-21"}',
        ),
        ToolCall(
            "a37ee51b99a64723bcb7f2f4d8081770",
            "get_current_weather",
            '{"location": "北京市", "time": "2025-08-21"}',
        ),
    )
    request = ChatRequest(
        (
            Message("user", "查一下上海和北京2025-8-21的天气"),
            Message("assistant", "", tool_calls=calls),
            Message(
                "tool",
                '{"temperature": "25", "unit": "摄氏度", "description": "上海"}',
                tool_call_id=calls[0].id,
            ),
            Message(
                "tool",
                '{"temperature": "20", "unit": "摄氏度", "description": "北京"}',
                tool_call_id=calls[1].id,
            ),
        ),
        tools=(WEATHER,),
        tool_choice="auto",
    )
    expected = seed("tool_round_trip_request.json")
    assert expected.pop("stream") is False  # the example spells the default out
    body = body_for("deepseek-v3.1-250821", request)
    assert body == expected
    assert compact(body) == compact(expected)  # same keys in the same order, too


def test_a_stream_asks_for_usage_on_the_last_chunk() -> None:
    body = body_for("ernie-4.5-turbo-128k", chat(Message("user", "你好")), stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


# -- the reference's answers -----------------------------------------------------------------


def test_the_official_answer_of_section_4_1() -> None:
    result = PROTOCOL.parse_result(seed("chat_response.json"), "chat", "deepseek-v3.1-250821")
    assert result.text == "你好！很高兴和你交流。请问有什么我可以帮助你的吗？"
    assert result.finish_reason == "stop"
    assert result.request_id == "as-qsp8w7ppnv"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 15)
    assert result.usage.total_tokens == 26
    assert result.usage.reasoning_tokens is None and result.usage.cached_input_tokens is None
    assert result.metadata["flag"] == 0 and result.metadata["api"] == "v2"
    assert result.reasoning == ""


def test_the_captured_reasoning_answer() -> None:
    result = PROTOCOL.parse_result(
        seed("reasoning_response.json"), "chat", "ernie-5.0-thinking-preview"
    )
    assert result.text == "Hello! How can I help you today?"
    assert result.reasoning == 'The user just said "hi." …'
    assert result.usage.reasoning_tokens == 218
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1, 227)


def test_the_official_tool_call_answer() -> None:
    result = PROTOCOL.parse_result(seed("tool_call_response.json"), "chat", "deepseek-v3.1")
    assert result.finish_reason == "tool_calls"
    assert result.text == ""
    (call,) = result.tool_calls
    assert call.id == "04fed17840d34b1e99bf3cd6dc94150d"
    assert json.loads(call.arguments) == {"location": "上海市", "time": "2025-08-21"}
    assert result.usage.total_tokens == 443


def test_the_stream_of_section_4_2() -> None:
    deltas = stream_deltas((SEEDS / "chat_stream.sse").read_bytes())
    assert "".join(delta.text for delta in deltas) == "你好！"
    final = deltas[-1]
    assert final.is_final and final.finish_reason == "stop"
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (
        11,
        15,
        26,
    )
    assert sum(1 for delta in deltas if delta.usage) == 1
    assert final.request_id == "as-xxxxxxxxxx" and final.metadata["api"] == "v2"


def test_the_embedding_answer_and_the_model_list() -> None:
    body = PROTOCOL.embedding_body("embedding-v1", ["White T-shirt"])
    assert body == seed("embeddings_request.json")
    result = PROTOCOL.parse_embeddings(seed("embeddings_response.json"), 1, "embedding-v1")
    assert result.vectors == [[0.018314670771360397, 0.00942440889775753, -0.36294862627983093]]
    assert result.usage.input_tokens == 12
    cards = PROTOCOL.parse_models(seed("models_response.json"))
    assert [card.id for card in cards] == [
        "ernie-3.5-8k-preview",
        "ernie-speed-128k",
        "ernie-4.0-8k",
        "internvl3-1b",
    ]


# -- errors (§5) -----------------------------------------------------------------------------


def test_the_429_example_is_a_rate_limit_with_its_request_id_and_headers() -> None:
    headers = {"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Limit-Requests": "300"}
    with pytest.raises(errors.RateLimitError) as caught:
        PROTOCOL.check_response(response(429, seed("error_429.json"), headers))
    error = caught.value
    assert error.code == "rpm_rate_limit_exceeded" and error.request_id == "as-wbx23eriqh"
    assert error.retryable and error.status_code == 429
    assert error.body["rate_limit"] == {"limit_requests": 300, "remaining_requests": 0}


@pytest.mark.parametrize(
    ("status", "code", "kind", "cls"),
    [
        (401, "invalid_iam_token", "invalid_request_error", errors.AuthenticationError),
        (401, "invalid_model", "invalid_request_error", errors.NotFoundError),
        (400, "invalid_model", "invalid_request_error", errors.InvalidRequestError),
        (400, "invalid_messages", "invalid_request_error", errors.InvalidRequestError),
        (400, "tokens_too_long", "invalid_request_error", errors.ContextOverflowError),
        (400, "characters_too_long", "invalid_request_error", errors.ContextOverflowError),
        (403, "system_unsafe", "unsafe_request", errors.ContentFilterError),
        (400, "image_url_unsafe", "unsafe_request", errors.ContentFilterError),
        (401, "invalid_appid", "invalid_request_error", errors.PermissionDeniedError),
        (403, "account_overdue", "access_denied", errors.QuotaExceededError),
        (403, "model_offline", "access_denied", errors.NotFoundError),
        (429, "Offline_batch_reasoning_refused", "rate_limit_exceeded", errors.RateLimitError),
        (429, "cluster_tpm_rate_limit_exceeded", "rate_limit_exceeded", errors.RateLimitError),
        (500, "internal_error", "Internal_error", errors.ServerError),
        (500, "image_genration_interal_error", "Internal_error", errors.ServerError),
    ],
)
def test_v2_error_codes_map_to_types(status: int, code: str, kind: str, cls: type) -> None:
    body = {"error": {"code": code, "message": "m", "type": kind}, "id": "as-abc"}
    with pytest.raises(errors.APIError) as caught:
        PROTOCOL.check_response(response(status, body))
    assert type(caught.value) is cls
    assert caught.value.request_id == "as-abc" and caught.value.code == code
    assert caught.value.retryable is (status in (429, 500))


def test_a_wrong_base_url_gets_a_hint() -> None:
    raw = HttpResponse(404, {"Content-Type": "text/plain"}, b"404 page not found")
    with pytest.raises(errors.NotFoundError, match="must end at /v2"):
        PROTOCOL.check_response(raw)


def test_an_error_inside_a_stream_is_typed() -> None:
    error = {"code": "internal_error", "message": "Internal error", "type": "Internal_error"}
    raw = f"data: {json.dumps({'error': error, 'id': 'as-1'})}\n\n".encode()
    with pytest.raises(errors.ServerError) as caught:
        stream_deltas(raw)
    assert caught.value.request_id == "as-1"


# -- moderation and search flags -------------------------------------------------------------


def _answer(content: str, flag: int, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "as-f",
        "model": "ernie-4.5-turbo-128k",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
                "flag": flag,
                "ban_round": -1,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


@pytest.mark.parametrize(
    ("content", "flag", "finish"), [("x", 3, "stop"), ("x", 4, "stop"), ("", 0, "content_filter")]
)
def test_a_safety_refusal_is_an_error_never_an_empty_success(
    content: str, flag: int, finish: str
) -> None:
    with pytest.raises(errors.ContentFilterError) as caught:
        PROTOCOL.parse_result(_answer(content, flag, finish), "chat", "m")
    assert caught.value.request_id == "as-f"


def test_low_risk_flags_and_search_results_are_metadata() -> None:
    body = _answer("答案^[1]^", 1)
    body["search_results"] = [{"index": 1, "url": "https://a", "title": "A"}]
    body["usage"]["prompt_tokens_details"] = {"search_tokens": 40, "cached_tokens": 2}
    result = PROTOCOL.parse_result(body, "chat", "m")
    assert result.metadata["flag"] == 1 and result.metadata["ban_round"] == -1
    assert result.metadata["search_results"][0]["url"] == "https://a"
    assert result.metadata["search_tokens"] == 40
    assert result.usage.cached_input_tokens == 2


def _chunk(delta: dict[str, Any], **choice: Any) -> str:
    body = {"id": "as-s", "choices": [{"index": 0, "delta": delta, **choice}], "usage": None}
    return "data: " + json.dumps(body, ensure_ascii=False) + "\n\n"


def test_a_stream_carries_reasoning_first_and_skips_search_status_frames() -> None:
    raw = "".join(
        [
            _chunk({"content": "正在搜索"}, delta_tag="search_status"),
            _chunk({"role": "assistant", "reasoning_content": "先想"}),
            _chunk({"reasoning": "一想"}),
            _chunk({"content": "答"}),
            _chunk({"content": "案"}, finish_reason="stop"),
            "data: [DONE]\n\n",
        ]
    ).encode()
    deltas = stream_deltas(raw)
    assert "".join(d.reasoning for d in deltas) == "先想一想"
    assert "".join(d.text for d in deltas) == "答案"
    assert deltas[-1].metadata["search_status"] == "正在搜索"


def test_a_stream_retracted_by_moderation_raises() -> None:
    raw = (_chunk({"content": "x"}) + _chunk({"content": ""}, flag=4) + "data: [DONE]\n\n").encode()
    with pytest.raises(errors.ContentFilterError):
        stream_deltas(raw)


def test_streamed_tool_calls_assemble_by_index_and_cumulative_usage_is_not_summed() -> None:
    first = {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
    usage = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    raw = "".join(
        [
            _chunk({"tool_calls": [first]}),
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
            _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
            "data: " + json.dumps({"id": "as-s", "choices": [], "usage": usage}) + "\n\n",
            "data: "
            + json.dumps({"id": "as-s", "choices": [], "usage": {**usage, "total_tokens": 9}})
            + "\n\n",
            "data: [DONE]\n\n",
        ]
    ).encode()
    final = stream_deltas(raw)[-1]
    assert final.tool_calls[0].name == "f" and final.tool_calls[0].arguments == '{"a":1}'
    assert final.usage.total_tokens == 9


# -- validation before sending (§3.1, §3.6) -------------------------------------------------


@pytest.mark.parametrize(
    ("model", "params", "parameter"),
    [
        ("ernie-4.5-turbo-128k", {"temperature": 1.5}, "temperature"),
        ("deepseek-v3", {"temperature": 2.5}, "temperature"),
        ("ernie-5.5-flash-preview", {"temperature": 0.5}, "temperature"),
        ("deepseek-v3", {"penalty_score": 1.2}, "penalty_score"),
        ("ernie-4.5-turbo-128k", {"penalty_score": 2.5}, "penalty_score"),
        ("ernie-4.5-turbo-128k", {"top_p": 1.5}, "top_p"),
        ("ernie-4.5-turbo-128k", {"stop": ("a", "b", "c", "d", "e")}, "stop"),
        ("ernie-4.5-turbo-128k", {"stop": ("x" * 21,)}, "stop"),
        ("ernie-x1-turbo-32k", {"stop": ("a",)}, "stop"),
        ("ernie-4.5-turbo-128k", {"max_tokens": 0}, "max_tokens"),
        ("ernie-3.5-8k", {"max_tokens": 4096}, "max_tokens"),
        ("ernie-4.5-turbo-128k", {"top_k": 3}, "top_k"),
        ("ernie-4.5-turbo-128k", {"extra": {"seed": 0}}, "seed"),
        ("ernie-x1-turbo-32k", {"extra": {"seed": 7}}, "seed"),
        ("deepseek-v3", {"extra": {"frequency_penalty": 3}}, "frequency_penalty"),
        ("deepseek-v3", {"extra": {"repetition_penalty": 0}}, "repetition_penalty"),
        ("deepseek-v3", {"extra": {"metadata": {"k": 1}}}, "metadata"),
        ("deepseek-v3", {"extra": {"reasoning_effort": "extreme"}}, "reasoning_effort"),
        (
            "ernie-4.5-turbo-128k",
            {"extra": {"web_search": {"search_mode": "auto"}}},
            "web_search.search_mode",
        ),
        ("ernie-4.5-turbo-128k", {"enable_thinking": True}, "enable_thinking"),
        ("ernie-x1-turbo-32k", {"enable_thinking": False}, "enable_thinking"),
        ("qwen3-32b", {"thinking_budget": 50}, "thinking_budget"),
        (
            "ernie-4.5-turbo-128k",
            {"max_tokens": 5, "extra": {"max_completion_tokens": 5}},
            "max_completion_tokens",
        ),
    ],
)
def test_out_of_range_fields_are_refused_naming_the_parameter(
    model: str, params: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        body_for(model, chat(Message("user", "hi"), **params))
    assert caught.value.parameter == parameter


def test_ernie_temperature_zero_is_sent_as_near_greedy_and_open_models_keep_zero() -> None:
    assert body_for("ernie-4.5-turbo-128k", chat(Message("user", "hi"), temperature=0))[
        "temperature"
    ] == pytest.approx(0.01)
    assert body_for("deepseek-v3", chat(Message("user", "hi"), temperature=0))["temperature"] == 0


@pytest.mark.parametrize(
    ("model", "switch", "expected"),
    [
        ("qwen3-32b", True, {"enable_thinking": True}),
        ("ernie-5.0-thinking-preview", False, {"enable_thinking": False}),
        ("deepseek-v3.1-250821", True, {"thinking": {"type": "enabled"}}),
        ("deepseek-v3.2", False, {"thinking": {"type": "disabled"}}),
        ("ernie-x1-turbo-32k", True, {}),
        ("my-deployed-service", True, {"enable_thinking": True}),
    ],
)
def test_thinking_uses_each_familys_switch(model: str, switch: bool, expected: dict) -> None:
    body = body_for(model, chat(Message("user", "hi"), enable_thinking=switch))
    found = {k: body[k] for k in ("enable_thinking", "thinking") if k in body}
    assert found == expected
    budget = body_for(model, chat(Message("user", "hi"), thinking_budget=1024))
    assert budget["thinking_budget"] == 1024


def test_json_object_and_json_schema_where_the_model_has_them() -> None:
    request = ChatRequest((Message("user", "hi"),), json_mode=True)
    assert body_for("ernie-4.5-turbo-128k", request)["response_format"] == {"type": "json_object"}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    request = ChatRequest(
        (Message("user", "hi"),), json_schema={"name": "Answer", "schema": schema, "strict": True}
    )
    assert body_for("deepseek-v3", request)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": schema, "strict": True},
    }
    with pytest.raises(errors.ValidationError, match="json_schema"):
        body_for("ernie-x1-turbo-32k", request)
    with pytest.raises(errors.ValidationError) as caught:
        body_for("ernie-lite-8k", ChatRequest((Message("user", "hi"),), tools=(WEATHER,)))
    assert caught.value.parameter == "tools"


def test_named_tool_choice_and_unknown_names() -> None:
    request = ChatRequest((Message("user", "hi"),), tools=(WEATHER,), tool_choice=WEATHER.name)
    body = body_for("ernie-4.5-turbo-128k", request)
    assert body["tool_choice"] == {"type": "function", "function": {"name": WEATHER.name}}
    with pytest.raises(errors.ValidationError):
        body_for(
            "ernie-4.5-turbo-128k",
            ChatRequest((Message("user", "hi"),), tools=(WEATHER,), tool_choice="nope"),
        )


# -- messages (§3.2, §3.3) ------------------------------------------------------------------


def test_systems_are_joined_first_and_consecutive_turns_merged() -> None:
    request = chat(
        Message("user", "a"),
        Message("system", "s1"),
        Message("user", "b"),
        Message("assistant", "c"),
        Message("assistant", "d"),
        Message("system", "s2"),
        Message("user", "e"),
    )
    assert body_for("ernie-4.5-turbo-128k", request)["messages"] == [
        {"role": "system", "content": "s1\n\ns2"},
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c\n\nd"},
        {"role": "user", "content": "e"},
    ]


@pytest.mark.parametrize(
    "messages",
    [
        (Message("user", "q"), Message("assistant", "prefill")),
        (Message("assistant", "hello"), Message("user", "q")),
        (Message("user", " \n"),),
        (Message("system", "only"),),
        (Message("user", "q"), Message("tool", "r", tool_call_id="nobody")),
    ],
)
def test_message_rules_are_checked_before_sending(messages: tuple[Message, ...]) -> None:
    with pytest.raises(errors.ValidationError):
        body_for("ernie-4.5-turbo-128k", ChatRequest(messages))


def test_reasoning_is_echoed_only_on_an_open_tool_loop() -> None:
    call = ToolCall("c1", "get_current_weather", "{}")
    request = ChatRequest(
        (
            Message("user", "q1"),
            Message("assistant", "a1", reasoning="old thought"),
            Message("user", "q2"),
            Message("assistant", "", tool_calls=(call,), reasoning="tool thought"),
            Message("tool", "r", tool_call_id="c1"),
        ),
        tools=(WEATHER,),
    )
    wire = body_for("deepseek-v3.2", request)["messages"]
    assert "reasoning_content" not in wire[1]
    assert wire[3]["reasoning_content"] == "tool thought" and wire[3]["content"] == ""
    assert wire[4]["name"] == "get_current_weather"


def test_images_go_to_vision_models_only() -> None:
    parts = [
        {"type": "text", "text": "图里有什么"},
        {"type": "image", "url": "https://x/a.jpg"},
    ]
    body = body_for("ernie-4.5-turbo-vl-32k", chat(Message("user", parts)))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "图里有什么"},
        {"type": "image_url", "image_url": {"url": "https://x/a.jpg"}},
    ]
    with pytest.raises(errors.ValidationError, match="takes no images"):
        body_for("ernie-4.5-turbo-128k", chat(Message("user", parts)))
    text_only = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    assert (
        body_for("ernie-4.5-turbo-128k", chat(Message("user", text_only)))["messages"][0]["content"]
        == "ab"
    )


# -- the model table (§10.3) ----------------------------------------------------------------


def test_v1_names_map_to_v2_ids_and_unknown_ids_pass_through() -> None:
    assert models.resolve("chat", "ERNIE-3.5-8K").id == "ernie-3.5-8k"
    assert models.resolve("chat", "ERNIE-Character-8K").id == "ernie-char-8k"
    assert models.resolve("embeddings", "Embedding-V1").id == "embedding-v1"
    assert models.resolve("embeddings", "tao-8k").batch_size == 1
    deployed = models.resolve("chat", "my-deployed-service")
    assert deployed.id == "my-deployed-service" and not deployed.known
    assert deployed.profile == models.CONSERVATIVE
    assert models.resolve("chat", None).id == models.DEFAULT_CHAT_MODEL
    reasoning = models.resolve("chat", "ernie-x1-turbo-32k").profile
    assert reasoning.reasoning_output and not reasoning.thinking_optional


def test_a_v1_only_model_warns_that_v2_lacks_it() -> None:
    with pytest.warns(UserWarning, match="no v2 equivalent"):
        assert models.resolve("chat", "Qianfan-Chinese-Llama-2-70B").id == (
            "Qianfan-Chinese-Llama-2-70B"
        )


def test_unknown_models_are_not_second_guessed() -> None:
    request = ChatRequest(
        (Message("user", "hi"),), GenerationParams(penalty_score=1.5), tools=(WEATHER,)
    )
    body = body_for("my-deployed-service", request)
    assert body["penalty_score"] == 1.5 and body["tools"]


def test_embedding_limits_and_completions() -> None:
    with pytest.raises(errors.ValidationError):
        PROTOCOL.embedding_body("embedding-v1", [""])
    with pytest.raises(errors.InputTooLongError):
        PROTOCOL.embedding_body("embedding-v1", ["字" * 1001])
    with pytest.raises(errors.ValidationError):
        PROTOCOL.embedding_body("tao-8k", ["a", "b"])
    body = PROTOCOL.completion_body(
        "my-cerebras-service", CompletionRequest("introduce the city beijing"), stream=False
    )
    assert body == {"model": "my-cerebras-service", "prompt": "introduce the city beijing"}
    choice = {"index": 0, "text": "Beijing is", "finish_reason": "stop"}
    answer = {"id": "as-c", "choices": [choice]}
    assert PROTOCOL.parse_result(answer, "completions", "m").text == "Beijing is"
