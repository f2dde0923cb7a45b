"""Qianfan's in-body errors (reference §7.2): ``{"error_code", "error_msg"}`` with HTTP 200."""

from __future__ import annotations

import uuid

from ..core import Response, json_response

MESSAGES = {
    1: "Unknown error",
    2: "Service temporarily unavailable",
    3: "Unsupported openapi method",
    4: "Open api request limit reached",
    6: "No permission to access data",
    13: "Get service token failed",
    14: "IAM Certification failed",
    15: "App not exsits or create failed",
    17: "Open api daily request limit reached",
    18: "Open api qps request limit reached",
    19: "Open api total request limit reached",
    100: "Invalid parameter",
    110: "Access token invalid or no longer valid",
    111: "Access token expired",
    336000: "Internal error",
    336001: "Invalid Argument",
    336002: "Invalid JSON",
    336003: "Invalid parameter",
    336004: "Permission error",
    336005: "API name not exist",
    336100: "Service is busy, please try again later",
    336101: "Invalid HTTP method",
    336104: "Invalid system",
    336105: "Invalid user_setting",
    336501: "Rate limit reached for RPM",
    336502: "Rate limit reached for TPM",
}


def request_id() -> str:
    return uuid.uuid4().hex


def error(code: int, message: str | None = None) -> Response:
    payload = {"error_code": code, "error_msg": message or MESSAGES.get(code, "Unknown error")}
    return json_response(payload, 200, {"X-Baidu-Request-Id": request_id()})
