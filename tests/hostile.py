"""A hostile HTTP server on loopback, for the transport's promises.

Each path is one misbehaviour; every request is recorded (path, headers, body) so a test can
tell how many attempts went out and what they carried.

    /trickle          200 JSON, one byte every ``TRICKLE`` seconds (never done in time)
    /trickle-sse      200 event-stream that trickles one never-ending event
    /trickle-head     the status line and headers themselves, one byte every ``TRICKLE`` s
    /slow-sse         200 event-stream: five events 0.6 s apart, then [DONE] (slow but alive)
    /stall            reads the request, answers nothing for a long while
    /gzip-sse         an event stream sent with Content-Encoding: gzip
    /gzip-json        a JSON answer sent with Content-Encoding: gzip
    /redirect         302 to /target?access_token=secret-token (the target records its hits)
    /echo             200 JSON: the body it received (base64) and the Api-Key it saw
    /status/<code>    that status, JSON body ``{"error": <code>}``
    /hangup           reads the request, then closes the connection without an answer
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

TRICKLE = 0.5
SECRET = "secret-token"
SSE_BODY = (
    'data: {"choices":[{"delta":{"content":"你"}}]}\n\n'
    'data: {"choices":[{"delta":{"content":"好"}}]}\n\n'
    "data: [DONE]\n\n"
).encode()


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HostileServer:
    """``with HostileServer() as server: server.url("/trickle")``."""

    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HostileServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> int:
        return sum(1 for seen in self.seen if seen.path.split("?")[0] == path)


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/refused"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_owner: HostileServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server_owner.seen.append(Seen(self.path, dict(self.headers.items()), body))
        path = self.path.split("?")[0]
        if path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), json.dumps({"error": path}).encode())
            return
        getattr(self, "_" + path.strip("/").replace("-", "_"), self._target)(body)

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server stops; True if it is stopping."""
        return self.server_owner._stop.wait(seconds)

    def _trickle(self, body: bytes) -> None:
        payload = json.dumps({"answer": "x" * 200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self._drip(payload)

    def _trickle_sse(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self._drip(b'data: {"choices":[{"delta":{"content":"' + b"x" * 200)

    def _trickle_head(self, body: bytes) -> None:
        self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 40)

    def _drip(self, payload: bytes) -> None:
        try:
            for byte in payload:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self._wait(TRICKLE):
                    return
        except OSError:
            return
        self.close_connection = True

    def _slow_sse(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for index in range(5):
                self.wfile.write(f"data: {index}\n\n".encode())
                self.wfile.flush()
                if self._wait(0.6):
                    return
            self.wfile.write(b"data: [DONE]\n\n")
        except OSError:
            return
        self.close_connection = True

    def _stall(self, body: bytes) -> None:
        self._wait(30)
        self.close_connection = True

    def _hangup(self, body: bytes) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _gzip_sse(self, body: bytes) -> None:
        self._send(200, gzip.compress(SSE_BODY), "text/event-stream", Content_Encoding="gzip")

    def _gzip_json(self, body: bytes) -> None:
        payload = gzip.compress(json.dumps({"answer": "好"}).encode())
        self._send(200, payload, Content_Encoding="gzip")

    def _redirect(self, body: bytes) -> None:
        target = f"http://127.0.0.1:{self.server.server_address[1]}/target?access_token={SECRET}"
        self._send(302, b"", "text/plain", Location=target)

    def _echo(self, body: bytes) -> None:
        answer = {
            "body": base64.b64encode(body).decode(),
            "api_key": self.headers.get("Api-Key"),
            "content_type": self.headers.get("Content-Type"),
            "at": time.time(),
        }
        self._send(200, json.dumps(answer).encode())

    def _target(self, body: bytes) -> None:
        self._send(200, b'{"reached": true}')
