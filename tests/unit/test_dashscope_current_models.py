"""The 2026 DashScope model table, offline: routes and the url-error fallback, retirements,
thinking rules, media checks, hosts and regions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cnllm import errors
from cnllm.dashscope import catalog, generation, hosts, models, multimodal, routes, thinking
from cnllm.types import ChatRequest, GenerationParams, Message, ToolSpec

URL_ERROR = errors.InvalidRequestError("url error, please check url！", code="InvalidParameter")
TOOL = ToolSpec("get_weather", "weather", {"type": "object", "properties": {}})


@pytest.fixture(autouse=True)
def _fresh_routes() -> Iterator[None]:
    routes.forget()
    yield
    routes.forget()


@pytest.mark.parametrize(
    ("model", "route"),
    [
        ("qwen3.6-plus", "multimodal"),
        ("qwen3.8-max", "multimodal"),
        ("qwen3.7-plus-2026-05-26", "multimodal"),
        ("qwen3.5-27b", "multimodal"),
        ("qwen3-vl-plus", "multimodal"),
        ("qvq-plus", "multimodal"),
        ("qwen3-omni-flash", "multimodal"),
        ("kimi-k2.5", "multimodal"),
        ("qwen-plus", "text"),
        ("qwen3-max-2026-01-23", "text"),
        ("qwen3-32b", "text"),
        ("qwen3.7-max", "text"),  # unverified: text first, the fallback settles it
        ("deepseek-v4-pro", "text"),
        ("chatyuan-large-v2", "text"),
        ("qwen4.1-plus", "multimodal"),  # an unknown name: by version
        ("qwen9-coder", "text"),
    ],
)
def test_first_route_by_family_or_version(model: str, route: str) -> None:
    assert routes.route_for(model) == route


def test_url_error_switches_once_and_is_remembered() -> None:
    tried: list[str] = []

    def send(route: str) -> str:
        tried.append(route)
        if route == "multimodal":
            raise URL_ERROR
        return f"answer via {route}"

    assert routes.call("qwen3.9-plus", send) == "answer via text"
    assert routes.call("qwen3.9-plus", send) == "answer via text"
    assert tried == ["multimodal", "text", "text"]  # the second call goes straight there


def test_other_errors_are_not_retried_on_the_other_route() -> None:
    def send(route: str) -> str:
        raise errors.InvalidRequestError("Model not exist.")

    with pytest.raises(errors.InvalidRequestError, match="Model not exist"):
        routes.call("qwen3.6-plus", send)


def test_a_stream_switches_on_an_error_before_the_first_item() -> None:
    def open_stream(route: str) -> Iterator[str]:
        if route == "multimodal":
            raise URL_ERROR  # the 200 event:error frame surfaces on the first next()
        yield from ("a", "b")

    assert list(routes.stream("qwen3.9-flash", open_stream)) == ["a", "b"]
    assert routes.route_for("qwen3.9-flash") == "text"


@pytest.mark.parametrize(
    ("model", "successor"),
    [
        ("qwen-turbo", "qwen3.7-flash"),
        ("qwen-vl-max", "qwen3.7-plus"),
        ("qwen-vl-plus", "qwen3.7-flash"),
        ("qwq-plus", "qwen3.7-plus"),
        ("QVQ-MAX", "qwen3.7-plus"),
    ],
)
def test_retired_models_are_refused_naming_the_successor(model: str, successor: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=f"2026-10-10; use {successor}"):
        models.resolve("chat", model)


def test_chatyuan_stays_as_the_seed_documents_it() -> None:
    info = models.resolve("chat", "chatyuan-large-v2")
    assert info.prompt_only and not info.metered and info.max_input_tokens == 4096
    assert catalog.family("chatyuan-large-v2") is None


def test_profiles() -> None:
    vl = catalog.profile_of("qwen3-vl-plus")
    assert vl is not None and vl.image_input and vl.video_input and not vl.audio_input
    max38 = catalog.profile_of("qwen3.8-max")
    assert max38 is not None and max38.json_schema and max38.reasoning_output
    qvq = catalog.profile_of("qvq-plus")
    assert qvq is not None and not qvq.thinking_optional and not qvq.tool_calling
    assert models.resolve("chat", "qwen3.6-plus").tools


# -- thinking -----------------------------------------------------------------------------------


def chat(**params: Any) -> ChatRequest:
    return ChatRequest((Message("user", "hi"),), GenerationParams(**params))


@pytest.mark.parametrize(
    ("model", "params", "parameter"),
    [
        ("qwen-max", {"enable_thinking": True}, "enable_thinking"),  # no thinking mode
        ("qwq-32b", {"enable_thinking": False}, "enable_thinking"),  # thinking-only
        ("qwen3-vl-plus-thinking", {"enable_thinking": False}, "enable_thinking"),
        ("qwen3.6-plus", {"thinking_budget": 0}, "thinking_budget"),
        (
            "qwen3.8-max",
            {"thinking_budget": 10, "extra": {"reasoning_effort": "low"}},
            "thinking_budget",
        ),
        ("qwen3.8-max", {"extra": {"reasoning_effort": "extreme"}}, "reasoning_effort"),
        ("qwen3.6-plus", {"extra": {"reasoning_effort": "low"}}, "reasoning_effort"),
    ],
)
def test_thinking_fields_are_validated_per_model(
    model: str, params: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(errors.ValidationError, match=parameter):
        thinking.validate(model, chat(**params))


def test_forced_tool_on_a_default_thinking_model_turns_thinking_off() -> None:
    request = ChatRequest((Message("user", "hi"),), tools=(TOOL,), tool_choice="get_weather")
    plan = thinking.plan("qwen3.6-plus", request, stream=False)
    assert plan.fields == {"enable_thinking": False} and not plan.thinking
    assert plan.request.tool_choice == "get_weather"


def test_forced_tool_with_thinking_asked_for_becomes_auto() -> None:
    request = ChatRequest(
        (Message("user", "hi"),),
        GenerationParams(enable_thinking=True),
        tools=(TOOL,),
        tool_choice="required",
    )
    thinking._WARNED.clear()  # warned once per process
    with pytest.warns(UserWarning, match="forced tool_choice"):
        plan = thinking.plan("qwen3.7-plus", request, stream=True)
    assert plan.request.tool_choice == "auto" and plan.thinking


def test_qwen38_json_mode_uses_reasoning_effort_none_when_given_an_effort() -> None:
    request = ChatRequest(
        (Message("user", "json please"),),
        GenerationParams(extra={"reasoning_effort": "low"}),
        json_mode=True,
    )
    plan = thinking.plan("qwen3.8-max", request, stream=False)
    assert plan.fields == {"enable_thinking": False, "reasoning_effort": "none"}


def test_a_budget_on_a_default_off_hybrid_switches_thinking_on() -> None:
    plan = thinking.plan("qwen-plus", chat(thinking_budget=64), stream=True)
    assert plan.fields == {"thinking_budget": 64, "enable_thinking": True} and plan.thinking
    assert thinking.plan("qwen3.6-plus", chat(thinking_budget=64), stream=True).fields == {
        "thinking_budget": 64
    }


def test_a_budget_with_thinking_off_is_not_sent() -> None:
    plan = thinking.plan(
        "qwen3.6-plus", chat(enable_thinking=False, thinking_budget=10), stream=True
    )
    assert plan.fields == {"enable_thinking": False}


def test_unknown_models_get_the_thinking_fields_as_asked() -> None:
    plan = thinking.plan("qwen9-max", chat(enable_thinking=True, thinking_budget=64), stream=True)
    assert plan.fields == {"enable_thinking": True, "thinking_budget": 64}


@pytest.mark.parametrize(
    ("model", "params", "underneath"),
    [
        ("qwen3-32b", {}, True),  # open hybrid: thinks by default, streams only then
        ("qwen3-32b", {"enable_thinking": False}, False),
        ("qwq-32b", {}, True),  # streaming-only
        ("qwen3-omni-flash", {}, True),
        ("qwen3.6-plus", {}, False),  # commercial: non-streaming thinking is allowed
    ],
)
def test_invoke_streams_underneath_where_the_vendor_demands_it(
    model: str, params: dict[str, Any], underneath: bool
) -> None:
    assert thinking.plan(model, chat(**params), stream=False).stream_underneath is underneath


def test_json_schema_where_the_model_has_it_else_json_object() -> None:
    schema = {"name": "person", "schema": {"type": "object"}, "strict": True}
    request = ChatRequest((Message("user", "x"),), json_schema=schema)
    assert thinking.response_format("qwen3.8-max", request) == {
        "type": "json_schema",
        "json_schema": {"name": "person", "schema": {"type": "object"}, "strict": True},
    }
    assert thinking.response_format("qwen3.6-plus", request) == {"type": "json_object"}


def test_json_object_mode_gets_the_word_json() -> None:
    messages = thinking.with_json_word((Message("system", "Be brief."), Message("user", "x")))
    assert messages[0].content == "Be brief.\nRespond in JSON."
    kept = (Message("user", "answer in json"),)
    assert thinking.with_json_word(kept) == kept


# -- media ----------------------------------------------------------------------------------------


def test_a_block_the_model_cannot_take_is_refused_naming_block_and_model() -> None:
    audio = Message("user", [{"type": "audio", "url": "https://x/a.wav"}])
    with pytest.raises(errors.ValidationError, match=r"qwen3\.6-plus does not take audio input"):
        multimodal.check([audio], "qwen3.6-plus", catalog.profile_of("qwen3.6-plus"))
    image = Message("user", [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}])
    with pytest.raises(errors.ValidationError, match="qwen-plus does not take image input"):
        info = models.resolve("chat", "qwen-plus")
        generation.prepare(info, ChatRequest((image,)), stream=False)
    with pytest.raises(errors.ValidationError, match="unsupported content block 'file'"):
        multimodal.check([Message("user", [{"type": "file"}])], "qwen3-vl-plus", None)


def test_v1_block_extras_carry_the_hints() -> None:
    block = {"type": "image", "url": "https://x/a.png", "extras": {"max_pixels": 1003520}}
    assert multimodal.native_parts([block]) == [{"image": "https://x/a.png", "max_pixels": 1003520}]


def test_compatible_mode_parts() -> None:
    parts = multimodal.compat_parts(
        [
            {"type": "image", "url": "https://x/a.png"},
            {"type": "video", "url": "https://x/v.mp4"},
            {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
            {"type": "text", "text": "?"},
        ]
    )
    assert parts == [
        {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
        {
            "type": "input_audio",
            "input_audio": {"data": "data:audio/wav;base64,UklGRg==", "format": "wav"},
        },
        {"type": "text", "text": "?"},
    ]


# -- hosts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({}, "https://dashscope.aliyuncs.com/api/v1"),
        ({"region": "ap-southeast-1"}, "https://dashscope-intl.aliyuncs.com/api/v1"),
        ({"region": "us-east-1"}, "https://dashscope-us.aliyuncs.com/api/v1"),
        (
            {"region": "cn-hongkong", "protocol": "openai"},
            "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
        ),
        (
            {"region": "ap-southeast-1", "workspace": "ws-abc", "workspace_gateway": True},
            "https://ws-abc.ap-southeast-1.maas.aliyuncs.com/api/v1",
        ),
        (
            {"region": "eu-central-1", "workspace": "llm-x1"},
            "https://llm-x1.eu-central-1.maas.aliyuncs.com/api/v1",
        ),
        (
            {"explicit": "https://dashscope-intl.aliyuncs.com"},
            "https://dashscope-intl.aliyuncs.com/api/v1",
        ),
        (
            {"explicit": "http://127.0.0.1:1/compatible-mode/v1/"},
            "http://127.0.0.1:1/compatible-mode/v1",
        ),
    ],
)
def test_base_urls(kwargs: dict[str, Any], url: str) -> None:
    assert hosts.base_url(**kwargs) == url


def test_bad_regions_and_workspaces_fail_naming_them() -> None:
    with pytest.raises(errors.ValidationError, match="region"):
        hosts.base_url(region="mars-1")
    with pytest.raises(errors.ConfigurationError, match="workspace"):
        hosts.base_url(region="ap-northeast-1")
    with pytest.raises(errors.ValidationError, match="workspace"):
        hosts.base_url(region="eu-central-1", workspace="bad host/")


def test_a_key_error_says_keys_are_regional() -> None:
    error = errors.AuthenticationError("Invalid API-key provided.", vendor="dashscope")
    explained = hosts.explain_key_error(error, "https://dashscope-intl.aliyuncs.com/api/v1")
    assert isinstance(explained, errors.AuthenticationError)
    assert "keys are regional" in explained.message
    assert "dashscope-intl.aliyuncs.com (ap-southeast-1)" in explained.message
