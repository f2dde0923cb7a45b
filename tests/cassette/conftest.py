"""vcrpy set-up: requests matched on method, path and JSON body; secrets filtered; record
mode ``none`` unless VCR_RECORD_MODE says otherwise (see tests/cassette/README.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from vcr.request import Request

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SECRET_QUERY = ["access_token", "client_id", "client_secret", "api_key"]
SECRET_HEADERS = ["authorization", "x-bce-date", "api-key", "x-api-key"]


def _json_body(request: Request) -> Any:
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body


def json_body_matcher(left: Request, right: Request) -> None:
    assert _json_body(left) == _json_body(right), "JSON bodies differ"


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    # A token response must never be stored with a real token in it.
    body = response.get("body", {}).get("string", b"")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    if '"access_token"' in text:
        data = json.loads(text)
        data["access_token"] = "REDACTED"
        response["body"]["string"] = json.dumps(data).encode()
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "record_mode": os.environ.get("VCR_RECORD_MODE", "none"),
        "match_on": ["method", "path", "json_body"],
        "filter_query_parameters": SECRET_QUERY,
        "filter_headers": SECRET_HEADERS,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "qianfan")


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body_matcher)
