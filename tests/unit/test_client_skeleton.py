"""The client skeleton offline: one renewal, one budget per call, safe retries of creations,
batches in order that stop at the first failure, and vectors placed by index."""

from __future__ import annotations

import asyncio
import copy
import pickle
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import requests
import urllib3

from cnllm import errors
from cnllm.auth import StaticHeaders
from cnllm.client import VendorClient, arun_batches, run_batches
from cnllm.embedding import by_index
from cnllm.qianfan.auth import Authorizer, Credentials
from cnllm.qianfan.protocol import check_response
from cnllm.retry import RetryBudget, RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport
from tests.unit.test_transport import OK, REQUEST, transport

STALE = errors.AuthenticationError("token expired", vendor="test", code=111)


class FakeAuth:
    """Hands out numbered tokens; a token is stale once invalidated."""

    def __init__(self, can_refresh: bool = True) -> None:
        self.issued = 0
        self.invalidated: list[str | None] = []
        self.budgets: list[RetryBudget | None] = []
        self._refresh = can_refresh

    @property
    def can_refresh(self) -> bool:
        return self._refresh

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        self.budgets.append(budget)
        return request, f"t{self.issued}"

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        return self.authorize(request, budget)

    def is_stale(self, error: errors.CnLLMError) -> bool:
        return getattr(error, "code", None) == 111

    def invalidate(self, token: str | None) -> None:
        self.invalidated.append(token)
        self.issued += 1


class FakeTransport:
    """Runs ``prepare`` then the next scripted outcome (an exception or a response)."""

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.retry = RetryPolicy()
        self.calls = 0

    def _next(self) -> Any:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def request(self, request: HttpRequest, prepare: Callable[..., Any], **kw: Any) -> Any:
        prepare(request)
        return self._next()

    async def arequest(self, request: HttpRequest, prepare: Callable[..., Any], **kw: Any) -> Any:
        await prepare(request)
        return self._next()

    def stream_items(
        self, request: HttpRequest, new_parser: Any, prepare: Callable[..., Any], **kw: Any
    ) -> Iterator[str]:
        prepare(request)
        outcome = self._next()
        for item in outcome:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def astream_items(
        self, request: HttpRequest, new_parser: Any, prepare: Callable[..., Any], **kw: Any
    ) -> AsyncIterator[str]:
        await prepare(request)
        for item in self._next():
            if isinstance(item, BaseException):
                raise item
            yield item


RESPONSE = HttpResponse(200, {}, b"{}")


def skeleton(outcomes: list[Any], auth: FakeAuth | None = None) -> VendorClient:
    return VendorClient(FakeTransport(outcomes), auth or FakeAuth())  # type: ignore[arg-type]


# -- one renewal ----------------------------------------------------------------------------------


def test_a_stale_token_is_renewed_once_and_the_call_repeated() -> None:
    auth = FakeAuth()
    client = skeleton([STALE, RESPONSE], auth)
    assert client.post(REQUEST) is RESPONSE
    assert auth.invalidated == ["t0"]


def test_only_one_renewal_per_call() -> None:
    auth = FakeAuth()
    with pytest.raises(errors.AuthenticationError):
        skeleton([STALE, STALE, RESPONSE], auth).post(REQUEST)
    assert auth.invalidated == ["t0"]


def test_no_renewal_without_a_renewable_auth() -> None:
    auth = FakeAuth(can_refresh=False)
    with pytest.raises(errors.AuthenticationError):
        skeleton([STALE, RESPONSE], auth).post(REQUEST)
    assert auth.invalidated == []


async def test_async_renewal() -> None:
    auth = FakeAuth()
    assert await skeleton([STALE, RESPONSE], auth).apost(REQUEST) is RESPONSE
    assert auth.invalidated == ["t0"]


def test_the_token_fetch_and_the_call_get_the_same_budget() -> None:
    auth = FakeAuth()
    skeleton([RESPONSE], auth).post(REQUEST)
    assert isinstance(auth.budgets[0], RetryBudget)


