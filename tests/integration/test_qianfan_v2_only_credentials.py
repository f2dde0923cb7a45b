"""Issue 12's "done means", LangChain side: with ONLY a v2 API key, or ONLY the IAM pair, and
the v2 base URL (plus, for IAM, the IAM host) pointing at the emulator, a tool-calling
``create_agent`` on a v2 ERNIE model and a reasoning stream on ernie-x1-turbo-32k work, on v2,
and never touch v1. Every other Qianfan variable is deleted."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from cnllm.emulator import Emulator
from cnllm.qianfan.v2.auth import clear_token_cache
from langchain_cnllm import ChatQianfan

V2_KEY = "bce-v3/ALTAK-onlykey/0123456789abcdef0123456789abcdef01234567"
CREDENTIALS = {
    "api-key": {"QIANFAN_API_KEY": V2_KEY},
    "iam-pair": {"QIANFAN_ACCESS_KEY": "only-iam-ak", "QIANFAN_SECRET_KEY": "only-iam-sk"},
}


@tool
def get_weather(city: str) -> str:
    """查询一个城市今天的天气。"""
    return f"{city}：晴，25°C"


@pytest.fixture(params=sorted(CREDENTIALS))
def only(
    request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Emulator]]:
    """Nothing Qianfan in the environment but the chosen credentials and the hosts."""
    for name in [name for name in os.environ if name.startswith("QIANFAN_")]:
        monkeypatch.delenv(name)
    for name, value in CREDENTIALS[request.param].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    if request.param == "iam-pair":
        monkeypatch.setenv("QIANFAN_IAM_BASE_URL", emulator.base_url)
    clear_token_cache()
    yield request.param, emulator
    clear_token_cache()


def _only_v2(mode: str, emulator: Emulator) -> None:
    paths = set(emulator.stats.requests)
    assert paths and all(path.startswith(("/v2/", "/v1/BCE-BEARER/")) for path in paths), paths
    assert emulator.stats.token_requests == (1 if mode == "iam-pair" else 0)
    last = emulator.stats.last_request
    assert last is not None
    bearer = last.headers["Authorization"].removeprefix("Bearer ")
    assert bearer == V2_KEY if mode == "api-key" else bearer.startswith("bce-v3/")


def test_a_tool_calling_agent(only: tuple[str, Emulator]) -> None:
    mode, emulator = only
    model = ChatQianfan(model="ernie-4.5-turbo-128k")
    assert model.api == "v2"
    agent = create_agent(model, tools=[get_weather])
    state = agent.invoke({"messages": [{"role": "user", "content": "北京今天天气怎么样？"}]})
    messages = state["messages"]
    called = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls)
    assert called.tool_calls[0]["name"] == "get_weather"
    assert any(isinstance(m, ToolMessage) and "晴" in str(m.content) for m in messages)
    final = messages[-1]
    assert isinstance(final, AIMessage) and final.content and not final.tool_calls
    assert final.response_metadata["api"] == "v2"
    assert emulator.stats.requests["/v2/chat/completions"] == 2
    _only_v2(mode, emulator)


async def test_a_reasoning_stream(only: tuple[str, Emulator]) -> None:
    mode, emulator = only
    thinker = ChatQianfan(model="ernie-x1-turbo-32k")
    chunks = list(thinker.stream("9.11 和 9.9 哪个大？"))
    thought = "".join(c.additional_kwargs.get("reasoning_content", "") for c in chunks)
    answer = "".join(str(c.content) for c in chunks)
    assert thought and answer
    assert chunks[-1].response_metadata["api"] == "v2"
    assert chunks[-1].usage_metadata and chunks[-1].usage_metadata["output_tokens"] > 0
    achunks = [c async for c in thinker.astream("你好")]
    assert "".join(c.additional_kwargs.get("reasoning_content", "") for c in achunks)
    _only_v2(mode, emulator)
