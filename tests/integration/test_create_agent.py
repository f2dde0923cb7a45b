"""``langchain.agents.create_agent(model, tools, response_format=Answer)`` on every chat model
family we list, against the emulator.

LangChain 1.x picks the strategy from ``model.profile["structured_output"]``: True ->
``ProviderStrategy`` (``bind_tools(tools, response_format={"type": "json_schema", ...})``),
else ``ToolStrategy`` (the schema as one more tool named ``Answer``, ``tool_choice="any"``).
What each request carried shows which one ran; the agent's ``structured_response`` shows
that it worked. Models without native tool calling cannot run ``ToolStrategy`` (nor any
agent with tools): they refuse with a clear error before anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from cnllm import errors
from cnllm.clueai import models as clueai_models
from cnllm.dashscope import models as dashscope_models
from cnllm.demo.providers import clueai
from cnllm.emulator import Emulator
from cnllm.emulator.core import RecordedRequest
from cnllm.koala import models as koala_models
from cnllm.qianfan import models as qianfan_models
from langchain_cnllm import ChatClueAI, ChatDashScope, ChatKoala, ChatQianfan

QUESTION = "北京今天的天气怎么样？温度是多少摄氏度"


class Answer(BaseModel):
    """The final answer."""

    city: str = Field(description="the city asked about")
    temperature: int = Field(description="degrees Celsius")


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: sunny, 25 degrees"


@pytest.fixture
def sent(qianfan_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every chat request's body, in order (the emulator's stats keep only the last)."""
    monkeypatch.setenv("KOALA_BASE_URL", f"{qianfan_env.base_url}/v1")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-agent")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{qianfan_env.base_url}/api/v1")
    bodies: list[dict[str, Any]] = []
    stats = qianfan_env.app.stats
    record = stats.record

    def recording(request: RecordedRequest) -> None:
        if "token" not in request.path:
            bodies.append(dict(request.json))
        record(request)

    monkeypatch.setattr(stats, "record", recording)
    return bodies


def _run(model: BaseChatModel, tools: list[Any]) -> Answer:
    agent = create_agent(model, tools=tools, response_format=Answer)
    state = agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    answer = state["structured_response"]
    assert isinstance(answer, Answer)
    assert "北京" in answer.city
    return answer


def _qianfan(body: dict[str, Any]) -> tuple[list[str], Any, Any]:
    names = [function["name"] for function in body.get("functions") or []]
    return names, body.get("response_format"), body.get("tool_choice")


def _dashscope(body: dict[str, Any]) -> tuple[list[str], Any, Any]:
    parameters = body["parameters"]
    names = [tool["function"]["name"] for tool in parameters.get("tools") or []]
    return names, parameters.get("response_format"), parameters.get("tool_choice")


# -- every chat model in our tables -------------------------------------------------------------


def _build(vendor: str, name: str) -> BaseChatModel:
    """One chat model of ``vendor`` pointed at the emulator (the environment says where)."""
    if vendor == "qianfan":
        return ChatQianfan(model=name)
    if vendor == "dashscope":
        # A model that always thinks answers streams only (qwq-32b): stream it.
        profile = dashscope_models.profile(name)
        return ChatDashScope(
            model=name, streaming=profile.reasoning_output and not profile.thinking_optional
        )
    if vendor == "koala":
        return ChatKoala(model=name)
    base_url = os.environ["DASHSCOPE_HTTP_BASE_URL"].removesuffix("/api/v1")
    return ChatClueAI(model=name, **clueai.emulator_settings(base_url))


EVERY_MODEL: list[tuple[str, str]] = [
    *(("qianfan", name) for name in qianfan_models.known_models("chat")),
    *(("dashscope", name) for name in dashscope_models.known_models("chat")),
    *(("koala", info.name) for info in koala_models.MODELS if info.kind == "chat"),
    *(("clueai", name) for name in clueai_models.known_models()),
]


def _sent_schema(body: dict[str, Any]) -> tuple[list[str], Any]:
    """(tool names, response_format) of a Qianfan v1 or DashScope request."""
    names, response_format, _ = (_dashscope if "parameters" in body else _qianfan)(body)
    return names, response_format


