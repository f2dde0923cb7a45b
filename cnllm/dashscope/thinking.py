"""Thinking switches, and the calls they change: validated per model before anything is sent.

Rules (reference §4, §5): hybrid models take ``enable_thinking`` and ``thinking_budget``;
thinking-only models (QwQ, QVQ, ``*-thinking``) cannot switch it off; models without a
thinking mode take neither. While thinking, DashScope refuses a forced ``tool_choice`` and
JSON mode with a 400; those refusals are avoided, not hit: when thinking is only the model's
default it is switched off for that call, when the caller asked for it the forced choice
becomes ``auto`` (JSON mode: the prompt asks for JSON) with a warning. Open Qwen3 hybrids
refuse non-streaming calls while thinking and QwQ/QVQ/Omni refuse them always: such an
``invoke`` streams underneath and aggregates, so the caller never sees that 400.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cnllm import errors
from cnllm.dashscope import catalog
from cnllm.dashscope.catalog import Family
from cnllm.types import ChatDelta, ChatRequest, ChatResult, Message, ToolCall, Usage

VENDOR = "dashscope"
# Qwen3.8 (§4.3): xhigh (default), medium, low; max/high = xhigh, minimal = low, none = off.
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_WARNED: set[str] = set()


@dataclass(frozen=True)
class Plan:
    """A request as it will be sent, the fields to add and how to call."""

    request: ChatRequest
    fields: dict[str, Any] = field(default_factory=dict)  # parameters / top-level extras
    thinking: bool = False  # the model will think on this call
    stream_underneath: bool = False  # a non-streaming call that must stream and aggregate


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=6)


def _requested(request: ChatRequest) -> tuple[bool | None, int | None, Any]:
    """enable_thinking, thinking_budget and reasoning_effort, typed fields first."""
    params, extra = request.params, request.params.extra
    enable = params.enable_thinking
    if enable is None and isinstance(extra.get("enable_thinking"), bool):
        enable = extra["enable_thinking"]
    budget = params.thinking_budget if params.thinking_budget is not None else None
    if budget is None and extra.get("thinking_budget") is not None:
        budget = extra["thinking_budget"]
    return enable, budget, extra.get("reasoning_effort")


def validate(model: str, request: ChatRequest) -> None:
    """The thinking fields against the model's family, before anything is sent."""
    enable, budget, effort = _requested(request)
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, int) or budget < 1
    ):
        raise errors.ValidationError(
            "thinking_budget", f"{budget!r} must be a positive integer", vendor=VENDOR
        )
    if budget is not None and effort is not None:
        raise errors.ValidationError(
            "thinking_budget",
            "cannot be combined with reasoning_effort (DashScope refuses both); pass one",
            vendor=VENDOR,
        )
    if effort is not None and effort not in EFFORTS:
        raise errors.ValidationError(
            "reasoning_effort", f"{effort!r}; one of {', '.join(EFFORTS)}", vendor=VENDOR
        )
    entry = catalog.family(model)
    if entry is None:
        return  # an unknown model: the vendor judges
    if effort is not None and not entry.reasoning_effort:
        raise errors.ValidationError(
            "reasoning_effort",
            f"{model} has no reasoning_effort (Qwen3.8 has); use thinking_budget",
            vendor=VENDOR,
        )
    if entry.thinking == "none" and (enable or budget is not None):
        raise errors.ValidationError(
            "enable_thinking",
            f"{model} has no thinking mode; thinking models include qwen3.7-plus, "
            "qwen3.8-max and qwen3-vl-plus",
            vendor=VENDOR,
        )
    if entry.thinking == "always" and enable is False:
        raise errors.ValidationError(
            "enable_thinking",
            f"{model} always thinks (a thinking-only model): it cannot be False",
            vendor=VENDOR,
        )


def _thinks(entry: Family | None, enable: bool | None, budget: int | None, effort: Any) -> bool:
    if entry is None:
        return bool(enable)
    if entry.thinking == "always":
        return True
    if entry.thinking == "none":
        return False
    if enable is not None:
        return enable
    if effort == "none":
        return False
    return entry.thinking_default or budget is not None


def _forced(request: ChatRequest) -> bool:
    return bool(request.tools) and request.tool_choice not in (None, "auto", "none")


