"""The shared transport's retry loop, offline: a fake requests adapter answers."""

from __future__ import annotations

import pytest
import requests
from requests.adapters import BaseAdapter

from cnllm import errors
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next (status, headers, body) or raises the exception."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes] | Exception]) -> None:
        super().__init__()
        self.script = script
        self.calls = 0

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        step = self.script[self.calls]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        status, headers, body = step
        response = requests.Response()
        response.status_code, response.headers, response._content = status, headers, body  # type: ignore[assignment]
        response.request, response.url = request, request.url or ""
        return response

    def close(self) -> None:
        pass


def transport(
    script: list, sleeps: list[float], max_retries: int = 2
) -> tuple[Transport, ScriptedAdapter]:
    def check(response: HttpResponse) -> None:
        if response.status == 200 and b"busy" in response.content:
            raise errors.ServerError("busy", vendor="test")

    t = Transport(
        check=check, vendor="test", retry=RetryPolicy(max_retries=max_retries), sleep=sleeps.append
    )
    adapter = ScriptedAdapter(script)
    t.session.mount("http://", adapter)
    return t, adapter


OK = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
REQUEST = HttpRequest("POST", "http://vendor.invalid/x", json={})


def test_retry_after_is_honoured() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(429, {"Retry-After": "3"}, b"slow down"), OK], sleeps)
    assert t.request(REQUEST).json() == {"ok": True}
    assert sleeps == [3.0] and adapter.calls == 2


def test_error_in_a_200_body_is_retried_with_backoff() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(200, {}, b"busy"), (200, {}, b"busy"), OK], sleeps)
    assert t.request(REQUEST).status == 200
    assert len(sleeps) == 2 and 0 < sleeps[0] <= sleeps[1] and adapter.calls == 3


def test_retries_stop_at_max_retries() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(503, {}, b"")] * 5, sleeps, max_retries=1)
    with pytest.raises(errors.ServerError) as caught:
        t.request(REQUEST)
    assert caught.value.status_code == 503 and adapter.calls == 2


def test_permanent_errors_are_not_retried() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(401, {}, b"who are you"), OK], sleeps)
    with pytest.raises(errors.AuthenticationError):
        t.request(REQUEST)
    assert adapter.calls == 1 and sleeps == []


def test_connection_errors_are_retried_and_typed() -> None:
    sleeps: list[float] = []
    t, _adapter = transport(
        [requests.ConnectionError("reset"), requests.Timeout("slow"), OK], sleeps
    )
    assert t.request(REQUEST).status == 200
    t2, _ = transport([requests.ConnectionError("reset")] * 3, [])
    with pytest.raises(errors.ConnectionError):
        t2.request(REQUEST)


def test_transport_pickles_without_its_pools() -> None:
    import pickle

    from cnllm.qianfan.protocol import check_response

    t = Transport(check=check_response, vendor="qianfan")
    _ = t.session
    copy = pickle.loads(pickle.dumps(t))
    assert copy._session is None and copy.retry == t.retry