@pytest.mark.parametrize("tools", [[get_weather], []], ids=["with-tool", "no-tool"])
@pytest.mark.parametrize(("vendor", "name"), EVERY_MODEL, ids=[f"{v}/{n}" for v, n in EVERY_MODEL])
def test_every_listed_model_gets_the_strategy_its_profile_names(
    sent: list[dict[str, Any]], vendor: str, name: str, tools: list[Any]
) -> None:
    """structured_output -> ProviderStrategy (response_format sent, no Answer tool); else
    ToolStrategy (the Answer tool sent). Either works wherever the model has what the
    strategy needs; where it has no tool calling, the agent is refused before sending."""
    model = _build(vendor, name)
    profile = model.profile
    assert profile is not None
    provider = bool(profile.get("structured_output"))
    needs_tools = bool(tools) or not provider  # ToolStrategy always binds the Answer tool
    if needs_tools and not profile.get("tool_calling"):
        agent = create_agent(model, tools=tools, response_format=Answer)
        with pytest.raises(errors.ValidationError, match="'tools'"):
            agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
        assert sent == []
        return
    _run(model, tools)
    assert sent
    for body in sent:
        names, response_format = _sent_schema(body)
        assert ("Answer" in names) is not provider
        assert (response_format is not None) is provider


# -- ProviderStrategy: the profile says structured_output (native JSON mode) -------------------

PROVIDER: list[tuple[Callable[[], BaseChatModel], Callable[..., Any], Any]] = [
    (lambda: ChatQianfan(model="ERNIE-3.5-8K"), _qianfan, "json_object"),  # functions + choice
    (lambda: ChatQianfan(model="ERNIE-4.0-8K"), _qianfan, "json_object"),  # functions only
    (lambda: ChatDashScope(model="qwen-plus"), _dashscope, {"type": "json_object"}),
    (lambda: ChatDashScope(model="qwen-plus"), _dashscope, {"type": "json_object"}),
]


@pytest.mark.parametrize(("build", "read", "json_mode"), PROVIDER)
def test_provider_strategy_with_a_tool(
    sent: list[dict[str, Any]],
    build: Callable[[], BaseChatModel],
    read: Callable[[dict[str, Any]], tuple[list[str], Any, Any]],
    json_mode: Any,
) -> None:
    model = build()
    assert model.profile is not None and model.profile["structured_output"] is True
    answer = _run(model, [get_weather])
    assert answer.temperature == 25  # read from the tool's result, so the tool really ran
    assert len(sent) == 2  # the tool call, then the answer
    for body in sent:
        names, response_format, _ = read(body)
        # ProviderStrategy: the schema travels as response_format (our vendors' JSON mode,
        # the schema in the instruction), never as a tool named after it.
        assert names == ["get_weather"]
        assert response_format == json_mode
    if isinstance(model, ChatDashScope):  # hybrid thinkers: JSON mode needs thinking off
        assert all(body["parameters"]["enable_thinking"] is False for body in sent)


def test_provider_strategy_without_tools_on_an_ernie_without_functions(
    sent: list[dict[str, Any]],
) -> None:
    model = ChatQianfan(model="ERNIE-Lite-8K")
    assert model.profile is not None
    assert (model.profile["structured_output"], model.profile["tool_calling"]) == (True, False)
    _run(model, [])
    assert [_qianfan(body) for body in sent] == [([], "json_object", None)]


def test_a_tool_on_a_model_without_functions_is_refused_before_sending(
    sent: list[dict[str, Any]],
) -> None:
    agent = create_agent(ChatQianfan(model="ERNIE-Lite-8K"), tools=[get_weather])
    with pytest.raises(errors.ValidationError, match="'tools'"):
        agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    assert sent == []


# -- ToolStrategy: tools but no native structured output ---------------------------------------


