"""Koala 悠然's quirks on top of the OpenAI-compatible protocol: pure functions, no I/O.

Koala is a FastChat ``openai_api_server`` (docs/koala.md, Wire notes; sections below refer
to it). What differs from plain OpenAI:

* errors are HTTP 400 ``{"object":"error","message":…,"code":4xxxx/5xxxx}`` (§9), 5xxxx ones
  transient; a 401 wraps OpenAI's error in ``detail``; a worker failure inside a stream is an
  event ``{"text":…,"error_code":5000x}`` (§5);
* explicit nulls reach the worker and break it, so unset parameters are never sent (§5);
* no tools, no JSON mode, no chat logprobs: refused here rather than silently ignored (§10);
* only ``system``/``user``/``assistant`` turns with string content; only the last system
  message counts, so several are joined (§5); koala-mm takes an image as a URL string in the
  user turn's ``images`` field, as the seed shows (§2.7);
* streams send deltas (FastChat's code, and what the seed shows), though the document says
  each chunk is the whole text so far: deltas by default, cumulative chunks only when asked
  for (``stream_mode="cumulative"``), since no guess can tell "a","ab" apart without ever
  losing delivered text (§2.3); usage all zeros means "not reported" (§2.8);
* reasoning models served by vLLM/SGLang (deepseek-r1, qwen3-*) send their thinking in
  ``reasoning_content`` or ``reasoning``, read by the OpenAI-compatible parser; their switch is
  ``chat_template_kwargs.enable_thinking``; earlier reasoning is never sent back;
* completions default to 16 tokens, so ``max_tokens`` is always sent (§2.6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from cnllm import errors, hints
from cnllm.koala import models
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.protocol import Kind, OpenAIProtocol, StreamParser
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    GenerationParams,
    Message,
    Usage,
)

VENDOR = "koala"
DEFAULT_COMPLETION_MAX_TOKENS = 512
# "auto" is kept as a name for the default, delta: guessing from the chunks turned real delta
# streams ("哈", "哈哈", "哈哈哈") into lost text.
StreamMode = Literal["auto", "delta", "cumulative"]

# FastChat's ErrorCode (fastchat/constants.py) -> (class, retryable).
ERROR_CODES: dict[int, tuple[type[errors.APIError], bool]] = {
    40001: (errors.InvalidRequestError, False),  # the body failed validation
    40101: (errors.AuthenticationError, False),
    40102: (errors.AuthenticationError, False),
    40103: (errors.PermissionDeniedError, False),
    40301: (errors.NotFoundError, False),  # unknown model
    40302: (errors.InvalidRequestError, False),  # parameter out of range
    40303: (errors.ContextOverflowError, False),
    42901: (errors.RateLimitError, True),
    42902: (errors.QuotaExceededError, False),
    42903: (errors.RateLimitError, True),  # engine overloaded
    50001: (errors.ServerError, True),
    50002: (errors.ServerError, True),  # CUDA out of memory
    50003: (errors.ServerError, True),
    50004: (errors.ServerError, True),
    50005: (errors.ServerError, True),  # controller: no worker
    50006: (errors.ServerError, True),  # controller: worker timeout
}


# -- errors -------------------------------------------------------------------------------------


def error_from_code(
    code: int, message: str, *, status: int | None = None, request_id: str | None = None
) -> errors.APIError:
    default: tuple[type[errors.APIError], bool] = (
        (errors.ServerError, True) if code >= 50000 else (errors.InvalidRequestError, False)
    )
    cls, retryable = ERROR_CODES.get(code, default)
    return cls(
        message or f"FastChat error {code}",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
        retryable=retryable,
    )


def _fastchat_code(body: Mapping[str, Any]) -> int | None:
    """The code of ``{"object":"error","code":…}`` or of a worker's ``{"error_code":…}``."""
    code = body.get("code") if body.get("object") == "error" else body.get("error_code")
    return code if isinstance(code, int) and code != 0 else None


def check_response(response: HttpResponse) -> None:
    """Raise the typed error a Koala answer stands for."""
    try:
        body = response.json()
    except errors.ProtocolError:
        body = None
    if isinstance(body, dict):
        request_id = openai.request_id_of(response, body)
        code = _fastchat_code(body)
        if code is not None:
            message = str(body.get("message") or body.get("text") or "")
            raise error_from_code(code, message, status=response.status, request_id=request_id)
        if response.status == 401:
            raise errors.AuthenticationError(
                "the Koala server rejected the API key: set KOALA_API_KEY (or api_key=) to a "
                "key the server was started with (--api-keys)",
                vendor=VENDOR,
                code="invalid_api_key",
                status_code=401,
                request_id=request_id,
            )
    openai_error = isinstance(body, dict) and isinstance(body.get("error"), dict)
    if response.status == 404 and not openai_error:
        # FastAPI's {"detail": "Not Found"} or a proxy's page, not an OpenAI error: a wrong path
        raise hints.missing_path(VENDOR, "/v1", "http://10.1.2.3:9015/v1", "KOALA_BASE_URL")
    openai.check_response(response, vendor=VENDOR)


