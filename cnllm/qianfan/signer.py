"""BCE ``bce-auth-v1`` request signing (Baidu IAM Access Key / Secret Key).

Pure functions; see the protocol reference §3. The request body is not signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote

DEFAULT_EXPIRATION_SECONDS = 300
AUTH_VERSION = "bce-auth-v1"


def uri_encode(value: str) -> str:
    """Percent-encode everything but ``A-Z a-z 0-9 - . _ ~`` (``/`` included), upper-case hex."""
    return quote(value, safe="-._~")


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC, the form of ``x-bce-date`` and the auth string."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_query(query: Mapping[str, str]) -> str:
    pairs = [
        f"{uri_encode(key)}={uri_encode(value or '')}"
        for key, value in query.items()
        if key.lower() != "authorization"
    ]
    return "&".join(sorted(pairs))


def canonical_headers(
    headers: Mapping[str, str], signed: Iterable[str] | None
) -> tuple[str, list[str]]:
    """Return the canonical header block and the sorted signed header names."""
    wanted = {name.lower() for name in signed} if signed is not None else None
    default = {"host", "content-md5", "content-length", "content-type"}
    lines: list[str] = []
    names: list[str] = []
    for raw_name, raw_value in headers.items():
        name = raw_name.strip().lower()
        value = str(raw_value).strip()
        chosen = name in wanted if wanted is not None else name in default
        if not (chosen or name.startswith("x-bce-")) or not value:
            continue
        lines.append(f"{uri_encode(name)}:{uri_encode(value)}")
        names.append(name)
    return "\n".join(sorted(lines)), sorted(names)


def sign(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    timestamp: str,
    expiration_seconds: int = DEFAULT_EXPIRATION_SECONDS,
    signed_headers: Iterable[str] | None = None,
    list_signed_headers: bool = True,
) -> str:
    """Compute the ``Authorization`` header value.

    ``signed_headers=None`` signs Baidu's default set (host, content-md5, content-length,
    content-type) plus every ``x-bce-*`` header. ``list_signed_headers=False`` leaves the
    header list out of the auth string, as Baidu's own default-set example does.
    """
    prefix = f"{AUTH_VERSION}/{access_key}/{timestamp}/{expiration_seconds}"
    signing_key = hmac.new(secret_key.encode(), prefix.encode(), hashlib.sha256).hexdigest()
    header_block, names = canonical_headers(headers, signed_headers)
    canonical_request = "\n".join(
        [
            method.upper(),
            uri_encode(path).replace("%2F", "/"),
            canonical_query(query or {}),
            header_block,
        ]
    )
    signature = hmac.new(
        signing_key.encode(), canonical_request.encode(), hashlib.sha256
    ).hexdigest()
    listed = ";".join(names) if list_signed_headers else ""
    return f"{prefix}/{listed}/{signature}"


def iam_headers(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    url_host: str,
    path: str,
    query: Mapping[str, str] | None = None,
    now: datetime | None = None,
    expiration_seconds: int = DEFAULT_EXPIRATION_SECONDS,
) -> dict[str, str]:
    """Headers for one signed Qianfan call: Host, Content-Type, x-bce-date, Authorization."""
    timestamp = format_timestamp(now or datetime.now(timezone.utc))
    headers = {
        "Content-Type": "application/json",
        "Host": url_host,
        "x-bce-date": timestamp,
    }
    headers["Authorization"] = sign(
        access_key=access_key,
        secret_key=secret_key,
        method=method,
        path=path,
        headers=headers,
        query=query,
        timestamp=timestamp,
        expiration_seconds=expiration_seconds,
        signed_headers=("content-type", "host", "x-bce-date"),
    )
    return headers


def parse_authorization(value: str) -> dict[str, str] | None:
    """Split a ``bce-auth-v1`` header into its parts, or ``None`` if it is not of that form."""
    parts = value.split("/")
    if len(parts) != 6 or parts[0] != AUTH_VERSION:
        return None
    _, access_key, timestamp, expiration, signed, signature = parts
    if not (access_key and timestamp and expiration.isdigit() and len(signature) == 64):
        return None
    return {
        "access_key": access_key,
        "timestamp": timestamp,
        "expiration_seconds": expiration,
        "signed_headers": signed,
        "signature": signature,
    }