@pytest.mark.parametrize("tools", [[get_weather], []], ids=["with-tool", "no-tool"])
def test_tool_strategy_on_a_thinking_only_model(
    sent: list[dict[str, Any]], tools: list[Any]
) -> None:
    """qwq-32b thinks always: DashScope refuses JSON mode and forced tools then, so the
    profile says no structured_output, and ToolStrategy's tool_choice="any" is eased to
    "auto" with the request for a tool call put in words."""
    model = ChatDashScope(model="qwq-32b", streaming=True)  # qwq-32b answers streams only
    assert model.profile is not None and model.profile["structured_output"] is False
    _run(model, tools)
    assert len(sent) == len(tools) + 1
    for body in sent:
        names, response_format, choice = _dashscope(body)
        assert names == [*(tool.__name__ for tool in tools), "Answer"]
        assert response_format is None and choice == "auto"
        user = next(m for m in body["input"]["messages"] if m["role"] == "user")
        assert "calling one of these tools" in user["content"]
    assert _dashscope(sent[-1])[0][-1] == "Answer"


# -- models without native tool calling: ToolStrategy is refused, clearly, before sending ------


NO_TOOLS = [
    ("qianfan", "Qianfan-Chinese-Llama-2-13B"),
    ("koala", "Baichuan2-13B-Chat"),
    ("koala", "deepseek-r1"),
    ("koala", "qwen3-8b"),
    ("dashscope", "chatyuan-large-v2"),
    ("dashscope", "deepseek-r1"),
    ("clueai", "ChatYuan-large"),
]


@pytest.mark.parametrize(("vendor", "name"), NO_TOOLS, ids=[f"{v}/{n}" for v, n in NO_TOOLS])
def test_models_without_tool_calling_refuse_tool_strategy(
    sent: list[dict[str, Any]], vendor: str, name: str
) -> None:
    model = _build(vendor, name)
    assert model.profile is not None
    assert (model.profile["structured_output"], model.profile["tool_calling"]) == (False, False)
    agent = create_agent(model, tools=[], response_format=Answer)
    with pytest.raises(errors.ValidationError, match=r"no (native )?tool calling"):
        agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    assert sent == []
    if name == "deepseek-r1" and vendor == "dashscope":
        return  # thinking-only and streaming-only on DashScope: shown in the reasoning tests
    # What these models do have: structured output by prompt and parse.
    parsed = model.with_structured_output(Answer).invoke(QUESTION)
    assert isinstance(parsed, Answer) and "北京" in parsed.city


# -- an explicit ToolStrategy next to the user's tools -----------------------------------------


# DashScope warns (once per process) that "required" went out as "auto": expected here.
@pytest.mark.filterwarnings("ignore:tool_choice='required' has no DashScope form")
@pytest.mark.parametrize(
    ("build", "read"),
    [
        (lambda: ChatQianfan(model="ERNIE-3.5-8K"), _qianfan),
        (lambda: ChatDashScope(model="qwen-max"), _dashscope),
    ],
    ids=["qianfan/ERNIE-3.5-8K", "dashscope/qwen-max"],
)
def test_explicit_tool_strategy_beside_a_tool(
    sent: list[dict[str, Any]],
    build: Callable[[], BaseChatModel],
    read: Callable[[dict[str, Any]], tuple[list[str], Any, Any]],
) -> None:
    """ToolStrategy binds tool_choice="any" with two tools; Qianfan v1 and DashScope can
    force one named function only, so the choice goes out unforced and is asked in words."""
    agent = create_agent(build(), tools=[get_weather], response_format=ToolStrategy(Answer))
    state = agent.invoke({"messages": [{"role": "user", "content": QUESTION}]})
    answer = state["structured_response"]
    assert isinstance(answer, Answer) and answer.temperature == 25
    assert len(sent) == 2
    for body in sent:
        names, response_format, choice = read(body)
        assert names == ["get_weather", "Answer"] and response_format is None
        assert choice in (None, "auto")  # never a forced single function
    first = sent[0]
    messages = first["input"]["messages"] if "input" in first else first["messages"]
    assert "calling one of these tools: get_weather, Answer." in messages[-1]["content"]
