"""The only code in cnllm that does I/O.

``requests.Session`` for sync calls and ``httpx.AsyncClient`` for async ones, both pooled and
created lazily; one retry loop (cnllm.retry) around the initial exchange; streams parsed by the
one SSE decoder (cnllm.sse). Vendors plug in a single ``check`` function that turns an error
response (an HTTP error or an error in a 200 body) into a typed exception.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import certifi
import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter

from cnllm import errors
from cnllm.errors import redact
from cnllm.retry import RetryBudget, RetryPolicy, parse_retry_after
from cnllm.sse import ServerSentEvent, SSEDecoder

logger = logging.getLogger("cnllm")

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
POOL_SIZE = 64
ASYNC_SHARDS = 16  # async connection pools per event loop (see _LoopClients)


class _RedactingFilter(logging.Filter):
    """httpx logs every URL at INFO and urllib3 at DEBUG; Qianfan URLs carry access_token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        return True


for _name in ("httpx", "httpcore", "urllib3.connectionpool", "cnllm"):
    logging.getLogger(_name).addFilter(_RedactingFilter())


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    json: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    data: Mapping[str, str] | None = None

    def with_auth(
        self, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> HttpRequest:
        return replace(
            self,
            params={**self.params, **(params or {})},
            headers={**self.headers, **(headers or {})},
        )


_UNPARSED = object()


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    _parsed: Any = field(default=_UNPARSED, repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The parsed body; parsed once (the vendor's check and its parser both read it)."""
        if self._parsed is _UNPARSED:
            try:
                parsed = json.loads(self.content)
            except ValueError as exc:
                raise errors.ProtocolError(
                    f"expected a JSON body, got: {self.text[:200]!r}", status_code=self.status
                ) from exc
            object.__setattr__(self, "_parsed", parsed)
        return self._parsed

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def is_json(self) -> bool:
        return "json" in (self.header("content-type") or "").lower()


# A vendor's check: raise the typed error an error response stands for, else return None.
Check = Callable[[HttpResponse], None]
# Prepares one attempt (auth headers, signature, token): re-run on every retry.
Prepare = Callable[[HttpRequest], HttpRequest]
AsyncPrepare = Callable[[HttpRequest], Awaitable[HttpRequest]]


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class EventParser(Protocol[T_co]):
    """A vendor's stream parser: events in, items (deltas) out, ``finish`` at the end."""

    def feed(self, event: ServerSentEvent) -> T_co | None: ...

    def finish(self) -> T_co | None:
        """The last item, if any; raises if the stream ended before its final event."""
        ...


def _no_prepare(request: HttpRequest) -> HttpRequest:
    return request


async def _no_aprepare(request: HttpRequest) -> HttpRequest:
    return request


class Transport:
    """Sends vendor requests; shared by every vendor client."""

    def __init__(
        self,
        *,
        check: Check,
        vendor: str,
        timeout: float | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.check = check
        self.vendor = vendor
        self.read_timeout = timeout if timeout is not None else DEFAULT_READ_TIMEOUT
        self.connect_timeout = min(connect_timeout, self.read_timeout)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session: requests.Session | None = None
        self._async_clients: dict[int, _LoopClients] = {}
        self._ssl_context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    # -- clients ------------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    session = requests.Session()
                    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=POOL_SIZE)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    self._session = session
        return self._session

    def async_client(self) -> httpx.AsyncClient:
        """A pooled client of the running event loop (an httpx client cannot outlive its loop)."""
        loop = asyncio.get_running_loop()
        clients = self._async_clients.get(id(loop))
        if clients is None or clients.loop is not loop:
            self._async_clients = {
                key: value
                for key, value in self._async_clients.items()
                if not value.loop.is_closed()
            }
            clients = _LoopClients(loop, self._new_async_client)
            self._async_clients[id(loop)] = clients
        return clients.next()

    def _new_async_client(self) -> httpx.AsyncClient:
        if self._ssl_context is None:  # one context for every shard: loading CAs takes ~20 ms
            self._ssl_context = ssl.create_default_context(cafile=certifi.where())
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.read_timeout, connect=self.connect_timeout),
            limits=httpx.Limits(
                max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE // ASYNC_SHARDS
            ),
            verify=self._ssl_context,
        )

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    async def aclose(self) -> None:
        loops, self._async_clients = self._async_clients, {}
        for clients in loops.values():
            if clients.loop is asyncio.get_running_loop():
                for client in clients.created:
                    await client.aclose()

    def __getstate__(self) -> dict[str, Any]:
        # Pools and locks do not pickle; they are made again on first use.
        state = self.__dict__.copy()
        state.update(_session=None, _async_clients={}, _lock=None, _ssl_context=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- sync ---------------------------------------------------------------------------------

    def request(
        self,
        request: HttpRequest,
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        """Send, retrying transient failures; returns a successful response or raises.

        ``budget``: the retries of the whole logical call (shared with its token fetch);
        ``idempotent=False`` (a request that creates something): retried only when the
        failure proves the server never acted on it (see ``_never_acted``)."""
        response: HttpResponse = self._with_retries(
            lambda: self._send_once(prepare(request)), budget, idempotent
        )
        return response

    def stream(
        self,
        request: HttpRequest,
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
    ) -> Iterator[ServerSentEvent]:
        """Open a stream (retried until it starts), then yield its events as they arrive."""
        response = self._with_retries(lambda: self._open_stream(prepare(request)), budget)
        return self._read_events(response)

    def stream_items(
        self,
        request: HttpRequest,
        new_parser: Callable[[], EventParser[T]],
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
    ) -> Iterator[T]:
        """Parsed items of a stream. A transient failure after the stream opened but before
        any item reached the caller (an error event, a break) replays the request under the
        same retry budget; once an item was delivered, a failure is raised, never hidden."""
        budget = budget or RetryBudget(self.retry)
        while True:
            parser, opened, delivered = new_parser(), False, False
            try:
                for event in self.stream(request, prepare, budget=budget):
                    opened = True
                    item = parser.feed(event)
                    if item is not None:
                        delivered = True
                        yield item
                last = parser.finish()
                if last is not None:
                    yield last
                return
            except errors.CnLLMError as error:
                if delivered or not self._replayable(error, opened, budget):
                    raise
                self._sleep(self._backoff(error, budget.used))

    @staticmethod
    def _replayable(error: errors.CnLLMError, opened: bool, budget: RetryBudget) -> bool:
        # A stream that failed to open was already retried by stream(); only what failed
        # after it opened is replayed here.
        opened = opened or isinstance(error, errors.StreamInterruptedError)
        return opened and error.retryable and budget.take()

    @staticmethod
    def _may_retry(error: errors.CnLLMError, idempotent: bool) -> bool:
        return error.retryable and (idempotent or _never_acted(error))

    def _with_retries(
        self,
        attempt: Callable[[], Any],
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> Any:
        budget = budget or RetryBudget(self.retry)
        while True:
            try:
                return attempt()
            except errors.CnLLMError as error:
                if not (self._may_retry(error, idempotent) and budget.take()):
                    raise
                self._sleep(self._backoff(error, budget.used))

    def _backoff(self, error: errors.CnLLMError, retry_number: int) -> float:
        delay = self.retry.backoff(retry_number, error.retry_after)
        logger.info(
            "%s: retry %d after %.2fs (%s)", self.vendor, retry_number, delay, type(error).__name__
        )
        return delay

    def _requests_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "params": dict(request.params) or None,
            "headers": dict(request.headers),
            "json": request.json if request.content is None and request.files is None else None,
            "data": request.content if request.content is not None else request.data,
            "files": request.files,
            "timeout": (self.connect_timeout, self.read_timeout),
        }

    def _send_once(self, request: HttpRequest) -> HttpResponse:
        try:
            raw = self.session.request(
                request.method, request.url, **self._requests_kwargs(request)
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc) from None
        response = HttpResponse(raw.status_code, dict(raw.headers), raw.content)
        self._check(response)
        return response

    def _open_stream(self, request: HttpRequest) -> requests.Response:
        try:
            raw = self.session.request(
                request.method, request.url, stream=True, **self._requests_kwargs(request)
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc) from None
        if raw.status_code != 200 or "event-stream" not in raw.headers.get("content-type", ""):
            # An error (or a plain JSON answer) instead of a stream: read it whole and check it.
            try:
                content = raw.content
            except requests.RequestException as exc:
                raise self._transport_error(exc) from None
            finally:
                raw.close()
            response = HttpResponse(raw.status_code, dict(raw.headers), content)
            self._check(response)
            return _SingleBodyStream(response)  # type: ignore[return-value]
        return raw

    def _read_events(self, raw: requests.Response) -> Iterator[ServerSentEvent]:
        if isinstance(raw, _SingleBodyStream):
            yield raw.as_event()
            return
        decoder = SSEDecoder()
        try:
            for chunk in raw.iter_content(chunk_size=None):
                yield from decoder.feed(chunk)
            yield from decoder.flush()
        except requests.RequestException as exc:
            raise errors.StreamInterruptedError(
                f"the stream broke: {type(exc).__name__}", vendor=self.vendor
            ) from None
        finally:
            raw.close()

    # -- async --------------------------------------------------------------------------------

    async def arequest(
        self,
        request: HttpRequest,
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        async def attempt() -> HttpResponse:
            return await self._asend_once(await prepare(request))

        result: HttpResponse = await self._awith_retries(attempt, budget, idempotent)
        return result

    async def astream(
        self,
        request: HttpRequest,
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
    ) -> AsyncIterator[ServerSentEvent]:
        async def attempt() -> Any:
            return await self._aopen_stream(await prepare(request))

        opened = await self._awith_retries(attempt, budget)
        if isinstance(opened, _SingleBodyStream):
            yield opened.as_event()
            return
        decoder = SSEDecoder()
        try:
            async for chunk in opened.aiter_raw():
                for event in decoder.feed(chunk):
                    yield event
            for event in decoder.flush():
                yield event
        except httpx.HTTPError as exc:
            raise errors.StreamInterruptedError(
                f"the stream broke: {type(exc).__name__}", vendor=self.vendor
            ) from None
        finally:
            await opened.aclose()

    async def astream_items(
        self,
        request: HttpRequest,
        new_parser: Callable[[], EventParser[T]],
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
    ) -> AsyncIterator[T]:
        """The async twin of ``stream_items``."""
        budget = budget or RetryBudget(self.retry)
        while True:
            parser, opened, delivered = new_parser(), False, False
            try:
                async for event in self.astream(request, prepare, budget=budget):
                    opened = True
                    item = parser.feed(event)
                    if item is not None:
                        delivered = True
                        yield item
                last = parser.finish()
                if last is not None:
                    yield last
                return
            except errors.CnLLMError as error:
                if delivered or not self._replayable(error, opened, budget):
                    raise
                await asyncio.sleep(self._backoff(error, budget.used))

    async def _awith_retries(
        self,
        attempt: Callable[[], Awaitable[Any]],
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> Any:
        budget = budget or RetryBudget(self.retry)
        while True:
            try:
                return await attempt()
            except errors.CnLLMError as error:
                if not (self._may_retry(error, idempotent) and budget.take()):
                    raise
                await asyncio.sleep(self._backoff(error, budget.used))

    @staticmethod
    def _httpx_request(client: httpx.AsyncClient, request: HttpRequest) -> httpx.Request:
        return client.build_request(
            request.method,
            request.url,
            params=dict(request.params) or None,
            headers=dict(request.headers),
            json=request.json if request.content is None and request.files is None else None,
            content=request.content,
            data=request.data,
            files=request.files,
        )

    async def _asend_once(self, request: HttpRequest) -> HttpResponse:
        client = self.async_client()
        try:
            raw = await client.send(self._httpx_request(client, request))
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        response = HttpResponse(raw.status_code, dict(raw.headers), raw.content)
        self._check(response)
        return response

    async def _aopen_stream(self, request: HttpRequest) -> Any:
        client = self.async_client()
        try:
            raw = await client.send(self._httpx_request(client, request), stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if raw.status_code != 200 or "event-stream" not in raw.headers.get("content-type", ""):
            try:
                content = await raw.aread()
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
            finally:
                await raw.aclose()
            response = HttpResponse(raw.status_code, dict(raw.headers), content)
            self._check(response)
            return _SingleBodyStream(response)
        return raw

    # -- errors -------------------------------------------------------------------------------

    def _check(self, response: HttpResponse) -> None:
        try:
            self.check(response)
        except errors.APIError as error:
            if error.status_code is None:
                error.status_code = response.status
            if error.retry_after is None:
                error.retry_after = parse_retry_after(response.header("retry-after"))
            raise
        if response.status >= 400:
            # The vendor check did not recognise it: classify by status alone.
            cls = errors.error_for_status(response.status)
            raise cls(
                f"HTTP {response.status}: {response.text[:300]}",
                vendor=self.vendor,
                status_code=response.status,
                retry_after=parse_retry_after(response.header("retry-after")),
            )

    def _transport_error(self, exc: Exception) -> errors.CnLLMError:
        timed_out = isinstance(exc, (requests.Timeout, httpx.TimeoutException))
        cls: type[errors.CnLLMError] = errors.TimeoutError if timed_out else errors.ConnectionError
        error = cls(f"{type(exc).__name__}: {exc}", vendor=self.vendor)
        error.unsent = _not_connected(exc)  # type: ignore[attr-defined]
        return error


# Answers by which a server says it did not take the request on (too busy, throttled).
_REFUSED_STATUSES = frozenset({429, 503})


def _not_connected(exc: Exception) -> bool:
    """True if no connection was made, so no byte of the request reached the server."""
    if isinstance(exc, (requests.ConnectTimeout, httpx.ConnectError, httpx.ConnectTimeout)):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _never_acted(error: errors.CnLLMError) -> bool:
    """The failure proves the server did not act: refused connection, or a 429/503 answer.
    A read timeout or a 500 after the body was sent may have created the thing already."""
    if getattr(error, "unsent", False):
        return True
    return getattr(error, "status_code", None) in _REFUSED_STATUSES


class _LoopClients:
    """The httpx clients of one event loop, used in turn, each created on first use.

    httpcore's pool scans every connection for every queued request (encode/httpcore#1035);
    with 64 requests over 64 warm connections that scan costs more than a second of CPU. Several
    small pools keep each scan short: 64 concurrent calls at 200 ms latency take ~0.3 s, not 1.5.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, factory: Callable[[], httpx.AsyncClient]
    ) -> None:
        self.loop = loop
        self.factory = factory
        self.created: list[httpx.AsyncClient] = []
        self.turn = 0

    def next(self) -> httpx.AsyncClient:
        self.turn = (self.turn + 1) % ASYNC_SHARDS
        if self.turn >= len(self.created):
            self.created.append(self.factory())
            return self.created[-1]
        return self.created[self.turn]


class _SingleBodyStream:
    """A stream request answered with one JSON body (no error in it): one event."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response

    def as_event(self) -> ServerSentEvent:
        return ServerSentEvent(data=self.response.text)
