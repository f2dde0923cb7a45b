"""Deep thinking on the emulated DashScope service (dashscope-current.md §4): which models
think, by default or always, and the documented refusals, with their exact texts."""

from __future__ import annotations

from typing import Any

from .validate import Problem

THINKING_ONLY_PREFIXES = ("qwq", "deepseek-r1")
HYBRID_OFF = ("qwen-plus", "qwen-turbo", "qwen-flash", "qwen3-max")  # commercial: off (§4.1)
HYBRID_ON_PREFIX = "qwen3-"  # open-source Qwen3: on, and then streaming-only (§4.2)
STREAM_ONLY_PREFIXES = ("qwq",)


def _is_thinking_only(model: str) -> bool:
    return model.startswith(THINKING_ONLY_PREFIXES) or "thinking" in model


def _is_hybrid(model: str) -> bool:
    return model.startswith(HYBRID_OFF) or model.startswith(HYBRID_ON_PREFIX)


def _default_on(model: str) -> bool:
    return model.startswith(HYBRID_ON_PREFIX) and not model.startswith(HYBRID_OFF)


def thinks(model: str, parameters: dict[str, Any]) -> bool:
    if _is_thinking_only(model):
        return True
    if not _is_hybrid(model):
        return False
    switch = parameters.get("enable_thinking")
    return bool(switch) if isinstance(switch, bool) else _default_on(model)


def _invalid(message: str) -> Problem:
    return ("InvalidParameter", message)


def refusal(model: str, parameters: dict[str, Any], streaming: bool) -> Problem | None:
    """The 400s a thinking call gets (§4.2, §4.4)."""
    if model.startswith(STREAM_ONLY_PREFIXES) and not streaming:
        return _invalid(
            "This model only support stream mode, please enable the stream parameter to "
            "access the model."
        )
    if not thinks(model, parameters):
        return None
    if not streaming and _default_on(model):
        return _invalid("parameter.enable_thinking must be set to false for non-streaming calls")
    if streaming and parameters.get("incremental_output") is not True:
        return _invalid(
            'The incremental_output parameter must be "true" when enable_thinking is true'
        )
    choice = parameters.get("tool_choice")
    if parameters.get("tools") and (choice == "required" or isinstance(choice, dict)):
        return _invalid(
            "<400> InternalError.Algo.InvalidParameter: The tool_choice parameter does not "
            "support being set to required or object in thinking mode"
        )
    response_format = parameters.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in (
        "json_object",
        "json_schema",
    ):
        return _invalid("Json mode response is not supported when enable_thinking is true")
    return None
