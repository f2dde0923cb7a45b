"""Deadlines for the sync path: requests' ``timeout`` bounds each socket read, so a server that
trickles a byte every half second never times out. Here every read of a response (status line
and headers included) is bounded by what is left of its attempt's deadline, at the socket.

The transport opens each request inside ``bounded(deadline)``; responses created meanwhile on
the session's connections read through a ``_DeadlineReader`` that holds that deadline (a stream
moves it forward after each event). Elsewhere (a proxy manager, a test adapter) responses read
as before and the transport's checks between chunks still apply.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Deadline:
    """When one attempt (or the wait for the next stream event) must be done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def extend(self) -> None:
        """A stream delivered an event: the next one gets a full ``seconds`` again."""
        self.at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


@contextmanager
def bounded(deadline: Deadline) -> Iterator[None]:
    """Responses opened in this block (this thread) read under ``deadline``."""
    previous = getattr(_current, "deadline", None)
    _current.deadline = deadline
    try:
        yield
    finally:
        _current.deadline = previous


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: Deadline, plain: Any) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = deadline
        self.usual = sock.gettimeout()
        # http.client's own reader holds a reference that keeps the socket open after the
        # connection lets go of it (a close-delimited body): keep it until we are closed.
        self.plain = plain

    def close(self) -> None:
        self.plain.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise TimeoutError("timed out (deadline)")  # socket.timeout: urllib3 maps it
        self.sock.settimeout(remaining)
        try:
            return self.sock.recv_into(buffer)
        finally:
            # A pooled connection must not keep a shrunken timeout for its next request.
            self.sock.settimeout(self.usual)


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            self.fp = io.BufferedReader(_DeadlineReader(sock, deadline, self.fp))


class _HTTPPool(HTTPConnectionPool):
    def _new_conn(self) -> Any:
        conn = super()._new_conn()
        conn.response_class = _DeadlineResponse  # type: ignore[attr-defined]
        return conn


class _HTTPSPool(HTTPSConnectionPool):
    def _new_conn(self) -> Any:
        conn = super()._new_conn()
        conn.response_class = _DeadlineResponse  # type: ignore[attr-defined]
        return conn


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections read responses under the current deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
