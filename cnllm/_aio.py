"""The async side of the transport: one ``aiohttp.ClientSession`` per event loop.

Imported by cnllm.transport on first async use only, so a sync-only user never imports
aiohttp. aiohttp decompresses gzip bodies (streams included) itself and, unlike httpx, does not
scan its whole pool for every request: 64 concurrent calls cost about what a bare gather costs.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import certifi

from cnllm import errors, hints
from cnllm.transport import proxies_in_env

if TYPE_CHECKING:
    from cnllm.transport import HttpRequest

if sys.version_info >= (3, 11):
    from asyncio import timeout, timeout_at
else:  # aiohttp depends on async-timeout before 3.11
    from async_timeout import timeout, timeout_at

# (status, headers, body): an HttpResponse's fields, built by the transport.
Whole = tuple[int, dict[str, str], bytes]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # One context for every session: loading the CA bundle takes ~20 ms.
    return ssl.create_default_context(cafile=certifi.where())


class AioSessions:
    """The sessions of one Transport, one per event loop (a session cannot outlive its loop).

    Each session is closed by whichever comes first: ``aclose()``, or the loop's own shutdown
    (``asyncio.run`` finalises pending async generators, and a guard generator closes the
    session then), so a user who never calls ``aclose`` sees no "Unclosed client session".
    """

    def __init__(self, connect_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self._by_loop: dict[int, _LoopSession] = {}

    async def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(id(loop))
        if found is not None and found.loop is loop and not found.session.closed:
            return found.session
        self._forget_closed_loops()
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ssl=_ssl_context()),
            # Honour HTTP(S)_PROXY as requests does; without one, skip aiohttp's per-request proxy
            # lookup in a worker thread (two thread hops per request, ~10% of a 64-call batch).
            trust_env=proxies_in_env(),
        )
        guard = _close_at_loop_shutdown(session)
        await guard.__anext__()
        self._by_loop[id(loop)] = _LoopSession(loop, session, guard)
        return session

    def _forget_closed_loops(self) -> None:
        for key, owned in list(self._by_loop.items()):
            if owned.loop.is_closed():
                del self._by_loop[key]
                owned.abandon()

    async def aclose(self) -> None:
        """Close this loop's session; sessions of closed loops are let go quietly."""
        loop = asyncio.get_running_loop()
        for key, owned in list(self._by_loop.items()):
            if owned.loop is loop:
                del self._by_loop[key]
                await owned.guard.aclose()  # closes the session
        self._forget_closed_loops()

    def _kwargs(self, request: HttpRequest, body: bytes | None) -> dict[str, Any]:
        headers = dict(request.headers)
        data: Any = None
        if request.files is not None:
            form = aiohttp.FormData()
            for name, value in (request.data or {}).items():
                form.add_field(name, value)
            for name, (filename, content, content_type) in request.files.items():
                form.add_field(name, content, filename=filename, content_type=content_type)
            data = form
        elif request.content is not None:
            data = request.content
        elif request.data is not None:
            data = dict(request.data)
        elif body is not None:
            data = body
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = "application/json"
        return {
            "params": dict(request.params) or None,
            "headers": headers,
            "data": data,
            "allow_redirects": False,  # a redirect is a misconfiguration: never followed
        }

    async def send(
        self, request: HttpRequest, body: bytes | None, seconds: float, vendor: str
    ) -> Whole:
        """One attempt: the whole answer within ``seconds``."""
        limits = aiohttp.ClientTimeout(total=seconds, sock_connect=self.connect_timeout)
        try:
            async with (await self.session()).request(
                request.method, request.url, timeout=limits, **self._kwargs(request, body)
            ) as raw:
                return raw.status, dict(raw.headers), await raw.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise transport_error(exc, vendor, seconds) from None

    async def open_stream(
        self, request: HttpRequest, body: bytes | None, seconds: float, vendor: str
    ) -> Whole | AioStream:
        """The stream once its headers arrived within ``seconds``, or the whole non-stream
        answer (an error instead of a stream)."""
        limits = aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout)
        raw: aiohttp.ClientResponse | None = None
        try:
            async with timeout(seconds):
                raw = await (await self.session()).request(
                    request.method, request.url, timeout=limits, **self._kwargs(request, body)
                )
                if raw.status == 200 and "event-stream" in raw.headers.get("content-type", ""):
                    return AioStream(raw)
                return raw.status, dict(raw.headers), await raw.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            if raw is not None:
                raw.release()
            raise transport_error(exc, vendor, seconds) from None


class AioStream:
    """An open event stream, read chunk by chunk under a per-event deadline."""

    def __init__(self, raw: aiohttp.ClientResponse) -> None:
        self.raw = raw
        self._deadline = 0.0
        self._timeout = 0.0

    def reset_deadline(self) -> None:
        self._deadline = asyncio.get_running_loop().time() + self._timeout

    async def chunks(self, seconds: float, vendor: str) -> AsyncIterator[bytes]:
        """Decoded body chunks; TimeoutError when no event arrived within ``timeout``."""
        self._timeout = seconds
        self.reset_deadline()
        while True:
            try:
                async with timeout_at(self._deadline):
                    chunk = await self.raw.content.readany()
            except asyncio.TimeoutError:
                raise errors.TimeoutError(
                    f"no stream event within timeout={seconds}s", vendor=vendor
                ) from None
            except aiohttp.ClientError as exc:
                raise errors.StreamInterruptedError(
                    f"the stream broke: {type(exc).__name__}", vendor=vendor
                ) from None
            if not chunk:
                return
            yield chunk

    def release(self) -> None:
        # A stream left before its end cannot go back to the pool half read: close it.
        if self.raw.content.at_eof():
            self.raw.release()
        else:
            self.raw.close()


def transport_error(exc: BaseException, vendor: str, seconds: float) -> errors.CnLLMError:
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unresolvable: never sent
        return errors.ConnectError(message + hints.connection_hint(vendor), vendor=vendor)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return errors.TimeoutError(
            f"no complete answer within timeout={seconds}s ({type(exc).__name__})", vendor=vendor
        )
    return errors.ConnectionError(message, vendor=vendor)


async def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()


@dataclass
class _LoopSession:
    loop: asyncio.AbstractEventLoop
    session: aiohttp.ClientSession
    guard: AsyncGenerator[None, None]  # started; held here so it lives as long as the session

    def abandon(self) -> None:
        """Let go of a session whose loop closed without shutting down its async generators:
        nothing can be awaited any more, so close it without the loop, quietly."""
        connector = self.session.connector
        self.session.detach()  # the session is closed now; its connector is ours to close
        if connector is not None:
            connector._close()  # marks it closed; a closed loop's transports are not touched
        closing = self.guard.aclose()
        try:
            closing.send(None)  # the detached session closes without awaiting anything
        except Exception:  # StopIteration: done; anything else: nothing more to do
            pass
        finally:
            closing.close()
