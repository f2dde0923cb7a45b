"""Qianfan v2: OpenAI-compatible with Qianfan's own rules — a dialect of cnllm.openai_compat.

Pure build and parse functions, no I/O; sections (§) refer to ../shared/protocols/qianfan-v2.md.
What differs from plain OpenAI:

* every body field is range-checked per model family before sending (§3.1, §3.6; ``validate``):
  ERNIE ``temperature`` in (0, 1] (0 is sent as 0.01), ``penalty_score`` [1, 2], ``seed``
  (0, 2147483647), ``stop`` ≤ 4 × ≤ 20 chars, fields a model does not take are refused;
* messages follow v2's rules (§3.2; ``messages``): one leading system message, consecutive turns
  of one role merged, the last turn user or tool and not blank, ``content: ""`` on tool calls;
* reasoning is switched per family (``enable_thinking`` or ``thinking: {type}``) and comes
  back as ``reasoning_content`` beside the answer (§3.6, §4);
* Qianfan's flags (``flag``/``ban_round`` moderation, ``search_results``, search-status
  frames) go to metadata; a safety refusal is a ContentFilterError, never an empty success;
* errors are ``{"error": {code, message, type}, "id"}`` with Baidu's codes (§5; ``errors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cnllm import errors
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.protocol import Kind, ModelCard, OpenAIProtocol, StreamParser
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.errors import check_response, error_from_payload, rate_limits
from cnllm.qianfan.v2.messages import BLANK, wire_messages
from cnllm.qianfan.v2.models import VENDOR, V2Model
from cnllm.qianfan.v2.validate import refuse, temperature_for, validate_params
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    GenerationParams,
)

API = "v2"
DEFAULT_BASE_URL = "https://qianfan.baidubce.com/v2"

__all__ = [
    "API",
    "DEFAULT_BASE_URL",
    "QianfanV2Protocol",
    "QianfanV2StreamParser",
    "check_response",
    "error_from_payload",
    "rate_limits",
    "validate_params",
]


def _thinking_fields(model: V2Model, params: GenerationParams) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if params.enable_thinking is not None:
        if model.thinking == "thinking":
            kind = "enabled" if params.enable_thinking else "disabled"
            fields["thinking"] = {"type": kind}
        elif model.thinking in ("enable_thinking", "unknown"):
            fields["enable_thinking"] = params.enable_thinking
        # "always": nothing to switch (validated above)
    if params.thinking_budget is not None:
        fields["thinking_budget"] = params.thinking_budget
    return fields


def sampling_fields(model: V2Model, params: GenerationParams) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "temperature": temperature_for(model, params.temperature),
        "top_p": params.top_p,
        "penalty_score": params.penalty_score,
        "max_tokens": params.max_tokens,
        "stop": list(params.stop) if params.stop else None,  # always an array (§3.1)
        "user": params.user_id,
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    fields.update(_thinking_fields(model, params))
    return fields


def _tool_fields(model: V2Model, request: ChatRequest) -> dict[str, Any]:
    if not request.tools:
        if request.tool_choice not in (None, "auto", "none"):
            raise refuse("tool_choice", "needs tools to choose from")
        return {}
    if model.known and not model.profile.tool_calling:
        raise refuse(
            "tools",
            f"{model.id} has no function calling on Qianfan v2; models that do: "
            f"{', '.join(tool_models()[:8])}…",
        )
    return openai.tool_fields(request, vendor=VENDOR)


def tool_models() -> list[str]:
    return [
        model_id
        for model_id in models.known_models("chat")
        if models.resolve("chat", model_id).profile.tool_calling
    ]


def _format_fields(model: V2Model, request: ChatRequest) -> dict[str, Any]:
    """OpenAI's ``response_format`` (the json_schema wrapper is the reference's safer bet,
    §3.1), where the model has it."""
    if request.json_schema is not None and model.known and not model.profile.json_schema:
        raise refuse("response_format", f"{model.id} has no json_schema output")
    if request.json_mode and model.known and not model.profile.json_mode:
        raise refuse("response_format", f"{model.id} has no JSON mode (json_object)")
    field = openai.response_format_field(request, vendor=VENDOR)
    return {"response_format": field} if field is not None else {}


def _extra(params: GenerationParams) -> dict[str, Any]:
    return {key: value for key, value in params.extra.items() if value is not None}


def chat_body(model: V2Model, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    validate_params(model, request.params)
    body: dict[str, Any] = {"model": model.id, "messages": wire_messages(request.messages, model)}
    body.update(sampling_fields(model, request.params))
    body.update(_tool_fields(model, request))
    body.update(_format_fields(model, request))
    body.update(openai.stream_fields(stream, include_usage=True))
    body.update(_extra(request.params))
    return body


def completion_body(model: V2Model, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """``/v2/completions`` (§1.2; body not documented): OpenAI's completions form."""
    validate_params(model, request.params)
    if not request.prompt.strip(BLANK):
        raise refuse("prompt", "must not be empty")
    body: dict[str, Any] = {"model": model.id, "prompt": request.prompt}
    body.update(sampling_fields(model, request.params))
    body.update(openai.stream_fields(stream, include_usage=True))
    body.update(_extra(request.params))
    return body