def plan(model: str, request: ChatRequest, *, stream: bool) -> Plan:
    """What to send for ``request`` on ``model`` so that no documented refusal is hit."""
    validate(model, request)
    entry = catalog.family(model)
    enable, budget, effort = _requested(request)
    thinks = _thinks(entry, enable, budget, effort)
    explicit = (
        enable is True or budget is not None or (entry is not None and entry.thinking == "always")
    )
    fields: dict[str, Any] = {}
    # Sent as asked for hybrids and for names no family knows (the vendor judges those);
    # a thinking-only model needs no switch.
    if enable is not None and (entry is None or entry.thinking == "hybrid"):
        fields["enable_thinking"] = enable
    wants_json = request.json_mode or request.json_schema is not None
    if thinks and (_forced(request) or wants_json):
        if explicit:
            request = _without_conflicts(model, request)
        else:  # thinking is only the default: off for this call (§4.4 workaround)
            thinks = False
            fields["enable_thinking"] = False
            if effort is not None:
                fields["reasoning_effort"] = "none"
    if budget is not None and (thinks or entry is None):
        fields["thinking_budget"] = budget
        if entry is not None and entry.thinking == "hybrid" and not entry.thinking_default:
            fields.setdefault("enable_thinking", True)  # a budget asks for thinking
    underneath = (
        not stream
        and entry is not None
        and (entry.stream_only or (entry.stream_when_thinking and thinks))
    )
    return Plan(request, fields, thinks, underneath)


def _without_conflicts(model: str, request: ChatRequest) -> ChatRequest:
    if _forced(request):
        _warn_once(
            f"{model} refuses a forced tool_choice while thinking; sent as 'auto' "
            "(pass enable_thinking=False to force a tool)"
        )
        request = replace(request, tool_choice="auto")
    if request.json_mode or request.json_schema is not None:
        _warn_once(
            f"{model} refuses JSON mode while thinking; the prompt asks for JSON instead "
            "(pass enable_thinking=False for JSON mode)"
        )
        request = replace(request, json_mode=False, json_schema=None)
    return request


# -- structured output (§5) ---------------------------------------------------------------------


def response_format(model: str, request: ChatRequest) -> dict[str, Any] | None:
    """json_schema where the model has it, else json_object where it has that."""
    profile = catalog.profile_of(model)
    if request.json_schema is not None and (profile is None or profile.json_schema):
        schema = dict(request.json_schema)
        spec: dict[str, Any] = {"name": schema.get("name") or "output", "schema": schema["schema"]}
        if schema.get("strict") is not None:
            spec["strict"] = schema["strict"]  # inside json_schema, OpenAI's place (§5)
        return {"type": "json_schema", "json_schema": spec}
    wants_json = request.json_mode or request.json_schema is not None
    if wants_json and (profile is None or profile.json_mode):
        return {"type": "json_object"}
    return None


def with_json_word(messages: Sequence[Message]) -> tuple[Message, ...]:
    """JSON object mode needs the word "json" in a system or user message (§5, trap 22)."""
    if any(m.role in ("system", "user") and "json" in m.text.lower() for m in messages):
        return tuple(messages)
    note = "Respond in JSON."
    if messages and messages[0].role == "system" and isinstance(messages[0].content, str):
        first = replace(messages[0], content=f"{messages[0].content}\n{note}")
        return (first, *messages[1:])
    return (Message("system", note), *messages)


# -- aggregation of a stream into one answer ----------------------------------------------------


class Aggregate:
    """Deltas summed into the ChatResult a non-streaming call would have returned."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.final: ChatDelta | None = None
        self.request_id: str | None = None

    def add(self, delta: ChatDelta) -> None:
        self.text.append(delta.text)
        self.reasoning.append(delta.reasoning)
        self.request_id = delta.request_id or self.request_id
        if delta.is_final:
            self.final = delta

    def result(self) -> ChatResult:
        final = self.final
        metadata = dict(final.metadata) if final else {}
        reasoning = "".join(self.reasoning) or str(metadata.get("reasoning_content") or "")
        calls: tuple[ToolCall, ...] = final.tool_calls if final else ()
        usage: Usage | None = final.usage if final else None
        return ChatResult(
            text="".join(self.text),
            model=final.model if final else self.model,
            tool_calls=calls,
            finish_reason=final.finish_reason if final else None,
            usage=usage,
            request_id=self.request_id,
            metadata=metadata,
            reasoning=reasoning,
        )


def aggregate(model: str, deltas: Iterable[ChatDelta]) -> ChatResult:
    total = Aggregate(model)
    for delta in deltas:
        total.add(delta)
    return total.result()


async def aaggregate(model: str, deltas: AsyncIterator[ChatDelta]) -> ChatResult:
    total = Aggregate(model)
    async for delta in deltas:
        total.add(delta)
    return total.result()
