"""Qianfan build/parse functions against the seed documents' own examples (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnllm import errors
from cnllm.qianfan import models, protocol
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

SEEDS = Path(__file__).parent.parent / "seeds"
LLAMA = models.resolve("chat", "Qianfan-Chinese-Llama-2-13B", None)
ERNIE = models.resolve("chat", "ERNIE-3.5-8K", None)
CEREBRAS = models.resolve("completions", None, "my_cerebras_api")


def seed_json(name: str) -> dict:
    return json.loads((SEEDS / name).read_text(encoding="utf-8"))


def stream_deltas(name: str, info: models.ModelInfo) -> list:
    parser = protocol.StreamParser(info)
    deltas = [parser.feed(event) for event in iter_sse([(SEEDS / name).read_bytes()])]
    parser.finish()
    return [delta for delta in deltas if delta is not None]


# -- URLs ---------------------------------------------------------------------------------------


def test_urls_match_the_seed_documents() -> None:
    assert protocol.model_url(protocol.DEFAULT_BASE_URL, LLAMA) == (
        "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/qianfan_chinese_llama_2_13b"
    )
    assert protocol.model_url("http://127.0.0.1:9/", CEREBRAS) == (
        "http://127.0.0.1:9/rpc/2.0/ai_custom/v1/wenxinworkshop/completions/my_cerebras_api"
    )
    token = protocol.token_request("https://aip.baidubce.com", "AK", "SK")
    assert token.url == "https://aip.baidubce.com/oauth/2.0/token"
    assert dict(token.params) == {
        "grant_type": "client_credentials",
        "client_id": "AK",
        "client_secret": "SK",
    }


def test_model_names_are_case_insensitive_and_endpoints_are_user_deployed() -> None:
    assert models.resolve("chat", "qianfan-chinese-llama-2-13b", None).endpoint == (
        "qianfan_chinese_llama_2_13b"
    )
    assert models.resolve("chat", "ernie-bot", None).endpoint == "completions"
    custom = models.resolve("chat", None, "ngxxxol8_test1")
    assert custom.user_deployed and custom.endpoint == "ngxxxol8_test1"
    assert models.resolve("embeddings", "tao-8k", None).batch_size == 1
    with pytest.raises(errors.ConfigurationError, match="endpoint="):
        models.resolve("chat", "no-such-model", None)


# -- requests -----------------------------------------------------------------------------------


def test_single_turn_body_is_the_seed_curl_body() -> None:
    body = protocol.chat_body(LLAMA, ChatRequest((Message("user", "介绍下千帆"),)), stream=False)
    assert body == {"messages": [{"role": "user", "content": "介绍下千帆"}]}


def test_multi_turn_and_stream_body() -> None:
    turns = (
        Message("user", "你好"),
        Message("assistant", "你好!很高兴见到你,欢迎问我任何问题。"),
        Message("user", "介绍下故宫"),
    )
    body = protocol.chat_body(LLAMA, ChatRequest(turns), stream=True)
    assert body == {
        "messages": [
            {"role": "user", "content": "你好"},
            {"role": "assistant", "content": "你好!很高兴见到你,欢迎问我任何问题。"},
            {"role": "user", "content": "介绍下故宫"},
        ],
        "stream": True,
    }


def test_every_seed_parameter_is_sent() -> None:
    params = GenerationParams(
        temperature=0.8,
        top_p=0.5,
        top_k=4,
        penalty_score=1.2,
        stop=("。",),
        user_id="u-1",
        logprobs=True,
        top_logprobs=2,
        max_tokens=64,
    )
    request = ChatRequest((Message("system", "你是导游"), Message("user", "你好")), params)
    body = protocol.chat_body(ERNIE, request, stream=False)
    assert body == {
        "messages": [{"role": "user", "content": "你好"}],
        "system": "你是导游",
        "temperature": 0.8,
        "top_p": 0.5,
        "top_k": 4,
        "penalty_score": 1.2,
        "stop": ["。"],
        "user_id": "u-1",
        "logprobs": True,
        "top_logprobs": 2,
        "max_output_tokens": 64,
    }


def test_open_models_get_the_system_prompt_in_the_first_question() -> None:
    request = ChatRequest((Message("system", "用中文回答"), Message("user", "hi")))
    body = protocol.chat_body(LLAMA, request, stream=False)
    assert "system" not in body
    assert body["messages"] == [{"role": "user", "content": "用中文回答\n\nhi"}]


def test_completion_body_is_the_seed_body() -> None:
    request = CompletionRequest("introduce the city beijing")
    assert protocol.completion_body(CEREBRAS, request, stream=False) == {
        "prompt": "introduce the city beijing"
    }
    assert protocol.completion_body(CEREBRAS, request, stream=True) == {
        "prompt": "introduce the city beijing",
        "stream": True,
    }


def test_a_chat_model_asked_for_a_completion_gets_a_one_turn_chat() -> None:
    body = protocol.completion_body(LLAMA, CompletionRequest("hi"), stream=False)
    assert body == {"messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        (GenerationParams(temperature=0), "temperature"),
        (GenerationParams(temperature=1.5), "temperature"),
        (GenerationParams(top_p=1.1), "top_p"),
        (GenerationParams(penalty_score=0.5), "penalty_score"),
        (GenerationParams(penalty_score=2.5), "penalty_score"),
        (GenerationParams(stop=("a", "b", "c", "d", "e")), "stop"),
        (GenerationParams(stop=("x" * 21,)), "stop"),
        (GenerationParams(top_k=0), "top_k"),
        (GenerationParams(top_logprobs=6), "top_logprobs"),
        (GenerationParams(logprobs=True), "top_logprobs"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: GenerationParams, parameter: str) -> None:
    request = ChatRequest((Message("user", "hi"),), params)
    with pytest.raises(errors.ValidationError) as caught:
        protocol.chat_body(LLAMA, request, stream=False)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)


@pytest.mark.parametrize(
    "messages",
    [
        (),
        (Message("system", "only a system prompt"),),
        (Message("assistant", "hello"), Message("user", "hi")),
        (Message("user", "hi"), Message("assistant", "hello")),
        (Message("user", "   "),),
    ],
)
def test_conversations_qianfan_refuses_are_refused_before_sending(messages: tuple) -> None:
    with pytest.raises(errors.ValidationError, match="messages"):
        protocol.chat_body(LLAMA, ChatRequest(messages), stream=False)


def test_consecutive_turns_of_one_role_are_merged() -> None:
    messages = (
        Message("user", "a"),
        Message("user", "b"),
        Message("assistant", "c"),
        Message("assistant", "d"),
        Message("user", "e"),
    )
    body = protocol.chat_body(LLAMA, ChatRequest(messages), stream=False)
    assert [m["content"] for m in body["messages"]] == ["a\n\nb", "c\n\nd", "e"]


def test_content_over_the_documented_limit_is_refused() -> None:
    with pytest.raises(errors.InputTooLongError, match="8000"):
        protocol.chat_body(LLAMA, ChatRequest((Message("user", "字" * 8001),)), stream=False)


def test_images_are_refused_for_text_only_models() -> None:
    parts = [
        {"type": "text", "text": "图里有什么"},
        {"type": "image_url", "image_url": {"url": "x"}},
    ]
    with pytest.raises(errors.ValidationError, match="image_url"):
        protocol.chat_body(LLAMA, ChatRequest((Message("user", parts),)), stream=False)


def test_function_calling_wire_format() -> None:
    tool = ToolSpec(
        "get_weather", "查天气", {"type": "object", "properties": {"city": {"type": "string"}}}
    )
    call = ToolCall("call_1", "get_weather", '{"city": "北京"}')
    messages = (
        Message("user", "北京天气?"),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "晴", tool_call_id="call_1"),
    )
    body = protocol.chat_body(
        ERNIE, ChatRequest(messages, tools=(tool,), tool_choice="get_weather"), stream=False
    )
    assert body["functions"] == [
        {"name": "get_weather", "description": "查天气", "parameters": tool.parameters}
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "/",
        "function_call": {"name": "get_weather", "arguments": '{"city": "北京"}'},
    }
    assert body["messages"][2] == {
        "role": "function",
        "name": "get_weather",
        "content": '{"result": "晴"}',
    }


def test_parallel_tool_calls_are_replayed_as_one_pair_of_turns_each() -> None:
    calls = (ToolCall("a", "f", "{}"), ToolCall("b", "g", "{}"))
    messages = (
        Message("user", "q"),
        Message("assistant", "", tool_calls=calls),
        Message("tool", '{"x": 1}', tool_call_id="a"),
        Message("tool", "2", tool_call_id="b"),
    )
    tools = (ToolSpec("f", "", {}), ToolSpec("g", "", {}))
    wire = protocol.chat_body(ERNIE, ChatRequest(messages, tools=tools), stream=False)["messages"]
    assert [m["role"] for m in wire] == ["user", "assistant", "function", "assistant", "function"]
    assert wire[2]["content"] == '{"x": 1}'


def test_tools_on_a_model_without_function_calling_are_refused() -> None:
    request = ChatRequest((Message("user", "q"),), tools=(ToolSpec("f", "", {}),))
    with pytest.raises(errors.ValidationError, match="function calling"):
        protocol.chat_body(LLAMA, request, stream=False)


# -- responses ----------------------------------------------------------------------------------


def test_seed_sync_chat_answer() -> None:
    result = protocol.parse_result(seed_json("d003_sync.json"), LLAMA)
    assert result.text.startswith("千帆是百度旗下的企业级大模型生产平台")
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (
        7,
        67,
        74,
    )
    assert result.request_id == "as-bcmt5ct4iy"
    assert result.metadata["need_clear_history"] is False
    assert result.finish_reason is None  # the seed answer has no finish_reason: none is invented


def test_seed_completion_answer() -> None:
    result = protocol.parse_result(seed_json("d004_sync.json"), CEREBRAS)
    assert result.text.startswith("china.\nbeijing is the capital city")
    assert result.usage.total_tokens == 97
    assert result.metadata["is_safe"] is True


def test_seed_2023_stream_usage_follows_the_is_end_rule() -> None:
    deltas = stream_deltas("d003_stream_2023.sse", LLAMA)
    assert len(deltas) == 9
    assert [d.usage for d in deltas[:-1]] == [None] * 8
    final = deltas[-1]
    assert final.is_final and final.request_id == "as-ywwpgx4dt7"
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (
        11,
        401,
        412,
    )
    assert "".join(d.text for d in deltas).startswith("以下是一些适合自驾游的路线推荐")


def test_seed_2024_stream_usage_is_not_overcounted() -> None:
    final = stream_deltas("d003_stream_2024_python.sse", LLAMA)[-1]
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (
        3,
        234,
        237,
    )


def test_seed_completion_stream() -> None:
    deltas = stream_deltas("d004_stream.sse", CEREBRAS)
    assert deltas[-1].usage.output_tokens == 91  # 96 total - 5 prompt
    assert "".join(d.text for d in deltas).endswith("stunning scenery.")


def test_a_stream_without_is_end_raises() -> None:
    first = (SEEDS / "d003_stream_2023.sse").read_bytes().split(b"\n\n")[0] + b"\n\n"
    parser = protocol.StreamParser(LLAMA)
    for event in iter_sse([first]):
        parser.feed(event)
    with pytest.raises(errors.StreamInterruptedError, match="is_end"):
        parser.finish()


@pytest.mark.parametrize("seed", ["d003_error.json", "d004_error.json"])
def test_seed_error_bodies_become_typed_errors(seed: str) -> None:
    body = (SEEDS / seed).read_bytes()
    response = HttpResponse(200, {"Content-Type": "application/json"}, body)
    with pytest.raises(errors.AuthenticationError) as caught:
        protocol.check_response(response)
    assert caught.value.code == 110
    assert "invalid" in caught.value.message.lower()


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (2, errors.ServerError, True),
        (15, errors.ServerError, True),
        (18, errors.RateLimitError, True),
        (336100, errors.ServerError, True),
        (336501, errors.RateLimitError, True),
        (336502, errors.RateLimitError, True),
        (4, errors.RateLimitError, False),
        (17, errors.QuotaExceededError, False),
        (336000, errors.ServerError, False),
        (336003, errors.InvalidRequestError, False),
        (336005, errors.NotFoundError, False),
        (6, errors.PermissionDeniedError, False),
        (111, errors.AuthenticationError, False),
    ],
)
def test_error_codes_map_to_classes_and_retryability(code: int, cls: type, retryable: bool) -> None:
    error = protocol.error_from_code(code, "msg", request_id="as-1")
    assert type(error) is cls
    assert error.retryable is retryable
    assert (error.code, error.request_id) == (code, "as-1")


def test_mid_stream_error_event_raises() -> None:
    parser = protocol.StreamParser(LLAMA)
    events = list(
        iter_sse(
            [
                b'data: {"id":"as-1","sentence_id":0,"is_end":false,"result":"a"}\n\n'
                b'{"error_code": 336100, "error_msg": "busy"}\n'
            ]
        )
    )
    parser.feed(events[0])
    with pytest.raises(errors.ServerError):
        parser.feed(events[1])


def test_unsafe_input_is_a_content_filter_error_not_an_empty_answer() -> None:
    body = {"id": "as-x", "result": "", "need_clear_history": True, "ban_round": -1, "usage": {}}
    with pytest.raises(errors.ContentFilterError, match="need_clear_history"):
        protocol.parse_result(body, LLAMA)
    flagged = protocol.parse_result({**body, "result": "部分回答"}, LLAMA)
    assert flagged.metadata["need_clear_history"] is True
    with pytest.raises(errors.ContentFilterError, match="is_safe"):
        protocol.parse_result({"id": "as-y", "result": "", "is_safe": 0}, CEREBRAS)


def test_function_call_answer() -> None:
    body = {
        "id": "as-fc",
        "result": "",
        "function_call": {
            "name": "get_weather",
            "arguments": '{"city":"北京"}',
            "thoughts": "查一下",
        },
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    result = protocol.parse_result(body, ERNIE)
    assert result.tool_calls == (ToolCall("call_as-fc", "get_weather", '{"city":"北京"}'),)
    assert result.finish_reason == "function_call"
    assert result.metadata["thoughts"] == "查一下"


def test_embeddings_in_index_order_and_batch_limits() -> None:
    info = models.resolve("embeddings", "bge-large-zh", None)
    body = {
        "data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    result = protocol.parse_embeddings(body, info, 2)
    assert result.vectors == [[1.0, 0.0], [0.0, 1.0]]
    assert protocol.embedding_body(info, ["a", "b"], None) == {"input": ["a", "b"]}
    with pytest.raises(errors.ValidationError, match="1 to 16"):
        protocol.embedding_body(info, ["a"] * 17, None)
    with pytest.raises(errors.ValidationError, match=r"texts\[1\]"):
        protocol.embedding_body(info, ["a", ""], None)
