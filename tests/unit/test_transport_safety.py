"""The transport's promises that need no socket: one retry budget per call, retries only when
safe for non-idempotent requests, refused bodies, redirects, copies, forks, masked reprs."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3

from cnllm import errors
from cnllm.retry import RetryBudget, RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport
from tests.unit.test_transport import OK, REQUEST, ScriptedAdapter, transport


def refused() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def test_a_shared_budget_bounds_every_request_of_a_call() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(503, {}, b"")] * 10, sleeps, max_retries=2)
    budget = RetryBudget(t.retry)
    for _ in range(3):  # e.g. a token fetch and the call it was for
        with pytest.raises(errors.ServerError):
            t.request(REQUEST, budget=budget)
    assert adapter.calls == 3 + 1 + 1 and len(sleeps) == 2


def test_without_a_budget_each_call_has_its_own() -> None:
    t, adapter = transport([(503, {}, b"")] * 10, [], max_retries=1)
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            t.request(REQUEST)
    assert adapter.calls == 4


@pytest.mark.parametrize(
    ("step", "attempts"),
    [
        ((500, {}, b""), 1),
        ((502, {}, b""), 1),
        (requests.ConnectionError("reset after sending"), 1),
        (requests.ReadTimeout("slow"), 1),
        ((503, {}, b""), 3),
        ((429, {}, b""), 3),
        ("refused", 3),
    ],
)
def test_a_non_idempotent_request_is_retried_only_when_never_acted_on(
    step: object, attempts: int
) -> None:
    step = refused() if step == "refused" else step
    t, adapter = transport([step] * 3, [], max_retries=2)  # type: ignore[list-item]
    with pytest.raises(errors.CnLLMError) as caught:
        t.request(REQUEST, idempotent=False)
    assert adapter.calls == attempts and caught.value.retryable


def test_a_throttling_code_in_a_200_body_counts_as_never_acted_on() -> None:
    def check(response: HttpResponse) -> None:
        if b"qps" in response.content:
            raise errors.RateLimitError("qps limit", vendor="t", code=18)

    t = Transport(check=check, vendor="t", retry=RetryPolicy(max_retries=2), sleep=lambda s: None)
    adapter = ScriptedAdapter([(200, {}, b"qps"), (200, {}, b"qps"), OK])
    t.session.mount("http://", adapter)
    assert t.request(REQUEST, idempotent=False).status == 200 and adapter.calls == 3


def test_a_refused_connection_is_a_connect_error() -> None:
    t, _ = transport([refused()], [], max_retries=0)
    with pytest.raises(errors.ConnectError):
        t.request(REQUEST)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_typed_permanent_error(status: int) -> None:
    location = "https://elsewhere.example/v1?api_key=sk-live-123&x=1"
    t, adapter = transport([(status, {"Location": location}, b"")] * 3, [])
    with pytest.raises(errors.RedirectError) as caught:
        t.request(REQUEST)
    assert adapter.calls == 1 and caught.value.status_code == status
    assert caught.value.location == "https://elsewhere.example/v1?api_key=***&x=***"
    assert "sk-live-123" not in str(caught.value) and "elsewhere.example" in str(caught.value)


def test_the_json_body_is_sent_as_utf8_bytes_and_read_as_a_stream() -> None:
    seen: dict[str, object] = {}

    class Spy(ScriptedAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
            seen.update(kwargs, body=request.body)
            return super().send(request, **kwargs)

    t = Transport(check=lambda r: None, vendor="t")
    t.session.mount("http://", Spy([OK]))
    t.request(HttpRequest("POST", "http://vendor.invalid/x", json={"q": "你好"}))
    assert seen["body"] == '{"q": "你好"}'.encode()
    assert seen["stream"] is True


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_and_inf_are_refused_before_sending(bad: float) -> None:
    t, adapter = transport([OK], [])
    with pytest.raises(errors.ValidationError) as caught:
        t.request(HttpRequest("POST", "http://vendor.invalid/x", json={"top_p": bad}))
    assert caught.value.parameter == "top_p" and adapter.calls == 0


def test_a_lone_surrogate_is_refused_naming_the_input() -> None:
    t, adapter = transport([OK], [])
    body = {"input": {"messages": [{"content": "a\udc80b"}]}}
    with pytest.raises(errors.ValidationError) as caught:
        t.request(HttpRequest("POST", "http://vendor.invalid/x", json=body))
    assert caught.value.parameter == "input.messages[0].content" and adapter.calls == 0
    assert "the input contains a lone surrogate (U+DC80 at index 1)" in str(caught.value)


def test_a_used_transport_survives_deepcopy() -> None:
    t, _ = transport([OK], [])
    t.request(REQUEST)
    twin = copy.deepcopy(t)
    assert twin._session is None and twin._lock is not t._lock and twin.retry is t.retry


def test_a_forked_child_starts_fresh_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    t = Transport(check=lambda r: None, vendor="t")
    parents = t.session
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as a forked child sees it
    child = t.session
    assert child is not parents and t.session is child


def test_the_request_repr_shows_no_secret() -> None:
    request = HttpRequest(
        "POST",
        "https://v.example/x?access_token=24.tok",
        params={"access_token": "24.tok"},
        headers={"Authorization": "Bearer sk-1", "Api-Key": "ck-2"},
    )
    text = repr(request)
    assert not any(secret in text for secret in ("24.tok", "sk-1", "ck-2"))
    assert "Authorization" in text and "access_token" in text


def test_responses_keep_their_shape() -> None:
    response = HttpResponse(200, {"Content-Type": "application/json"}, b'{"a": 1}')
    assert response.is_json and response.json() == {"a": 1}


def test_env_proxies_are_honoured_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cnllm.transport import Transport, proxies_in_env

    def session() -> Any:
        return Transport(check=lambda response: None, vendor="test").session

    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ALL_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    assert not proxies_in_env()
    # Nothing in the environment: requests skips its per-request environment lookup.
    assert session().trust_env is False and session().verify is True
    # A CA bundle is read once, as requests would read it on each request.
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "curl.pem"))
    assert session().verify == str(tmp_path / "curl.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    assert session().trust_env is False and session().verify == str(tmp_path / "ca.pem")
    # A proxy or a .netrc: requests reads the environment itself, every request.
    (tmp_path / "netrc").write_text("machine example.com login a password b\n")
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    assert session().trust_env is True
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert proxies_in_env() and session().trust_env is True
