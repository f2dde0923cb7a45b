"""Reasoning, usage details, thinking switches and json_schema in each dialect's pure
build/parse functions, against the documented shapes (dashscope-current.md §2.6/§2.7/§4.4,
qianfan-v2.md's captured reasoning answer, DeepSeek/vLLM's ``reasoning_content``/``reasoning``)."""

from __future__ import annotations

import json

import pytest

from cnllm import errors
from cnllm.dashscope import models as ds_models
from cnllm.dashscope import protocol as ds
from cnllm.koala.protocol import KoalaProtocol
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.protocol import OpenAIProtocol
from cnllm.sse import ServerSentEvent
from cnllm.types import ChatRequest, GenerationParams, Message, ToolCall, ToolSpec, Usage

# qianfan-v2.md's captured answer of ernie-5.0-thinking-preview (reasoning text shortened).
V2_REASONING_ANSWER = {
    "id": "as-yqqxsmi5np",
    "object": "chat.completion",
    "created": 1766059499,
    "model": "ernie-5.0-thinking-preview",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hi there! How can I help you today?",
                "reasoning_content": 'The user just said "hi." …',
            },
            "finish_reason": "stop",
            "flag": 0,
        }
    ],
    "usage": {
        "prompt_tokens": 2,
        "completion_tokens": 229,
        "total_tokens": 231,
        "completion_tokens_details": {"reasoning_tokens": 218},
    },
}


def _event(payload: object) -> ServerSentEvent:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return ServerSentEvent(data=data)


