"""Function calling and JSON answers: what the langchain-tests standard suite needs.

The tool schemas are the ones langchain-tests itself binds, converted the way a client does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cnllm.emulator.schema import Hints, instance
from tests.emulator.emu_helpers import Client, sse_objects, user

pytest.importorskip("langchain_tests")
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_tests.integration_tests import chat_models as standard
from pydantic import BaseModel, Field


def _function(tool: Any) -> dict[str, Any]:
    spec = convert_to_openai_tool(tool)["function"]
    return {"name": spec["name"], "description": spec["description"],
            "parameters": spec["parameters"]}


def _call(client: Client, tools: list[Any], content: str, **fields: Any) -> dict[str, Any]:
    body = {"messages": [user(content)], "functions": [_function(t) for t in tools], **fields}
    answer = client.chat(body)
    assert answer["finish_reason"] == "function_call", answer
    assert answer["result"] == ""
    call = answer["function_call"]
    return {"name": call["name"], "args": json.loads(call["arguments"]), "raw": call}


def _force(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def test_magic_function_gets_input_3(client: Client) -> None:
    call = _call(client, [standard.magic_function],
                 "What is the value of magic_function(3)? Use the tool.")
    assert call["name"] == "magic_function" and call["args"] == {"input": 3}
    assert call["raw"]["thoughts"]


def test_function_without_arguments_gets_empty_object(client: Client) -> None:
    call = _call(client, [standard.magic_function_no_args],
                 "What is the value of magic_function_no_args()? Use the tool.")
    assert call == {"name": "magic_function_no_args", "args": {}, "raw": call["raw"]}


def test_tool_choice_forces_the_named_function(client: Client) -> None:
    tools = [standard.magic_function, _weather_tool()]
    assert _call(client, tools, "Hello!")["name"] == "magic_function"
    forced = _call(client, tools, "Hello!", tool_choice=_force("get_weather"))
    assert forced["name"] == "get_weather" and forced["args"]["location"]


def test_best_matching_function_is_chosen(client: Client) -> None:
    tools = [standard.magic_function, _weather_tool()]
    call = _call(client, tools, "What is the weather in San Francisco, CA?")
    assert call["name"] == "get_weather"
    assert call["args"] == {"location": "San Francisco, CA"}


def test_numbers_fill_integer_fields_in_order(client: Client) -> None:
    call = _call(client, [_adder_tool()], "What is 3 + 4")
    assert call["args"] == {"a": 3, "b": 4}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company",
         "你好啊集团"),
        ("Create a customer named 'こんにちは株式会社' (Hello Corporation) - a Japanese company",
         "こんにちは株式会社"),
        ("创建客户「北京千帆科技」", "北京千帆科技"),
        ("Create a customer named «Ünïcode GmbH»", "Ünïcode GmbH"),
    ],
)
def test_unicode_arguments_are_preserved(client: Client, content: str, expected: str) -> None:
    call = _call(client, [standard.unicode_customer], content)
    assert call["args"]["customer_name"] == expected
    assert expected in call["raw"]["arguments"]  # not \\u-escaped on the wire


def test_string_argument_without_quotes_is_not_empty(client: Client) -> None:
    greeting = {"name": "greeting_generator", "description": "Generate a greeting.",
                "parameters": {"type": "object", "properties": {"answer_style": {"type": "string"}},
                               "required": ["answer_style"]}}
    body = {"messages": [user("Using the tool, generate a Pirate greeting.")],
            "functions": [greeting]}
    args = json.loads(client.chat(body)["function_call"]["arguments"])
    assert args == {"answer_style": "Pirate"}


def test_function_result_gets_a_text_answer(client: Client) -> None:
    messages = [
        user("What is 1 + 2"),
        {"role": "assistant", "content": "/",
         "function_call": {"name": "my_adder_tool", "arguments": '{"a": 1, "b": 2}'}},
        {"role": "function", "name": "my_adder_tool", "content": '{"result": 3}'},
    ]
    answer = client.chat({"messages": messages, "functions": [_function(_adder_tool())]})
    assert answer["finish_reason"] == "normal" and "function_call" not in answer
    assert '{"result": 3}' in answer["result"] and "my_adder_tool" in answer["result"]


def test_streamed_function_call_is_one_final_chunk(client: Client) -> None:
    body = {"messages": [user("What is the value of magic_function(3)? Use the tool.")],
            "functions": [_function(standard.magic_function)], "stream": True}
    objects = sse_objects(client.post("chat", "completions", body, stream=True))
    assert len(objects) == 1
    chunk = objects[0]
    assert chunk["is_end"] is True and chunk["result"] == ""
    assert json.loads(chunk["function_call"]["arguments"]) == {"input": 3}
    assert chunk["usage"]["completion_tokens"] > 0


def test_open_models_ignore_functions(client: Client) -> None:
    body = {"messages": [user("What is magic_function(3)?")],
            "functions": [_function(standard.magic_function)]}
    answer = client.chat(body, endpoint="llama_2_7b")
    assert "function_call" not in answer and answer["result"]


def test_json_object_with_named_keys(client: Client) -> None:
    content = ("Tell me a joke about cats. Return the result as a JSON with 'setup' and "
               "'punchline' keys. Return nothing other than JSON.")
    answer = client.ask(content, response_format="json_object")
    joke = json.loads(answer["result"])
    assert set(joke) == {"setup", "punchline"} and all(joke.values())


def test_json_object_without_keys_wraps_the_answer(client: Client) -> None:
    answer = json.loads(client.ask("你好", response_format="json_object")["result"])
    assert list(answer) == ["answer"]


def test_json_schema_marker_gives_an_instance(client: Client) -> None:
    joke_schema = standard._get_joke_class("pydantic")[0].model_json_schema()
    instruction = f"Answer with JSON only. JSON schema: {json.dumps(joke_schema)}"
    for endpoint, fields in (("llama_2_7b", {}), ("completions", {"system": instruction})):
        content = "Tell me a joke about cats." + ("" if fields else "\n\n" + instruction)
        answer = client.ask(content, endpoint=endpoint, **fields)
        assert set(json.loads(answer["result"])) == {"setup", "punchline"}


def test_streamed_json_concatenates_to_valid_json(client: Client) -> None:
    body = {"messages": [user("Return a JSON with 'setup' and 'punchline' keys.")],
            "response_format": "json_object", "stream": True}
    objects = sse_objects(client.post("chat", "completions", body, stream=True))
    assert set(json.loads("".join(o["result"] for o in objects))) == {"setup", "punchline"}


class _Address(BaseModel):
    city: str
    zip_code: int = Field(ge=10000, le=99999)


class _Person(BaseModel):
    name: str
    age: int = Field(gt=0, lt=150)
    tags: list[str]
    address: _Address
    nickname: str | None = None
    active: bool = True
    kind: str = Field(json_schema_extra={"enum": ["a", "b"]})


def test_schema_instances_validate_against_pydantic() -> None:
    value = instance(_Person.model_json_schema(), Hints("name 'Ada', age 36 in 12345 London"))
    person = _Person.model_validate(value)
    assert person.name == "Ada" and person.age == 36 and person.address.zip_code == 12345
    assert person.kind == "a" and person.nickname


def _weather_tool() -> Any:
    from langchain_core.tools import tool

    @tool
    def get_weather(location: str) -> str:
        """Get weather at a location."""
        return "It's sunny."

    return get_weather


def _adder_tool() -> Any:
    from langchain_core.tools import tool

    @tool
    def my_adder_tool(a: int, b: int) -> int:
        """Tool that adds two integers.

        Takes two integers, a and b, and returns their sum.
        """
        return a + b

    return my_adder_tool
