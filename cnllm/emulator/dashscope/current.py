"""The 2026 DashScope service as the emulator plays it: which service each model is bound to,
thinking (its defaults, refusals and streamed reasoning), content parts and image tokens.

This is the server's side of ../shared/protocols/dashscope-current.md, written from the
reference and independently of the client's table (``cnllm.dashscope.catalog``), so that a
client that routes or switches wrongly is caught here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .. import reasoning, schema
from .validate import Problem

# §2.1: the models bound to multimodal-generation (text-only requests included).
MULTIMODAL = re.compile(
    r"(qwen3\.[568]-.*|qwen3\.7-(plus|flash).*|.*-vl.*|qvq-.*|.*omni.*|qwen2?-audio.*"
    r"|kimi-k2\.5.*)"
)
# §4.1 thinking modes.
THINKING_ONLY = re.compile(r"(qwq-.*|qvq-.*|.*-thinking.*|deepseek-r1.*)")
THINKING_ON_BY_DEFAULT = re.compile(
    r"(qwen3\.[568]-(plus|max|flash).*|qwen3\.7-(plus|flash).*|qwen3(\.5)?-\d+b.*)"
)
HYBRID = re.compile(
    r"(qwen-(plus|flash|turbo).*|qwen3-max.*|qwen3\.7-max.*|qwen3-vl-.*|qwen3\.8-omni.*"
    r"|deepseek-v.*|glm-.*|kimi-k2.*)"
)
# §4.2: thinking only in streams (open hybrids), or streams only (QwQ, QVQ, Omni).
STREAM_WHEN_THINKING = re.compile(r"qwen3(\.5)?-\d+b.*")
STREAM_ONLY = re.compile(r"(qwq-.*|qvq-.*|.*omni.*)")
# §5: json_schema response_format.
JSON_SCHEMA = re.compile(r"(qwen3\.7-(plus|flash|max).*|qwen3\.8-(max|flash).*|qwen-plus.*)")
# §9.2: decommissioned (the exact error is unverified; "Model not exist." is the usual one).
RETIRED = frozenset({"qwen-turbo", "qwen-vl-max", "qwen-vl-plus", "qwq-plus", "qvq-max"})
# Regional paths: the emulator serves each DashScope region under ``/{region}`` besides the
# bare (Beijing) paths, so a client can be pointed at "another region" on one port. A key
# made for a region (``sk-{region}-...``) fails elsewhere with 401 InvalidApiKey, as real
# regional keys do (reference §1.1).
REGIONS = (
    "cn-beijing",
    "ap-southeast-1",
    "us-east-1",
    "cn-hongkong",
    "eu-central-1",
    "ap-northeast-1",
)
REGION_PREFIX = r"(?:/(?P<region>" + "|".join(re.escape(r) for r in REGIONS) + r"))?"
KNOWN_PREFIXES = ("qwen", "qwq", "qvq", "kimi", "deepseek", "glm", "moonshot", "minimax")

URL_ERROR = (
    "InvalidParameter",
    "url error, please check url！ For details, see: "
    "https://help.aliyun.com/zh/model-studio/error-code#error-url",
)
NON_STREAM_THINKING = (
    "InvalidParameter",
    "parameter.enable_thinking must be set to false for non-streaming calls",
)
STREAM_ONLY_ERROR = (
    "InvalidParameter",
    "This model only support stream mode, please enable the stream parameter to access the model.",
)
TOOL_CHOICE_THINKING = (
    "InvalidParameter",
    "<400> InternalError.Algo.InvalidParameter: The tool_choice parameter does not support "
    "being set to required or object in thinking mode",
)
JSON_THINKING = (
    "InvalidParameter",
    "<400> InternalError.Algo.InvalidParameter: Json mode response is not supported when "
    "enable_thinking is true",
)
INCREMENTAL_THINKING = (
    "InvalidParameter",
    'The incremental_output parameter must be "true" when enable_thinking is true',
)
JSON_WORD = (
    "InvalidParameter",
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
    "'json_object'.",
)
# Image/video/audio tokens per part: fixed, so tests can check them.
MEDIA_TOKENS = {"image": 258, "video": 1024, "audio": 75}


def region_matches(key: str, region: str | None) -> bool:
    """A key tagged ``sk-{region}-`` works only in its region (the bare paths are Beijing)."""
    for tagged in REGIONS:
        if key.startswith(f"sk-{tagged}-"):
            return tagged == (region or "cn-beijing")
    return True


def is_multimodal(model: str) -> bool:
    return bool(MULTIMODAL.fullmatch(model.lower()))


def known(model: str) -> bool:
    lowered = model.lower()
    return lowered.startswith(KNOWN_PREFIXES) and lowered not in RETIRED


def thinking_on(model: str, parameters: dict[str, Any]) -> bool:
    lowered = model.lower()
    if THINKING_ONLY.fullmatch(lowered):
        return True
    if parameters.get("reasoning_effort") == "none":
        return False
    enable = parameters.get("enable_thinking")
    if isinstance(enable, bool) and (
        HYBRID.fullmatch(lowered) or THINKING_ON_BY_DEFAULT.fullmatch(lowered)
    ):
        return enable
    return bool(THINKING_ON_BY_DEFAULT.fullmatch(lowered))


def check_call(
    model: str, parameters: dict[str, Any], messages: list[dict[str, Any]], *, stream: bool
) -> Problem | None:
    """The documented refusals of §4.2, §4.4 and §5, in the order the service reports them."""
    lowered = model.lower()
    thinking = thinking_on(model, parameters)
    if not stream and STREAM_ONLY.fullmatch(lowered):
        return STREAM_ONLY_ERROR
    if not stream and thinking and STREAM_WHEN_THINKING.fullmatch(lowered):
        return NON_STREAM_THINKING
    budget = parameters.get("thinking_budget")
    if budget is not None and (
        not isinstance(budget, int) or isinstance(budget, bool) or budget < 1
    ):
        return (
            "InvalidParameter",
            "The thinking_budget parameter must be a positive integer and not greater than 81920",
        )
    if budget is not None and parameters.get("reasoning_effort") is not None:
        return ("InvalidParameter", "reasoning_effort and thinking_budget cannot be set together")
    effort = parameters.get("reasoning_effort")
    if effort is not None and effort not in ("none", "minimal", "low", "medium", "high", "xhigh"):
        return (
            "InvalidParameter",
            "'reasoning_effort' must be one of: 'none', 'minimal', 'low', 'medium', 'high', "
            "'xhigh'",
        )
    choice = parameters.get("tool_choice")
    if thinking and (choice == "required" or isinstance(choice, dict)):
        return TOOL_CHOICE_THINKING
    format_ = parameters.get("response_format")
    kind = format_.get("type") if isinstance(format_, dict) else None
    if thinking and kind in ("json_object", "json_schema"):
        return JSON_THINKING
    if kind == "json_schema" and not JSON_SCHEMA.fullmatch(lowered):
        return ("InvalidParameter", f"The model `{model}` does not support json_schema.")
    if kind == "json_object" and not any(
        message.get("role") in ("system", "user") and "json" in plain_text(message).lower()
        for message in messages
    ):
        return JSON_WORD
    if stream and thinking and parameters.get("incremental_output") is False:
        return INCREMENTAL_THINKING
    return None


# -- content parts (§2.4) ----------------------------------------------------------------------

_PART_KEYS = ("text", "image", "audio", "video")


def plain_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def check_native_parts(messages: list[dict[str, Any]]) -> Problem | None:
    """multimodal-generation takes bare modality keys; OpenAI-style parts are refused."""
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or "type" in part:
                return (
                    "InvalidParameter",
                    f"messages[{index}].content: each part is one of {{text}}, {{image}}, "
                    "{audio}, {video} (OpenAI-style typed parts are not accepted here).",
                )
            if sum(key in part for key in _PART_KEYS) != 1:
                return ("InvalidParameter", f"messages[{index}].content has an unknown part.")
    return None


def media_counts(messages: list[dict[str, Any]]) -> dict[str, int]:
    """How many image, audio and video parts the request holds (both protocols' shapes)."""
    counts = {"image": 0, "audio": 0, "video": 0}
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            if not isinstance(part, dict):
                continue
            kind = {"image_url": "image", "video_url": "video", "input_audio": "audio"}.get(
                str(part.get("type")), str(part.get("type"))
            )
            for key in ("image", "audio", "video"):
                if key in part or kind == key:
                    counts[key] += 1
    return counts


def media_usage(counts: dict[str, int]) -> dict[str, int]:
    return {f"{kind}_tokens": count * MEDIA_TOKENS[kind] for kind, count in counts.items() if count}


def describe_media(counts: dict[str, int]) -> str:
    """The emulated model "sees" media as a count, deterministically."""
    names = {"image": "图片", "audio": "音频", "video": "视频"}
    seen = [f"{count} 个{names[kind]}" for kind, count in counts.items() if count]
    return f"我看到了{'、'.join(seen)}。" if seen else ""


# -- thinking ---------------------------------------------------------------------------------


def thought(messages: list[dict[str, Any]], parameters: dict[str, Any]) -> str:
    """The emulated chain of thought (shared with the other reasoning vendors), cut to
    ``thinking_budget`` tokens when one is set."""
    budget = parameters.get("thinking_budget")
    usable = budget if isinstance(budget, int) and not isinstance(budget, bool) else None
    return reasoning.thinking(plain_text(messages[-1]), usable)


def schema_answer(parameters: dict[str, Any], question: str) -> str | None:
    """An instance of the ``json_schema`` response format's schema, filled from the question."""
    format_ = parameters.get("response_format")
    if not isinstance(format_, dict) or format_.get("type") != "json_schema":
        return None
    spec = format_.get("json_schema") or {}
    wanted = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(wanted, dict):
        return None
    hints = schema.Hints(question, schema.property_names(wanted))
    return json.dumps(schema.instance(wanted, hints), ensure_ascii=False)
