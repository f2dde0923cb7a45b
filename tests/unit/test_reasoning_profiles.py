"""The model tables' profiles and the one structured-output choice made from a profile."""

from __future__ import annotations

import pytest

from cnllm import profiles
from cnllm.dashscope import models as ds_models
from cnllm.koala import models as koala_models
from cnllm.qianfan import models as qf_models
from cnllm.types import ModelProfile

TOOLS_JSON = ModelProfile(tool_calling=True, tool_choice=True, json_mode=True)
HYBRID = ModelProfile(tool_calling=True, tool_choice=True, json_mode=True, reasoning_output=True)
THINKING_ONLY = ModelProfile(
    tool_calling=True, tool_choice=True, reasoning_output=True, thinking_optional=False
)


def test_default_is_the_best_native_method() -> None:
    assert (
        profiles.default_method(ModelProfile(json_schema=True, tool_calling=True)) == "json_schema"
    )
    assert profiles.default_method(TOOLS_JSON) == "function_calling"
    assert profiles.default_method(ModelProfile(json_mode=True, tool_calling=True)) == "json_mode"
    assert profiles.default_method(profiles.CONSERVATIVE) == "json_mode"


@pytest.mark.parametrize(
    ("profile", "method", "thinking", "strategy", "switch"),
    [
        (TOOLS_JSON, None, None, "forced_tool", None),
        (TOOLS_JSON, "json_schema", None, "forced_tool", None),  # no native schema: a tool
        (TOOLS_JSON, "json_mode", None, "json_mode", None),
        (profiles.CONSERVATIVE, "function_calling", None, "prompt", None),
        (profiles.CONSERVATIVE, "json_schema", None, "prompt", None),
        # A hybrid left at its default: thinking is switched off for the forced strategies.
        (HYBRID, None, None, "forced_tool", False),
        (HYBRID, "json_mode", None, "json_mode", False),
        # Thinking on, or a thinking-only model: tools offered, never forced; no JSON mode.
        (HYBRID, None, True, "auto_tool", None),
        (HYBRID, "json_mode", True, "prompt", None),
        (THINKING_ONLY, "function_calling", None, "auto_tool", None),
        (THINKING_ONLY, "json_schema", None, "auto_tool", None),
    ],
)
def test_plan(
    profile: ModelProfile,
    method: profiles.Method | None,
    thinking: bool | None,
    strategy: str,
    switch: bool | None,
) -> None:
    plan = profiles.plan_structured_output(profile, method, thinking)
    assert (plan.strategy, plan.enable_thinking) == (strategy, switch)


def test_response_format_is_honoured_natively_else_through_json_mode() -> None:
    assert profiles.response_format_plan(ModelProfile(json_schema=True)).strategy == "json_schema"
    assert profiles.response_format_plan(TOOLS_JSON).strategy == "json_mode"
    assert profiles.response_format_plan(profiles.CONSERVATIVE).strategy == "prompt"


def test_structured_output_is_claimed_only_with_json_schema_or_json_mode() -> None:
    assert profiles.native_structured_output(TOOLS_JSON)
    assert not profiles.native_structured_output(THINKING_ONLY)
    assert not profiles.native_structured_output(profiles.CONSERVATIVE)


def test_koala_table() -> None:
    assert koala_models.profile("deepseek-r1") == ModelProfile(
        context_window=131072,
        max_output_tokens=32768,
        reasoning_output=True,
        thinking_optional=False,
    )
    assert koala_models.profile("qwen3-8b").thinking_optional
    assert koala_models.profile("koala-mm").image_input
    assert koala_models.profile("my-own-model") is profiles.CONSERVATIVE


def test_dashscope_table() -> None:
    turbo = ds_models.profile("qwen-flash")
    assert (
        turbo.tool_calling,
        turbo.json_mode,
        turbo.reasoning_output,
        turbo.thinking_optional,
    ) == (
        True,
        True,
        True,
        True,
    )
    qwq = ds_models.profile("qwq-32b")
    assert qwq.reasoning_output and not qwq.thinking_optional and not qwq.json_mode
    assert ds_models.profile("chatyuan-large-v2") == ModelProfile(context_window=4096)
    assert ds_models.profile("qwen-plus").context_window == 129024
    assert ds_models.profile("some-unknown-model") == profiles.CONSERVATIVE
    assert ds_models.profile("qwen3-next-80b-a3b-thinking").thinking_optional is False


def test_qianfan_v1_table() -> None:
    ernie = qf_models.resolve("chat", "ERNIE-3.5-8K", None).profile
    assert ernie == ModelProfile(
        context_window=5120, tool_calling=True, tool_choice=True, json_mode=True
    )
    llama = qf_models.resolve("chat", "Qianfan-Chinese-Llama-2-13B", None).profile
    assert llama == ModelProfile(context_window=4000)
    deployed = qf_models.resolve("chat", None, "my_endpoint").profile
    assert deployed == profiles.CONSERVATIVE
