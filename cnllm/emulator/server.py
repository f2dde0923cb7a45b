"""The HTTP side: one loopback ThreadingHTTPServer (HTTP/1.1 keep-alive) for every vendor.

The server routes by path to the registered vendors, records stats, applies latency and
faults, and writes streams with chunked transfer encoding. Control endpoints live under
``/_emulator/`` and are never delayed or faulted.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import socket
import struct
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .app import CONTROL_PREFIX, App
from .core import (
    EmulatorConfig,
    RecordedRequest,
    Request,
    Response,
    Route,
    Stats,
    StreamResponse,
    Vendor,
    json_response,
)
from .faults import Fault


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Python's default backlog of 5 drops connections when 64 clients connect at once.
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive sockets so stop() is clean."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cnllm-emulator/0.1"
    timeout = 120  # idle keep-alive connections are closed after this
    wbufsize = -1  # buffered: status line, headers and a small body go out in one write

    @property
    def app(self) -> App:
        server = self.server
        assert isinstance(server, _Server)
        return server.app

    def setup(self) -> None:
        super().setup()
        # Small writes (headers, then body, then events) must not wait on delayed ACKs.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = self.server
        assert isinstance(server, _Server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        with server.connections_lock:
            server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks would drown in access logs."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- reading ----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _request(self) -> Request:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {name: value for name, value in self.headers.items()}
        return Request(self.command, url.path, query, headers, self._read_body())

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        request = self._request()
        if request.path.startswith(CONTROL_PREFIX):
            self._send(self.app.control(request))
            return
        self._record(request)
        matched = self.app.match(request)
        if matched is None:
            self._send(json_response({"error": f"no such path {request.path}"}, 404))
            return
        route, vendor = matched
        throttled = self.app.throttle(route, vendor)
        fault = throttled or self.app.faults.take(request.path, route.tags, request.streaming)
        if fault is not None and throttled is None:
            self.app.stats.bump("faults_applied")
        if fault is not None and fault.kind == "reset":
            self._reset_connection()
            return
        extra = fault.delay if fault is not None and fault.kind == "slow" else 0.0
        time.sleep(max(0.0, self.app.config.latency) + extra)
        self._respond(route, vendor, request, fault)

    def _record(self, request: Request) -> None:
        try:
            body = request.json()
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        recorded = RecordedRequest(
            request.method, request.path, dict(request.query), dict(request.headers), body
        )
        self.app.stats.record(recorded)

    def _respond(self, route: Route, vendor: Vendor, request: Request, fault: Fault | None) -> None:
        if fault is not None and fault.kind == "http":
            self._send(_http_fault_response(fault))
            return
        if fault is not None and fault.kind == "error_code":
            self._send(vendor.error_response(fault, request))
            return
        request.fault = fault
        try:
            result = route.handler(request)
        except Exception:  # an emulator bug must not look like a network failure
            traceback.print_exc(file=sys.stderr)
            result = json_response({"error_code": 336000, "error_msg": "Internal error"}, 500)
        if isinstance(result, StreamResponse):
            self._send_stream(result, vendor, fault)
        else:
            self._send(result)

    # -- writing ----------------------------------------------------------------------------

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, response: Response) -> None:
        headers = {**response.headers, "Content-Length": str(len(response.body))}
        with contextlib.suppress(OSError):
            self._start(response.status, headers)
            self.wfile.write(response.body)
            self.wfile.flush()  # headers and body leave in one write (wfile is buffered)

    def _send_stream(self, stream: StreamResponse, vendor: Vendor, fault: Fault | None) -> None:
        events, tail = _plan_stream(stream.events, fault, vendor)
        headers = {**stream.headers, "Transfer-Encoding": "chunked"}
        try:
            self._start(stream.status, headers)
            for index, event in enumerate(events):
                if index:
                    time.sleep(self.app.config.chunk_interval)
                self._write_chunk(event)
            if tail == "drop":
                self._drop_connection()
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away mid-stream

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _drop_connection(self) -> None:
        """End the body without its chunked terminator: an abrupt end of stream."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()  # the headers, if no event was sent
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reset_connection(self) -> None:
        """Answer nothing; close with SO_LINGER 0 so the client sees a TCP reset."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # drop the makefile references so close() really closes
            self.wfile.close()
            self.connection.close()
        self.wfile = io.BytesIO()  # the base class flushes wfile after every request


def _plan_stream(
    events: list[bytes], fault: Fault | None, vendor: Vendor
) -> tuple[list[bytes], str]:
    """Which events to send and how to end: ``"clean"`` (terminator) or ``"drop"``."""
    if fault is None or fault.kind not in ("drop_mid_stream", "stream_error", "no_is_end"):
        return events, "clean"
    kept = events[: min(fault.after_events, max(len(events) - 1, 0))]
    if fault.kind == "drop_mid_stream":
        return kept, "drop"
    if fault.kind == "stream_error":
        return [*kept, vendor.stream_error_event(fault)], "clean"
    return kept, "clean"


def _http_fault_response(fault: Fault) -> Response:
    status = fault.status or 500
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body = fault.body if fault.body is not None else reason
    try:
        json.loads(body)
        content_type = "application/json;charset=utf-8"
    except ValueError:
        content_type = "text/plain;charset=utf-8"
    headers = {"Content-Type": content_type}
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    return Response(status, headers, body.encode("utf-8"))


class Emulator:
    """A loopback server speaking every vendor's protocol, for tests, benchmarks and demos.

    >>> with Emulator() as emu:  # doctest: +SKIP
    ...     emu.inject(Fault("http", status=429, retry_after="1"))
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        chunk_interval: float = 0.0,
        strict: bool = False,
        token_ttl: int = 2592000,
        credentials: dict[str, str] | None = None,
        stream_usage_style: str = "2024",
        **options: Any,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the emulator only binds loopback addresses, not {host!r}")
        if stream_usage_style not in ("2023", "2024"):
            raise ValueError("stream_usage_style must be '2023' or '2024'")
        self.host = host
        self._port = port
        self.config = EmulatorConfig(
            latency=latency,
            chunk_interval=chunk_interval,
            strict=strict,
            token_ttl=token_ttl,
            credentials=dict(credentials or {}),
            stream_usage_style=stream_usage_style,
            options=options,
        )
        self.app = App(self.config)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = _Server((self.host, self._port), self.app)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cnllm-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- runtime knobs ----------------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self.config.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.config.latency = float(value)

    @property
    def rate_limit(self) -> float:
        """Requests per second each vendor's model routes accept (0: no limit)."""
        return self.config.rate_limit

    @rate_limit.setter
    def rate_limit(self, value: float) -> None:
        self.config.rate_limit = float(value)

    @property
    def chunk_interval(self) -> float:
        return self.config.chunk_interval

    @chunk_interval.setter
    def chunk_interval(self, value: float) -> None:
        self.config.chunk_interval = float(value)

    @property
    def stats(self) -> Stats:
        return self.app.stats

    def inject(self, fault: Fault) -> None:
        self.app.faults.push(fault)

    def pending_faults(self) -> list[Fault]:
        return self.app.faults.pending()

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def reset(self) -> None:
        """Forget faults, stats and issued tokens."""
        self.app.reset()

    def expire_tokens(self) -> None:
        """Every issued access token is expired from now on (next use: error_code 111)."""
        self.app.expire_tokens()
