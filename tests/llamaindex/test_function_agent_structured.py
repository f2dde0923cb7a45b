"""LlamaIndex's FunctionAgent with ``output_cls``: the agent loop calls the tool natively,
then the structured answer comes from ``llm.as_structured_llm(output_cls)`` over the
transcript (our LLMs' structured_predict: a forced tool, with a hybrid thinker's thinking
switched off). A model without native function calling cannot run a FunctionAgent at all:
LlamaIndex refuses it by ``metadata.is_function_calling_model`` (its ReActAgent is the agent
for those)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent
from llama_index.core.llms import LLM
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field

from cnllm.emulator import Emulator
from llamaindex_cnllm import DashScope, Koala, Qianfan

QUESTION = "北京今天的天气怎么样？温度是多少摄氏度"


class Answer(BaseModel):
    """The final answer."""

    city: str = Field(description="the city asked about")
    temperature: int = Field(description="degrees Celsius")


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("QIANFAN_AK", "li-ak")
    monkeypatch.setenv("QIANFAN_SK", "li-sk")
    monkeypatch.setenv("QIANFAN_BASE_URL", emulator.base_url)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-agent")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    monkeypatch.setenv("KOALA_BASE_URL", f"{emulator.base_url}/v1")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    return emulator


# output_cls failures are only warnings in LlamaIndex: make them fail the test.
@pytest.mark.filterwarnings("error::UserWarning")
@pytest.mark.parametrize(
    "build",
    [lambda: DashScope(model="qwen-plus"), lambda: Qianfan(model="ERNIE-3.5-8K")],
    ids=["dashscope/qwen-plus", "qianfan/ERNIE-3.5-8K"],
)
async def test_function_agent_output_cls(env: Emulator, build: Callable[[], LLM]) -> None:
    calls: list[str] = []

    def get_weather(city: str) -> str:
        """Get the weather of a city."""
        calls.append(city)
        return f"{city}: sunny, 25 degrees"

    llm = build()
    assert llm.metadata.is_function_calling_model
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(get_weather)], llm=llm, output_cls=Answer
    )
    response: AgentOutput = await agent.run(QUESTION)
    assert len(calls) == 1 and "北京" in calls[0]
    answer = Answer.model_validate(response.structured_response)
    assert answer.temperature == 25  # read from the tool's result in the transcript


async def test_function_agent_refuses_a_model_without_function_calling(env: Emulator) -> None:
    llm = Koala(model="Baichuan2-13B-Chat")
    assert not llm.metadata.is_function_calling_model
    agent = FunctionAgent(tools=[], llm=llm, output_cls=Answer)
    with pytest.raises(Exception, match="LLM must be a FunctionCallingLLM"):
        await agent.run(QUESTION)
    assert env.stats.requests == {}  # refused before anything is sent
