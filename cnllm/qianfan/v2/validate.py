"""Qianfan v2 request parameters (reference §3.1, §3.6), checked against the model before
anything is sent; a refusal names the parameter and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cnllm import errors
from cnllm.qianfan.v2.models import VENDOR, V2Model
from cnllm.types import GenerationParams

MAX_STOP_WORDS = 4
MAX_STOP_WORD_CHARS = 20
MAX_SEED = 2147483647
MAX_METADATA_ENTRIES = 16
MIN_THINKING_BUDGET = 100
ERNIE_MIN_TEMPERATURE = 0.01
# Body fields of §3.1 a caller may pass as keyword arguments, each checked below.
_NUMERIC_EXTRAS = {
    "frequency_penalty": (-2.0, 2.0, False),
    "presence_penalty": (-2.0, 2.0, False),
    "repetition_penalty": (0.0, 2.0, True),  # (0, 2]
}
_REASONING_EFFORTS = ("low", "medium", "high", "max", "xhigh")  # §3.1 [doc-dated]
_THINKING_STRATEGIES = ("short_think", "chain_of_draft")
_UNDOCUMENTED = ("n", "logprobs", "top_logprobs", "logit_bias", "top_k")


def refuse(parameter: str, problem: str) -> errors.ValidationError:
    return errors.ValidationError(parameter, problem, vendor=VENDOR)


def _range(name: str, value: float | None, low: float, high: float, open_low: bool) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise refuse(name, f"{value!r} is not a number")
    if not ((low < value) if open_low else (low <= value)) or value > high:
        raise refuse(name, f"{value!r} is outside {'(' if open_low else '['}{low}, {high}]")


def _not_for(model: V2Model, parameter: str) -> errors.ValidationError:
    return refuse(parameter, f"{model.id} does not take {parameter} (reference §3.1)")


def temperature_for(model: V2Model, value: float | None) -> float | None:
    """ERNIE's range is (0, 1] and 0 was rejected (unverified for current models): 0 is
    sent as 0.01, the near-greedy value the reference suggests (§3.6)."""
    if value is None:
        return None
    if not model.temperature:
        raise _not_for(model, "temperature")
    if model.ernie:
        _range("temperature", value, 0.0, 1.0, open_low=False)
        return max(value, ERNIE_MIN_TEMPERATURE)
    _range("temperature", value, 0.0, 2.0, open_low=False)
    return value


def _validate_stop(model: V2Model, stop: Sequence[str] | None) -> None:
    if not stop:
        return
    if model.known and not model.stop:
        raise _not_for(model, "stop")
    if len(stop) > MAX_STOP_WORDS:
        raise refuse("stop", f"{len(stop)} strings given; at most {MAX_STOP_WORDS} are allowed")
    for word in stop:
        if not word or len(word) > MAX_STOP_WORD_CHARS:
            raise refuse("stop", f"{word!r} must be 1 to {MAX_STOP_WORD_CHARS} characters long")


def _validate_max_tokens(model: V2Model, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise refuse(name, f"{value!r}: must be a positive integer")
    limit = model.profile.max_output_tokens
    if limit is not None and value > limit:
        raise refuse(name, f"{value} is more than {model.id} can write ({limit} tokens)")


def validate_params(model: V2Model, params: GenerationParams) -> None:
    """Every neutral parameter and every known body field in ``extra``, before sending."""
    temperature_for(model, params.temperature)
    _range("top_p", params.top_p, 0.0, 1.0, open_low=False)
    if params.penalty_score is not None:
        if model.known and not model.penalty_score:
            raise _not_for(model, "penalty_score")
        _range("penalty_score", params.penalty_score, 1.0, 2.0, open_low=False)
    if params.top_k is not None:
        raise refuse("top_k", "is not a Qianfan v2 parameter; use top_p")
    if params.logprobs or params.top_logprobs is not None:
        raise refuse("logprobs", "Qianfan v2 returns no logprobs (§3.1)")
    _validate_max_tokens(model, "max_tokens", params.max_tokens)
    _validate_stop(model, params.stop)
    _validate_thinking(model, params)
    _validate_extra(model, params.extra)
    if params.max_tokens is not None and params.extra.get("max_completion_tokens") is not None:
        raise refuse(
            "max_completion_tokens",
            "send max_tokens or max_completion_tokens, not both (the latter wins, §3.5)",
        )


def _validate_thinking(model: V2Model, params: GenerationParams) -> None:
    if params.enable_thinking is not None and model.known:
        if model.thinking == "none":
            raise refuse("enable_thinking", f"{model.id} is not a reasoning model")
        if params.enable_thinking is False and not model.thinking_can_disable:
            raise refuse(
                "enable_thinking", f"{model.id} always reasons; thinking cannot be switched off"
            )
    budget = params.thinking_budget
    if budget is None:
        return
    if model.known and model.thinking == "none":
        raise refuse("thinking_budget", f"{model.id} is not a reasoning model")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
        raise refuse("thinking_budget", f"{budget!r}: at least {MIN_THINKING_BUDGET} tokens")
    if model.max_thinking_budget is not None and budget > model.max_thinking_budget:
        raise refuse(
            "thinking_budget", f"{budget} is above {model.id}'s {model.max_thinking_budget}"
        )


def _validate_extra(model: V2Model, extra: Mapping[str, Any]) -> None:
    for name, (low, high, open_low) in _NUMERIC_EXTRAS.items():
        _range(name, extra.get(name), low, high, open_low)
    for name in _UNDOCUMENTED:
        if name in extra and not (name == "n" and extra[name] == 1):
            raise refuse(name, "is not a Qianfan v2 parameter (§3.1)")
    _validate_max_tokens(model, "max_completion_tokens", extra.get("max_completion_tokens"))
    seed = extra.get("seed")
    if seed is not None:
        if model.known and not model.seed:
            raise _not_for(model, "seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 < seed < MAX_SEED:
            raise refuse("seed", f"{seed!r} is outside (0, {MAX_SEED}) (both ends excluded)")
    choice("reasoning_effort", extra.get("reasoning_effort"), _REASONING_EFFORTS)
    choice("thinking_strategy", extra.get("thinking_strategy"), _THINKING_STRATEGIES)
    if "parallel_tool_calls" in extra and not isinstance(extra["parallel_tool_calls"], bool):
        raise refuse("parallel_tool_calls", "must be true or false")
    _validate_metadata(extra.get("metadata"))
    _validate_web_search(model, extra.get("web_search"))
    thinking = extra.get("thinking")
    if thinking is not None and not (
        isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "disabled")
    ):
        raise refuse("thinking", 'must be {"type": "enabled"} or {"type": "disabled"}')


def choice(name: str, value: Any, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise refuse(name, f"{value!r} is not one of {', '.join(allowed)}")


def _validate_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping) or len(metadata) > MAX_METADATA_ENTRIES:
        raise refuse("metadata", f"a map of at most {MAX_METADATA_ENTRIES} string entries")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise refuse("metadata", "keys and values must be strings")


def _validate_web_search(model: V2Model, search: Any) -> None:
    if search is None:
        return
    if not isinstance(search, Mapping):
        raise refuse("web_search", 'an object such as {"enable": true} (§3.4)')
    for name in ("search_number", "reference_number"):
        _range(f"web_search.{name}", search.get(name), 1, 28, open_low=False)
    if search.get("reference_number", 0) > search.get("search_number", 28):
        raise refuse("web_search.reference_number", "must not exceed search_number")
    if search.get("search_mode") is not None:
        choice("web_search.search_mode", search["search_mode"], ("auto", "required"))
        if model.ernie:
            raise refuse("web_search.search_mode", "ERNIE models do not take search_mode")
