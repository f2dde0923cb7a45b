"""Qianfan v2 rerank (``POST /v2/rerank``, older alias ``/v2/rerankers``): pure build and parse.

Follows the Qianfan v2 reference §7 (request, response) and §5 (the ``error`` envelope).
"""

from __future__ import annotations

from typing import Any, Literal

from cnllm import errors
from cnllm.openai_compat.protocol import error_from_payload
from cnllm.rerank.common import flat_body, parse_results
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse
from cnllm.transport import HttpRequest, HttpResponse
from cnllm.types import Usage

VENDOR = "qianfan"
DEFAULT_BASE_URL = "https://qianfan.baidubce.com/v2"
Path = Literal["rerank", "rerankers"]
PATHS: tuple[Path, ...] = ("rerank", "rerankers")

# Codes whose class the HTTP status alone gets wrong (reference §5.2).
_CODES: dict[str, type[errors.APIError]] = {
    "characters_too_long": errors.ContextOverflowError,
    "tokens_too_long": errors.ContextOverflowError,
    "model_offline": errors.NotFoundError,
    "account_overdue": errors.QuotaExceededError,
    "invalid_iam_token": errors.AuthenticationError,
}


def body(model: RerankModel, request: RerankRequest, *, user: str | None = None) -> dict[str, Any]:
    payload = flat_body(model, request)
    if user:
        payload["user"] = user
    return payload


def http_request(
    base_url: str,
    model: RerankModel,
    request: RerankRequest,
    *,
    path: Path = "rerank",
    appid: str | None = None,
    user: str | None = None,
) -> HttpRequest:
    """The POST, without credentials (the auth adds them per attempt)."""
    if path not in PATHS:
        raise errors.ValidationError("path", f"one of {', '.join(PATHS)}", vendor=VENDOR)
    headers = {"Content-Type": "application/json"}
    if appid:
        headers["appid"] = appid  # a key scoped to applications needs it (reference §2.2)
    url = f"{base_url.rstrip('/')}/{path}"
    return HttpRequest("POST", url, json=body(model, request, user=user), headers=headers)


def check_response(response: HttpResponse) -> None:
    """Raise the typed error of an ``{"error": {code, message, type}, "id"}`` answer."""
    if response.status < 400 and not response.is_json:
        return
    try:
        payload = response.json()
    except errors.ProtocolError:
        return  # a plain-text 404 (wrong path): the transport classifies the status
    if response.status < 400 and not (isinstance(payload, dict) and payload.get("error")):
        return
    request_id = response.header("x-request-id")
    if isinstance(payload, dict) and isinstance(payload.get("id"), str):
        request_id = request_id or payload["id"]
    error = error_from_payload(
        payload, status=response.status, request_id=request_id, vendor=VENDOR
    )
    special = _CODES.get(str(error.code))
    if special is not None and not isinstance(error, special):
        error = special(
            error.message,
            vendor=VENDOR,
            code=error.code,
            status_code=error.status_code,
            request_id=error.request_id,
            body=error.body,
        )
    raise error


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise errors.ProtocolError(
            f"Qianfan rerank answer has no {name!r}: {str(body)[:200]}", vendor=VENDOR
        )
    return body[name]


def parse(payload: Any, request: RerankRequest, model: str) -> RerankResponse:
    if not isinstance(payload, dict):
        raise errors.ProtocolError(
            f"unexpected Qianfan answer: {str(payload)[:200]}", vendor=VENDOR
        )
    results = parse_results(_field(payload, "results"), request, VENDOR)
    usage = payload.get("usage") or {}
    prompt, total = usage.get("prompt_tokens"), usage.get("total_tokens")
    return RerankResponse(
        results=results,
        model=str(payload.get("model") or model),
        usage=Usage(prompt, 0, total)
        if isinstance(prompt, int) and isinstance(total, int)
        else None,
        request_ids=(payload["id"],) if isinstance(payload.get("id"), str) else (),
        metadata={key: payload[key] for key in ("object", "created") if key in payload},
    )
