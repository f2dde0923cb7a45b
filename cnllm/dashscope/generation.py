"""A native chat call on either service: thinking planned, media checked, body per route.

``protocol.chat_body`` builds the text-generation body (the seed's and the 2024 models');
this module adds what the 2026 models need on top of it without changing it: the thinking
fields (``thinking``), ``response_format`` with JSON schema (§5), and for
multimodal-generation the content-part messages (``multimodal``, reference §2.4).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cnllm import errors
from cnllm.dashscope import catalog, multimodal, protocol, thinking
from cnllm.dashscope.catalog import Route
from cnllm.dashscope.models import VENDOR, ModelInfo
from cnllm.dashscope.thinking import Plan
from cnllm.types import ChatRequest, Message


def prepare(info: ModelInfo, request: ChatRequest, *, stream: bool) -> Plan:
    """Everything checked before anything is sent: sampling, thinking, media, tools."""
    protocol.validate_params(request.params)
    if request.tools and not info.tools:
        raise errors.ValidationError(
            "tools",
            f"{info.name} has no native tool calling on DashScope; qwen3.7-plus, qwen3.8-max "
            "and qwen-plus have it",
            vendor=VENDOR,
        )
    multimodal.check(request.messages, info.name, catalog.profile_of(info.name))
    return thinking.plan(info.name, request, stream=stream)


def _text_only(message: Message) -> Message:
    return message if isinstance(message.content, str) else replace(message, content=message.text)


def body(info: ModelInfo, plan: Plan, route: Route, *, stream: bool) -> dict[str, Any]:
    """The JSON body of ``plan`` on ``route``."""
    request = plan.request
    response_format = thinking.response_format(info.name, request)
    if response_format == {"type": "json_object"}:
        request = replace(request, messages=thinking.with_json_word(request.messages))
    # The thinking fields are the plan's to send (it may have switched thinking off).
    params = replace(request.params, enable_thinking=None, thinking_budget=None)
    plain = replace(request, params=params, json_mode=False, json_schema=None)
    if route == "multimodal":
        # Parameters from the text body, messages as content parts (images kept).
        plain = replace(plain, messages=tuple(_text_only(m) for m in plain.messages))
    wire = protocol.chat_body(info, plain, stream=stream)
    parameters: dict[str, Any] = wire["parameters"]
    if route == "multimodal":
        wire["input"] = {"messages": multimodal.native_messages(request.messages)}
        # Output is always message-style there (§2.4); the documented body has no
        # result_format, and incremental_output leads it.
        parameters.pop("result_format", None)
        incremental = parameters.pop("incremental_output", None)
        if incremental is not None:
            parameters = {"incremental_output": incremental, **parameters}
    if response_format is not None:
        parameters["response_format"] = response_format
    parameters.update(plan.fields)
    wire["parameters"] = parameters
    return wire