# -- validation ---------------------------------------------------------------------------------


def _refuse(parameter: str, problem: str) -> errors.ValidationError:
    return errors.ValidationError(parameter, problem, vendor=VENDOR)


def validate_params(params: GenerationParams) -> None:
    """FastChat's own ranges (openai_api_server.check_requests), checked before sending."""
    openai.validate_params(params, vendor=VENDOR)
    if params.top_k is not None and params.top_k != -1 and params.top_k < 1:
        raise _refuse("top_k", f"{params.top_k!r}: either -1 (off) or at least 1")
    if params.logprobs or params.top_logprobs is not None:
        raise _refuse("logprobs", "the Koala (FastChat) server returns no chat logprobs")


def validate_chat(request: ChatRequest) -> None:
    validate_params(request.params)
    if request.tools:
        raise _refuse(
            "tools",
            "Koala (a FastChat server) has no tool calling and ignores `tools`; use "
            "with_structured_output(), which prompts for JSON and parses the answer",
        )
    if request.json_mode or request.json_schema is not None:
        parameter = "json_mode" if request.json_mode else "json_schema"
        raise _refuse(parameter, "Koala (FastChat) ignores response_format; prompt for JSON")


# -- messages -----------------------------------------------------------------------------------


def _user_turn(message: Message, model: str, images_ok: bool) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    texts: list[str] = []
    urls: list[str] = []
    for part in message.content:
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif openai.is_image(part):
            urls.append(openai.image_url(part, vendor=VENDOR))
        else:
            raise _refuse(
                "messages", f"{part.get('type')!r} content is not supported; text and images only"
            )
    if not urls:
        return {"role": "user", "content": "".join(texts)}
    if not images_ok:
        raise _refuse(
            "messages",
            f"{model} takes no images; models that do: {', '.join(models.image_models())} "
            "(for a multimodal model of your own, say image_input=True)",
        )
    if len(urls) > 1:
        raise _refuse("messages", "koala-mm takes one image per message (one URL in `images`)")
    # The seed's shape: the URL string in ``images`` next to role and content (§2.7).
    return {"images": urls[0], "role": "user", "content": "\n".join(texts)}


def wire_message(message: Message, model: str, *, images_ok: bool) -> dict[str, Any]:
    """Role and string content only: FastChat answers 500 to other roles and to the
    document's ``{"user","bot"}`` form (§2.1); ``name`` is dropped, it is ignored."""
    if message.role == "user":
        return _user_turn(message, model, images_ok)
    if message.role == "tool" or message.tool_calls:
        raise _refuse(
            "messages", "Koala has no tool calling, so no tool calls or tool results in history"
        )
    return {"role": message.role, "content": message.text}


def joined_system(messages: Sequence[Message]) -> list[Message]:
    """FastChat keeps only the last system message (§5): several are joined into one, where
    the first stood, so that none is silently dropped."""
    systems = [message.text for message in messages if message.role == "system"]
    if len(systems) < 2:
        return list(messages)
    joined = Message("system", "\n\n".join(text for text in systems if text))
    first = next(index for index, message in enumerate(messages) if message.role == "system")
    rest = [message for message in messages if message.role != "system"]
    return [*rest[:first], joined, *rest[first:]]


def _extra(params: GenerationParams) -> dict[str, Any]:
    return {key: value for key, value in params.extra.items() if value is not None}


def chat_body(
    model: str, request: ChatRequest, *, stream: bool, images_ok: bool = False
) -> dict[str, Any]:
    validate_chat(request)
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            wire_message(m, model, images_ok=images_ok) for m in joined_system(request.messages)
        ],
    }
    body.update(openai.sampling_fields(request.params))
    # Reasoning models behind Koala run on vLLM/SGLang: their switch is a template kwarg. An
    # earlier turn's reasoning is never sent back (wire_message drops it): DeepSeek-R1 answers
    # 400 to it, and Qwen3's template strips it anyway.
    body.update(openai.thinking_fields(request.params))
    body.update(openai.stream_fields(stream, include_usage=False))  # never in FastChat streams
    body.update(_extra(request.params))
    return body


