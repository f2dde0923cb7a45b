"""DashScope's OpenAI-compatible mode (``/compatible-mode/v1``): chat completions with the
DashScope extras at the top level, embeddings and the model list (reference §3, §6.3).

Streams are ``data: {...}`` with a space and end with ``data: [DONE]``; with
``stream_options.include_usage`` a last chunk has ``"choices": []`` and the usage (§3.4).
Errors use the OpenAI envelope with DashScope's codes (§3.5).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..core import JSON_TYPE, Request, Response, Result, Route, StreamResponse, json_response
from ..core import route as make_route
from ..text import count_tokens, embed_json, split_stream
from . import current, replies, validate
from .validate import Problem

if TYPE_CHECKING:
    from .vendor import DashScopeVendor

PREFIX = current.REGION_PREFIX + r"/compatible-mode/v1"
STREAM_TYPE = "text/event-stream;charset=UTF-8"
PART_TYPES = ("text", "image_url", "video_url", "video", "input_audio")
# What GET /models lists (the live list differs by region and plan, §9.1).
MODELS = (
    "qwen3.8-max",
    "qwen3.8-flash",
    "qwen3.7-max",
    "qwen3.7-plus",
    "qwen3.7-flash",
    "qwen3.6-plus",
    "qwen3.5-plus",
    "qwen3.5-flash",
    "qwen3-max",
    "qwen-plus",
    "qwen-flash",
    "qwen-max",
    "qwen3-vl-plus",
    "qwen3-vl-flash",
    "qwen3-omni-flash",
    "qwen3-coder-plus",
    "qwen3-235b-a22b",
    "text-embedding-v4",
    "text-embedding-v3",
    "qwen3-rerank",
)
_CODES = {
    "InvalidParameter": (400, "invalid_parameter_error", "invalid_request_error"),
    "InvalidApiKey": (401, "invalid_api_key", "invalid_request_error"),
    "Model.NotExist": (404, "model_not_found", "invalid_request_error"),
}


def routes(vendor: DashScopeVendor) -> list[Route]:
    handler = _Handler(vendor)
    return [
        make_route(f"{PREFIX}/chat/completions", handler.chat, "dashscope", "chat"),
        make_route(f"{PREFIX}/embeddings", handler.embeddings, "dashscope", "embeddings"),
        make_route(f"{PREFIX}/models", handler.models, "dashscope"),
    ]


def error(problem: Problem, rid: str | None = None) -> Response:
    code, message = problem
    status, wire_code, kind = _CODES.get(code, (400, code, code))
    rid = rid or replies.request_id()
    payload = {
        "error": {"message": message, "type": kind, "param": None, "code": wire_code},
        "id": f"chatcmpl-{rid}",
        "request_id": rid,
    }
    return json_response(payload, status, {"X-Request-Id": rid})


def _data(payload: Any) -> bytes:
    if isinstance(payload, str):
        return f"data: {payload}\n\n".encode()
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


class _Handler:
    def __init__(self, vendor: DashScopeVendor) -> None:
        self.vendor = vendor

    def _auth(self, request: Request) -> Response | None:
        scheme, _, key = (request.header("Authorization") or "").partition(" ")
        expected = self.vendor.config.credential("dashscope_api_key")
        bad = scheme.lower() != "bearer" or not key.strip()
        bad = bad or (self.vendor.config.strict and bool(expected) and key.strip() != expected)
        if bad or not current.region_matches(key.strip(), request.params.get("region")):
            return error(
                (
                    "InvalidApiKey",
                    "Incorrect API key provided. For details, see: "
                    "https://www.alibabacloud.com/help/en/model-studio/error-code#apikey-error",
                )
            )
        return None

    def _json_body(self, request: Request) -> dict[str, Any] | Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(("InvalidParameter", "The request body must be a JSON object."))
        return body

    # -- models ---------------------------------------------------------------------------------

    def models(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        data = [
            {"id": name, "object": "model", "created": 1767225600, "owned_by": "system"}
            for name in MODELS
        ]
        return json_response({"object": "list", "data": data})

    # -- embeddings (§6.3) ----------------------------------------------------------------------

    def embeddings(self, request: Request) -> Response:
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        native = {
            "model": body.get("model"),
            "input": {"texts": texts},
            "parameters": {"dimension": body.get("dimensions")},
        }
        checked = validate.embeddings(native)
        if not isinstance(checked, validate.Embeddings):
            code, message = checked
            if "batch size" in message:
                message = (
                    "<400> InternalError.Algo.InvalidParameter: Value error, batch size is "
                    "invalid, it should not be larger than 10.: input.contents"
                )
            return error((code, message))
        rid = replies.request_id()
        tokens = sum(count_tokens(text) for text in checked.texts)
        payload = {
            "data": [
                {
                    "embedding": embed_json(text, checked.dimension),
                    "index": index,
                    "object": "embedding",
                }
                for index, text in enumerate(checked.texts)
            ],
            "model": checked.model,
            "object": "list",
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "id": rid,
        }
        return json_response(payload, headers={"X-Request-Id": rid, "Content-Type": JSON_TYPE})

    # -- chat completions (§3.2-§3.4) -----------------------------------------------------------

    def chat(self, request: Request) -> Result:
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        model = body.get("model")
        if not isinstance(model, str) or not current.known(model):
            return error(("Model.NotExist", "Model not exist."))
        messages = body.get("messages")
        problem = _check_messages(messages)
        if problem is not None:
            return error(problem)
        assert isinstance(messages, list)
        stream = body.get("stream") is True
        problem = current.check_call(model, body, messages, stream=stream)
        if problem is not None:
            return error(problem)
        return _Answer(model, messages, body).respond(stream)


def _check_messages(messages: Any) -> Problem | None:
    if not isinstance(messages, list) or not messages:
        return ("InvalidParameter", "messages must be a non-empty list.")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in validate.ROLES:
            return ("InvalidParameter", f"messages[{index}].role is invalid.")
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if not isinstance(part, dict) or part.get("type") not in PART_TYPES:
                    return ("InvalidParameter", f"messages[{index}].content has an unknown part.")
    return None


class _Answer:
    """One chat completion: the reply, its reasoning and usage, as a body or as chunks."""

    def __init__(self, model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> None:
        self.model = model
        self.body = body
        self.rid = replies.request_id()
        self.id = f"chatcmpl-{self.rid}"
        self.created = int(time.time())
        media = current.media_counts(messages)
        question = current.plain_text(messages[-1])
        shaped = current.schema_answer(body, question)
        if shaped is not None:
            self.reply = replies.Reply(shaped)
        else:
            self.reply = replies.chat_reply(messages, body)
            seen = current.describe_media(media)
            if seen and not self.reply.tool_calls and messages[-1].get("role") == "user":
                self.reply = replies.Reply(seen + self.reply.text, self.reply.finish_reason)
        self.thought = current.thought(messages, body) if current.thinking_on(model, body) else ""
        self.text_tokens = replies.prompt_tokens(messages)
        self.media = current.media_usage(media)

    def usage(self) -> dict[str, Any]:
        prompt = self.text_tokens + sum(self.media.values())
        reasoning = count_tokens(self.thought) if self.thought else 0
        completion = replies.completion_tokens(self.reply) + reasoning
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": self.text_tokens},
        }
        usage["prompt_tokens_details"].update(self.media)
        if self.thought:
            usage["completion_tokens_details"] = {
                "reasoning_tokens": reasoning,
                "text_tokens": completion - reasoning,
            }
        return usage

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {
            "object": obj,
            "created": self.created,
            "system_fingerprint": None,
            "model": self.model,
            "id": self.id,
        }

    def respond(self, stream: bool) -> Result:
        headers = {"X-Request-Id": self.rid}
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": self.reply.text}
            if self.thought:
                message["reasoning_content"] = self.thought
            if self.reply.tool_calls:
                message["tool_calls"] = self.reply.tool_calls
            choice = {
                "message": message,
                "finish_reason": self.reply.finish_reason,
                "index": 0,
                "logprobs": None,
            }
            payload = {"choices": [choice], **self._envelope("chat.completion")}
            payload["usage"] = self.usage()
            return json_response(payload, headers=headers)
        headers.update({"Content-Type": STREAM_TYPE, "Cache-Control": "no-cache"})
        return StreamResponse(self._chunks(), 200, headers)

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}
        return _data(
            {"choices": [choice], **self._envelope("chat.completion.chunk"), "usage": None}
        )

    def _chunks(self) -> list[bytes]:
        chunks = [self._chunk({"content": None, "role": "assistant", "reasoning_content": ""})]
        for piece in split_stream(self.thought) if self.thought else []:
            chunks.append(self._chunk({"content": None, "reasoning_content": piece}))
        if self.reply.tool_calls:
            for pieces in replies.tool_call_pieces(self.reply.tool_calls):
                chunks.append(self._chunk({"content": None, "tool_calls": pieces}))
        else:
            for piece in split_stream(self.reply.text) if self.reply.text else []:
                chunks.append(self._chunk({"content": piece, "reasoning_content": None}))
        chunks.append(
            self._chunk({"content": "", "reasoning_content": None}, self.reply.finish_reason)
        )
        options = self.body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            chunks.append(
                _data(
                    {
                        "choices": [],
                        **self._envelope("chat.completion.chunk"),
                        "usage": self.usage(),
                    }
                )
            )
        chunks.append(_data("[DONE]"))
        return chunks
