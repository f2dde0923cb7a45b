"""The DashScope handler: text generation (ChatYuan prompt-only, Qwen messages) and embeddings.

Errors are ``{code, message, request_id}`` with the catalogue's HTTP status (§5); streams
use the native SSE layout and end with the event whose finish_reason is not "null" (§3).
The protocol does not promise the order of embedding items, so they come back in reverse
order: only a client that places vectors by ``text_index`` gets them right.
"""

from __future__ import annotations

from typing import Any

from .. import reasoning
from ..core import (
    JSON_TYPE,
    EmulatorConfig,
    Request,
    Response,
    Result,
    Route,
    StreamResponse,
    Vendor,
    json_response,
    register_vendor,
    route,
)
from ..faults import Fault
from ..text import count_tokens, embed_json, split_stream
from . import compat, current, replies, validate
from .validate import Problem

REGIONS, region_matches = current.REGIONS, current.region_matches
PREFIX = current.REGION_PREFIX + r"/api/v1"
STREAM_TYPE = "text/event-stream;charset=UTF-8"

STATUS = {
    "InvalidParameter": 400,
    "DataInspectionFailed": 400,
    "InvalidApiKey": 401,
    "AccessDenied": 403,
    "AccessDenied.Unpurchased": 403,
    "Model.NotExist": 404,
    "NotFound": 404,
    "Throttling": 429,
    "Throttling.RateQuota": 429,
    "Throttling.AllocationQuota": 429,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "GatewayTimeout": 504,
}
MESSAGES = {
    "InvalidApiKey": "Invalid API-key provided.",
    "InvalidParameter": "Invalid parameter.",
    "DataInspectionFailed": "Input data may contain inappropriate content.",
    "AccessDenied.Unpurchased": "Access to model denied. Please make sure you are eligible.",
    "Model.NotExist": "Model not exist.",
    "Throttling": "Requests rate limit exceeded, please try again later.",
    "Throttling.RateQuota": "Requests rate limit exceeded, please try again later.",
    "Throttling.AllocationQuota": "Free allocated quota exceeded.",
    "InternalError": "An internal error has occured, please try again later.",
    "ServiceUnavailable": "Service is unavailable, please try again later.",
}


def error(
    code: str, message: str | None = None, status: int | None = None, rid: str | None = None
) -> Response:
    rid = rid or replies.request_id()
    payload = {"code": code, "message": message or MESSAGES.get(code, code), "request_id": rid}
    return json_response(payload, status or STATUS.get(code, 400), {"X-Request-Id": rid})


def key_problem(request: Request, config: EmulatorConfig) -> Response | None:
    """DashScope's bearer check (any key; in strict mode the configured one), every endpoint."""
    scheme, _, key = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return error("InvalidApiKey", "No API-key provided.")
    expected = config.credential("dashscope_api_key")
    if config.strict and expected and key.strip() != expected:
        return error("InvalidApiKey")
    return None