def test_a_stream_is_renewed_only_while_nothing_was_delivered() -> None:
    auth = FakeAuth()
    client = skeleton([[STALE], ["a", "b"]], auth)
    assert list(client.stream(REQUEST, object)) == ["a", "b"]  # type: ignore[arg-type]
    late = skeleton([["a", STALE], ["b"]], FakeAuth())
    with pytest.raises(errors.AuthenticationError):
        list(late.stream(REQUEST, object))  # type: ignore[arg-type]


async def test_async_stream_renewal() -> None:
    client = skeleton([[STALE], ["a"]])
    stream: AsyncIterator[str] = client.astream(REQUEST, object)  # type: ignore[arg-type]
    assert [item async for item in stream] == ["a"]


# -- the budget and creations --------------------------------------------------------------------


def test_a_budget_counts_retries_across_requests() -> None:
    budget = RetryBudget(RetryPolicy(max_retries=2))
    assert [budget.take() for _ in range(4)] == [1, 2, None, None]
    assert budget.used == 2


def test_requests_of_one_call_share_its_budget() -> None:
    sleeps: list[float] = []
    t, adapter = transport([(503, {}, b"")] * 6, sleeps)
    budget = RetryBudget(t.retry)
    with pytest.raises(errors.ServerError):
        t.request(REQUEST, budget=budget)
    with pytest.raises(errors.ServerError):
        t.request(REQUEST, budget=budget)
    assert adapter.calls == 4  # 3 + 1: the second request had no retry left


def test_a_creation_is_not_retried_after_a_read_timeout() -> None:
    t, adapter = transport([requests.ReadTimeout("slow"), OK], [])
    with pytest.raises(errors.TimeoutError):
        t.request(REQUEST, idempotent=False)
    assert adapter.calls == 1


@pytest.mark.parametrize(
    "failure",
    [
        (429, {}, b"busy"),
        (503, {}, b"down"),
        requests.ConnectionError(
            urllib3.exceptions.MaxRetryError(
                None,  # type: ignore[arg-type]
                "/x",
                urllib3.exceptions.NewConnectionError(None, "refused"),  # type: ignore[arg-type]
            )
        ),
    ],
)
def test_a_creation_is_retried_when_the_server_never_acted(failure: Any) -> None:
    t, adapter = transport([failure, OK], [])
    assert t.request(REQUEST, idempotent=False).status == 200
    assert adapter.calls == 2


@pytest.mark.parametrize("failure", [(500, {}, b"oops"), requests.ConnectionError("reset")])
async def test_a_creation_is_not_retried_when_the_server_may_have_acted(failure: Any) -> None:
    t, adapter = transport([failure, OK], [])
    with pytest.raises(errors.CnLLMError):
        t.request(REQUEST, idempotent=False)
    assert adapter.calls == 1


def test_static_headers_are_the_default_auth() -> None:
    auth = StaticHeaders({"Authorization": "Bearer k"})
    prepared, token = auth.authorize(REQUEST, RetryBudget(RetryPolicy()))
    assert prepared.headers["Authorization"] == "Bearer k" and token is None
    assert "Bearer" not in repr(auth)


# -- batches --------------------------------------------------------------------------------------


def test_batches_keep_input_order_and_report_each_completion() -> None:
    threads: set[str] = set()
    done: list[int] = []

    def send(job: int) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(random.uniform(0.005, 0.015))  # finishing out of order
        return job * 10

    results = run_batches(
        list(range(20)), send, concurrency=4, on_result=lambda j, r: done.append(j)
    )
    assert results == [job * 10 for job in range(20)]
    assert sorted(done) == list(range(20)) and len(threads) > 1


def test_the_first_failure_stops_the_jobs_not_yet_sent() -> None:
    sent: list[int] = []
    lock = threading.Lock()

    def send(job: int) -> int:
        with lock:
            sent.append(job)
        if job == 1:
            raise errors.InvalidRequestError("bad", vendor="test")
        time.sleep(0.02)
        return job

    with pytest.raises(errors.InvalidRequestError):
        run_batches(list(range(40)), send, concurrency=4)
    assert len(sent) <= 8  # those in flight with the failure, never all 40


