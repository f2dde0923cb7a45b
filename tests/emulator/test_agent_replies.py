"""What an agent loop needs from the emulated models after a tool result: JSON mode still
holds (the answer is JSON, filled from the question and the result), and a request in words
to answer through a tool is followed. Pure reply functions, no server."""

from __future__ import annotations

import json
from typing import Any

from cnllm.emulator import schema
from cnllm.emulator.dashscope import replies as dashscope
from cnllm.emulator.qianfan import replies as qianfan
from cnllm.structured import json_instruction, tool_instruction

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature": {"type": "integer"}},
    "required": ["city", "temperature"],
}
QUESTION = "北京今天的天气怎么样？"
WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}
ANSWER = {"name": "Answer", "parameters": SCHEMA}


def _qianfan(question: str, result: str, **fields: Any) -> qianfan.Reply:
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "", "function_call": {"name": "get_weather"}},
        {"role": "function", "name": "get_weather", "content": result},
    ]
    return qianfan.chat_reply({"messages": messages, **fields}, True, None)


def _dashscope(question: str, result: str, **parameters: Any) -> dashscope.Reply:
    call = {"type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "name": "get_weather", "content": result},
    ]
    return dashscope.chat_reply(messages, parameters)


def test_json_mode_holds_after_a_function_result() -> None:
    question = f"{QUESTION}\n\n{json_instruction(SCHEMA)}"
    reply = _qianfan(question, '{"result": "晴，25 度"}', response_format="json_object")
    assert json.loads(reply.text) == {"city": "北京今天的天气怎么样", "temperature": 25}
    reply = _dashscope(question, "晴，25 度", response_format={"type": "json_object"})
    assert json.loads(reply.text) == {"city": "北京今天的天气怎么样", "temperature": 25}


def test_without_json_the_answer_after_a_result_is_text() -> None:
    assert "get_weather" in _qianfan(QUESTION, '{"result": "晴"}').text
    assert "get_weather" in _dashscope(QUESTION, "晴").text


def test_a_requested_tool_is_called_after_a_result_once() -> None:
    question = f"{QUESTION}\n\n{tool_instruction(['get_weather', 'Answer'])}"
    assert schema.requested_tools(question) == ["get_weather", "Answer"]
    functions = [WEATHER, ANSWER]
    reply = _qianfan(question, '{"result": "晴，25 度"}', functions=functions)
    assert reply.function_call is not None and reply.function_call["name"] == "Answer"
    assert json.loads(reply.function_call["arguments"])["temperature"] == 25
    tools = [{"type": "function", "function": f} for f in functions]
    reply = _dashscope(question, "晴，25 度", tools=tools, tool_choice="auto")
    assert reply.tool_calls and reply.tool_calls[0]["function"]["name"] == "Answer"
    # Not asked in words: the usual text answer.
    assert _dashscope(QUESTION, "晴", tools=tools).tool_calls == []
