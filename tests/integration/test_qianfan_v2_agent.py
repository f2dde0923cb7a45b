"""``create_agent(model, tools, response_format=Answer)`` on every chat model of the Qianfan v2
table, against the emulator: the strategy follows the model's profile (ProviderStrategy ->
``response_format``; ToolStrategy -> an ``Answer`` tool) and the agent gets its answer; a
model without function calling is refused before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from pydantic import BaseModel, Field

from cnllm import errors
from cnllm.emulator import Emulator
from cnllm.emulator.core import RecordedRequest
from cnllm.qianfan.v2 import models
from langchain_cnllm import ChatQianfan

QUESTION = "北京今天的天气怎么样？温度是多少摄氏度"
V2_KEY = "bce-v3/ALTAK-agent/0123456789abcdef0123456789abcdef01234567"
CHAT_MODELS = models.known_models("chat")


class Answer(BaseModel):
    """The final answer."""

    city: str = Field(description="the city asked about")
    temperature: int = Field(description="degrees Celsius")


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: sunny, 25 degrees"


@pytest.fixture
def sent(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_API_KEY", V2_KEY)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    bodies: list[dict[str, Any]] = []
    stats = emulator.app.stats
    record = stats.record

    def recording(request: RecordedRequest) -> None:
        bodies.append(dict(request.json))
        record(request)

    monkeypatch.setattr(stats, "record", recording)
    return bodies


@pytest.mark.parametrize("tools", [[get_weather], []], ids=["with-tool", "no-tool"])
@pytest.mark.parametrize("name", CHAT_MODELS)
def test_every_v2_model_gets_the_strategy_its_profile_names(
    sent: list[dict[str, Any]], name: str, tools: list[Any]
) -> None:
    model = ChatQianfan(model=name)
    profile = model.profile or {}
    provider = bool(profile.get("structured_output"))
    agent = create_agent(model, tools=tools, response_format=Answer)
    if (tools or not provider) and not profile.get("tool_calling"):
        with pytest.raises(errors.ValidationError, match="'tools'"):
            agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
        assert sent == []
        return
    state = agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    answer = state["structured_response"]
    assert isinstance(answer, Answer) and "北京" in answer.city
    assert sent and all(body["model"] == name for body in sent)
    for body in sent:
        names = [tool["function"]["name"] for tool in body.get("tools") or ()]
        assert ("Answer" in names) is not provider
        # ProviderStrategy: response_format, or (a model sure to think refuses it) the
        # schema asked for in the question.
        asked = "JSON schema" in str(body["messages"][0]["content"])
        assert ("response_format" in body or asked) is provider
