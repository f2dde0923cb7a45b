"""The Qianfan v1 (wenxinworkshop) handler: token issue, chat, completions, embeddings."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from ..core import (
    EmulatorConfig,
    Request,
    Response,
    Result,
    Route,
    Stats,
    StreamResponse,
    Vendor,
    json_response,
    register_vendor,
    route,
)
from ..faults import Fault
from ..text import count_tokens, embed_json, refusal
from . import replies, validate
from .auth import TokenStore, check_access_token, check_signature, issue_token
from .errors import MESSAGES, error, request_id
from .models import embedding_model, family

PREFIX = r"/rpc/2\.0/ai_custom/v1/wenxinworkshop"
STREAM_TYPE = "text/event-stream;charset=utf-8"
JSON_TYPE = "application/json;charset=utf-8"


def _headers(content_type: str, generated: bool = True) -> dict[str, str]:
    headers = {"Content-Type": content_type, "X-Baidu-Request-Id": request_id()}
    if content_type == STREAM_TYPE:
        headers["Cache-Control"] = "no-cache"
    if generated:
        headers["Statement"] = "AI-generated"
    return headers


@register_vendor("qianfan")
class QianfanVendor(Vendor):
    name = "qianfan"

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        super().__init__(config, stats)
        self.tokens = TokenStore()

    def routes(self) -> list[Route]:
        api = f"{PREFIX}/{{kind}}/(?P<endpoint>[^/]+)"
        return [
            route(r"/oauth/2\.0/token", self._token, "qianfan", "auth"),
            route(api.format(kind="chat"), partial(self._api, "chat"), "qianfan", "chat"),
            route(
                api.format(kind="completions"),
                partial(self._api, "completions"),
                "qianfan",
                "completions",
            ),
            route(
                api.format(kind="embeddings"),
                partial(self._api, "embeddings"),
                "qianfan",
                "embeddings",
            ),
            route(api.format(kind="tokenizer"), partial(self._api, "tokenizer"), "qianfan"),
            route(f"{PREFIX}(?:/.*)?", lambda _request: error(3), "qianfan"),
        ]

    # -- Vendor hooks -----------------------------------------------------------------------

    def error_response(self, fault: Fault, request: Request) -> Response:
        return error(fault.code or 336100, fault.message)

    def stream_error_event(self, fault: Fault) -> bytes:
        code = fault.code or 336100
        payload = {"error_code": code, "error_msg": fault.message or MESSAGES.get(code, "error")}
        line = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return (line + "\n" if fault.raw else f"data: {line}\n\n").encode("utf-8")

    def reset(self) -> None:
        self.tokens.clear()

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    # -- routes -----------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        self.stats.bump("token_requests")
        return issue_token(request, self.config, self.tokens)

    def _api(self, kind: str, request: Request) -> Result:
        if request.method != "POST":
            return error(336101)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        try:
            body = request.json()
        except ValueError:
            return error(336002, "Invalid JSON: the request body is not valid JSON")
        if not isinstance(body, dict):
            return error(336002, "Invalid JSON: the request body must be a JSON object")
        endpoint = request.params["endpoint"]
        if kind == "chat":
            return self._chat(request, body, endpoint)
        if kind == "completions":
            return self._completions(request, body)
        if kind == "embeddings":
            return self._embeddings(request, body, endpoint)
        return self._tokenizer(request, body)

    def _authenticate(self, request: Request) -> Response | None:
        token = request.query.get("access_token")
        if token is not None:
            return check_access_token(token, self.tokens)
        if request.header("Authorization"):
            return check_signature(request, self.config)
        return error(110)

    # -- kinds ------------------------------------------------------------------------------

    def _meta(self, request: Request, body: dict[str, Any]) -> replies.Meta:
        top = body.get("top_logprobs") if body.get("logprobs") else None
        return replies.Meta(
            id=replies.response_id(request.path + request.body.decode("utf-8", "replace")),
            created=int(time.time()),
            prompt_tokens=replies.prompt_tokens(body),
            top_logprobs=top if isinstance(top, int) else None,
        )

    def _chat(self, request: Request, body: dict[str, Any], endpoint: str) -> Result:
        problem = validate.check_chat(body)
        if problem is not None:
            return error(*problem)
        fault_kind = request.fault.kind if request.fault is not None else None
        reply = replies.chat_reply(body, family(endpoint) == "ernie", fault_kind)
        meta = self._meta(request, body)
        if body.get("stream"):
            return self._stream(replies.stream_objects(reply, meta, self._style()))
        return json_response(replies.chat_object(reply, meta), headers=_headers(JSON_TYPE))

    def _completions(self, request: Request, body: dict[str, Any]) -> Result:
        problem = validate.check_completion(body)
        if problem is not None:
            return error(*problem)
        safe = request.fault is None or request.fault.kind != "unsafe"
        reply = replies.completion_reply(body) if safe else replies.Reply(refusal())
        meta = self._meta(request, body)
        if body.get("stream"):
            return self._stream(replies.stream_objects(reply, meta, self._style(), safe))
        return json_response(
            replies.completion_object(reply, meta, safe), headers=_headers(JSON_TYPE)
        )

    def _embeddings(self, request: Request, body: dict[str, Any], endpoint: str) -> Response:
        model = embedding_model(endpoint)
        problem = validate.check_embeddings(body, model.batch, model.max_tokens)
        if problem is not None:
            return error(*problem)
        texts: list[str] = body["input"]
        meta = replies.Meta(
            id=replies.response_id(request.path + json.dumps(texts, ensure_ascii=False)),
            created=int(time.time()),
            prompt_tokens=sum(count_tokens(text) for text in texts),
            top_logprobs=None,
        )
        vectors = [embed_json(text, model.dimensions) for text in texts]
        return json_response(
            replies.embeddings_object(vectors, meta), headers=_headers(JSON_TYPE, False)
        )

    def _tokenizer(self, request: Request, body: dict[str, Any]) -> Response:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return error(336003, "invalid prompt: must be a non-empty string")
        payload = {
            "id": replies.response_id(request.path + prompt),
            "object": "tokenizer",
            "created": int(time.time()),
            "usage": {"total_tokens": count_tokens(prompt)},
        }
        return json_response(payload, headers=_headers(JSON_TYPE, False))

    def _style(self) -> str:
        return self.config.stream_usage_style

    def _stream(self, objects: list[dict[str, Any]]) -> StreamResponse:
        return StreamResponse([replies.sse(item) for item in objects], 200, _headers(STREAM_TYPE))