def json_body(request: Request) -> dict[str, Any] | Response:
    """The body as a JSON object, or the InvalidParameter that says what it is instead."""
    try:
        body = request.json()
    except ValueError:
        return error("InvalidParameter", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return error("InvalidParameter", "The request body must be a JSON object.")
    return body


_CODE_FOR_STATUS = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "Model.NotExist",
    429: "Throttling",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def fault_code(fault: Fault) -> str:
    """DashScope codes are strings (``code="Throttling"``); a number is read as the HTTP
    status whose usual code is meant (``code=429`` is Throttling)."""
    code: object = fault.code
    if isinstance(code, str) and code:
        return code
    if isinstance(code, int):
        return _CODE_FOR_STATUS.get(code, "InternalError")
    return "InternalError"


def _problem(problem: Problem) -> Response:
    return error(*problem)


@register_vendor("dashscope")
class DashScopeVendor(Vendor):
    name = "dashscope"

    def routes(self) -> list[Route]:
        services = f"{PREFIX}/services"
        return [
            route(
                f"{services}/aigc/text-generation/generation", self._generation, "dashscope", "chat"
            ),
            route(
                f"{services}/embeddings/text-embedding/text-embedding",
                self._embeddings,
                "dashscope",
                "embeddings",
            ),
            route(
                f"{services}/aigc/multimodal-generation/generation", self._multimodal, "dashscope"
            ),
            *compat.routes(self),
            route(
                f"{PREFIX}(?:/.*)?", lambda _request: error("NotFound", "Not Found."), "dashscope"
            ),
        ]

    # -- Vendor hooks -----------------------------------------------------------------------

    def error_response(self, fault: Fault, request: Request) -> Response:
        """An ``error_code`` fault; ``status=200`` gives the 200-with-a-code case (§5.1)."""
        code = fault_code(fault)
        return error(code, fault.message, fault.status)

    def stream_error_event(self, fault: Fault) -> bytes:
        code = fault_code(fault)
        payload = {
            "code": code,
            "message": fault.message or MESSAGES.get(code, code),
            "request_id": replies.request_id(),
        }
        return replies.sse_event(fault.after_events + 1, payload, "error", STATUS.get(code, 400))

    # -- routes -----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Response | None:
        denied = key_problem(request, self.config)
        if denied is not None:
            return denied
        key = (request.header("Authorization") or "").partition(" ")[2].strip()
        if not region_matches(key, request.params.get("region")):
            return error("InvalidApiKey")
        return None

    def _body(self, request: Request) -> dict[str, Any] | Response:
        if request.method != "POST":
            return error("InvalidParameter", "Only POST is supported.", 405)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        return json_body(request)

    def _multimodal(self, request: Request) -> Result:
        return self._service(request, multimodal=True)

    def _generation(self, request: Request) -> Result:
        return self._service(request, multimodal=False)

    def _service(self, request: Request, *, multimodal: bool) -> Result:
        """Each model is bound to one of the two services; the other answers "url error",
        as an HTTP 400, or on a stream as a 200 whose first event is ``event:error`` (§2.2)."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        model = body.get("model")
        if isinstance(model, str) and model and model != validate.CHATYUAN:
            if current.is_multimodal(model) != multimodal:
                return self._refuse(request, current.URL_ERROR)
            if not current.known(model):
                return error("Model.NotExist", "Model not exist.")
        checked = validate.generation(body)
        if not isinstance(checked, validate.Generation):
            return _problem(checked)
        if checked.chatyuan:
            if multimodal:
                return self._refuse(request, current.URL_ERROR)
            return self._chatyuan(request, checked)
        problem = current.check_call(
            checked.model, checked.parameters, checked.messages, stream=request.streaming
        )
        if problem is None and multimodal:
            problem = current.check_native_parts(checked.messages)
        if problem is not None:
            return self._refuse(request, problem)
        return self._chat(request, checked, multimodal=multimodal)

    def _refuse(self, request: Request, problem: Problem) -> Result:
        if not request.streaming:
            return _problem(problem)
        rid = replies.request_id()
        payload = {"code": problem[0], "message": problem[1], "request_id": rid}
        status = STATUS.get(problem[0], 400)
        return self._stream([replies.sse_event(1, payload, "error", status)], rid)

    # -- ChatYuan: input.prompt only, output.text only (seed 002) ----------------------------

    def _chatyuan(self, request: Request, call: validate.Generation) -> Result:
        reply = replies.chatyuan_reply(call.prompt)
        rid = replies.request_id()
        if not request.streaming:
            return self._json({"output": {"text": reply}, "request_id": rid}, rid)
        texts = replies.cumulative(split_stream(reply), call.incremental)
        events = [
            replies.sse_event(number, {"output": {"text": piece}, "request_id": rid})
            for number, piece in enumerate(texts, start=1)
        ]
        return self._stream(events, rid)

    # -- messages models ---------------------------------------------------------------------

    def _chat(self, request: Request, call: validate.Generation, *, multimodal: bool) -> Result:
        media = current.media_counts(call.messages)
        reply = self._reply(call, media)
        thought, cached = "", None
        if current.thinking_on(call.model, call.parameters):
            thought = current.thought(call.messages, call.parameters)
            cached = reasoning.cached_tokens(replies.contents(call.messages))
        usage = _Usage(replies.prompt_tokens(call.messages), media, thought, cached)
        rid = replies.request_id()
        result_format = "message" if multimodal else call.result_format
        if not request.streaming:
            output = replies.output(
                reply.text, reply.finish_reason, reply.tool_calls, result_format
            )
            _decorate(output, thought, multimodal, reply.text)
            payload = {
                "output": output,
                "usage": usage.native(replies.completion_tokens(reply)),
                "request_id": rid,
            }
            return self._json(payload, rid)
        events = self._chat_events(call, reply, usage, rid, multimodal)
        return self._stream(events, rid)

    @staticmethod
    def _reply(call: validate.Generation, media: dict[str, int]) -> replies.Reply:
        question = current.plain_text(call.messages[-1])
        shaped = current.schema_answer(call.parameters, question)
        if shaped is not None:
            return replies.Reply(shaped)
        reply = replies.chat_reply(call.messages, call.parameters)
        seen = current.describe_media(media)
        if seen and not reply.tool_calls and call.messages[-1].get("role") == "user":
            return replies.Reply(seen + reply.text, reply.finish_reason)
        return reply

    def _chat_events(
        self,
        call: validate.Generation,
        reply: replies.Reply,
        usage: _Usage,
        rid: str,
        multimodal: bool,
    ) -> list[bytes]:
        deltas = split_stream(reply.text) if reply.text else [""]
        texts = replies.cumulative(deltas, call.incremental)
        calls: list[list[dict[str, Any]]] = [[] for _ in texts]
        if reply.tool_calls:
            texts = ["", ""]
            pieces = replies.tool_call_pieces(reply.tool_calls)
            calls = pieces if call.incremental else [[], reply.tool_calls]
        result_format = "message" if multimodal else call.result_format
        events: list[bytes] = []
        # Thinking first: reasoning_content deltas with empty content (§2.7, §11).
        thoughts = split_stream(usage.thought) if usage.thought else []
        for index, piece in enumerate(thoughts):
            output = replies.output("", "null", [], result_format)
            _decorate(output, piece, multimodal, "")
            thought_tokens = count_tokens("".join(thoughts[: index + 1]))
            running_usage = usage.native(thought_tokens, thought_tokens)
            payload = {"output": output, "usage": running_usage, "request_id": rid}
            events.append(replies.sse_event(len(events) + 1, payload))
        for index, piece in enumerate(texts):
            final = index == len(texts) - 1
            so_far = "".join(deltas[: index + 1])
            # Usage comes on every event as running totals (§3.2).
            running = count_tokens(so_far) if so_far else 0
            output_tokens = replies.completion_tokens(reply) if final else running
            output = replies.output(
                piece, reply.finish_reason if final else "null", calls[index], result_format
            )
            _decorate(output, "" if usage.thought else None, multimodal, piece)
            payload = {"output": output, "usage": usage.native(output_tokens), "request_id": rid}
            events.append(replies.sse_event(len(events) + 1, payload))
        return events

    # -- embeddings (§4) -----------------------------------------------------------------------

    def _embeddings(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        checked = validate.embeddings(body)
        if not isinstance(checked, validate.Embeddings):
            return _problem(checked)
        items = [
            {"text_index": index, "embedding": embed_json(text, checked.dimension)}
            for index, text in enumerate(checked.texts)
        ]
        rid = replies.request_id()
        payload = {
            "output": {"embeddings": list(reversed(items))},
            "usage": {"total_tokens": sum(count_tokens(text) for text in checked.texts)},
            "request_id": rid,
        }
        return self._json(payload, rid)

    # -- writing -----------------------------------------------------------------------------

    @staticmethod
    def _json(payload: dict[str, Any], rid: str) -> Response:
        return json_response(payload, headers={"X-Request-Id": rid, "Content-Type": JSON_TYPE})

    @staticmethod
    def _stream(events: list[bytes], rid: str) -> StreamResponse:
        headers = {"Content-Type": STREAM_TYPE, "Cache-Control": "no-cache", "X-Request-Id": rid}
        return StreamResponse(events, 200, headers)


class _Usage:
    """Native usage: media tokens in the input, reasoning tokens in the output (§2.6)."""

    def __init__(
        self, text_tokens: int, media: dict[str, int], thought: str, cached: int | None
    ) -> None:
        self.text_tokens = text_tokens
        self.media = current.media_usage(media)
        self.thought = thought
        self.cached = cached  # prefix-cache hits, reported on thinking calls
        self.thought_tokens = count_tokens(thought) if thought else 0

    @property
    def input_tokens(self) -> int:
        return self.text_tokens + sum(self.media.values())

    def native(self, answer_tokens: int, reasoning: int | None = None) -> dict[str, Any]:
        thought = self.thought_tokens if reasoning is None else reasoning
        output = answer_tokens + thought if reasoning is None else thought
        usage: dict[str, Any] = replies.usage(self.input_tokens, output)
        if self.media:
            usage.update(self.media)
            usage["input_tokens_details"] = {"text_tokens": self.text_tokens, **self.media}
        if self.cached is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached}
        if self.thought:
            usage["output_tokens_details"] = {"reasoning_tokens": thought}
        return usage


def _decorate(output: dict[str, Any], thought: str | None, multimodal: bool, text: str) -> None:
    """Reasoning beside the content; on multimodal-generation content is a part list (§2.6)."""
    choices = output.get("choices")
    if not choices:
        return
    message = choices[0]["message"]
    if thought is not None:
        message["reasoning_content"] = thought
    if multimodal:
        message["content"] = [{"text": text}] if text else []


__all__ = ["DashScopeVendor", "error"]
