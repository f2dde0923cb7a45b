"""Routing and the control API: what the server asks for each request, vendor-neutral."""

from __future__ import annotations

from typing import Any

from .core import (
    EmulatorConfig,
    Request,
    Response,
    Route,
    Stats,
    Vendor,
    json_response,
    vendor_factories,
)
from .faults import AUTH_TAG, Fault, FaultQueue, RateGate, throttle_fault

CONTROL_PREFIX = "/_emulator/"


class App:
    """Everything the request handler needs: config, stats, faults and the vendors' routes."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.stats = Stats()
        self.faults = FaultQueue()
        self.rate_gate = RateGate()
        self.vendors: dict[str, Vendor] = {
            name: factory(config, self.stats) for name, factory in vendor_factories().items()
        }
        self.routes: list[tuple[Route, Vendor]] = [
            (route, vendor) for vendor in self.vendors.values() for route in vendor.routes()
        ]
        # A vendor's catch-all (``/api/v1(?:/.*)?``) must not hide another module's exact
        # path under the same prefix (rerank lives in its own module): catch-alls go last.
        self.routes.sort(key=lambda item: ".*" in item[0].pattern.pattern)

    def match(self, request: Request) -> tuple[Route, Vendor] | None:
        for route, vendor in self.routes:
            found = route.pattern.fullmatch(request.path)
            if found:
                request.params = {k: v for k, v in found.groupdict().items() if v is not None}
                return route, vendor
        return None

    def throttle(self, route: Route, vendor: Vendor) -> Fault | None:
        """The vendor's throttling error when ``config.rate_limit`` is exceeded, else None."""
        if self.config.rate_limit <= 0 or AUTH_TAG in route.tags:
            return None
        name = next(key for key, value in self.vendors.items() if value is vendor)
        if self.rate_gate.allow(name, self.config.rate_limit):
            return None
        self.stats.bump("throttled")
        return throttle_fault(name)

    def reset(self) -> None:
        self.faults.clear()
        self.rate_gate.clear()
        self.stats.reset()
        for vendor in self.vendors.values():
            vendor.reset()

    def expire_tokens(self) -> None:
        for vendor in self.vendors.values():
            vendor.expire_tokens()

    def control(self, request: Request) -> Response:
        """The out-of-process API: faults, reset, stats, config."""
        action = (request.method, request.path[len(CONTROL_PREFIX) :].strip("/"))
        try:
            payload = request.json()
        except ValueError:
            return json_response({"error": "body is not JSON"}, 400)
        try:
            return self._control(action, payload)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)

    def _control(self, action: tuple[str, str], payload: Any) -> Response:
        if action == ("GET", "stats"):
            return json_response(self.stats.as_dict())
        if action == ("GET", "faults"):
            return json_response([fault.to_dict() for fault in self.faults.pending()])
        if action == ("POST", "faults"):
            items = payload if isinstance(payload, list) else [payload]
            for fault in [Fault.from_dict(item) for item in items]:
                self.faults.push(fault)
            return json_response({"queued": len(self.faults.pending())})
        if action == ("DELETE", "faults"):
            self.faults.clear()
            return json_response({"queued": 0})
        if action == ("POST", "reset"):
            self.reset()
            return json_response({"reset": True})
        if action == ("POST", "expire_tokens"):
            self.expire_tokens()
            return json_response({"expired": True})
        if action == ("POST", "config"):
            return json_response(self._configure(payload or {}))
        return json_response({"error": f"no control endpoint {action[0]} {action[1]}"}, 404)

    def _configure(self, payload: dict[str, Any]) -> dict[str, Any]:
        for key in ("latency", "chunk_interval", "rate_limit"):
            if key in payload:
                setattr(self.config, key, float(payload[key]))
        if "stream_usage_style" in payload:
            self.config.stream_usage_style = str(payload["stream_usage_style"])
        return {
            "latency": self.config.latency,
            "chunk_interval": self.config.chunk_interval,
            "rate_limit": self.config.rate_limit,
            "stream_usage_style": self.config.stream_usage_style,
        }
