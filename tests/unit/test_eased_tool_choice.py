"""A forced tool_choice that a thinking model cannot take (the vendor refuses it) is eased to
"auto" and asked for in words, so create_agent's ToolStrategy still gets its tool call."""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_cnllm import ChatDashScope


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return city


def answer(city: str, temperature: int) -> str:
    """The final answer."""
    return city


TOOLS = [convert_to_openai_tool(get_weather), convert_to_openai_tool(answer)]


def _request(model: ChatDashScope, choice: str) -> tuple[str | None, str]:
    request = model._build_request(
        [HumanMessage("北京天气")], None, {"tools": TOOLS, "tool_choice": choice}
    )
    return request.tool_choice, str(request.messages[-1].content)


def test_required_on_a_thinking_only_model_asks_for_any_offered_tool() -> None:
    choice, text = _request(ChatDashScope(model="qwq-32b", api_key="sk"), "any")
    assert choice == "auto"
    assert text.endswith("Respond only by calling one of these tools: get_weather, answer.")


def test_a_named_tool_on_a_thinking_model_asks_for_that_tool() -> None:
    model = ChatDashScope(model="qwen-plus", enable_thinking=True, api_key="sk")
    choice, text = _request(model, "answer")
    assert choice == "auto" and text.endswith("calling one of these tools: answer.")


def test_a_forced_tool_that_is_honoured_adds_no_instruction() -> None:
    choice, text = _request(ChatDashScope(model="qwen-plus", api_key="sk"), "answer")
    assert (choice, text) == ("answer", "北京天气")


def test_required_with_several_tools_is_asked_in_words_where_it_cannot_be_forced() -> None:
    """DashScope (and Qianfan v1) force one named function only: "any tool" goes out as
    "auto", and the request is made in words as well."""
    choice, text = _request(ChatDashScope(model="qwen-max", api_key="sk"), "any")
    assert choice == "required"  # the protocol layer sends it as "auto", with a warning
    assert text.endswith("calling one of these tools: get_weather, answer.")


def test_required_with_one_tool_is_forced_without_words() -> None:
    model = ChatDashScope(model="qwen-max", api_key="sk")
    request = model._build_request(
        [HumanMessage("北京天气")], None, {"tools": TOOLS[:1], "tool_choice": "any"}
    )
    assert (request.tool_choice, request.messages[-1].content) == ("required", "北京天气")
