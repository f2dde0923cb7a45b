"""The transport against a hostile server on loopback (tests/hostile.py), sync and async:
gzip streams, trickles, stalls, redirects, hang-ups, refused connections, echoes."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cnllm import errors
from cnllm.retry import RetryBudget, RetryPolicy
from cnllm.sse import ServerSentEvent
from cnllm.transport import HttpRequest, HttpResponse, Transport
from tests.hostile import SECRET, TRICKLE, HostileServer, closed_port_url


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def check(response: HttpResponse) -> None:
    """A vendor check that knows nothing: the transport classifies by status."""


def make(timeout: float = 5.0, max_retries: int = 2, backoff: float = 0.0) -> Transport:
    policy = RetryPolicy(max_retries=max_retries, initial_backoff=backoff, max_backoff=backoff)
    return Transport(check=check, vendor="hostile", timeout=timeout, retry=policy)


def post(url: str, body: Any = None, **headers: str) -> HttpRequest:
    return HttpRequest("POST", url, json={} if body is None else body, headers=headers)


def call(transport: Transport, mode: str, request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if mode == "sync":
        return transport.request(request, **kwargs)

    async def go() -> HttpResponse:
        try:
            return await transport.arequest(request, **kwargs)
        finally:
            await transport.aclose()

    return asyncio.run(go())


def events(transport: Transport, mode: str, request: HttpRequest) -> list[ServerSentEvent]:
    if mode == "sync":
        return list(transport.stream(request))

    async def go() -> list[ServerSentEvent]:
        try:
            return [event async for event in transport.astream(request)]
        finally:
            await transport.aclose()

    return asyncio.run(go())


MODES = ["sync", "async"]


# -- 1. aiohttp, imported lazily; gzip --------------------------------------------------------


def test_a_sync_only_user_never_imports_aiohttp_nor_httpx(server: HostileServer) -> None:
    code = (
        "import sys\n"
        "import langchain_cnllm, llamaindex_cnllm\n"
        "from cnllm.transport import HttpRequest, Transport\n"
        "langchain_cnllm.ChatKoala(model='Baichuan2-13B-Chat', base_url='http://127.0.0.1:9/v1')\n"
        "t = Transport(check=lambda r: None, vendor='x')\n"
        f"assert t.request(HttpRequest('POST', {server.url('/echo')!r}, json={{}})).status == 200\n"
        "print(sorted(m for m in ('aiohttp', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_event_stream_is_decoded(server: HostileServer, mode: str) -> None:
    got = events(make(), mode, post(server.url("/gzip-sse")))
    assert [event.data for event in got][-1] == "[DONE]"
    assert json.loads(got[0].data)["choices"][0]["delta"]["content"] == "你"


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_json_answer_is_decoded(server: HostileServer, mode: str) -> None:
    assert call(make(), mode, post(server.url("/gzip-json"))).json() == {"answer": "好"}


def test_one_aiohttp_session_per_loop_reused_and_closed(server: HostileServer) -> None:
    transport = make()

    async def go() -> tuple[int, bool]:
        request = post(server.url("/echo"))
        await asyncio.gather(*(transport.arequest(request) for _ in range(8)))
        assert transport._aio is not None
        session = await transport._aio.session()
        await transport.arequest(request)
        same = await transport._aio.session() is session
        await transport.aclose()
        return len(transport._aio._by_loop), same and session.closed

    assert asyncio.run(go()) == (0, True)
    assert asyncio.run(go()) == (0, True)  # a second loop gets its own, fresh session


def test_without_aclose_the_session_closes_with_its_loop(server: HostileServer) -> None:
    code = (
        "import asyncio, gc, warnings\n"
        "warnings.simplefilter('always')\n"
        "from cnllm.transport import HttpRequest, Transport\n"
        "t = Transport(check=lambda r: None, vendor='x')\n"
        f"r = HttpRequest('POST', {server.url('/echo')!r}, json={{}})\n"
        "for _ in range(3):\n"
        "    assert asyncio.run(t.arequest(r)).status == 200\n"
        "del t; gc.collect()\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Unclosed" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


def test_a_session_of_a_closed_loop_is_let_go_quietly(server: HostileServer) -> None:
    transport = make()
    asyncio.run(transport.arequest(post(server.url("/echo"))))  # no aclose: the loop closes

    async def again() -> int:
        await transport.arequest(post(server.url("/echo")))
        assert transport._aio is not None
        count = len(transport._aio._by_loop)
        await transport.aclose()
        return count

    assert asyncio.run(again()) == 1  # the dead loop's session was dropped


# -- 2. deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_trickling_answer_fails_within_the_deadline(server: HostileServer, mode: str) -> None:
    # One byte every 0.5 s: no read ever times out, but no attempt may take over 2 s.
    transport = make(timeout=2.0, max_retries=1, backoff=0.1)
    start = time.monotonic()
    with pytest.raises(errors.TimeoutError) as caught:
        call(transport, mode, post(server.url("/trickle")))
    elapsed = time.monotonic() - start
    assert caught.value.retryable and server.hits("/trickle") == 2
    assert 2 * 2.0 <= elapsed <= 2 * 2.0 + 0.1 + 2 * TRICKLE + 0.5, elapsed


@pytest.mark.parametrize("mode", MODES)
def test_trickled_headers_fail_within_the_deadline(server: HostileServer, mode: str) -> None:
    transport = make(timeout=1.5, max_retries=0)
    start = time.monotonic()
    with pytest.raises(errors.TimeoutError):
        call(transport, mode, post(server.url("/trickle-head")))
    assert time.monotonic() - start <= 1.5 + 0.5


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_with_no_event_in_time_fails(server: HostileServer, mode: str) -> None:
    transport = make(timeout=1.0, max_retries=1, backoff=0.1)
    start = time.monotonic()
    with pytest.raises(errors.TimeoutError):
        events(transport, mode, post(server.url("/trickle-sse")))
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed <= 1.0 + 2 * TRICKLE + 0.5, elapsed


@pytest.mark.parametrize("mode", MODES)
def test_a_slow_but_live_stream_is_not_cut(server: HostileServer, mode: str) -> None:
    # timeout bounds the wait for the next event, not the whole stream (3 s here).
    got = events(make(timeout=1.0), mode, post(server.url("/slow-sse")))
    assert [event.data for event in got] == ["0", "1", "2", "3", "4", "[DONE]"]


@pytest.mark.parametrize("mode", MODES)
def test_a_stalled_stream_is_replayed_then_fails_in_time(server: HostileServer, mode: str) -> None:
    transport = make(timeout=1.0, max_retries=1, backoff=0.1)
    start = time.monotonic()

    def parser() -> Any:
        class Parser:
            def feed(self, event: ServerSentEvent) -> str | None:
                return event.data

            def finish(self) -> None:
                return None

        return Parser()

    async def go() -> list[str]:
        return [item async for item in transport.astream_items(post(server.url("/stall")), parser)]

    with pytest.raises(errors.TimeoutError):
        if mode == "sync":
            list(transport.stream_items(post(server.url("/stall")), parser))
        else:
            asyncio.run(go())
    assert server.hits("/stall") == 2 and time.monotonic() - start <= 2 * 1.0 + 0.1 + 1.0


# -- 3. redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_is_refused_and_the_key_stays_home(server: HostileServer, mode: str) -> None:
    with pytest.raises(errors.RedirectError) as caught:
        call(make(), mode, post(server.url("/redirect"), **{"Api-Key": "ck-123"}))
    error = caught.value
    assert error.status_code == 302 and not error.retryable
    assert error.location is not None and error.location.endswith("/target?access_token=***")
    assert "/target" in str(error) and SECRET not in str(error)
    assert server.hits("/redirect") == 1 and server.hits("/target") == 0


# -- 4. one retry budget, and retries only when safe ------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_one_budget_spans_the_requests_of_a_call(server: HostileServer, mode: str) -> None:
    transport = make(max_retries=2)
    budget = RetryBudget(transport.retry)
    for _ in range(2):  # e.g. a token fetch, then the call, on one budget
        with pytest.raises(errors.ServerError):
            call(transport, mode, post(server.url("/status/500")), budget=budget)
    assert server.hits("/status/500") == 3 + 1 and budget.remaining == 0


NOT_ACTED = ["/status/429", "/status/503", "refused"]
MAYBE_ACTED = ["/status/500", "/status/502", "/hangup", "/stall"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", NOT_ACTED + MAYBE_ACTED)
def test_a_non_idempotent_request_is_retried_only_if_never_acted_on(
    server: HostileServer, mode: str, path: str
) -> None:
    transport = make(timeout=1.0, max_retries=2)
    url = closed_port_url() if path == "refused" else server.url(path)
    with pytest.raises(errors.CnLLMError) as caught:
        call(transport, mode, post(url), idempotent=False)
    assert caught.value.retryable
    if path == "refused":
        assert isinstance(caught.value, errors.ConnectError)
    else:
        assert server.hits(path) == (3 if path in NOT_ACTED else 1)


@pytest.mark.parametrize("mode", MODES)
def test_an_idempotent_request_is_retried_after_a_hangup(server: HostileServer, mode: str) -> None:
    with pytest.raises(errors.ConnectionError):
        call(make(max_retries=2), mode, post(server.url("/hangup")))
    assert server.hits("/hangup") == 3


# -- 5. one JSON serialisation ----------------------------------------------------------------

BODY = {"model": "m", "messages": [{"role": "user", "content": '你好 "世界" é'}], "top_p": 0.5}


def test_both_paths_send_the_same_bytes(server: HostileServer) -> None:
    sent = [
        base64.b64decode(call(make(), mode, post(server.url("/echo"), BODY)).json()["body"])
        for mode in MODES
    ]
    assert sent[0] == sent[1] and json.loads(sent[0]) == BODY
    assert "你好".encode() in sent[0]  # UTF-8, not \\u escapes
    assert [seen.headers["Content-Type"] for seen in server.seen] == ["application/json"] * 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_refused_before_sending(
    server: HostileServer, mode: str, bad: float
) -> None:
    body = {"model": "m", "parameters": {"temperature": bad}}
    with pytest.raises(errors.ValidationError) as caught:
        call(make(), mode, post(server.url("/echo"), body))
    assert caught.value.parameter == "parameters.temperature"
    assert "NaN and infinity" in str(caught.value) and not server.seen


def test_a_lone_surrogate_is_the_same_error_on_both_paths(server: HostileServer) -> None:
    body = {"messages": [{"role": "user", "content": "ok \ud800 no"}]}
    messages = []
    for mode in MODES:
        with pytest.raises(errors.ValidationError) as caught:
            call(make(), mode, post(server.url("/echo"), body))
        assert caught.value.parameter == "messages[0].content"
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "the input contains a lone surrogate" in messages[0]
    assert not server.seen


# -- 6. fork and copies -----------------------------------------------------------------------

_CHAT: Any = None  # the parent's warmed-up model, inherited by the forked workers


def _ask(prompt: str) -> str:
    return str(_CHAT.invoke(prompt).content)


def _aask(prompt: str) -> str:
    async def go() -> str:
        return str((await _CHAT.ainvoke(prompt)).content)

    return asyncio.run(go())


@pytest.fixture
def koala_chat(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from langchain_cnllm import ChatKoala

    monkeypatch.setenv("KOALA_BASE_URL", f"{emulator.base_url}/v1")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    emulator.latency = 0.05  # requests overlap in the workers
    return ChatKoala(model="Baichuan2-13B-Chat")


@pytest.mark.parametrize("ask", [_ask, _aask], ids=["sync", "async"])
def test_forked_workers_each_get_their_own_answer(koala_chat: Any, ask: Any) -> None:
    import multiprocessing

    global _CHAT
    _CHAT = koala_chat
    prompts = [f'Say "answer-{i}"' for i in range(16)]
    assert ask(prompts[0]) == "answer-0"  # warm-up: the parent now holds pooled connections
    with multiprocessing.get_context("fork").Pool(4) as pool:
        answers = pool.map(ask, prompts, chunksize=1)
    assert answers == [f"answer-{i}" for i in range(16)]
    assert ask(prompts[1]) == "answer-1"  # the parent's own connections still work


def test_a_used_transport_deep_copies(server: HostileServer) -> None:
    import copy

    transport = make()
    call(transport, "sync", post(server.url("/echo")))
    asyncio.run(transport.arequest(post(server.url("/echo"))))  # a session of a closed loop
    twin = copy.deepcopy(transport)
    assert twin._session is None and twin._aio is None and twin._lock is not transport._lock
    assert twin.retry == transport.retry and twin.check is transport.check
    assert call(twin, "sync", post(server.url("/echo"))).status == 200
    assert call(twin, "async", post(server.url("/echo"))).status == 200
    assert call(transport, "sync", post(server.url("/echo"))).status == 200


def test_a_pooled_connection_gets_its_usual_read_timeout_back(server: HostileServer) -> None:
    transport = make(timeout=7.0)
    call(transport, "sync", post(server.url("/echo")))
    pools = transport.session.get_adapter("http://").poolmanager.pools._container.values()
    idle = [conn for pool in pools for conn in pool.pool.queue if conn is not None]
    assert len(idle) == 1 and idle[0].sock is not None and idle[0].sock.gettimeout() == 7.0
