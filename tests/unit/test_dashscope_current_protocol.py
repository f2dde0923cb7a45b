# ruff: noqa: E501  (the reference's examples are kept as written)
"""The 2026 DashScope wire, offline: the reference's request and response examples
(../shared/protocols/dashscope-current.md) built and parsed byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cnllm import errors
from cnllm.dashscope import compat, generation, models, protocol, routes
from cnllm.dashscope.compat import DashScopeCompat
from cnllm.sse import iter_sse
from cnllm.transport import HttpResponse
from cnllm.types import ChatRequest, GenerationParams, Message, ToolCall


def compact(text: str) -> str:
    """The reference's pretty-printed JSON as it goes on the wire (key order kept)."""
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


def wire(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def native_body(model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    info = models.resolve("chat", model)
    plan = generation.prepare(info, request, stream=stream)
    return generation.body(info, plan, routes.route_for(model), stream=stream)


# -- §11: native streaming chat with thinking on a multimodal-bound model --------------------------

SECTION_11_NATIVE = """
{"model":"qwen3.7-plus","input":{"messages":[{"role":"user","content":[{"text":"2+2?"}]}]},
 "parameters":{"incremental_output":true,"enable_thinking":true,"thinking_budget":512}}
"""


def test_section_11_native_thinking_request_byte_for_byte() -> None:
    request = ChatRequest(
        (Message("user", "2+2?"),), GenerationParams(enable_thinking=True, thinking_budget=512)
    )
    body = native_body("qwen3.7-plus", request, stream=True)
    assert wire(body) == compact(SECTION_11_NATIVE)
    assert routes.PATHS[routes.route_for("qwen3.7-plus")] == (
        "/services/aigc/multimodal-generation/generation"
    )


def test_section_11_stream_headers() -> None:
    settings = protocol.Settings(base_url="https://ws-1.ap-southeast-1.maas.aliyuncs.com/api/v1")
    request = protocol.request(settings, routes.MULTIMODAL_PATH, {}, stream=True)
    assert request.url == (
        "https://ws-1.ap-southeast-1.maas.aliyuncs.com/api/v1"
        "/services/aigc/multimodal-generation/generation"
    )
    assert request.headers["X-DashScope-SSE"] == "enable"
    assert request.headers["Accept"] == "text/event-stream"


# -- §2.4: multimodal-generation body with image, video and audio parts ----------------------------

SECTION_2_4_MESSAGES = """
[
  {"role": "system", "content": [{"text": "You are a helpful assistant."}]},
  {"role": "user", "content": [
    {"image": "https://example.com/a.jpg", "max_pixels": 1003520},
    {"video": "https://example.com/clip.mp4", "fps": 2},
    {"audio": "https://example.com/q.wav"},
    {"text": "Describe the image and the clip."}
  ]}
]
"""


def test_section_2_4_content_parts_from_standard_blocks() -> None:
    user = Message(
        "user",
        [
            {"type": "image", "url": "https://example.com/a.jpg", "max_pixels": 1003520},
            {"type": "video", "url": "https://example.com/clip.mp4", "fps": 2},
            {"type": "audio", "url": "https://example.com/q.wav"},
            {"type": "text", "text": "Describe the image and the clip."},
        ],
    )
    request = ChatRequest(
        (Message("system", "You are a helpful assistant."), user),
        GenerationParams(extra={"vl_high_resolution_images": False}),
    )
    body = native_body("qwen3-omni-flash", request, stream=True)
    assert wire(body["input"]["messages"]) == compact(SECTION_2_4_MESSAGES)
    assert body["parameters"] == {"incremental_output": True, "vl_high_resolution_images": False}


def test_openai_image_url_and_base64_become_native_image_parts() -> None:
    user = Message(
        "user",
        [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
            {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"},
            {"type": "text", "text": "?"},
        ],
    )
    body = native_body("qwen3.6-plus", ChatRequest((user,)), stream=False)
    assert body["input"]["messages"][0]["content"] == [
        {"image": "https://example.com/a.jpg"},
        {"image": "data:image/png;base64,iVBORw0KGgo="},
        {"text": "?"},
    ]


# -- §2.6 / §2.7: native answers -------------------------------------------------------------------

SECTION_2_6_TEXT = """
{
  "output": {
    "choices": [
      {"finish_reason": "stop",
       "message": {"role": "assistant", "content": "I am Qwen...", "reasoning_content": "..."}}
    ]
  },
  "usage": {"input_tokens": 22, "output_tokens": 17, "total_tokens": 39,
            "prompt_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}},
  "request_id": "db13c38b-4291-9f90-9117-a6be2d823ee5"
}
"""

SECTION_2_6_TOOLS = """
{"output":{"choices":[{"finish_reason":"tool_calls","message":{"role":"assistant","content":"",
  "tool_calls":[{"index":0,"id":"call_6596dafa2a6a46f7a217da","type":"function",
    "function":{"name":"get_current_weather","arguments":"{\\"location\\": \\"Hangzhou\\"}"}}]}}]},
 "usage":{"input_tokens":256,"output_tokens":18,"total_tokens":274},"request_id":"..."}
"""


def test_section_2_6_text_generation_answer() -> None:
    info = models.resolve("chat", "qwen-plus")
    result = protocol.parse_result(json.loads(SECTION_2_6_TEXT), info)
    assert result.text == "I am Qwen..."
    assert result.finish_reason == "stop"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (22, 17)  # type: ignore[union-attr]
    assert result.usage.total_tokens == 39  # type: ignore[union-attr]
    assert result.request_id == "db13c38b-4291-9f90-9117-a6be2d823ee5"
    reasoning = result.reasoning or result.metadata.get("reasoning_content")
    assert reasoning == "..."


def test_section_2_6_tool_call_answer() -> None:
    info = models.resolve("chat", "qwen-plus")
    result = protocol.parse_result(json.loads(SECTION_2_6_TOOLS), info)
    (call,) = result.tool_calls
    assert (call.id, call.name) == ("call_6596dafa2a6a46f7a217da", "get_current_weather")
    assert call.arguments == '{"location": "Hangzhou"}'  # the JSON string as sent
    assert result.finish_reason == "tool_calls"


def test_multimodal_answer_with_list_content_and_empty_final_content() -> None:
    info = models.resolve("chat", "qwen3.6-plus")
    body = {
        "output": {
            "choices": [
                {
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": [{"text": "猫"}]},
                }
            ]
        },
        "usage": {
            "input_tokens": 300,
            "output_tokens": 1,
            "total_tokens": 301,
            "image_tokens": 258,
        },
        "request_id": "r",
    }
    result = protocol.parse_result(body, info)
    assert result.text == "猫"
    assert result.usage is not None and result.usage.input_tokens == 300


SECTION_2_7_EVENT = (
    "id:1\n"
    "event:result\n"
    ":HTTP_STATUS/200\n"
    'data:{"output":{"choices":[{"message":{"content":"","reasoning_content":"The","role":"assistant"},'
    '"finish_reason":"null"}]},"usage":{"total_tokens":290,"output_tokens":3,"input_tokens":287,'
    '"output_tokens_details":{"reasoning_tokens":1}},"request_id":"a1959ad1-2637-4672-a21f-4d351371d254"}\n'
    "\n"
)


def test_section_2_7_reasoning_event_is_not_the_end() -> None:
    parser = protocol.StreamParser(models.resolve("chat", "qwen3.6-plus"))
    (event,) = list(iter_sse([SECTION_2_7_EVENT.encode()]))
    delta = parser.feed(event)
    assert delta is not None and not delta.is_final and delta.text == ""
    assert not parser.finished  # "null" (a string) means still generating


SECTION_2_7_ERROR = (
    "id:1\n"
    "event:error\n"
    ":HTTP_STATUS/400\n"
    'data:{"code":"InvalidParameter","message":"Required parameter(AppId) missing or invalid, '
    'please check the request parameters.","request_id":"d18bb1bc-..."}\n'
    "\n"
)


def test_section_2_7_error_frame_on_http_200_raises() -> None:
    parser = protocol.StreamParser(models.resolve("chat", "qwen3.6-plus"))
    (event,) = list(iter_sse([SECTION_2_7_ERROR.encode()]))
    with pytest.raises(errors.InvalidRequestError) as caught:
        parser.feed(event)
    assert caught.value.code == "InvalidParameter"
    assert caught.value.request_id == "d18bb1bc-..."


SECTION_2_2_URL_ERROR = (
    '{"request_id":"840fd60f-2a6e-4d8b-ae54-343413084ea6","code":"InvalidParameter","message":'
    '"url error, please check url！ For details, see: '
    'https://help.aliyun.com/zh/model-studio/error-code#error-url"}'
)


def test_section_2_2_url_error_is_recognised_for_the_fallback() -> None:
    response = HttpResponse(
        400, {"content-type": "application/json"}, SECTION_2_2_URL_ERROR.encode()
    )
    with pytest.raises(errors.InvalidRequestError) as caught:
        protocol.check_response(response)
    assert routes.is_url_error(caught.value)
    assert caught.value.request_id == "840fd60f-2a6e-4d8b-ae54-343413084ea6"
    assert not routes.is_url_error(errors.InvalidRequestError("Model not exist."))


# -- §3: compatible mode ---------------------------------------------------------------------------

SECTION_3_2_REQUEST = """
{
  "model": "qwen3.6-plus",
  "messages": [{"role": "user", "content": "If 3x + 7 = 22, what is x?"}],
  "stream": true,
  "stream_options": {"include_usage": true},
  "enable_thinking": true,
  "thinking_budget": 500
}
"""


def compat_body(model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    info = models.resolve("chat", model)
    plan = generation.prepare(info, request, stream=stream)
    planned = compat.DashScopeCompatClient._planned(plan)
    return DashScopeCompat().chat_body(model, planned, stream=stream)


def test_section_3_2_compatible_thinking_request_byte_for_byte() -> None:
    request = ChatRequest(
        (Message("user", "If 3x + 7 = 22, what is x?"),),
        GenerationParams(enable_thinking=True, thinking_budget=500),
    )
    assert wire(compat_body("qwen3.6-plus", request, stream=True)) == compact(SECTION_3_2_REQUEST)


SECTION_11_COMPAT = """
{"model":"qwen3.5-plus","enable_thinking":false,
 "response_format":{"type":"json_object"},
 "messages":[{"role":"system","content":"Reply in JSON."},{"role":"user","content":"Name and age: Alice, 25"}]}
"""


def test_section_11_compatible_json_extraction_request() -> None:
    request = ChatRequest(
        (Message("system", "Reply in JSON."), Message("user", "Name and age: Alice, 25")),
        GenerationParams(enable_thinking=False),
        json_mode=True,
    )
    assert compat_body("qwen3.5-plus", request, stream=False) == json.loads(SECTION_11_COMPAT)


def test_json_mode_on_a_default_thinking_model_turns_thinking_off() -> None:
    request = ChatRequest((Message("user", "Reply in JSON: Alice, 25"),), json_mode=True)
    body = compat_body("qwen3.5-plus", request, stream=False)
    assert body["enable_thinking"] is False  # the §4.4 refusal avoided, not hit
    assert body["response_format"] == {"type": "json_object"}


SECTION_3_3_RESPONSE = """
{
  "choices": [{
    "message": {"role": "assistant", "content": "pong",
                "reasoning_content": "We need respond to user \\"ping\\"..."},
    "finish_reason": "stop", "index": 0, "logprobs": null
  }],
  "object": "chat.completion",
  "usage": {"prompt_tokens": 62, "completion_tokens": 21, "total_tokens": 83,
            "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": 62},
            "completion_tokens_details": {"reasoning_tokens": 18, "text_tokens": 3}},
  "created": 1788795605, "system_fingerprint": null,
  "model": "qwen3.8-flash", "id": "chatcmpl-a4bf6f93-3658-938c-9743-bbae51c5d0a1"
}
"""


def test_section_3_3_compatible_answer_with_reasoning_and_usage_details() -> None:
    result = DashScopeCompat().parse_result(
        json.loads(SECTION_3_3_RESPONSE), "chat", "qwen3.8-flash"
    )
    assert result.text == "pong"
    assert result.reasoning == 'We need respond to user "ping"...'
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (
        62,
        21,
        83,
    )
    assert (result.usage.cached_input_tokens, result.usage.reasoning_tokens) == (0, 18)
    assert result.request_id == "chatcmpl-a4bf6f93-3658-938c-9743-bbae51c5d0a1"


SECTION_3_4_STREAM = (
    'data: {"choices":[{"delta":{"content":null,"role":"assistant","reasoning_content":""},"index":0,'
    '"logprobs":null,"finish_reason":null}],"object":"chat.completion.chunk","usage":null,'
    '"created":1761899724,"system_fingerprint":null,"model":"qwen3-max-2026-01-23",'
    '"id":"chatcmpl-2f96ef0b-5924-4dfc-b768-4d53ec538b4e"}\n\n'
    'data: {"choices":[{"finish_reason":null,"logprobs":null,"delta":{"content":null,'
    '"reasoning_content":"The user"},"index":0}],"object":"chat.completion.chunk","usage":null}\n\n'
    'data: {"choices":[{"delta":{"content":".","reasoning_content":null},"finish_reason":null,'
    '"index":0,"logprobs":null}]}\n\n'
    'data: {"choices":[{"finish_reason":"stop","delta":{"content":"","reasoning_content":null},'
    '"index":0,"logprobs":null}],"object":"chat.completion.chunk","usage":null}\n\n'
    "data: [DONE]\n\n"
)


def test_section_3_4_compatible_stream_reasoning_then_answer() -> None:
    parser = DashScopeCompat().stream_parser("chat", "qwen3-max-2026-01-23")
    deltas = [d for e in iter_sse([SECTION_3_4_STREAM.encode()]) if (d := parser.feed(e))]
    assert "".join(d.reasoning for d in deltas) == "The user"
    assert "".join(d.text for d in deltas) == "."
    assert deltas[-1].is_final and deltas[-1].finish_reason == "stop"
    assert deltas[-1].request_id == "chatcmpl-2f96ef0b-5924-4dfc-b768-4d53ec538b4e"


def test_include_usage_chunk_with_empty_choices() -> None:
    parser = DashScopeCompat().stream_parser("chat", "qwen3.6-plus")
    usage = {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14,
             "completion_tokens_details": {"reasoning_tokens": 4}}  # fmt: skip
    stream = (
        'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop","index":0}]}\n\n'
        f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
        "data: [DONE]\n\n"
    )
    deltas = [d for e in iter_sse([stream.encode()]) if (d := parser.feed(e))]
    assert deltas[-1].usage is not None and deltas[-1].usage.reasoning_tokens == 4
    assert deltas[-1].usage.total_tokens == 14


SECTION_3_5_ERROR = (
    '{"error":{"message":"<400> InternalError.Algo.InvalidParameter: The tool_choice parameter '
    'does not support being set to required or object in thinking mode","type":'
    '"invalid_request_error","param":null,"code":"invalid_parameter_error"},'
    '"id":"chatcmpl-5bf78562-0341-9de2-8d10-5429ef761b7e",'
    '"request_id":"5bf78562-0341-9de2-8d10-5429ef761b7e"}'
)


def test_section_3_5_compatible_error_body() -> None:
    response = HttpResponse(400, {"content-type": "application/json"}, SECTION_3_5_ERROR.encode())
    with pytest.raises(errors.InvalidRequestError) as caught:
        DashScopeCompat().check_response(response)
    assert caught.value.code == "invalid_parameter_error"
    assert caught.value.request_id == "5bf78562-0341-9de2-8d10-5429ef761b7e"
    assert "thinking mode" in caught.value.message


# -- §6: embeddings --------------------------------------------------------------------------------

SECTION_6_3_REQUEST = """
{"model": "text-embedding-v4", "input": ["a", "b"], "dimensions": 1024, "encoding_format": "float"}
"""

SECTION_6_2_RESPONSE = """
{
  "output": {
    "embeddings": [
      {"sparse_embedding": [{"index": 7149, "value": 0.829, "token": "wind"}],
       "embedding": [-0.006929283495992422, -0.005336422007530928],
       "text_index": 0}
    ]
  },
  "usage": {"total_tokens": 27},
  "request_id": "1ba94ac8-e058-99bc-9cc1-7fdb37940a46"
}
"""


def test_section_6_3_compatible_embedding_request_byte_for_byte() -> None:
    client = compat.DashScopeCompatClient("sk-x", base_url="https://h/compatible-mode/v1")
    info = models.resolve("embeddings", "text-embedding-v4")
    (body,) = client._embedding_bodies(info, ["a", "b"], "document", 1024, None)
    assert wire(body) == compact(SECTION_6_3_REQUEST)


def test_section_6_2_native_embedding_answer() -> None:
    info = models.resolve("embeddings", "text-embedding-v4")
    result = protocol.parse_embeddings(json.loads(SECTION_6_2_RESPONSE), info, 1)
    assert result.vectors == [[-0.006929283495992422, -0.005336422007530928]]
    assert result.usage is not None and result.usage.total_tokens == 27


def test_section_6_2_native_embedding_request() -> None:
    info = models.resolve("embeddings", "text-embedding-v4")
    body = protocol.embedding_body(
        info, ["first text", "second text"], text_type="query", dimension=1024
    )
    assert body == {
        "model": "text-embedding-v4",
        "input": {"texts": ["first text", "second text"]},
        "parameters": {"text_type": "query", "dimension": 1024},
    }


def test_compatible_mode_sends_reasoning_back_only_within_a_tool_loop() -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "北京"}')
    looped = Message("assistant", "", tool_calls=(call,), reasoning="先查天气")
    answered = Message("assistant", "晴", reasoning="想了想")
    assert compat.wire_message(looped)["reasoning_content"] == "先查天气"
    assert "reasoning_content" not in compat.wire_message(answered)
    native = native_body(
        "qwen3.6-plus",
        ChatRequest((Message("user", "?"), looped, Message("tool", "晴", tool_call_id="call_1"))),
        stream=False,
    )
    assert all("reasoning_content" not in m for m in native["input"]["messages"])  # §4.5
