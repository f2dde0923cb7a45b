"""Every fault kind, latency, and the out-of-process control endpoints."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import requests

from cnllm.emulator import Emulator, Fault
from tests.emulator.emu_helpers import Client, sse_objects, user

CHAT = {"messages": [user("介绍下故宫")]}
STREAM = {**CHAT, "stream": True}


def _lines(response: requests.Response) -> list[str]:
    return [line for line in response.iter_lines(decode_unicode=True) if line]


def test_error_code_on_a_sync_request(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018  (fetch first: the fault must hit the chat call)
    emu.inject(Fault("error_code", code=336100))
    response = client.post("chat", "completions", CHAT)
    assert response.status_code == 200
    assert response.json() == {"error_code": 336100,
                               "error_msg": "Service is busy, please try again later"}
    assert "result" in client.chat(CHAT)
    assert emu.stats.faults_applied == 1


def test_error_code_on_a_stream_is_a_json_body(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("error_code", code=18, message="qps limit"))
    response = client.post("chat", "completions", STREAM)
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.text == '{"error_code":18,"error_msg":"qps limit"}'


def test_faults_without_a_path_skip_the_token_endpoint(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("error_code", code=2))
    assert client.chat(CHAT)["error_code"] == 2  # the token fetch before it was not hit
    assert emu.stats.token_requests == 1


def test_token_endpoint_faults(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("error_code", code=13, path_contains="/oauth"))
    emu.inject(Fault("http", status=500, path_contains="/oauth"))
    assert client.new_token().json()["error_code"] == 13
    assert client.new_token().status_code == 500
    assert client.new_token().status_code == 200


def test_http_fault_with_retry_after(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.inject(Fault("http", status=429, retry_after="2"))
    emu.inject(Fault("http", status=503, body='{"error_code": 336100}'))
    limited = client.post("chat", "completions", CHAT)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.text == "Too Many Requests"
    unavailable = client.post("chat", "completions", CHAT)
    assert unavailable.status_code == 503 and unavailable.json() == {"error_code": 336100}
    assert unavailable.headers["Content-Type"].startswith("application/json")


def test_times_and_fifo_order(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.inject(Fault("error_code", code=336501, times=2))
    emu.inject(Fault("error_code", code=336502))
    codes = [client.chat(CHAT).get("error_code") for _ in range(4)]
    assert codes == [336501, 336501, 336502, None]


def test_path_contains_selects_requests(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("error_code", code=336000, path_contains="/embeddings/"))
    assert "result" in client.chat(CHAT)
    embedded = client.post("embeddings", "embedding-v1", {"input": ["a"]}).json()
    assert embedded["error_code"] == 336000


def test_stream_faults_wait_for_a_stream_request(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("no_is_end", after_events=1))
    assert "result" in client.chat(CHAT)
    assert len(emu.pending_faults()) == 1
    objects = sse_objects(client.post("chat", "completions", STREAM, stream=True))
    assert len(objects) == 1 and not objects[0]["is_end"]


def test_drop_mid_stream_with_requests(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("drop_mid_stream", after_events=2))
    response = client.post("chat", "completions", STREAM, stream=True)
    received: list[str] = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for line in response.iter_lines(decode_unicode=True):
            if line:
                received.append(line)
    assert len(received) == 2
    assert all('"is_end":false' in line for line in received)


@pytest.mark.parametrize("after", [0, 1])
def test_drop_mid_stream_with_httpx(client: Client, emu: Emulator, after: int) -> None:
    emu.inject(Fault("drop_mid_stream", after_events=after))
    url = client.url("chat", "completions")
    with httpx.Client() as http, http.stream("POST", url, params={"access_token": client.token},
                                             json=STREAM) as response:
        lines: list[str] = []
        with pytest.raises(httpx.RemoteProtocolError):
            lines.extend(line for line in response.iter_lines() if line)
    assert len(lines) == after


@pytest.mark.parametrize("raw", [False, True])
def test_stream_error(client: Client, emu: Emulator, raw: bool) -> None:
    emu.inject(Fault("stream_error", after_events=2, code=336100, raw=raw))
    lines = _lines(client.post("chat", "completions", STREAM, stream=True))
    assert len(lines) == 3
    error_line = lines[-1]
    assert error_line.startswith("{" if raw else "data: {")
    error = json.loads(error_line.removeprefix("data: "))
    assert error == {"error_code": 336100, "error_msg": "Service is busy, please try again later"}


def test_no_is_end(client: Client, emu: Emulator) -> None:
    full = sse_objects(client.post("chat", "completions", STREAM, stream=True))
    emu.inject(Fault("no_is_end", after_events=99))
    response = client.post("chat", "completions", STREAM, stream=True)
    cut = sse_objects(response)  # ends cleanly: no exception while reading
    assert len(cut) == len(full) - 1 and all(not item["is_end"] for item in cut)


def test_slow_adds_delay(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.inject(Fault("slow", delay=0.3))
    started = time.monotonic()
    assert "result" in client.chat(CHAT)
    assert time.monotonic() - started >= 0.3


def test_reset_closes_the_connection(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.inject(Fault("reset"))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post("chat", "completions", CHAT)
    assert "result" in client.chat(CHAT)  # the server and the session recover


def test_need_clear_history(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("need_clear_history", times=2))
    answer = client.chat(CHAT)
    assert answer["result"] == "" and answer["need_clear_history"] is True
    assert answer["ban_round"] == -1
    objects = sse_objects(client.post("chat", "completions", STREAM, stream=True))
    assert len(objects) == 1 and objects[0]["need_clear_history"] and objects[0]["is_end"]


def test_unsafe_completion(client: Client, emu: Emulator) -> None:
    emu.inject(Fault("unsafe"))
    assert "result" in client.chat(CHAT)  # not a completions route: still queued
    answer = client.post("completions", "my_model", {"prompt": "x"}).json()
    assert answer["is_safe"] == 0


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("explode")
    with pytest.raises(ValueError):
        Fault("error_code")
    with pytest.raises(ValueError):
        Fault("http")
    assert Fault.from_dict({"kind": "http", "status": 429}).status == 429


def test_latency_is_honoured(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.latency = 0.25
    started = time.monotonic()
    client.chat(CHAT)
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 2.0


def test_chunk_interval_spaces_events(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    emu.chunk_interval = 0.05
    started = time.monotonic()
    objects = sse_objects(client.post("chat", "completions", STREAM, stream=True))
    assert time.monotonic() - started >= 0.05 * (len(objects) - 1)


def _control(emu: Emulator, method: str, name: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emu.base_url}/_emulator/{name}", json=body)


def test_control_endpoints(client: Client, emu: Emulator) -> None:
    client.token  # noqa: B018
    assert _control(emu, "POST", "faults", {"kind": "error_code", "code": 17}).status_code == 200
    assert _control(emu, "GET", "faults").json()[0]["code"] == 17
    assert client.chat(CHAT)["error_code"] == 17
    stats = _control(emu, "GET", "stats").json()
    assert stats["token_requests"] == 1
    assert stats["last_request"]["json"] == CHAT
    assert stats["last_request"]["query"]["access_token"] == client.token
    assert sum(stats["requests"].values()) == 2
    config = _control(emu, "POST", "config", {"latency": 0.01, "chunk_interval": 0.0}).json()
    assert config["latency"] == emu.latency == 0.01
    assert _control(emu, "POST", "faults", {"kind": "nope"}).status_code == 400
    _control(emu, "POST", "faults", [{"kind": "reset"}, {"kind": "slow", "delay": 1}])
    _control(emu, "DELETE", "faults")
    assert emu.pending_faults() == []
    _control(emu, "POST", "expire_tokens")
    assert client.chat(CHAT)["error_code"] == 111
    assert _control(emu, "POST", "reset").json() == {"reset": True}
    assert emu.stats.token_requests == 0 and emu.stats.last_request is None


def test_stats_last_request_in_process(client: Client, emu: Emulator) -> None:
    client.chat(CHAT)
    last = emu.stats.last_request
    assert last is not None and last.method == "POST" and last.json == CHAT
    assert last.path.endswith("/chat/completions")
    assert any(name.lower() == "content-type" for name in last.headers)
