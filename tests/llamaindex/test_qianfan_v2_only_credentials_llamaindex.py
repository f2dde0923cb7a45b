"""Issue 12's "done means", LlamaIndex side: with ONLY a v2 API key, or ONLY the IAM pair, and
the v2 base URL (plus, for IAM, the IAM host) pointing at the emulator, a FunctionAgent on a
v2 ERNIE model, chat and a thinking stream_chat on ernie-x1-turbo-32k work, on v2."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from cnllm.emulator import Emulator
from cnllm.qianfan.v2.auth import clear_token_cache
from llamaindex_cnllm import Qianfan

V2_KEY = "bce-v3/ALTAK-onlykeyli/0123456789abcdef0123456789abcdef01234567"
CREDENTIALS = {
    "api-key": {"QIANFAN_API_KEY": V2_KEY},
    "iam-pair": {"QIANFAN_ACCESS_KEY": "only-li-ak", "QIANFAN_SECRET_KEY": "only-li-sk"},
}


@pytest.fixture(params=sorted(CREDENTIALS))
def only(
    request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Emulator]]:
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


async def test_a_function_agent(only: tuple[str, Emulator]) -> None:
    mode, emulator = only
    calls: list[int] = []

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        calls.append(a * b)
        return a * b

    llm = Qianfan(model="ernie-4.5-turbo-128k")
    assert llm.api == "v2"
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)
    response = await agent.run("What is 3 * 4?")
    assert calls == [12] and str(response)
    assert emulator.stats.requests["/v2/chat/completions"] >= 2
    _only_v2(mode, emulator)


def test_chat_and_a_thinking_stream(only: tuple[str, Emulator]) -> None:
    mode, emulator = only
    llm = Qianfan(model="ernie-x1-turbo-32k")
    question = [ChatMessage(role="user", content="9.11 和 9.9 哪个大？")]
    response = llm.chat(question)
    assert response.message.content and response.raw["api"] == "v2"
    assert any(isinstance(block, ThinkingBlock) for block in response.message.blocks)
    deltas = list(llm.stream_chat(question))
    assert "".join(d.additional_kwargs.get("thinking_delta", "") for d in deltas)
    assert deltas[-1].message.content
    _only_v2(mode, emulator)
