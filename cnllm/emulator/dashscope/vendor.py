"""The DashScope handler: text generation (ChatYuan prompt-only, Qwen messages) and embeddings.

Errors are ``{code, message, request_id}`` with the catalogue's HTTP status (§5); streams
use the native SSE layout and end with the event whose finish_reason is not "null" (§3).
The protocol does not promise the order of embedding items, so they come back in reverse
order: only a client that places vectors by ``text_index`` gets them right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import reasoning
from ..core import (
    JSON_TYPE,
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
from . import replies, thinking, validate
from .validate import Problem

PREFIX = r"/api/v1"
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
        header = request.header("Authorization") or ""
        scheme, _, key = header.partition(" ")
        expected = self.config.credential("dashscope_api_key")
        if scheme.lower() != "bearer" or not key.strip():
            return error("InvalidApiKey", "No API-key provided.")
        if self.config.strict and expected and key.strip() != expected:
            return error("InvalidApiKey")
        return None

    def _body(self, request: Request) -> dict[str, Any] | Response:
        if request.method != "POST":
            return error("InvalidParameter", "Only POST is supported.", 405)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        try:
            body = request.json()
        except ValueError:
            return error("InvalidParameter", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return error("InvalidParameter", "The request body must be a JSON object.")
        return body

    def _multimodal(self, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        return error("InvalidParameter", "url error, please check url！")

    def _generation(self, request: Request) -> Result:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        checked = validate.generation(body)
        if not isinstance(checked, validate.Generation):
            return _problem(checked)
        if checked.chatyuan:
            return self._chatyuan(request, checked)
        return self._chat(request, checked)

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

    def _chat(self, request: Request, call: validate.Generation) -> Result:
        refused = thinking.refusal(call.model, call.parameters, request.streaming)
        if refused is not None:
            return _problem(refused)
        reply = replies.chat_reply(call.messages, call.parameters)
        prompt = replies.prompt_tokens(call.messages)
        thought = _thought(call)
        rid = replies.request_id()
        if not request.streaming:
            payload = {
                "output": replies.output(
                    reply.text,
                    reply.finish_reason,
                    reply.tool_calls,
                    call.result_format,
                    thought.text if thought else None,
                ),
                "usage": replies.usage(
                    prompt, replies.completion_tokens(reply), **_details(thought)
                ),
                "request_id": rid,
            }
            return self._json(payload, rid)
        return self._stream(self._chat_events(call, reply, prompt, rid, thought), rid)

    def _chat_events(
        self,
        call: validate.Generation,
        reply: replies.Reply,
        prompt: int,
        rid: str,
        thought: _Thought | None = None,
    ) -> list[bytes]:
        # A thinking call streams its reasoning first (content ""), then the answer (§4.1).
        events = self._thinking_events(call, prompt, rid, thought) if thought else []
        deltas = split_stream(reply.text) if reply.text else [""]
        texts = replies.cumulative(deltas, call.incremental)
        calls: list[list[dict[str, Any]]] = [[] for _ in texts]
        if reply.tool_calls:
            texts = ["", ""]
            pieces = replies.tool_call_pieces(reply.tool_calls)
            calls = pieces if call.incremental else [[], reply.tool_calls]
        for index, piece in enumerate(texts):
            final = index == len(texts) - 1
            so_far = "".join(deltas[: index + 1])
            # Usage comes on every event as running totals (§3.2).
            running = count_tokens(so_far) if so_far else 0
            output_tokens = replies.completion_tokens(reply) if final else running
            payload = {
                "output": replies.output(
                    piece,
                    reply.finish_reason if final else "null",
                    calls[index],
                    call.result_format,
                    "" if thought else None,
                ),
                "usage": replies.usage(prompt, output_tokens, **_details(thought)),
                "request_id": rid,
            }
            events.append(replies.sse_event(len(events) + 1, payload))
        return events

    @staticmethod
    def _thinking_events(
        call: validate.Generation, prompt: int, rid: str, thought: _Thought
    ) -> list[bytes]:
        events: list[bytes] = []
        so_far = ""
        for piece in split_stream(thought.text):
            so_far += piece
            payload = {
                "output": replies.output("", "null", [], call.result_format, piece),
                "usage": replies.usage(prompt, 0, reasoning=count_tokens(so_far)),
                "request_id": rid,
            }
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


@dataclass(frozen=True)
class _Thought:
    text: str
    cached: int


def _thought(call: validate.Generation) -> _Thought | None:
    """The reasoning of a thinking call, and the prefix-cache hit it reports."""
    if not thinking.thinks(call.model, call.parameters):
        return None
    budget = call.parameters.get("thinking_budget")
    question = replies.last_user_text(call.messages)
    text = reasoning.thinking(question, budget if isinstance(budget, int) else None)
    return _Thought(text, reasoning.cached_tokens(replies.contents(call.messages)))


def _details(thought: _Thought | None) -> dict[str, int | None]:
    if thought is None:
        return {}
    return {"reasoning": count_tokens(thought.text), "cached": thought.cached}


__all__ = ["DashScopeVendor", "error"]
