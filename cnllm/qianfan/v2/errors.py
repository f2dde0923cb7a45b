"""Qianfan v2 errors (reference §5): the ``{"error": {code, message, type}, "id"}`` body and
Baidu's codes as typed errors with the request id; the rate-limit headers (§5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnllm import errors
from cnllm.qianfan.v2.models import VENDOR
from cnllm.transport import HttpResponse

RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-input-tokens",
    "x-ratelimit-limit-output-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-input-tokens",
    "x-ratelimit-remaining-output-tokens",
)

_BY_CODE: dict[str, type[errors.APIError]] = {
    "malformed_json": errors.InvalidRequestError,
    "invalid_messages": errors.InvalidRequestError,
    "invalid_argument": errors.InvalidRequestError,
    "invalid_image_url": errors.InvalidRequestError,
    "invalid_plugin_argument": errors.InvalidRequestError,
    "method_not_supported": errors.InvalidRequestError,
    "characters_too_long": errors.ContextOverflowError,
    "tokens_too_long": errors.ContextOverflowError,
    "image_url_unsafe": errors.ContentFilterError,
    "system_unsafe": errors.ContentFilterError,
    "user_setting_unsafe": errors.ContentFilterError,
    "functions_unsafe": errors.ContentFilterError,
    "invalid_iam_token": errors.AuthenticationError,
    "invalid_appid": errors.PermissionDeniedError,
    "no_parameter_permission": errors.PermissionDeniedError,
    "account_overdue": errors.QuotaExceededError,  # arrears: waiting does not help
    "model_offline": errors.NotFoundError,
    "coding_plan_api_key_not_allowed": errors.PermissionDeniedError,
}
# The key-rejected message, with what to check; v2 has no distinct "expired" code (§12.5).
_BAD_KEY_HINT = (
    "Qianfan v2 rejected the credentials (invalid_iam_token): use a v2 API key "
    "(bce-v3/ALTAK-…, env QIANFAN_API_KEY) or IAM keys (QIANFAN_ACCESS_KEY/QIANFAN_SECRET_KEY); "
    "v1 OAuth keys and access tokens do not work on v2"
)


def rate_limits(response: HttpResponse) -> dict[str, int]:
    """The ``X-Ratelimit-*`` headers (§5.4) that were sent, as integers."""
    found: dict[str, int] = {}
    for name in RATE_LIMIT_HEADERS:
        value = response.header(name)
        if value is not None and value.strip().isdigit():
            found[name[len("x-ratelimit-") :].replace("-", "_")] = int(value)
    return found


def error_class(status: int | None, code: Any) -> type[errors.APIError]:
    """HTTP status first (many distinct 429 codes, §12.6), then the code."""
    cls: type[errors.APIError] = (
        errors.error_for_status(status) if status and status >= 400 else errors.APIError
    )
    if isinstance(code, str):
        lowered = code.lower()
        if lowered == "invalid_model":  # 401: unknown or not entitled; 400: missing (§12.7)
            return errors.NotFoundError if status == 401 else errors.InvalidRequestError
        if lowered in _BY_CODE:
            return _BY_CODE[lowered]
        if lowered.endswith("rate_limit_exceeded") or lowered.endswith("_refused"):
            return errors.RateLimitError
        if lowered.startswith("coding_plan"):
            return errors.PermissionDeniedError
        if "internal_error" in lowered or "interal_error" in lowered:
            return errors.ServerError
    return cls


def error_from_payload(
    payload: Any,
    *,
    status: int | None,
    request_id: str | None = None,
    limits: Mapping[str, int] | None = None,
) -> errors.APIError:
    inner = payload.get("error") if isinstance(payload, Mapping) else None
    if isinstance(inner, Mapping):
        code, message = inner.get("code"), str(inner.get("message") or "")
    else:
        code, message = None, str(payload)[:300] if payload is not None else ""
    if isinstance(payload, Mapping) and isinstance(payload.get("id"), str):
        request_id = str(payload["id"])  # the server's as-… id (a sent X-Request-Id is echoed)
    cls = error_class(status, code)
    if code == "invalid_iam_token":
        message = f"{_BAD_KEY_HINT} ({message})" if message else _BAD_KEY_HINT
    body = dict(payload) if isinstance(payload, Mapping) else {}
    if limits:
        body["rate_limit"] = dict(limits)
    return cls(
        message or f"HTTP {status}",
        vendor=VENDOR,
        code=code,
        status_code=status,
        request_id=request_id,
        body=body or None,
    )


def _reset_seconds(response: HttpResponse) -> float | None:
    """OpenAI-style reset headers, if Qianfan ever sends them (undocumented, §5.4)."""
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        value = (response.header(name) or "").strip().rstrip("s")
        try:
            return float(value)
        except ValueError:
            continue
    return None


def check_response(response: HttpResponse) -> None:
    """Raise the typed error a v2 answer stands for (§5.1); the request id is kept."""
    request_id = response.header("x-request-id")
    if response.status < 400 and not response.is_json:
        return
    try:
        body = response.json()
    except errors.ProtocolError:
        body = None
    if response.status == 404 and not isinstance(body, Mapping):
        raise errors.NotFoundError(
            f"Qianfan v2 has no such path ({response.text[:60]!r}): the base URL must end at "
            "/v2 (https://qianfan.baidubce.com/v2), not at /v2/chat/completions",
            vendor=VENDOR,
            status_code=404,
            request_id=request_id,
        )
    if body is None:
        return  # not JSON: the transport classifies the status
    if response.status >= 400 or (isinstance(body, Mapping) and body.get("error")):
        error = error_from_payload(
            body, status=response.status, request_id=request_id, limits=rate_limits(response)
        )
        if error.retry_after is None and isinstance(error, errors.RateLimitError):
            error.retry_after = _reset_seconds(response)
        raise error
