"""Reasoning models end to end against the emulator: Koala's vLLM-served deepseek-r1 and
qwen3-8b (OpenAI-compatible), DashScope native qwq-32b and qwen-plus with thinking; both
frameworks; usage details; the vendors' refusals; reasoning never sent back where refused."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from pydantic import BaseModel

from cnllm.emulator import Emulator
from langchain_cnllm import ChatDashScope, ChatKoala, ChatQianfan
from llamaindex_cnllm import DashScope, Koala

GENERATION = "/api/v1/services/aigc/text-generation/generation"


class Weather(BaseModel):
    city: str
    unit: str


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: sunny"


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("KOALA_BASE_URL", f"{emulator.base_url}/v1")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-reasoning")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    return emulator


def _merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    return merged


def _sent(emulator: Emulator) -> dict[str, Any]:
    last = emulator.stats.last_request
    assert last is not None
    return dict(last.json)


# -- Koala (OpenAI-compatible dialect) -----------------------------------------------------------


def test_koala_deepseek_r1_streams_its_thinking_first(env: Emulator) -> None:
    chunks = list(ChatKoala(model="deepseek-r1").stream("北京天气怎么样"))
    first_text = next(i for i, c in enumerate(chunks) if c.content)
    thinking = [c.additional_kwargs.get("reasoning_content", "") for c in chunks[:first_text]]
    assert thinking[0] and all(thinking)  # the first chunk already carries thinking
    merged = _merge(chunks)
    assert [b["type"] for b in merged.content_blocks] == ["reasoning", "text"]
    assert "北京天气怎么样" in merged.additional_kwargs["reasoning_content"]


def test_koala_deepseek_r1_invoke_reports_usage_details(env: Emulator) -> None:
    history = [HumanMessage("你好"), AIMessage("你好！"), HumanMessage("再说一次你好")]
    message = ChatKoala(model="deepseek-r1").invoke(history)
    assert message.additional_kwargs["reasoning_content"]
    usage = message.usage_metadata
    assert usage is not None
    details = usage["output_token_details"]
    assert details["reasoning"] > 0 and usage["output_tokens"] > details["reasoning"]
    assert usage["input_token_details"]["cache_read"] >= 0


def test_koala_never_sends_reasoning_back_where_the_server_refuses_it(env: Emulator) -> None:
    chat = ChatKoala(model="deepseek-r1")
    first = chat.invoke("1+1?")
    answer = chat.invoke([HumanMessage("1+1?"), first, HumanMessage("再加1?")])
    assert answer.content
    assert all("reasoning_content" not in m for m in _sent(env)["messages"])
    # The emulated server does refuse it, as DeepSeek's reasoner does.
    echoed = {
        "model": "deepseek-r1",
        "messages": [
            {"role": "user", "content": "1+1?"},
            {"role": "assistant", "content": "2", "reasoning_content": "r"},
            {"role": "user", "content": "再加1?"},
        ],
    }
    refused = httpx.post(f"{env.base_url}/v1/chat/completions", json=echoed)
    assert refused.status_code == 400


def test_koala_qwen3_reads_vllm_reasoning_field_and_switch(env: Emulator) -> None:
    thinking = ChatKoala(model="qwen3-8b").invoke("你好")
    assert thinking.additional_kwargs["reasoning_content"]
    plain = ChatKoala(model="qwen3-8b", enable_thinking=False).invoke("你好")
    assert "reasoning_content" not in plain.additional_kwargs
    assert _sent(env)["chat_template_kwargs"] == {"enable_thinking": False}


def test_koala_structured_output_by_prompt_on_a_reasoning_model(env: Emulator) -> None:
    chat = ChatKoala(model="deepseek-r1")
    assert chat.profile is not None and chat.profile["structured_output"] is False
    out = chat.with_structured_output(Weather, include_raw=True).invoke("北京天气，摄氏度")
    assert isinstance(out, dict) and isinstance(out["parsed"], Weather)


def test_llamaindex_koala_thinking_delta(env: Emulator) -> None:
    responses = list(
        Koala(model="deepseek-r1").stream_chat([ChatMessage(role="user", content="hi")])
    )
    deltas = [r.additional_kwargs.get("thinking_delta") for r in responses]
    assert deltas[0]
    last = responses[-1].message
    assert isinstance(last.blocks[0], ThinkingBlock) and last.blocks[0].content == "".join(
        d for d in deltas if d
    )


# -- DashScope native --------------------------------------------------------------------------


def test_dashscope_qwq_streams_thinking_then_answer_with_usage_details(env: Emulator) -> None:
    chunks = list(ChatDashScope(model="qwq-32b").stream("你好"))
    assert chunks[0].additional_kwargs.get("reasoning_content")
    merged = _merge(chunks)
    assert [b["type"] for b in merged.content_blocks] == ["reasoning", "text"]
    usage = merged.usage_metadata
    assert usage is not None and usage["output_token_details"]["reasoning"] > 0
    assert usage["input_token_details"] == {"cache_read": 0}


def test_dashscope_qwq_refuses_non_streaming_calls_as_documented(env: Emulator) -> None:
    # The service refuses a non-streaming QwQ call (400 "only support stream mode"); invoke
    # streams underneath and aggregates, so the caller never sees that refusal.
    raw = httpx.post(
        f"{env.base_url}{GENERATION}",
        json={"model": "qwq-32b", "input": {"messages": [{"role": "user", "content": "你好"}]}},
        headers={"Authorization": "Bearer sk-reasoning"},
    )
    assert raw.status_code == 400 and "only support stream mode" in raw.json()["message"]
    message = ChatDashScope(model="qwq-32b", max_retries=0).invoke("你好")
    assert message.text and message.content_blocks[0]["type"] == "reasoning"


def test_dashscope_qwen_plus_thinking_invoke_and_v1_content(env: Emulator) -> None:
    message = ChatDashScope(model="qwen-plus", enable_thinking=True, output_version="v1").invoke(
        "你好"
    )
    assert isinstance(message.content, list)
    assert [b["type"] for b in message.content] == ["reasoning", "text"]  # type: ignore[index]
    assert _sent(env)["parameters"]["enable_thinking"] is True


def test_dashscope_forced_tool_while_thinking_is_eased_not_refused(env: Emulator) -> None:
    chat = ChatDashScope(model="qwen-plus", enable_thinking=True)
    message = chat.bind_tools([get_weather], tool_choice="get_weather").invoke("北京天气")
    assert message.tool_calls and message.tool_calls[0]["name"] == "get_weather"
    assert _sent(env)["parameters"]["tool_choice"] == "auto"


def test_dashscope_server_refuses_forced_tool_while_thinking(env: Emulator) -> None:
    body = {
        "model": "qwen-plus",
        "input": {"messages": [{"role": "user", "content": "北京天气"}]},
        "parameters": {
            "result_format": "message",
            "enable_thinking": True,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
        },
    }
    headers = {"Authorization": "Bearer sk-reasoning"}
    refused = httpx.post(f"{env.base_url}{GENERATION}", json=body, headers=headers)
    assert refused.status_code == 400 and "thinking mode" in refused.json()["message"]


@pytest.mark.parametrize(
    ("model", "settings", "forced"),
    [
        ("qwen-flash", {}, True),  # hybrid at its default: forced tool, thinking switched off
        ("qwen-plus", {"enable_thinking": True}, False),  # thinking: the tool only offered
        ("qwq-32b", {"streaming": True}, False),  # thinking-only, streaming-only
    ],
)
def test_dashscope_structured_output_on_reasoning_models(
    env: Emulator, model: str, settings: dict[str, Any], forced: bool
) -> None:
    chat = ChatDashScope(model=model, **settings)
    parsed = chat.with_structured_output(Weather).invoke("北京天气，摄氏度")
    assert isinstance(parsed, Weather)
    parameters = _sent(env)["parameters"]
    assert isinstance(parameters.get("tool_choice"), dict) is forced
    if forced:
        assert parameters["enable_thinking"] is False


def test_dashscope_bind_tools_response_format_becomes_json_mode(env: Emulator) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": Weather.model_json_schema()},
    }
    message = (
        ChatDashScope(model="qwen-plus")
        .bind_tools([], response_format=response_format)
        .invoke("北京天气，摄氏度")
    )
    assert Weather.model_validate(json.loads(str(message.content)))
    parameters = _sent(env)["parameters"]
    assert parameters["response_format"] == {"type": "json_object"}
    assert parameters["enable_thinking"] is False


def test_llamaindex_dashscope_thinking_block_and_deltas(env: Emulator) -> None:
    llm = DashScope(model="qwen-plus", enable_thinking=True)
    response = llm.chat([ChatMessage(role="user", content="你好")])
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    assert response.message.blocks[0].num_tokens
    streamed = list(
        DashScope(model="qwq-32b").stream_chat([ChatMessage(role="user", content="你好")])
    )
    assert streamed[0].additional_kwargs["thinking_delta"]


# -- Qianfan v1: profile data only (no reasoning models on v1) --------------------------------


def test_qianfan_ernie_honours_response_format_through_json_mode(qianfan_env: Emulator) -> None:
    chat = ChatQianfan(model="ERNIE-3.5-8K")
    assert chat.profile is not None and chat.profile["structured_output"] is True
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": Weather.model_json_schema()},
    }
    message = chat.bind_tools([], response_format=response_format).invoke("北京天气，摄氏度")
    assert Weather.model_validate(json.loads(str(message.content)))
    assert _sent(qianfan_env)["response_format"] == "json_object"


def test_qianfan_open_model_claims_no_structured_output(qianfan_env: Emulator) -> None:
    profile = ChatQianfan(model="Qianfan-Chinese-Llama-2-13B").profile
    assert profile is not None
    assert (profile["structured_output"], profile["tool_calling"]) == (False, False)
