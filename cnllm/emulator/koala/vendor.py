"""The Koala 悠然 handler: a FastChat ``openai_api_server`` under ``/v1/`` (koala.md).

Options (``Emulator(**options)``): ``koala_api_key`` (a key, a comma-separated list or a
list; unset: every request is allowed, as FastChat without ``--api-keys``),
``koala_models`` (the names the server lists), ``koala_context_length`` (tokens, 4096) and
``koala_stream="cumulative"`` (chunks carry the whole text so far, as the document claims).
"""

from __future__ import annotations

import base64
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .. import reasoning
from ..core import Request, Response, Result, Route, StreamResponse, Vendor, register_vendor, route
from ..faults import Fault
from ..text import count_tokens
from . import fastchat, replies
from .replies import Reply

MODELS = (
    "Baichuan-13B-Chat",  # the name the seed's completion example answered to
    "Baichuan2-13B-Chat",
    "deepseek-r1",
    "gpt-3.5-turbo",
    "koala-mm",
    "qwen3-8b",
    "sqlcoder",
    "text2vec-large-chinese",
    "vicuna-13b-v1.5",
)
# Reasoning models a Koala deployment serves through vLLM/SGLang: the field their thinking
# comes in (DeepSeek's name, and vLLM's newer one), and which cannot stop thinking.
REASONING_FIELDS = {"deepseek-r1": "reasoning_content", "qwen3-8b": "reasoning"}
ALWAYS_THINKING = frozenset({"deepseek-r1"})
MULTIMODAL = frozenset({"koala-mm"})
UNREPORTED_USAGE = frozenset({"koala-mm", "text2vec-large-chinese"})  # the seed shows zeros
CONTEXT_LENGTH = 4096
FASTCHAT_CHAT_MAX_TOKENS = 1024 * 1024  # "no limit" in check_length
FASTCHAT_COMPLETION_MAX_TOKENS = 16  # CompletionRequest's default (§2.6)