def _chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {
        "id": "c1",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


# -- OpenAI-compatible ------------------------------------------------------------------------


def test_openai_answer_carries_reasoning_apart_and_the_reasoning_token_count() -> None:
    result = openai.parse_result(V2_REASONING_ANSWER, "chat", model="x")
    assert result.text == "Hi there! How can I help you today?"
    assert result.reasoning == 'The user just said "hi." …'
    assert result.usage == Usage(2, 229, 231, cached_input_tokens=None, reasoning_tokens=218)


def test_openai_reads_vllm_reasoning_field_and_cached_tokens() -> None:
    body = {
        "model": "qwen3-8b",
        "choices": [{"message": {"content": "4", "reasoning": "2+2"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 3,
            "total_tokens": 13,
            "prompt_tokens_details": {"cached_tokens": 8},
        },
    }
    result = openai.parse_result(body, "chat", model="x")
    assert (result.reasoning, result.text) == ("2+2", "4")
    assert result.usage is not None
    assert (result.usage.cached_input_tokens, result.usage.reasoning_tokens) == (8, None)


def test_usage_without_details_reports_none_never_zero() -> None:
    usage = openai.parse_usage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    assert usage == Usage(1, 2, 3)
    assert usage.cached_input_tokens is None and usage.reasoning_tokens is None


def test_openai_stream_hands_reasoning_on_before_the_answer() -> None:
    parser = openai.StreamParser("chat", "m")
    first = parser.feed(
        _event(_chunk({"role": "assistant", "content": None, "reasoning_content": "想"}))
    )
    second = parser.feed(_event(_chunk({"reasoning": "一想"})))
    third = parser.feed(_event(_chunk({"content": "好"})))
    parser.feed(_event(_chunk({}, "stop")))
    final = parser.feed(_event("[DONE]"))
    assert first is not None and (first.reasoning, first.text) == ("想", "")
    assert second is not None and second.reasoning == "一想"
    assert third is not None and (third.reasoning, third.text) == ("", "好")
    assert final is not None and final.is_final


def test_a_stream_that_breaks_after_reasoning_raises() -> None:
    parser = openai.StreamParser("chat", "m")
    assert parser.feed(_event(_chunk({"reasoning_content": "thinking"}))) is not None
    with pytest.raises(errors.StreamInterruptedError):
        parser.finish()


def test_json_schema_response_format_puts_strict_inside() -> None:
    spec = {"name": "Person", "schema": {"type": "object"}, "strict": True}
    body = openai.chat_body(
        "m", ChatRequest((Message("user", "hi"),), json_schema=spec), stream=False
    )
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": {"type": "object"}, "strict": True},
    }


def test_json_schema_without_a_schema_is_refused_before_sending() -> None:
    request = ChatRequest((Message("user", "hi"),), json_schema={"name": "x"})
    with pytest.raises(errors.ValidationError, match="json_schema"):
        openai.chat_body("m", request, stream=False)


_HISTORY = (
    Message("user", "天气?"),
    Message("assistant", "", tool_calls=(ToolCall("c1", "weather", "{}"),), reasoning="需要查天气"),
    Message("tool", "晴", tool_call_id="c1"),
    Message("assistant", "晴天", reasoning="总结"),
    Message("user", "谢谢"),
)


@pytest.mark.parametrize(
    ("policy", "sent"),
    [
        ("never", [None, None]),
        ("tool_turns", ["需要查天气", None]),
        ("always", ["需要查天气", "总结"]),
    ],
)
def test_each_dialect_decides_whether_reasoning_goes_back(
    policy: str, sent: list[str | None]
) -> None:
    class Dialect(OpenAIProtocol):
        reasoning_back = policy  # type: ignore[assignment]

    body = Dialect().chat_body("m", ChatRequest(_HISTORY), stream=False)
    assistants = [m for m in body["messages"] if m["role"] == "assistant"]
    assert [m.get("reasoning_content") for m in assistants] == sent


def test_thinking_switch_goes_in_the_chat_template_kwargs() -> None:
    params = GenerationParams(enable_thinking=False)
    body = openai.chat_body("m", ChatRequest((Message("user", "x"),), params), stream=False)
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    plain = openai.chat_body("m", ChatRequest((Message("user", "x"),)), stream=False)
    assert "chat_template_kwargs" not in plain


# -- Koala --------------------------------------------------------------------------------------


def test_koala_never_sends_reasoning_back_and_passes_the_thinking_switch() -> None:
    params = GenerationParams(enable_thinking=True)
    history = (Message("user", "a"), Message("assistant", "b", reasoning="r"), Message("user", "c"))
    body = KoalaProtocol().chat_body("qwen3-8b", ChatRequest(history, params), stream=True)
    assert all("reasoning_content" not in m for m in body["messages"])
    assert body["chat_template_kwargs"] == {"enable_thinking": True}


def test_koala_refuses_json_schema() -> None:
    request = ChatRequest((Message("user", "a"),), json_schema={"name": "x", "schema": {}})
    with pytest.raises(errors.ValidationError, match="json_schema"):
        KoalaProtocol().chat_body("deepseek-r1", request, stream=False)


def test_koala_stream_reads_reasoning_in_delta_mode() -> None:
    parser = KoalaProtocol().stream_parser("chat", "deepseek-r1")
    pieces = [parser.feed(_event(_chunk({"reasoning_content": piece}))) for piece in ("a", "ab")]
    # Reasoning is never treated as cumulative text: each chunk is an increment.
    assert [p.reasoning for p in pieces if p is not None] == ["a", "ab"]


# -- DashScope native -------------------------------------------------------------------------

QWEN_PLUS = ds_models.resolve("chat", "qwen-plus")
QWQ = ds_models.resolve("chat", "qwq-32b")

# dashscope-current.md §2.6, the documented non-streaming answer.
DS_ANSWER = {
    "output": {
        "choices": [
            {
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": "I am Qwen...",
                    "reasoning_content": "...",
                },
            }
        ]
    },
    "usage": {
        "input_tokens": 22,
        "output_tokens": 17,
        "total_tokens": 39,
        "prompt_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    },
    "request_id": "db13c38b-4291-9f90-9117-a6be2d823ee5",
}

# dashscope-current.md §2.7, the documented event (data line byte for byte).
DS_EVENT = (
    '{"output":{"choices":[{"message":{"content":"","reasoning_content":"The","role":"assistant"}'
    ',"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":3,"input_tokens":287,'
    '"output_tokens_details":{"reasoning_tokens":1}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}'
)


def test_dashscope_answer_reasoning_and_usage_details() -> None:
    result = ds.parse_result(DS_ANSWER, QWEN_PLUS)
    assert (result.text, result.reasoning) == ("I am Qwen...", "...")
    assert result.usage == Usage(22, 17, 39, cached_input_tokens=0, reasoning_tokens=0)
    assert "reasoning_content" not in result.metadata


def test_dashscope_stream_hands_each_reasoning_increment_on() -> None:
    parser = ds.StreamParser(QWQ)
    delta = parser.feed(ServerSentEvent(data=DS_EVENT, event="result", id="1"))
    assert delta is not None and (delta.reasoning, delta.text) == ("The", "")
    answer = json.loads(DS_EVENT)
    answer["output"]["choices"][0]["message"] = {"content": "Hi", "reasoning_content": ""}
    answer["output"]["choices"][0]["finish_reason"] = "stop"
    answer["usage"]["output_tokens_details"] = {"reasoning_tokens": 1}
    final = parser.feed(ServerSentEvent(data=json.dumps(answer)))
    assert final is not None and final.is_final and final.text == "Hi" and final.reasoning == ""
    assert final.usage is not None and final.usage.reasoning_tokens == 1


def test_dashscope_stream_that_breaks_after_reasoning_raises() -> None:
    parser = ds.StreamParser(QWQ)
    parser.feed(ServerSentEvent(data=DS_EVENT))
    with pytest.raises(errors.StreamInterruptedError):
        parser.finish()


def test_dashscope_sends_the_thinking_switches_and_no_reasoning_back() -> None:
    params = GenerationParams(enable_thinking=True, thinking_budget=500)
    history = (Message("user", "a"), Message("assistant", "b", reasoning="r"), Message("user", "c"))
    body = ds.chat_body(QWEN_PLUS, ChatRequest(history, params), stream=True)
    assert (body["parameters"]["enable_thinking"], body["parameters"]["thinking_budget"]) == (
        True,
        500,
    )
    assert all("reasoning_content" not in m for m in body["input"]["messages"])


_TOOL = ToolSpec("get_weather", "天气", {"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("info", "params"),
    [(QWQ, GenerationParams()), (QWEN_PLUS, GenerationParams(enable_thinking=True))],
)
def test_dashscope_refuses_forced_tools_and_json_while_thinking(
    info: ds_models.ModelInfo, params: GenerationParams
) -> None:
    forced = ChatRequest((Message("user", "a"),), params, (_TOOL,), "get_weather")
    with pytest.raises(errors.ValidationError, match="tool_choice"):
        ds.chat_body(info, forced, stream=True)
    auto = ChatRequest((Message("user", "a"),), params, (_TOOL,), "auto")
    assert ds.chat_body(info, auto, stream=True)["parameters"]["tool_choice"] == "auto"
    if info.json_mode:
        json_mode = ChatRequest((Message("user", "json"),), params, json_mode=True)
        with pytest.raises(errors.ValidationError, match="response_format"):
            ds.chat_body(info, json_mode, stream=True)


def test_dashscope_json_schema_only_where_the_table_says() -> None:
    spec = {"name": "P", "schema": {"type": "object"}, "strict": True}
    request = ChatRequest((Message("user", "a"),), json_schema=spec)
    with pytest.raises(errors.ValidationError, match="json_schema"):
        ds.chat_body(QWEN_PLUS, request, stream=False)
    from dataclasses import replace

    body = ds.chat_body(replace(QWEN_PLUS, json_schema=True), request, stream=False)
    assert body["parameters"]["response_format"] == {"type": "json_schema", "json_schema": spec}