def completion_body(model: str, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    validate_params(request.params)
    if request.params.max_tokens is None:  # FastChat's own default is 16 tokens (§2.6)
        request = replace(
            request, params=replace(request.params, max_tokens=DEFAULT_COMPLETION_MAX_TOKENS)
        )
    body: dict[str, Any] = {"model": model, "prompt": request.prompt}
    body.update(openai.sampling_fields(request.params))
    body.update(openai.stream_fields(stream, include_usage=False))
    body.update(_extra(request.params))
    return body


def embedding_body(model: str, texts: Sequence[str]) -> dict[str, Any]:
    """As the seed sends it: one text as a string, several as a list; ``encoding_format``."""
    if not texts:
        raise _refuse("input", "needs at least one text (FastChat answers 500 to an empty list)")
    return {
        "input": texts[0] if len(texts) == 1 else list(texts),
        "model": model,
        "encoding_format": "float",
    }


# -- responses ----------------------------------------------------------------------------------


def koala_usage(raw: Any) -> Usage | None:
    """Usage as reported; all zeros (koala-mm, embeddings) means it was not reported."""
    usage = openai.parse_usage(raw, vendor=VENDOR)
    if usage is None or (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (0, 0, 0):
        return None
    return usage


def parse_result(data: Any, kind: Kind, model: str) -> ChatResult:
    result = openai.parse_result(data, kind, model=model, vendor=VENDOR)
    return replace(result, usage=koala_usage(result.raw.get("usage")))


def parse_embeddings(data: Any, expected: int, model: str) -> EmbeddingResult:
    result = openai.parse_embeddings(data, expected, model=model, vendor=VENDOR)
    return replace(result, usage=koala_usage(data.get("usage") if isinstance(data, dict) else None))


class KoalaStreamParser(StreamParser):
    """FastChat's stream, with error events; chunks are deltas unless ``mode`` is
    ``"cumulative"`` (each chunk the whole text so far, as the document describes)."""

    def __init__(self, kind: Kind, model: str, mode: StreamMode = "delta") -> None:
        super().__init__(kind, model, vendor=VENDOR)
        self.mode: StreamMode = "cumulative" if mode == "cumulative" else "delta"
        self._last = ""  # cumulative mode: the whole text so far

    def raise_for_event(self, body: dict[str, Any]) -> None:
        code = _fastchat_code(body)
        if code is not None:
            raise error_from_code(code, str(body.get("text") or body.get("message") or ""))
        super().raise_for_event(body)

    def parse_usage(self, raw: Any) -> Usage | None:
        return koala_usage(raw)

    def text_increment(self, text: str) -> str:
        if not text or self.mode == "delta":
            return text
        if text.startswith(self._last):
            increment, self._last = text[len(self._last) :], text
            return increment
        if self._last.startswith(text):
            return ""  # a repeat of text already sent
        raise errors.ProtocolError(
            "a cumulative stream changed text it had already sent", vendor=VENDOR
        )


# -- the protocol object ------------------------------------------------------------------------


class KoalaProtocol(OpenAIProtocol):
    """OpenAI-compatible with FastChat's quirks; ``image_input`` overrides the model table."""

    vendor = VENDOR
    include_usage_in_streams = False

    def __init__(
        self, *, image_input: Mapping[str, bool] | None = None, stream_mode: StreamMode = "delta"
    ) -> None:
        self.image_input = dict(image_input or {})
        self.stream_mode: StreamMode = stream_mode

    def takes_images(self, model: str) -> bool:
        return self.image_input.get(model, models.takes_images(model))

    def check_response(self, response: HttpResponse) -> None:
        check_response(response)

    def chat_body(self, model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return chat_body(model, request, stream=stream, images_ok=self.takes_images(model))

    def completion_body(
        self, model: str, request: CompletionRequest, *, stream: bool
    ) -> dict[str, Any]:
        return completion_body(model, request, stream=stream)

    def embedding_body(self, model: str, texts: Sequence[str]) -> dict[str, Any]:
        return embedding_body(model, texts)

    def parse_result(self, data: Any, kind: Kind, model: str) -> ChatResult:
        return parse_result(data, kind, model)

    def stream_parser(self, kind: Kind, model: str) -> StreamParser:
        return KoalaStreamParser(kind, model, self.stream_mode)

    def parse_embeddings(self, data: Any, expected: int, model: str) -> EmbeddingResult:
        return parse_embeddings(data, expected, model)
