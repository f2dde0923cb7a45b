"""What every vendor's model table shares: the conservative profile of a model nobody knows,
and the one choice of a structured-output strategy from a model's profile.

Framework-neutral: the LangChain and LlamaIndex adapters both ask ``plan_structured_output``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnllm.types import ModelProfile

# A model we do not know: text in, text out, nothing else claimed. Callers that know better
# (a user's own multimodal server, say) override it.
CONSERVATIVE = ModelProfile()

Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS: tuple[Method, ...] = ("json_schema", "function_calling", "json_mode")
Strategy = Literal["json_schema", "forced_tool", "auto_tool", "json_mode", "prompt"]


def native_structured_output(profile: ModelProfile) -> bool:
    """Whether a ``response_format`` json_schema sent to the model is honoured: natively, or
    translated to the model's own JSON mode with the schema in the instruction. This is what
    LangChain's profile key ``structured_output`` (and so ``create_agent``) reads."""
    return profile.json_schema or profile.json_mode


def thinking_locked(profile: ModelProfile, enable_thinking: bool | None) -> bool:
    """Whether this call reasons for sure: a thinking-only model, or thinking switched on."""
    return profile.reasoning_output and (not profile.thinking_optional or enable_thinking is True)


def default_method(profile: ModelProfile) -> Method:
    """The best native method the profile lists: a JSON schema, a forced tool, JSON mode, then
    tools the model may or may not call; ``json_mode`` (which falls back to prompting) when
    the model has none."""
    if profile.json_schema:
        return "json_schema"
    if profile.tool_calling and profile.tool_choice:
        return "function_calling"
    if profile.json_mode:
        return "json_mode"
    return "function_calling" if profile.tool_calling else "json_mode"


@dataclass(frozen=True)
class StructuredPlan:
    """How one structured-output call is made.

    ``strategy``: ``json_schema`` (native response_format), ``forced_tool`` (tool_choice
    names the schema's tool), ``auto_tool`` (the tool is offered and the answer parsed from
    the call or from JSON text), ``json_mode`` (JSON mode plus the schema in the prompt) or
    ``prompt`` (the schema in the prompt, the answer parsed). ``enable_thinking`` is False
    when a hybrid model's thinking must be switched off for the strategy (vendors refuse
    forced tools and JSON output while thinking); None leaves the switch as it is.
    """

    strategy: Strategy
    enable_thinking: bool | None = None

    @property
    def uses_tool(self) -> bool:
        return self.strategy in ("forced_tool", "auto_tool")


def plan_structured_output(
    profile: ModelProfile, method: Method | None, enable_thinking: bool | None = None
) -> StructuredPlan:
    """The strategy for ``method`` (None: the default) on a model with ``profile``.

    A method the model lacks falls to the next one it has (json_schema -> forced tool ->
    JSON mode -> offered tool -> prompt). While the model is sure to think, forced tools,
    JSON mode and JSON schemas are out (DashScope and DeepSeek refuse them), so tools are
    offered without forcing, or the schema goes in the prompt.
    """
    chosen = method or default_method(profile)
    locked = thinking_locked(profile, enable_thinking)
    order: dict[Method, tuple[Strategy, ...]] = {
        "json_schema": ("json_schema", "forced_tool", "json_mode", "auto_tool", "prompt"),
        "function_calling": ("forced_tool", "auto_tool", "json_mode", "prompt"),
        "json_mode": ("json_mode", "prompt"),
    }
    available = {
        "json_schema": profile.json_schema and not locked,
        "forced_tool": profile.tool_calling and profile.tool_choice and not locked,
        "json_mode": profile.json_mode and not locked,
        "auto_tool": profile.tool_calling,
        "prompt": True,
    }
    strategy = next(step for step in order[chosen] if available[step])
    switch_off = (
        profile.reasoning_output
        and profile.thinking_optional
        and enable_thinking is None
        and strategy in ("json_schema", "forced_tool", "json_mode")
    )
    return StructuredPlan(strategy, False if switch_off else None)


def response_format_plan(
    profile: ModelProfile, enable_thinking: bool | None = None
) -> StructuredPlan:
    """How a ``response_format`` json_schema (``create_agent``'s provider strategy) is
    honoured: natively, else JSON mode with the schema in the prompt, else the prompt."""
    plan = plan_structured_output(profile, "json_mode", enable_thinking)
    native = plan_structured_output(profile, "json_schema", enable_thinking)
    return native if native.strategy == "json_schema" else plan


def ease_tool_choice(
    profile: ModelProfile, has_tools: bool, choice: str | None, enable_thinking: bool | None
) -> tuple[str | None, bool | None]:
    """(tool_choice, enable_thinking) for a call. Vendors refuse a forced tool_choice while
    the model thinks: a hybrid model left at its default is called with thinking off; a
    model that thinks for sure has the choice eased to "auto" (it may then answer in text)."""
    if not has_tools or choice in (None, "auto", "none") or not profile.reasoning_output:
        return choice, enable_thinking
    if thinking_locked(profile, enable_thinking):
        return "auto", enable_thinking
    return choice, False if enable_thinking is None else enable_thinking