def embedding_body(model: V2Model, texts: Sequence[str]) -> dict[str, Any]:
    """§6: a non-empty list, no empty string, within the model's batch and length limits."""
    if not texts:
        raise refuse("input", "needs at least one text")
    if len(texts) > model.batch_size:
        raise refuse(
            "input", f"{len(texts)} texts in one request; {model.id} takes {model.batch_size}"
        )
    for index, text in enumerate(texts):
        if not text:
            raise refuse(f"input[{index}]", "an empty string is refused by Qianfan (§6)")
        if model.max_chars is not None and len(text) > model.max_chars:
            raise errors.InputTooLongError(
                f"input[{index}]",
                f"{len(text)} characters; {model.id} takes at most {model.max_chars}",
                vendor=VENDOR,
            )
    return {"model": model.id, "input": list(texts)}


# -- answers (§4) -------------------------------------------------------------------------------


def _flags(source: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    """Qianfan's own fields (§4.1): moderation flag, ban_round, search results and tokens."""
    found: dict[str, Any] = {"api": API}
    if choice.get("flag") is not None:
        found["flag"] = choice["flag"]
    if choice.get("ban_round") is not None:
        found["ban_round"] = choice["ban_round"]
    if source.get("search_results"):
        found["search_results"] = source["search_results"]
    usage = source.get("usage")
    details = usage.get("prompt_tokens_details") if isinstance(usage, Mapping) else None
    if isinstance(details, Mapping) and details.get("search_tokens") is not None:
        found["search_tokens"] = details["search_tokens"]
    return found


def refusal(
    flag: Any, finish_reason: Any, answered: bool, request_id: str | None
) -> errors.ContentFilterError | None:
    """A moderation outcome that must not look like an answer: flag 3 (must not be shown),
    flag 4 (retract what was shown) or a content_filter finish with nothing in it."""
    hidden = flag in (3, 4)
    if not hidden and not (finish_reason == "content_filter" and not answered):
        return None
    what = {3: "must not be shown", 4: "must be retracted"}.get(flag, "was filtered")
    return errors.ContentFilterError(
        f"Qianfan's content safety stopped the answer (flag={flag}, finish_reason="
        f"{finish_reason}): the answer {what}; clear the offending turn before continuing",
        vendor=VENDOR,
        code="content_filter" if not hidden else f"flag_{flag}",
        request_id=request_id,
        body={"flag": flag, "finish_reason": finish_reason},
    )


def parse_result(data: Any, kind: Kind, model: str) -> ChatResult:
    result = openai.parse_result(data, kind, model=model, vendor=VENDOR)
    body = result.raw
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    text = result.text
    if kind == "completions" and not text and message:  # tolerate a chat-shaped answer
        text = str(message.get("content") or "")
    error = refusal(
        choice.get("flag"), result.finish_reason, bool(text or result.tool_calls), result.request_id
    )
    if error is not None:
        raise error
    metadata = {**result.metadata, **_flags(body, choice)}
    return replace(
        result,
        text=text,
        metadata=metadata,
    )


def parse_embeddings(data: Any, expected: int, model: str) -> EmbeddingResult:
    """``object`` is ``embedding_list`` (§6), not checked: vectors are read by index."""
    return openai.parse_embeddings(data, expected, model=model, vendor=VENDOR)


class QianfanV2StreamParser(StreamParser):
    """v2's SSE (§4.2) on the OpenAI parser (reasoning pieces before the answer, tool calls by
    ``index``, usage from the last chunk that has it, cumulative with ``chunk_include_usage``):
    search-status frames are kept out of the answer, search results and moderation flags go
    to the metadata, and a moderated answer raises ContentFilterError."""

    def __init__(self, kind: Kind, model: str) -> None:
        super().__init__(kind, model, vendor=VENDOR)
        self.metadata["api"] = API
        self._answered = False

    def raise_for_event(self, body: dict[str, Any]) -> None:
        if body.get("error"):
            raise error_from_payload(body, status=None, request_id=self.request_id)

    def _chunk(self, body: dict[str, Any]) -> ChatDelta | None:
        if body.get("search_results"):
            self.metadata["search_results"] = body["search_results"]
        delta = super()._chunk(body)
        if delta is not None and delta.text:
            self._answered = True
        return delta

    def _choice_text(self, choice: dict[str, Any]) -> str:
        flag = choice.get("flag")
        if flag:
            self.metadata["flag"] = flag
            if choice.get("ban_round") is not None:
                self.metadata["ban_round"] = choice["ban_round"]
        error = refusal(flag, None, True, self.request_id)
        if error is not None:
            raise error
        if choice.get("delta_tag") == "search_status":  # a signal frame, not answer text
            self.metadata["search_status"] = (choice.get("delta") or {}).get("content")
            return ""
        if self.kind == "completions" and not choice.get("text"):
            delta = choice.get("delta") or {}  # tolerate chat-shaped completion chunks
            return str(delta.get("content") or "")
        return super()._choice_text(choice)

    def _final(self) -> ChatDelta:
        answered = self._answered or bool(self._tool_calls)
        error = refusal(self.metadata.get("flag"), self.finish_reason, answered, self.request_id)
        if error is not None:
            raise error
        return super()._final()


# -- the dialect --------------------------------------------------------------------------------


class QianfanV2Protocol(OpenAIProtocol):
    """Qianfan v2 as an OpenAI dialect; bodies are built against the v2 model table."""

    vendor = VENDOR
    include_usage_in_streams = True

    def check_response(self, response: HttpResponse) -> None:
        check_response(response)

    def chat_body(self, model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return chat_body(models.resolve("chat", model), request, stream=stream)

    def completion_body(
        self, model: str, request: CompletionRequest, *, stream: bool
    ) -> dict[str, Any]:
        return completion_body(models.resolve("completions", model), request, stream=stream)

    def embedding_body(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        return embedding_body(models.resolve("embeddings", model), texts)

    def parse_result(self, data: Any, kind: Kind, model: str) -> ChatResult:
        return parse_result(data, kind, model)

    def stream_parser(self, kind: Kind, model: str) -> StreamParser:
        return QianfanV2StreamParser(kind, model)

    def parse_embeddings(self, data: Any, expected: int, model: str) -> EmbeddingResult:
        return parse_embeddings(data, expected, model)

    def parse_models(self, data: Any) -> list[ModelCard]:
        return openai.parse_models(data, vendor=VENDOR)
