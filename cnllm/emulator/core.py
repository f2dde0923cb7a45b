"""Types shared by the server and the vendor handlers: requests, responses, routes, stats.

A vendor module defines a :class:`Vendor` subclass and registers it with
:func:`register_vendor`; the server gives every registered vendor's routes one port.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .faults import AUTH_TAG, Fault
from .text import JSONVector

JSON_TYPE = "application/json;charset=utf-8"

# Vendor modules imported when an Emulator starts; each registers itself on import.
VENDOR_MODULES: list[str] = [
    "cnllm.emulator.qianfan",
    "cnllm.emulator.koala",
    "cnllm.emulator.dashscope",
    "cnllm.emulator.clueai",
    "cnllm.emulator.rerank",
]


@dataclass
class EmulatorConfig:
    """Settings every handler can read; ``latency``/``chunk_interval`` may change at runtime."""

    latency: float = 0.0
    chunk_interval: float = 0.0
    rate_limit: float = 0.0  # requests per second per vendor (model routes); 0: no limit
    strict: bool = False
    token_ttl: int = 2592000
    credentials: dict[str, str] = field(default_factory=dict)
    stream_usage_style: str = "2024"
    options: dict[str, Any] = field(default_factory=dict)  # for vendor modules added later

    def credential(self, name: str) -> str | None:
        value = self.credentials.get(name)
        return value or None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
        }


class Stats:
    """Counters for assertions; reads are cheap snapshots, writes are locked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.token_requests = 0
        self.requests: dict[str, int] = {}
        self.counters: dict[str, int] = {}
        self.faults_applied = 0
        self.last_request: RecordedRequest | None = None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests[request.path] = self.requests.get(request.path, 0) + 1
            self.last_request = request

    def bump(self, counter: str) -> None:
        with self._lock:
            if counter == "token_requests":
                self.token_requests += 1
            elif counter == "faults_applied":
                self.faults_applied += 1
            else:
                self.counters[counter] = self.counters.get(counter, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self.token_requests = 0
            self.requests = {}
            self.counters = {}
            self.faults_applied = 0
            self.last_request = None

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            last = self.last_request.as_dict() if self.last_request else None
            return {
                "token_requests": self.token_requests,
                "requests": dict(self.requests),
                "counters": dict(self.counters),
                "faults_applied": self.faults_applied,
                "last_request": last,
            }


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names as sent; use header() for case-insensitive lookup
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern
    fault: Fault | None = None  # a content fault for the handler to act on

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else None

    @property
    def streaming(self) -> bool:
        """Whether the client asked for a stream, in any vendor's way of asking."""
        try:
            body = self.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "stream" in body:  # the body, when it says, decides
            return body["stream"] is True
        if (self.header("X-DashScope-SSE") or "").lower() == "enable":
            return True
        return "text/event-stream" in (self.header("Accept") or "")


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class StreamResponse:
    """A chunked response; ``events`` are written one by one, ``chunk_interval`` apart.

    The last event is the terminal one (``is_end`` for Qianfan); stream faults never send it.
    """

    events: list[bytes]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Result = Response | StreamResponse
Handler = Callable[[Request], Result]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    handler: Handler
    tags: frozenset[str]

    @property
    def is_auth(self) -> bool:
        return AUTH_TAG in self.tags


def route(pattern: str, handler: Handler, *tags: str) -> Route:
    return Route(re.compile(pattern), handler, frozenset(tags))


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    raw: list[str] = []  # ready-made JSON (embedding vectors), spliced in after encoding

    def placeholder(value: Any) -> str:
        if isinstance(value, JSONVector):
            raw.append(value.json)
            return f"\x00cnllm-vector-{len(raw) - 1}\x00"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=placeholder)
    if raw:
        text = _PLACEHOLDER.sub(lambda found: raw[int(found.group(1))], text)
    body = text.encode("utf-8")
    return Response(status, {"Content-Type": JSON_TYPE, **(headers or {})}, body)


_PLACEHOLDER = re.compile(r'"\\u0000cnllm-vector-([0-9]+)\\u0000"')


class Vendor:
    """Base class of a vendor protocol handler. Override what the vendor does differently."""

    name = "vendor"

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        self.config = config
        self.stats = stats

    def routes(self) -> Iterable[Route]:
        return ()

    def error_response(self, fault: Fault, request: Request) -> Response:
        """The vendor's in-body error for an ``error_code`` fault."""
        return json_response({"error_code": fault.code, "error_msg": fault.message or "error"})

    def stream_error_event(self, fault: Fault) -> bytes:
        """The event that carries a ``stream_error`` fault in the middle of a stream."""
        payload = {"error_code": fault.code or 1, "error_msg": fault.message or "error"}
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n" if fault.raw else f"data: {text}\n\n").encode("utf-8")

    def reset(self) -> None:
        """Forget issued credentials and any other per-run state."""

    def expire_tokens(self) -> None:
        """Make every issued token expired."""


VendorFactory = Callable[[EmulatorConfig, Stats], Vendor]
_REGISTRY: dict[str, VendorFactory] = {}


def register_vendor(name: str) -> Callable[[VendorFactory], VendorFactory]:
    def decorate(factory: VendorFactory) -> VendorFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def vendor_factories() -> dict[str, VendorFactory]:
    for module in VENDOR_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)
