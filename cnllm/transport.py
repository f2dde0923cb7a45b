"""The only code in cnllm that does I/O.

``requests.Session`` for sync calls and one ``aiohttp.ClientSession`` per event loop for async
ones (cnllm._aio, imported on first async use), both pooled and created lazily; one retry loop
(cnllm.retry) around the initial exchange; streams parsed by the one SSE decoder (cnllm.sse).
Vendors plug in a single ``check`` function that turns an error response (an HTTP error or an
error in a 200 body) into a typed exception.

``timeout`` is a deadline, not a per-read limit: the longest one attempt may take to deliver
its whole answer, or (streaming) the longest wait for the next event. Redirects are never
followed. JSON bodies are serialised here, once, to the same bytes on both paths.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse

from cnllm import errors, hints
from cnllm._body import encode_json, redact_url
from cnllm._deadline import Deadline, DeadlineAdapter, bounded
from cnllm.errors import redact
from cnllm.retry import RetryBudget, RetryPolicy, parse_retry_after
from cnllm.sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from cnllm._aio import AioSessions

logger = logging.getLogger("cnllm")

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
POOL_SIZE = 64
CHUNK = 65536
NEVER_ACTED_STATUS = (429, 503)  # answers that prove a request was refused, not acted on


class _RedactingFilter(logging.Filter):
    """urllib3 logs every URL at DEBUG (aiohttp too); Qianfan URLs carry access_token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        return True


