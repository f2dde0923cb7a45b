"""A hostile server that echoes credentials back in its errors (issue 10 §6), and answers
with errors in the wrong content type or non-answers to streams (§7).

Every error family of every vendor, sync, async and streaming, is provoked against a loopback
server whose answers quote the key, the secret or the token; the error is then formatted the way
Sentry or ``pytest --showlocals`` would (``traceback.TracebackException(capture_locals=True)``,
whole chain) and no credential may appear, nor in ``str``/``repr``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import langchain_cnllm as lc
import llamaindex_cnllm as li
from cnllm import errors
from cnllm.qianfan.auth import clear_token_cache

AK = "ak-ECHO-0123456789abcdef"
SK = "sk-ECHO-fedcba9876543210"
KEY = "sk-ECHO-key-5555555555555555"
TOKEN = "24.ECHO0123456789abcdef.2592000.1700000000.282335-99999999"
SECRETS = (AK, SK, KEY, TOKEN)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def reply(status: int, body: Any, content_type: str = "application/json", **headers: str) -> Reply:
    raw = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
    return Reply(status, raw, content_type, tuple(headers.items()))


Answer = Callable[[str], Reply]


class HostileServer:
    """Answers every request with what ``answer(path)`` says; loopback only."""

    def __init__(self) -> None:
        self.answer: Answer = lambda path: reply(500, "unset")
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.paths.append(self.path)
                chosen = outer.answer(self.path)
                self.send_response(chosen.status)
                self.send_header("Content-Type", chosen.content_type)
                self.send_header("Content-Length", str(len(chosen.body)))
                for name, value in chosen.headers:
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(chosen.body)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    clear_token_cache()
    with HostileServer() as server:
        yield server
    clear_token_cache()


def visible(error: BaseException) -> list[str]:
    """The credentials in the error's message, repr and body."""
    shown = str(error) + repr(error) + str(getattr(error, "body", ""))
    return [secret for secret in SECRETS if secret in shown]


def in_locals(error: BaseException) -> list[str]:
    """The credentials visible when the error is formatted as Sentry or ``--showlocals`` do
    (frame locals, whole chain), this test's own frame left out (its locals hold them)."""
    error = error.with_traceback(error.__traceback__.tb_next if error.__traceback__ else None)
    shown = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    return [secret for secret in SECRETS if secret in shown]


def token_ok(path: str) -> Reply | None:
    if path.startswith("/oauth/2.0/token"):
        return reply(200, {"access_token": TOKEN, "expires_in": 2592000})
    return None


def qianfan_token_rejected(path: str) -> Reply:
    body = {"error": "invalid_client", "error_description": f"unknown client id {AK}"}
    return reply(401, body)


def qianfan_call_echoes_token(path: str) -> Reply:
    body = {"error_code": 336003, "error_msg": f"bad access_token {TOKEN} for client {AK}"}
    return token_ok(path) or reply(200, body)


def qianfan_text_plain_echo(path: str) -> Reply:
    body = json.dumps({"error_code": 17, "error_msg": f"quota used up for {AK} / {SK}"})
    return token_ok(path) or reply(200, body, "text/plain")


def qianfan_500_html(path: str) -> Reply:
    return token_ok(path) or reply(500, f"<html>upstream failed for {TOKEN}</html>", "text/html")


def qianfan_iam_rejected(path: str) -> Reply:
    return reply(
        401,
        {"code": "SignatureDoesNotMatch", "message": f"no such access key {AK}"},
        x_bce_error_code="SignatureDoesNotMatch",
        x_bce_error_message=f"signature of {AK} does not match",
    )


def dashscope_key_rejected(path: str) -> Reply:
    return reply(401, {"code": "InvalidApiKey", "message": f"Invalid API-key provided: {KEY}"})


def openai_key_rejected(path: str) -> Reply:
    body = {"object": "error", "message": f"Incorrect API key provided: {KEY}", "code": 40001}
    return reply(400, body)


def clueai_key_rejected(path: str) -> Reply:
    return reply(200, {"message": f"api_key {KEY} 无效"})


def plain_500(path: str) -> Reply:
    return reply(500, f"Traceback: KeyError({KEY!r})", "text/plain")


QIANFAN = {"api_key": AK, "secret_key": SK}
QIANFAN_IAM = {"qianfan_access_key": AK, "qianfan_secret_key": SK}

