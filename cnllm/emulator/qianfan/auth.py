"""Qianfan auth: OAuth tokens (reference §2) and IAM ``bce-auth-v1`` signatures (§3)."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote

from cnllm.qianfan.signer import parse_authorization, sign

from ..core import EmulatorConfig, Request, Response, json_response
from .errors import error, request_id

CLOCK_SKEW = 15 * 60  # seconds a signature may be dated in the future


class Expiries:
    """Issued tokens and when each expires (wall-clock seconds): v1's OAuth tokens and v2's
    minted bearers alike; ``expire_all`` is the emulator's ``expire_tokens()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def remember(self, token: str, expires: float) -> None:
        with self._lock:
            self._expiry[token] = expires

    def status(self, token: str) -> str:
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if time.time() < expiry else "expired"

    def expire_all(self) -> None:
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, 0.0)

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()


class TokenStore(Expiries):
    """v1's OAuth access tokens (``24.…``), numbered as the real ones are."""

    def __init__(self) -> None:
        super().__init__()
        self._issued = 0

    def issue(self, ttl: int) -> str:
        now = int(time.time())
        with self._lock:
            self._issued += 1
            token = f"24.{secrets.token_hex(16)}.{ttl}.{now}.{282335 + self._issued}-35267533"
            self._expiry[token] = now + ttl
        return token


# -- OAuth -------------------------------------------------------------------------------------


def _oauth_params(request: Request) -> dict[str, str]:
    """Query parameters, plus a form body's (some clients post the credentials as a form)."""
    params = dict(request.query)
    if "form-urlencoded" in (request.header("Content-Type") or ""):
        body = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        params = {**body, **params}
    return params


def _oauth_error(error_name: str, description: str, status: int) -> Response:
    return json_response({"error": error_name, "error_description": description}, status)


def issue_token(request: Request, config: EmulatorConfig, store: TokenStore) -> Response:
    params = _oauth_params(request)
    if params.get("grant_type") != "client_credentials":
        return _oauth_error(
            "unsupported_grant_type", "The authorization grant type is not supported", 400
        )
    client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
    if not client_id or (config.strict and client_id != config.credential("qianfan_ak")):
        return _oauth_error("invalid_client", "unknown client id", 401)
    if not secret or (config.strict and secret != config.credential("qianfan_sk")):
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    token = store.issue(config.token_ttl)
    return json_response(
        {
            "refresh_token": "25." + token[3:],
            "expires_in": config.token_ttl,
            "session_key": "9mzdX" + secrets.token_urlsafe(24),
            "access_token": token,
            "scope": "public brain_all_scope ai_custom_wenxinworkshop wise_adapt",
            "session_secret": secrets.token_hex(16),
        }
    )


def check_access_token(token: str, store: TokenStore) -> Response | None:
    status = store.status(token)
    if status == "unknown":
        return error(110)
    return error(111) if status == "expired" else None


# -- IAM ---------------------------------------------------------------------------------------


def bce_error(status: int, code: str, message: str) -> Response:
    """An IAM error, v1's and v2's alike: ``{"requestId","code","message"}`` and the
    ``X-Bce-*`` headers (qianfan-v2.md §2.4)."""
    rid = request_id()
    headers = {
        "X-Bce-Error-Code": code,
        "X-Bce-Error-Message": f"{code}, cause: {message}",
        "X-Bce-Request-Id": rid,
    }
    return json_response({"requestId": rid, "code": code, "message": message}, status, headers)


def check_signature(request: Request, config: EmulatorConfig) -> Response | None:
    """None when the ``Authorization: bce-auth-v1/...`` header is acceptable, else the error."""
    parts = parse_authorization(request.header("Authorization") or "")
    if parts is None:
        return bce_error(401, "InvalidAuthorization", "Invalid authorization header")
    if not request.header("x-bce-date"):
        return bce_error(403, "AccessDenied", "x-bce-date header is required")
    signed = [name for name in parts["signed_headers"].split(";") if name]
    if signed and "host" not in signed:
        return bce_error(403, "AccessDenied", "the host header must be signed")
    if not config.strict:
        return None
    return _check_strict(request, config, parts, signed)


def _check_strict(
    request: Request, config: EmulatorConfig, parts: dict[str, str], signed: list[str]
) -> Response | None:
    access_key, secret_key = (
        config.credential("qianfan_access_key"),
        config.credential("qianfan_secret_key"),
    )
    if access_key is None or secret_key is None or parts["access_key"] != access_key:
        return bce_error(401, "NotFound", "Could not find credential.")
    if _expired(parts["timestamp"], int(parts["expiration_seconds"])):
        return bce_error(
            401, "RequestExpired", "Request has expired. Timestamp date is " + parts["timestamp"]
        )
    return signature_mismatch(request, parts, signed, access_key, secret_key)


def signature_mismatch(
    request: Request, parts: dict[str, str], signed: list[str], access_key: str, secret_key: str
) -> Response | None:
    """None when the request's signature is the one its key pair makes, else the IAM error."""
    expected = sign(
        access_key=access_key,
        secret_key=secret_key,
        method=request.method,
        path=unquote(request.path),
        headers=request.headers,
        query=request.query,
        timestamp=parts["timestamp"],
        expiration_seconds=int(parts["expiration_seconds"]),
        signed_headers=signed or None,
        list_signed_headers=bool(signed),
    )
    if not secrets.compare_digest(expected, request.header("Authorization") or ""):
        return bce_error(
            401, "SignatureDoesNotMatch", "Fail to authn user: Signature does not match"
        )
    return None


def _expired(timestamp: str, expiration: int) -> bool:
    try:
        signed_at = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return True
    age = time.time() - signed_at.timestamp()
    return age > expiration or age < -CLOCK_SKEW