@register_vendor("koala")
class KoalaVendor(Vendor):
    name = "koala"

    def routes(self) -> list[Route]:
        return [
            route(r"/v1/models", self._guard("GET", self._models), "koala"),
            route(r"/v1/models/.+", lambda _r: fastchat.detail(404), "koala"),
            route(r"/v1/chat/completions", self._guard("POST", self._chat), "koala", "koala-chat"),
            route(
                r"/v1/completions",
                self._guard("POST", self._completions),
                "koala",
                "koala-completions",
            ),
            route(
                r"/v1/(?:engines/(?P<model>[^/]+)/)?embeddings",
                self._guard("POST", self._embeddings),
                "koala",
                "koala-embeddings",
            ),
            route(r"/v1(?:/.*)?", lambda _r: fastchat.detail(404), "koala"),
        ]

    # -- Vendor hooks -----------------------------------------------------------------------

    def error_response(self, fault: Fault, request: Request) -> Response:
        if fault.code == 401:
            return fastchat.auth_error()
        return fastchat.error(fault.code or 50001, fault.message)

    def stream_error_event(self, fault: Fault) -> bytes:
        return fastchat.worker_error_event(fault.code or 50001, fault.message)

    # -- configuration ----------------------------------------------------------------------

    def _option(self, name: str, default: Any = None) -> Any:
        return self.config.options.get(name, default)

    def _models(self, _request: Request) -> Response:
        created = int(time.time())
        cards = [
            {
                "id": model,
                "object": "model",
                "created": created,
                "owned_by": "fastchat",
                "root": model,
                "parent": None,
                "permission": [_permission(model, created)],
            }
            for model in self._model_names()
        ]
        return fastchat.body_response({"object": "list", "data": cards})

    def _model_names(self) -> list[str]:
        return sorted(self._option("koala_models") or MODELS)

    def _api_keys(self) -> list[str]:
        keys = self._option("koala_api_key") or self.config.credential("koala_api_key")
        if isinstance(keys, str):
            keys = keys.split(",")
        return [key.strip() for key in keys or () if key and key.strip()]

    def _cumulative(self) -> bool:
        return bool(self._option("koala_stream") == "cumulative")

    # -- request plumbing -------------------------------------------------------------------

    def _guard(
        self, method: str, handler: Callable[[Request], Result]
    ) -> Callable[[Request], Result]:
        """Method, then the API key (checked before the body, as FastChat does)."""

        def guarded(request: Request) -> Result:
            if request.method != method:
                return fastchat.detail(405)
            keys = self._api_keys()
            if keys:
                scheme, _, token = (request.header("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or not any(
                    secrets.compare_digest(token.strip(), key) for key in keys
                ):
                    return fastchat.auth_error()
            return handler(request)

        return guarded

    def _body(
        self, request: Request, required: tuple[str, ...], path_model: str | None = None
    ) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return fastchat.error(40001, "[{'loc': ('body', 0), 'msg': 'Expecting value'}]")
        if not isinstance(body, dict):
            return fastchat.error(40001, "[{'loc': ('body',), 'msg': 'value is not a valid dict'}]")
        if body.get("model") is None and path_model:  # /v1/engines/{model}/embeddings
            body["model"] = path_model
        problem = fastchat.check_types(body, required)
        if problem is None and body.get("model") not in self._model_names():
            problem = fastchat.model_list_error(self._model_names(), body.get("model"))
        return problem or body

    def _context_problem(self, prompt: str, max_tokens: int | None) -> Response | None:
        context = int(self._option("koala_context_length", CONTEXT_LENGTH))
        tokens = count_tokens(prompt)
        if min(max_tokens or FASTCHAT_CHAT_MAX_TOKENS, context - tokens) <= 0:
            return fastchat.overflow(context, tokens)
        return None

    # -- chat -------------------------------------------------------------------------------

    def _chat(self, request: Request) -> Result:
        body = self._body(request, ("model", "messages"))
        if isinstance(body, Response):
            return body
        problem = fastchat.check_messages(body["messages"]) or fastchat.check_ranges(body)
        if problem is not None:
            return problem
        messages = body["messages"]
        echoed = _echoed_reasoning(str(body["model"]), messages)
        if echoed is not None:
            return echoed
        if not isinstance(messages, str) and any(
            m.get("role") not in ("system", "user", "assistant") for m in messages
        ):
            return fastchat.server_crash()  # KeyError / "Unknown role" (§2.1, §5)
        turns = replies.read_messages(messages)
        overflow = self._context_problem(turns.prompt, body.get("max_tokens"))
        if overflow is not None:
            return overflow
        nulls = [name for name in fastchat.WORKER_FIELDS if name in body and body[name] is None]
        if nulls:  # the worker does float(None)
            return self._worker_failure(body, f"worker rejected null {', '.join(nulls)}")
        model = str(body["model"])
        answer = replies.chat_reply(turns, model in MULTIMODAL)
        reply = replies.limit(Reply(answer), body.get("stop"), body.get("max_tokens"))
        reply = _with_thinking(reply, model, body, turns.last_user)
        count = int(body.get("n") or 1)
        ident = fastchat.short_id("chatcmpl-", request.body.decode("utf-8", "replace"))
        if body.get("stream"):
            events = replies.chat_events(
                ident, model, int(time.time()), [reply] * count, self._cumulative()
            )
            return _stream(events)
        choices = [
            {
                "index": index,
                "message": replies.message(reply),
                "finish_reason": reply.finish_reason,
            }
            for index in range(count)
        ]
        payload = {
            "id": ident,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            "usage": self._usage(model, turns.prompt, reply, count, messages),
        }
        return fastchat.body_response(payload)

    def _usage(
        self, model: str, prompt: str, reply: Reply, count: int, messages: Any
    ) -> dict[str, Any]:
        if model in UNREPORTED_USAGE:
            return replies.usage(0, 0)
        counts: dict[str, Any] = replies.usage(
            count_tokens(prompt) * count, replies.completion_tokens(reply) * count
        )
        if reply.reasoning_field:  # vLLM's details: the prefix cache and the thinking
            history = [m.get("content", "") for m in messages if isinstance(m, dict)]
            counts["prompt_tokens_details"] = {"cached_tokens": reasoning.cached_tokens(history)}
            counts["completion_tokens_details"] = {
                "reasoning_tokens": count_tokens(reply.reasoning) * count
            }
        return counts

    def _worker_failure(self, body: dict[str, Any], why: str) -> Result:
        if body.get("stream"):
            role = {"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}
            ident = fastchat.short_id("chatcmpl-", why)
            start = fastchat.event({"id": ident, "model": body["model"], "choices": [role]})
            return _stream(
                [start, fastchat.worker_error_event(50001, f"Internal Server Error ({why})")]
            )
        return fastchat.error(50001, "Internal Server Error")

    # -- completions ------------------------------------------------------------------------

    def _completions(self, request: Request) -> Result:
        body = self._body(request, ("model", "prompt"))
        if isinstance(body, Response):
            return body
        problem = fastchat.check_ranges(body)
        if problem is not None:
            return problem
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        if not prompts or not all(isinstance(p, str) for p in prompts):
            return fastchat.error(40001, "the emulator takes prompts as strings, not token ids")
        max_tokens = body.get("max_tokens", FASTCHAT_COMPLETION_MAX_TOKENS)
        for prompt in prompts:
            overflow = self._context_problem(prompt, max_tokens)
            if overflow is not None:
                return overflow
        nulls = [name for name in fastchat.WORKER_FIELDS if name in body and body[name] is None]
        if nulls:
            return fastchat.error(50001, "Internal Server Error")
        model, count = str(body["model"]), int(body.get("n") or 1)
        outputs = [
            replies.limit(Reply(replies.completion_reply(p)), body.get("stop"), max_tokens)
            for p in prompts
            for _ in range(count)
        ]
        ident = fastchat.short_id("cmpl-", request.body.decode("utf-8", "replace"))
        if body.get("stream"):
            return _stream(replies.completion_events(ident, model, outputs, self._cumulative()))
        choices = [
            {"index": i, "text": r.text, "logprobs": None, "finish_reason": r.finish_reason}
            for i, r in enumerate(outputs)
        ]
        prompt_tokens = sum(count_tokens(p) for p in prompts) * count
        completion = sum(replies.completion_tokens(r) for r in outputs)
        payload = {
            "id": ident,
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            "usage": replies.usage(prompt_tokens, completion),
        }
        return fastchat.body_response(payload)

    # -- embeddings -------------------------------------------------------------------------

    def _embeddings(self, request: Request) -> Result:
        body = self._body(request, ("input",), request.params.get("model"))
        if isinstance(body, Response):
            return body
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        if not isinstance(texts, list) or not texts:
            return fastchat.server_crash()  # an empty list crashes the server (§7)
        if not all(isinstance(item, str) for item in texts):
            return fastchat.error(40001, "the emulator takes input as strings, not token ids")
        model = str(body["model"])
        vectors = [replies.raw_embedding(item) for item in texts]
        tokens = 0 if model in UNREPORTED_USAGE else sum(count_tokens(t) for t in texts)
        data = [
            {
                "object": "embedding",
                "embedding": _encode(v, body.get("encoding_format")),
                "index": i,
            }
            for i, v in enumerate(vectors)
        ]
        payload = {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return fastchat.body_response(payload)


def _thinks(model: str, body: dict[str, Any]) -> bool:
    if model not in REASONING_FIELDS:
        return False
    kwargs = body.get("chat_template_kwargs")
    switch = kwargs.get("enable_thinking") if isinstance(kwargs, dict) else None
    return model in ALWAYS_THINKING or switch is not False  # Qwen3's template: on by default


def _with_thinking(reply: Reply, model: str, body: dict[str, Any], question: str) -> Reply:
    if not _thinks(model, body):
        return reply
    kwargs = body.get("chat_template_kwargs")
    budget = kwargs.get("thinking_budget") if isinstance(kwargs, dict) else None
    thought = reasoning.thinking(question, budget if isinstance(budget, int) else None)
    return replace(reply, reasoning=thought, reasoning_field=REASONING_FIELDS[model])


def _echoed_reasoning(model: str, messages: Any) -> Response | None:
    """DeepSeek-R1 answers 400 to an earlier turn's reasoning sent back in the messages."""
    if model != "deepseek-r1" or not isinstance(messages, list):
        return None
    if not any(isinstance(m, dict) and "reasoning_content" in m for m in messages):
        return None
    payload = {
        "object": "error",
        "message": "The reasoning_content of an assistant message must not be sent back in "
        "the input messages",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
    return fastchat.body_response(payload, 400)


def _encode(vector: list[float], encoding_format: Any) -> Any:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def _stream(events: list[bytes]) -> StreamResponse:
    return StreamResponse(events, 200, {"Content-Type": fastchat.STREAM_TYPE})


def _permission(model: str, created: int) -> dict[str, Any]:
    return {
        "id": fastchat.short_id("modelperm-", model),
        "object": "model_permission",
        "created": created,
        "allow_create_engine": False,
        "allow_sampling": True,
        "allow_logprobs": True,
        "allow_search_indices": True,
        "allow_view": True,
        "allow_fine_tuning": False,
        "organization": "*",
        "group": None,
        "is_blocking": False,
    }