CASES: list[tuple[str, Answer, Callable[[str], Any], dict[str, Any]]] = [
    ("qianfan-token-rejected", qianfan_token_rejected, lc.ChatQianfan, QIANFAN),
    ("qianfan-token-echoed", qianfan_call_echoes_token, lc.ChatQianfan, QIANFAN),
    ("qianfan-text-plain", qianfan_text_plain_echo, lc.ChatQianfan, QIANFAN),
    ("qianfan-500-html", qianfan_500_html, lc.QianfanLLM, QIANFAN),
    ("qianfan-iam", qianfan_iam_rejected, lc.ChatQianfan, QIANFAN_IAM),
    ("qianfan-embeddings", qianfan_call_echoes_token, lc.QianfanEmbeddings, QIANFAN),
    ("qianfan-llamaindex", qianfan_call_echoes_token, li.Qianfan, QIANFAN),
    ("dashscope-chat", dashscope_key_rejected, lc.ChatDashScope, {"api_key": KEY}),
    ("dashscope-llm", plain_500, lc.DashScopeLLM, {"api_key": KEY}),
    ("dashscope-embeddings", dashscope_key_rejected, lc.DashScopeEmbeddings, {"api_key": KEY}),
    ("dashscope-llamaindex", dashscope_key_rejected, li.DashScope, {"api_key": KEY}),
    ("koala-chat", openai_key_rejected, lc.ChatKoala, {"api_key": KEY}),
    ("koala-embeddings", plain_500, lc.KoalaEmbeddings, {"api_key": KEY}),
    ("koala-llamaindex", openai_key_rejected, li.Koala, {"api_key": KEY}),
    ("clueai-chat", clueai_key_rejected, lc.ChatClueAI, {"api_key": KEY}),
    ("clueai-llm", clueai_key_rejected, lc.ClueAILLM, {"api_key": KEY}),
    ("clueai-llamaindex", plain_500, li.ClueAI, {"api_key": KEY}),
]


def build(cls: Any, kwargs: dict[str, Any], url: str) -> Any:
    urls: dict[str, Any] = {"base_url": url}
    name = cls.__name__
    if "Koala" in name:
        urls["base_url"] = f"{url}/v1"
    if "ClueAI" in name:
        urls["modelfun_url"] = url
    if "DashScope" in name:
        urls["base_url"] = f"{url}/api/v1"
    return cls(**kwargs, **urls, max_retries=0)


def call(model: Any, mode: str) -> Any:
    """One call of the model in ``mode``, whatever kind of class it is."""
    if hasattr(model, "embed_query"):
        if mode == "async":
            return asyncio.run(model.aembed_documents(["你好"]))
        return model.embed_documents(["你好"])
    if hasattr(model, "get_text_embedding"):
        return model.get_text_embedding("你好")
    if hasattr(model, "complete"):  # LlamaIndex
        if mode == "async":
            return asyncio.run(model.acomplete("你好"))
        if mode == "stream":
            return list(model.stream_complete("你好"))
        return model.complete("你好")
    if mode == "async":
        return asyncio.run(model.ainvoke("你好"))
    if mode == "stream":
        return list(model.stream("你好"))
    return model.invoke("你好")


@pytest.mark.parametrize("mode", ["sync", "async", "stream"])
@pytest.mark.parametrize(
    ("case", "answer", "cls", "kwargs"), CASES, ids=[case[0] for case in CASES]
)
def test_no_error_shows_a_credential_the_server_echoed(
    hostile: HostileServer,
    mode: str,
    case: str,
    answer: Answer,
    cls: Any,
    kwargs: dict[str, Any],
) -> None:
    hostile.answer = answer
    model = build(cls, kwargs, hostile.url)
    with pytest.raises(Exception) as caught:
        call(model, mode)
    assert not visible(caught.value), f"{type(caught.value).__name__}: {caught.value}"
    assert not in_locals(caught.value)


def test_the_echoed_message_stays_readable(hostile: HostileServer) -> None:
    hostile.answer = dashscope_key_rejected
    with pytest.raises(Exception) as caught:
        build(lc.ChatDashScope, {"api_key": KEY}, hostile.url).invoke("你好")
    assert "Invalid API-key provided: ***" in str(caught.value)
    hostile.answer = qianfan_token_rejected
    with pytest.raises(Exception) as caught:
        build(lc.ChatQianfan, QIANFAN, hostile.url).invoke("你好")
    assert "unknown client id ***" in str(caught.value)


# -- the same hostile server, for honest parsing (issue 10 §7) ---------------------------------


def model_calls(server: HostileServer) -> int:
    return sum(1 for path in server.paths if not path.startswith("/oauth"))


def test_a_qianfan_error_served_as_text_plain_is_typed_and_retried(hostile: HostileServer) -> None:
    def answer(path: str) -> Reply:
        body = json.dumps({"error_code": 18, "error_msg": "Open api qps request limit reached"})
        return token_ok(path) or reply(200, body, "text/plain")

    hostile.answer = answer
    chat = lc.ChatQianfan(**QIANFAN, base_url=hostile.url, max_retries=1)
    with pytest.raises(errors.RateLimitError) as caught:
        chat.invoke("你好")
    assert getattr(caught.value, "code", None) == 18
    assert model_calls(hostile) == 2  # transient: retried max_retries times


@pytest.mark.parametrize(
    "body",
    [{}, {"message": "busy"}, {"error": {"code": "x"}}],
    ids=["empty", "message", "error-object"],
)
def test_a_qianfan_stream_answered_with_a_non_answer_is_not_a_success(
    hostile: HostileServer, body: dict[str, Any]
) -> None:
    hostile.answer = lambda path: token_ok(path) or reply(200, body)
    chat = lc.ChatQianfan(**QIANFAN, base_url=hostile.url, max_retries=0)
    with pytest.raises(Exception, match="neither a sentence nor the end"):
        list(chat.stream("你好"))
