"""The Qianfan v2 handler (qianfan-v2.md): ``/v2/chat/completions``, ``/v2/completions``,
``/v2/embeddings``, ``/v2/models`` behind a bearer key, and IAM's ``/v1/BCE-BEARER/token``.

Keys: any ``bce-v3/…/…`` key is accepted, unless ``qianfan_api_key`` is configured (then
only it) or the emulator is strict (then only it or a minted token). Minted tokens expire with
``expire_tokens()`` and then get v2's ``invalid_iam_token``, like a wrong key. Option
``qianfan_appid`` makes the ``appid`` header required; ``qianfan_v2_services`` lists the API
names of "deployed services" (model ids the table does not know) that the server accepts;
outside strict mode v1 table names are served too (as if redeployed on v2).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from cnllm.qianfan.signer import parse_authorization
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.models import V2Model

from ..core import (
    EmulatorConfig,
    Request,
    Response,
    Result,
    Route,
    Stats,
    StreamResponse,
    Vendor,
    json_response,
    register_vendor,
    route,
)
from ..faults import Fault
from ..qianfan.auth import Expiries, bce_error, signature_mismatch
from . import replies, validate
from .validate import JSON_TYPE, error

STREAM_TYPE = "text/event-stream; charset=utf-8"
API_KEY = re.compile(r"bce-v3/[^/\s]+/[^/\s]+")  # any key of that form, unless strict
SERVICES = ("my-deployed-service", "my-cerebras-service", "my-embedding-service")
MIN_LIFETIME, MAX_LIFETIME, DEFAULT_LIFETIME = 300, 2592000, 1800
RATE_LIMITS = {"Requests": 300, "Input-Tokens": 300000, "Output-Tokens": 60000}
_FAULT_CODES: dict[int, tuple[int, str, str]] = {
    400: (400, "invalid_argument", "invalid argument"),
    401: (401, "invalid_iam_token", "IAM Certification failed"),
    403: (403, "account_overdue", "Access denied due to overdue account"),
    429: (429, "rpm_rate_limit_exceeded", "Rate limit reached for RPM"),
    500: (500, "internal_error", "Internal error"),
}


class MintedTokens(Expiries):
    """Short-lived bearer tokens issued by BCE-BEARER (the expiry book is v1's)."""

    def issue(self, lifetime: int) -> tuple[str, float]:
        token = f"bce-v3/ALTAK-{secrets.token_hex(10)}/{secrets.token_hex(20)}"
        expires = time.time() + lifetime
        self.remember(token, expires)
        return token, expires


def _iso(moment: float) -> str:
    stamp = datetime.fromtimestamp(moment, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@register_vendor("qianfan_v2")
class QianfanV2Vendor(Vendor):
    name = "qianfan_v2"

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        super().__init__(config, stats)
        self.tokens = MintedTokens()

    def routes(self) -> list[Route]:
        return [
            route(r"/v1/BCE-BEARER/token", self._mint, "qianfan_v2", "auth"),
            route(r"/v2/chat/completions", self._api("POST", self._chat), "qianfan_v2", "chat"),
            route(
                r"/v2/completions",
                self._api("POST", self._completions),
                "qianfan_v2",
                "completions",
            ),
            route(r"/v2/embeddings", self._api("POST", self._embeddings), "qianfan_v2"),
            route(r"/v2/models", self._api("GET", self._models), "qianfan_v2"),
            route(r"/v2(?:/.*)?", self._not_found, "qianfan_v2"),
        ]

    # -- Vendor hooks -----------------------------------------------------------------------

    def error_response(self, fault: Fault, request: Request) -> Response:
        status, code, message = _FAULT_CODES.get(fault.code or 500, _FAULT_CODES[500])
        response = error(status, code, fault.message or message)
        if status == 429:
            response.headers.update(self._limit_headers(remaining=0))
        return response

    def stream_error_event(self, fault: Fault) -> bytes:
        _, code, message = _FAULT_CODES.get(fault.code or 500, _FAULT_CODES[500])
        payload = {
            "error": {"code": code, "message": fault.message or message, "type": "Internal_error"},
            "id": validate.request_id(),
        }
        line = replies.sse(payload).decode()
        return (line.removeprefix("data: ").strip() + "\n" if fault.raw else line).encode()

    def reset(self) -> None:
        self.tokens.clear()

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    # -- IAM: minting short-lived keys (§2.3) -------------------------------------------------

    def _mint(self, request: Request) -> Response:
        self.stats.bump("token_requests")
        if request.method != "GET":
            return bce_error(405, "MethodNotAllowed", "only GET is allowed")
        header = request.header("Authorization") or ""
        if header.startswith("Bearer "):
            if self._key_problem(header[len("Bearer ") :].strip()) is not None:
                return bce_error(401, "InvalidAuthorization", "the bearer key is invalid")
        else:
            problem = self._signature_problem(request, header)
            if problem is not None:
                return problem
        try:
            lifetime = int(request.query.get("expireInSeconds") or DEFAULT_LIFETIME)
        except ValueError:
            return bce_error(400, "InvalidParameter", "expireInSeconds must be an integer")
        lifetime = min(max(lifetime, MIN_LIFETIME), MAX_LIFETIME)
        token, expires = self.tokens.issue(lifetime)
        body = {
            "userId": secrets.token_hex(16),
            "token": token,
            "status": "enable",
            "createTime": _iso(time.time()),
            "expireTime": _iso(expires),
        }
        return json_response(body, 201)

    def _signature_problem(self, request: Request, header: str) -> Response | None:
        parts = parse_authorization(header)
        if parts is None:
            return bce_error(401, "InvalidAuthorization", "Invalid authorization header")
        signed = [name for name in parts["signed_headers"].split(";") if name]
        if "host" not in signed:
            return bce_error(403, "AccessDenied", "the host header must be signed")
        access_key = self.config.credential("qianfan_access_key")
        secret_key = self.config.credential("qianfan_secret_key")
        if access_key is None or secret_key is None:
            return (
                None
                if not self.config.strict
                else bce_error(401, "NotFound", "Could not find credential.")
            )
        if parts["access_key"] != access_key:
            return bce_error(401, "NotFound", "Could not find credential.")
        return signature_mismatch(request, parts, signed, access_key, secret_key)

    # -- the bearer check (§2.1, §2.2) ------------------------------------------------------

    def _configured_key(self) -> str | None:
        key = self.config.options.get("qianfan_api_key") or self.config.credential(
            "qianfan_api_key"
        )
        return str(key) if key else None

    def _key_problem(self, key: str) -> Response | None:
        status = self.tokens.status(key)
        if status == "valid":
            return None
        bad = error(401, "invalid_iam_token", "IAM Certification failed")
        if status == "expired":
            return bad
        configured = self._configured_key()
        if configured is not None:
            return None if secrets.compare_digest(key, configured) else bad
        if self.config.strict or not API_KEY.fullmatch(key):
            return bad
        return None

    def _auth_problem(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer "):  # "…或请求 Authorization 未加 Bearer" (§2.1)
            return error(401, "invalid_iam_token", "IAM Certification failed")
        problem = self._key_problem(header[len("Bearer ") :].strip())
        if problem is not None:
            return problem
        appid = self.config.options.get("qianfan_appid")
        if appid and request.header("appid") != appid:
            return error(401, "invalid_appid", "No permission to use the appid")
        return None

    def _api(
        self, method: str, handler: Callable[[Request], Result]
    ) -> Callable[[Request], Result]:
        def guarded(request: Request) -> Result:
            problem = self._auth_problem(request)
            if problem is not None:
                return problem
            if request.method != method:
                return error(405, "method_not_supported", f"Only {method} requests are accepted")
            return handler(request)

        return guarded

    @staticmethod
    def _not_found(_request: Request) -> Response:
        return Response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"404 page not found")

    # -- models -----------------------------------------------------------------------------

    def _services(self) -> tuple[str, ...]:
        return tuple(self.config.options.get("qianfan_v2_services") or SERVICES)

    def _model(self, body: dict[str, Any], kind: models.Kind) -> V2Model | Response:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            return error(400, "invalid_model", "model is empty")
        known = models.v2_id(name)
        if known == name or name in self._services() or self._lenient_v1_name(name):
            return models.resolve(kind, name)
        return error(
            401, "invalid_model", "The model does not exist or you do not have access to it."
        )

    def _lenient_v1_name(self, name: str) -> bool:
        """Outside strict mode a v1 table name (Qianfan-Chinese-Llama-2-13B…) is served as if
        it were redeployed on v2 under that name, so v1-era snippets keep running; the real v2
        (and the strict emulator) answers invalid_model, and the client warns before sending."""
        from cnllm.qianfan import models as v1_models

        return not self.config.strict and v1_models.lookup(name) is not None

    def _body(
        self,
        request: Request,
        kind: models.Kind,
        check: Callable[[dict[str, Any], V2Model], Response | None],
    ) -> tuple[dict[str, Any], V2Model] | Response:
        """The JSON body and its model, checked by ``check``; else the error to answer."""
        try:
            body = request.json()
        except ValueError:
            return error(400, "malformed_json", "Invalid Argument")
        if not isinstance(body, dict):
            return error(400, "malformed_json", "Invalid Argument")
        model = self._model(body, kind)
        if isinstance(model, Response):
            return model
        problem = check(body, model)
        return problem if problem is not None else (body, model)

    def _models(self, _request: Request) -> Response:
        ids = [*models.known_models("chat"), *models.known_models("embeddings"), *self._services()]
        cards = [{"id": item, "object": "model", "owned_by": "", "created": 0} for item in ids]
        return self._json({"object": "list", "data": cards})

    # -- answers ----------------------------------------------------------------------------

    def _limit_headers(self, remaining: int | None = None) -> dict[str, str]:
        headers = {}
        for name, limit in RATE_LIMITS.items():
            headers[f"X-Ratelimit-Limit-{name}"] = str(limit)
            left = limit - 1 if remaining is None else remaining
            headers[f"X-Ratelimit-Remaining-{name}"] = str(left)
        return headers

    def _json(self, payload: Any, request_id: str | None = None, limits: bool = False) -> Response:
        response = json_response(payload)
        response.headers["Content-Type"] = JSON_TYPE
        response.headers["X-Request-Id"] = request_id or validate.request_id()
        if limits:
            response.headers.update(self._limit_headers())
        return response

    def _stream(self, events: list[bytes], request_id: str) -> StreamResponse:
        headers = {"Content-Type": STREAM_TYPE, "Cache-Control": "no-cache"}
        headers.update({"X-Request-Id": request_id, **self._limit_headers()})
        return StreamResponse(events, headers=headers)

    def _request_id(self, request: Request) -> str:
        return request.header("X-Request-Id") or validate.request_id()  # echoed (§2.2)

    def _chat(self, request: Request) -> Result:
        parsed = self._body(request, "chat", validate.check_chat)
        if isinstance(parsed, Response):
            return parsed
        body, model = parsed
        refused = request.fault is not None and request.fault.kind == "need_clear_history"
        reply = replies.with_cache(replies.chat_reply(body, model, refused), body)
        info = replies.meta(self._request_id(request), body)
        if body.get("stream") is True:
            return self._stream(replies.stream_events(reply, info, body), info.request_id)
        return self._json(replies.chat_object(reply, info), info.request_id, limits=True)

    def _completions(self, request: Request) -> Result:
        parsed = self._body(request, "completions", validate.check_completion)
        if isinstance(parsed, Response):
            return parsed
        body, _model = parsed
        refused = request.fault is not None and request.fault.kind == "unsafe"
        reply = replies.completion_reply(body, refused)
        info = replies.meta(self._request_id(request), body)
        if body.get("stream") is True:
            events = replies.stream_events(reply, info, body, completions=True)
            return self._stream(events, info.request_id)
        return self._json(replies.completion_object(reply, info), info.request_id, limits=True)

    def _embeddings(self, request: Request) -> Result:
        parsed = self._body(request, "embeddings", validate.check_embeddings)
        if isinstance(parsed, Response):
            return parsed
        body, model = parsed
        texts = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        info = replies.meta(self._request_id(request), body)
        payload = replies.embeddings_object(texts, model.id, model.dimensions or 384, info)
        return self._json(payload, info.request_id)