for _name in ("aiohttp.client", "aiohttp.internal", "urllib3.connectionpool", "cnllm"):
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

    def __repr__(self) -> str:
        # Headers and query parameters carry keys, tokens and signatures: show names only, so
        # that tools printing frame locals (Sentry, pytest --showlocals) never show a secret.
        return (
            f"HttpRequest(method={self.method!r}, url={redact(self.url)!r}, "
            f"params={_masked(self.params)}, headers={_masked(self.headers)})"
        )

    def with_auth(
        self, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> HttpRequest:
        return replace(
            self,
            params={**self.params, **(params or {})},
            headers={**self.headers, **(headers or {})},
        )

    def body(self, vendor: str | None = None) -> bytes | None:
        """The JSON body as sent (None when the request has another kind of body)."""
        if self.json is None or self.content is not None or self.files is not None:
            return None
        return encode_json(self.json, vendor)


def _masked(values: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{key!r}: '***'" for key in values) + "}"


_UNPARSED = object()


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    _parsed: Any = field(default=_UNPARSED, repr=False, compare=False)

    def __repr__(self) -> str:
        # A body may echo a key back ("Invalid API-key provided: sk-…"): its size only.
        return f"HttpResponse(status={self.status}, content=<{len(self.content)} bytes>)"

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The parsed body; parsed once (the vendor's check and its parser both read it)."""
        if self._parsed is _UNPARSED:
            import json

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


class Limiter(Protocol):
    """A rate budget the transport consults before each attempt (cnllm.ratelimit)."""

    def acquire(self, body: bytes | None = None) -> None: ...

    async def aacquire(self, body: bytes | None = None) -> None: ...

    def record(self, error: errors.CnLLMError | None) -> None: ...


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
        limiter: Limiter | None = None,
        secrets: Iterable[str | None] | Callable[[], Iterable[str | None]] = (),
    ) -> None:
        self.check = check
        # The credentials this transport's client holds (or a function giving them, for tokens
        # that change): masked in every error built from a server's answer.
        self.secrets = secrets if callable(secrets) else tuple(secrets)
        self.vendor = vendor
        # The deadline of one attempt (whole answer), or of the wait for the next stream event.
        self.read_timeout = timeout if timeout is not None else DEFAULT_READ_TIMEOUT
        self.connect_timeout = min(connect_timeout, self.read_timeout)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._sleep = sleep
        self._fresh_state()

    def _fresh_state(self) -> None:
        """Connections and locks: never shared with a copy or a forked child."""
        self._session: requests.Session | None = None
        self._aio: AioSessions | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    # -- clients ------------------------------------------------------------------------------

    def _check_fork(self) -> None:
        # A forked child inherits the parent's pooled sockets: using them would interleave
        # both processes' requests on one connection (answers meant for another worker).
        if self._pid != os.getpid():
            self._fresh_state()  # abandon, never close: the sockets are the parent's

    @property
    def session(self) -> requests.Session:
        self._check_fork()
        if self._session is None:
            with self._lock:
                if self._session is None:
                    session = requests.Session()
                    _read_environment_once(session)
                    adapter = DeadlineAdapter(pool_connections=8, pool_maxsize=POOL_SIZE)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    self._session = session
        return self._session

    def _aio_sessions(self) -> AioSessions:
        self._check_fork()
        if self._aio is None:
            from cnllm._aio import AioSessions  # aiohttp stays out of sync-only imports

            self._aio = AioSessions(self.connect_timeout)
        return self._aio

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    async def aclose(self) -> None:
        if self._aio is not None and self._pid == os.getpid():
            await self._aio.aclose()

    def __getstate__(self) -> dict[str, Any]:
        # Pools and locks do not pickle; they are made again on first use.
        state = self.__dict__.copy()
        state.update(_session=None, _aio=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fresh_state()

    def __deepcopy__(self, memo: dict[int, Any]) -> Transport:
        # The copy shares the immutable configuration (and the process-wide rate budget),
        # never the connections or locks.
        copy = Transport.__new__(Transport)
        copy.__setstate__(self.__getstate__())
        return copy

    # -- retry decisions ----------------------------------------------------------------------

    def _retry_number(
        self, error: errors.CnLLMError, budget: RetryBudget, idempotent: bool
    ) -> int | None:
        """The number of the retry to make after ``error``, or None to raise it."""
        if not error.retryable:
            return None
        if not idempotent and not _never_acted(error):
            return None
        return budget.take()

    def _backoff(self, error: errors.CnLLMError, retry_number: int) -> float:
        delay = self.retry.backoff(retry_number, error.retry_after)
        logger.info(
            "%s: retry %d after %.2fs (%s)", self.vendor, retry_number, delay, type(error).__name__
        )
        return delay

    def _replay_number(
        self, error: errors.CnLLMError, opened: bool, budget: RetryBudget, idempotent: bool
    ) -> int | None:
        # A stream that failed to open was already retried by stream(); only what failed
        # after it opened is replayed here.
        opened = opened or isinstance(error, errors.StreamInterruptedError)
        return self._retry_number(error, budget, idempotent) if opened else None

    def _note(self, error: errors.CnLLMError | None) -> None:
        if self.limiter is not None:
            self.limiter.record(error)

    # -- sync ---------------------------------------------------------------------------------

    def request(
        self,
        request: HttpRequest,
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        """Send, retrying transient failures; returns a successful response or raises."""
        body = request.body(self.vendor)  # a bad body fails before anything is sent
        response: HttpResponse = self._with_retries(
            lambda: self._send_once(prepare(request), body), budget, idempotent, body
        )
        return response

    def stream(
        self,
        request: HttpRequest,
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> Iterator[ServerSentEvent]:
        """Open a stream (retried until it starts), then yield its events as they arrive."""
        body = request.body(self.vendor)
        opened = self._with_retries(
            lambda: self._open_stream(prepare(request), body), budget, idempotent, body
        )
        if isinstance(opened, _SingleBodyStream):
            return iter([opened.as_event()])
        return self._read_events(opened)

    def stream_items(
        self,
        request: HttpRequest,
        new_parser: Callable[[], EventParser[T]],
        prepare: Prepare = _no_prepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> Iterator[T]:
        """Parsed items of a stream. A transient failure after the stream opened but before
        any item reached the caller (an error event, a break, a stall) replays the request
        under the same retry budget; once an item was delivered, a failure is raised."""
        budget = budget or RetryBudget(self.retry)
        while True:
            parser, opened, delivered = new_parser(), False, False
            try:
                events = self.stream(request, prepare, budget=budget, idempotent=idempotent)
                opened = True
                for event in events:
                    item = parser.feed(event)
                    if item is not None:
                        delivered = True
                        yield item
                last = parser.finish()
                if last is not None:
                    yield last
                return
            except errors.CnLLMError as error:
                number = (
                    None if delivered else self._replay_number(error, opened, budget, idempotent)
                )
                if number is None:
                    raise
                self._sleep(self._backoff(error, number))

    def _with_retries(
        self,
        attempt: Callable[[], Any],
        budget: RetryBudget | None,
        idempotent: bool,
        body: bytes | None = None,
    ) -> Any:
        budget = budget or RetryBudget(self.retry)
        while True:
            if self.limiter is not None:
                self.limiter.acquire(body)
            try:
                result = attempt()
            except errors.CnLLMError as error:
                self._note(error)
                number = self._retry_number(error, budget, idempotent)
                if number is None:
                    raise
                self._sleep(self._backoff(error, number))
            else:
                self._note(None)
                return result

    def _requests_kwargs(self, request: HttpRequest, body: bytes | None) -> dict[str, Any]:
        headers = dict(request.headers)
        if body is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        data: Any = request.data
        if request.content is not None:
            data = request.content
        elif body is not None:
            data = body
        return {
            "params": dict(request.params) or None,
            "headers": headers,
            "data": data,
            "files": request.files,
            "timeout": (self.connect_timeout, self.read_timeout),
            "allow_redirects": False,  # a redirect is a misconfiguration: never followed
            "stream": True,  # the body is read here, under the attempt's deadline
        }

    def _open(
        self, request: HttpRequest, body: bytes | None, deadline: Deadline
    ) -> requests.Response:
        try:
            with bounded(deadline):  # every read of this response, headers too
                return self.session.request(
                    request.method, request.url, **self._requests_kwargs(request, body)
                )
        except requests.RequestException as exc:
            raise self._transport_error(exc) from None

    def _send_once(self, request: HttpRequest, body: bytes | None) -> HttpResponse:
        deadline = Deadline(self.read_timeout)
        raw = self._open(request, body, deadline)
        try:
            # No local holds the raw body: tools that print frame locals would show what a
            # server echoed (its repr, HttpResponse's, is masked).
            response = HttpResponse(
                raw.status_code, dict(raw.headers), self._read_body(raw, deadline)
            )
        finally:
            raw.close()
        self._check(response)
        return response

    def _read_body(self, raw: requests.Response, deadline: Deadline) -> bytes:
        """The whole body, or TimeoutError once the deadline passes (a trickling server)."""
        if not isinstance(raw.raw, BaseHTTPResponse):  # a test double answered from memory
            return raw.content
        chunks: list[bytes] = []
        try:
            while chunk := self._read_chunk(raw, deadline):
                chunks.append(chunk)
        except (Urllib3Error, OSError) as exc:
            raise self._transport_error(exc) from None
        return b"".join(chunks)

    def _read_chunk(self, raw: requests.Response, deadline: Deadline) -> bytes:
        # The socket reads are bounded by the deadline (cnllm._deadline); this check also
        # covers connections that are not (through a proxy).
        if deadline.remaining() <= 0:
            raise errors.TimeoutError(
                f"no complete answer within timeout={self.read_timeout}s", vendor=self.vendor
            )
        chunk: bytes | None = raw.raw.read1(CHUNK, decode_content=True)
        return chunk or b""

    def _open_stream(
        self, request: HttpRequest, body: bytes | None
    ) -> _SyncStream | _SingleBodyStream:
        deadline = Deadline(self.read_timeout)
        raw = self._open(request, body, deadline)
        if raw.status_code == 200 and "event-stream" in raw.headers.get("content-type", ""):
            return _SyncStream(raw, deadline)
        # An error (or a plain JSON answer) instead of a stream: read it whole and check it.
        try:
            response = HttpResponse(
                raw.status_code, dict(raw.headers), self._read_body(raw, deadline)
            )
        finally:
            raw.close()
        self._check(response)
        return _SingleBodyStream(response)

    def _read_events(self, opened: _SyncStream) -> Iterator[ServerSentEvent]:
        raw, deadline = opened.raw, opened.deadline
        decoder = SSEDecoder()
        try:
            if not isinstance(raw.raw, BaseHTTPResponse):  # a test double answered
                yield from decoder.feed(raw.content)
                yield from decoder.flush()
                return
            deadline.extend()
            while chunk := self._read_chunk_of_stream(raw, deadline):
                events = decoder.feed(chunk)
                if events:
                    yield from events
                    deadline.extend()  # a full timeout for the next event; caller time is free
            yield from decoder.flush()
        finally:
            raw.close()

    def _read_chunk_of_stream(self, raw: requests.Response, deadline: Deadline) -> bytes:
        try:
            return self._read_chunk(raw, deadline)
        except errors.TimeoutError:
            raise errors.TimeoutError(
                f"no stream event within timeout={self.read_timeout}s", vendor=self.vendor
            ) from None
        except (Urllib3Error, OSError) as exc:
            if isinstance(exc, ReadTimeoutError) or "timed out" in str(exc):
                raise errors.TimeoutError(
                    f"no stream event within timeout={self.read_timeout}s", vendor=self.vendor
                ) from None
            raise errors.StreamInterruptedError(
                f"the stream broke: {type(exc).__name__}", vendor=self.vendor
            ) from None

    # -- async --------------------------------------------------------------------------------

    async def arequest(
        self,
        request: HttpRequest,
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        body = request.body(self.vendor)
        sessions = self._aio_sessions()

        async def attempt() -> HttpResponse:
            prepared = await prepare(request)
            response = HttpResponse(
                *await sessions.send(prepared, body, self.read_timeout, self.vendor)
            )
            self._check(response)
            return response

        result: HttpResponse = await self._awith_retries(attempt, budget, idempotent, body)
        return result

    async def astream(
        self,
        request: HttpRequest,
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> AsyncIterator[ServerSentEvent]:
        opened = await self._aopen_stream(request, prepare, budget, idempotent)
        async for event in self._aread_events(opened):
            yield event

    async def _aopen_stream(
        self,
        request: HttpRequest,
        prepare: AsyncPrepare,
        budget: RetryBudget | None,
        idempotent: bool,
    ) -> Any:
        body = request.body(self.vendor)
        sessions = self._aio_sessions()

        async def attempt() -> Any:
            prepared = await prepare(request)
            opened = await sessions.open_stream(prepared, body, self.read_timeout, self.vendor)
            if isinstance(opened, tuple):  # not a stream: the whole answer
                response = HttpResponse(*opened)
                del opened  # the raw body: no local may hold what a server echoed
                self._check(response)
                return _SingleBodyStream(response)
            return opened

        return await self._awith_retries(attempt, budget, idempotent, body)

    async def _aread_events(self, opened: Any) -> AsyncIterator[ServerSentEvent]:
        if isinstance(opened, _SingleBodyStream):
            yield opened.as_event()
            return
        decoder = SSEDecoder()
        try:
            async for chunk in opened.chunks(self.read_timeout, self.vendor):
                for event in decoder.feed(chunk):
                    yield event
                    opened.reset_deadline()  # waits in the caller do not count
            for event in decoder.flush():
                yield event
        finally:
            opened.release()

    async def astream_items(
        self,
        request: HttpRequest,
        new_parser: Callable[[], EventParser[T]],
        prepare: AsyncPrepare = _no_aprepare,
        *,
        budget: RetryBudget | None = None,
        idempotent: bool = True,
    ) -> AsyncIterator[T]:
        """The async twin of ``stream_items``."""
        budget = budget or RetryBudget(self.retry)
        while True:
            parser, opened, delivered = new_parser(), False, False
            try:
                stream = await self._aopen_stream(request, prepare, budget, idempotent)
                opened = True
                async for event in self._aread_events(stream):
                    item = parser.feed(event)
                    if item is not None:
                        delivered = True
                        yield item
                last = parser.finish()
                if last is not None:
                    yield last
                return
            except errors.CnLLMError as error:
                number = (
                    None if delivered else self._replay_number(error, opened, budget, idempotent)
                )
                if number is None:
                    raise
                await asyncio.sleep(self._backoff(error, number))

    async def _awith_retries(
        self,
        attempt: Callable[[], Awaitable[Any]],
        budget: RetryBudget | None,
        idempotent: bool,
        body: bytes | None = None,
    ) -> Any:
        budget = budget or RetryBudget(self.retry)
        while True:
            if self.limiter is not None:
                await self.limiter.aacquire(body)
            try:
                result = await attempt()
            except errors.CnLLMError as error:
                self._note(error)
                number = self._retry_number(error, budget, idempotent)
                if number is None:
                    raise
                await asyncio.sleep(self._backoff(error, number))
            else:
                self._note(None)
                return result

    # -- errors -------------------------------------------------------------------------------

    def _check(self, response: HttpResponse) -> None:
        if 300 <= response.status < 400:
            raise _redirect_error(response, self.vendor)
        try:
            self._check_unscrubbed(response)
        except errors.CnLLMError as error:
            # Servers echo keys back; the traceback below this frame holds the raw body, and
            # no local here may hold a secret (tools print frame locals).
            raise errors.scrub_error(error, self._secrets()).with_traceback(None) from None

    def _secrets(self) -> Iterable[str | None]:
        return self.secrets() if callable(self.secrets) else self.secrets

    def _check_unscrubbed(self, response: HttpResponse) -> None:
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
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, (requests.Timeout, ReadTimeoutError, TimeoutError)):
            return errors.TimeoutError(message, vendor=self.vendor)
        hint = hints.connection_hint(self.vendor)  # names the env var that set the URL
        if isinstance(exc, requests.ConnectionError) and _never_connected(exc):
            return errors.ConnectError(message + hint, vendor=self.vendor)
        return errors.ConnectionError(message + hint, vendor=self.vendor)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when requests failed to open the connection (nothing was sent)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _never_acted(error: errors.CnLLMError) -> bool:
    """The failure proves the server did not act on the request (safe to send it again)."""
    if isinstance(error, (errors.ConnectError, errors.RateLimitError)):
        return True  # not connected, or throttled (HTTP 429 or the vendor's code in a 200)
    return isinstance(error, errors.APIError) and error.status_code in NEVER_ACTED_STATUS


def _redirect_error(response: HttpResponse, vendor: str) -> errors.RedirectError:
    location = redact_url(response.header("location") or "")
    return errors.RedirectError(
        f"HTTP {response.status} redirect to {location or '(no Location)'}: redirects are not "
        "followed (check the base URL)",
        vendor=vendor,
        status_code=response.status,
        location=location or None,
    )


@dataclass
class _SyncStream:
    """An open event stream and the deadline its socket reads are bounded by."""

    raw: requests.Response
    deadline: Deadline


def proxies_in_env() -> bool:
    """Whether HTTP(S)_PROXY (or ALL_PROXY) is set, read as urllib and requests read it."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


def _read_environment_once(session: requests.Session) -> None:
    """requests reads proxies, the CA bundle and .netrc from the environment on every request
    (~0.5 ms each). Without a proxy or a .netrc, read the CA bundle (REQUESTS_CA_BUNDLE, then
    CURL_CA_BUNDLE, as requests does) once, here, and skip the per-request lookup."""
    netrc = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    if proxies_in_env() or os.path.exists(netrc):
        return
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle


class _SingleBodyStream:
    """A stream request answered with one JSON body (no error in it): one event."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response

    def as_event(self) -> ServerSentEvent:
        return ServerSentEvent(data=self.response.text)