async def test_async_batches_keep_order_and_cancel_after_a_failure() -> None:
    sent: list[int] = []

    async def send(job: int) -> int:
        sent.append(job)
        if job == 5:
            raise errors.InvalidRequestError("bad", vendor="test")
        await asyncio.sleep(0.01)
        return job

    assert await arun_batches(list(range(5)), send, concurrency=3) == list(range(5))
    sent.clear()
    with pytest.raises(errors.InvalidRequestError):
        await arun_batches(list(range(40)), send, concurrency=3)
    assert len(sent) <= 9


# -- vectors by index -----------------------------------------------------------------------------


def vec(item: Any, position: int) -> list[float]:
    return list(item["embedding"])


def test_vectors_are_placed_by_index() -> None:
    items = [{"index": 1, "embedding": [1.0]}, {"index": 0, "embedding": [0.0]}]
    assert by_index(items, 2, key="index", vendor="t", vector=vec) == [[0.0], [1.0]]
    assert by_index([{"embedding": [2.0]}], 1, key="index", vendor="t", vector=vec) == [[2.0]]


@pytest.mark.parametrize("indexes", [[0, 0], [0, 2], [-1, 0], [0, "1"], [0, None], [0, True]])
def test_bad_indexes_raise_protocol_errors(indexes: list[Any]) -> None:
    items = [{"index": i, "embedding": [0.0]} for i in indexes]
    with pytest.raises(errors.ProtocolError, match="index"):
        by_index(items, 2, key="index", vendor="t", vector=vec)


# -- the Qianfan auth copies and pickles ----------------------------------------------------------


def test_a_used_qianfan_authorizer_deep_copies_and_pickles() -> None:
    t = Transport(check=check_response, vendor="qianfan")
    auth = Authorizer(Credentials(api_key="a", secret_key="b"), "http://q.invalid", t)
    entry = auth._entry()
    entry.token, entry.expires_at = "tok", time.time() + 3600
    for twin in (copy.deepcopy(auth), pickle.loads(pickle.dumps(auth))):
        assert twin.token() == "tok"  # the process's cache, shared; no request made
        assert twin.is_stale(STALE) and not twin.is_stale(errors.ServerError("x", vendor="q"))


# -- an OpenAI-compatible dialect with a minted, renewable token ----------------------------------


class MintedToken:
    """A bearer token minted per generation; 401 means it expired (Qianfan v2 style)."""

    def __init__(self) -> None:
        self.generation = 0

    @property
    def can_refresh(self) -> bool:
        return True

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        token = f"bce-v3/{self.generation}"
        return request.with_auth(headers={"Authorization": f"Bearer {token}"}), token

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        return self.authorize(request, budget)

    def is_stale(self, error: errors.CnLLMError) -> bool:
        return isinstance(error, errors.AuthenticationError)

    def invalidate(self, token: str | None) -> None:
        self.generation += 1


def test_an_openai_compatible_client_takes_an_auth_and_default_headers() -> None:
    from cnllm.openai_compat.client import OpenAICompatClient

    seen: list[dict[str, str]] = []
    expired = (401, {"Content-Type": "application/json"}, b'{"error": {"message": "expired"}}')
    models = (200, {"Content-Type": "application/json"}, b'{"object": "list", "data": []}')
    client = OpenAICompatClient(
        "http://v2.invalid/v2", auth=MintedToken(), default_headers={"appid": "app-1"}
    )
    _, adapter = transport([expired, models], [])
    client.transport.session.mount("http://", adapter)
    original = adapter.send

    def spy(request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        seen.append(dict(request.headers))
        return original(request, **kwargs)

    adapter.send = spy  # type: ignore[method-assign]
    assert client.list_models() == []
    assert [h["Authorization"] for h in seen] == ["Bearer bce-v3/0", "Bearer bce-v3/1"]
    assert all(h["appid"] == "app-1" for h in seen)
