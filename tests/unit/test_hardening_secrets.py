"""Secrets (issue 10 §6): masked reprs, known values scrubbed from messages built from server
bodies, and a redaction pattern that leaves our own help text alone."""

from __future__ import annotations

import pickle
import traceback

import pytest

from cnllm import errors
from cnllm.qianfan.auth import Credentials
from cnllm.transport import HttpRequest, HttpResponse, Transport

KEY = "sk-ECHOED-0123456789abcdef"
TOKEN = "24.0123456789abcdef.2592000.1700000000.282335-12345678"


def formatted_below_the_test(error: BaseException) -> str:
    """The error as a tool printing frame locals shows it, minus this test's own frame (whose
    locals hold the secrets on purpose)."""
    error = error.with_traceback(error.__traceback__.tb_next if error.__traceback__ else None)
    exception = traceback.TracebackException.from_exception(error, capture_locals=True)
    return "".join(exception.format())


def test_http_request_repr_masks_headers_params_and_url_tokens() -> None:
    request = HttpRequest(
        "POST",
        f"https://aip.baidubce.com/chat?access_token={TOKEN}",
        json={"messages": []},
        params={"access_token": TOKEN},
        headers={"Authorization": f"Bearer {KEY}", "Api-Key": f"BEARER {KEY}"},
    )
    shown = repr(request) + str(request)
    assert KEY not in shown and TOKEN not in shown
    assert "Authorization" in shown and "access_token" in shown  # names stay, for debugging


def test_http_response_repr_shows_no_body() -> None:
    response = HttpResponse(401, {}, f"Invalid API-key provided: {KEY}".encode())
    assert KEY not in repr(response) and "401" in repr(response)


def test_qianfan_credentials_repr_is_masked() -> None:
    credentials = Credentials(api_key=KEY, secret_key=KEY, access_token=TOKEN)
    assert KEY not in repr(credentials) and TOKEN not in repr(credentials)
    assert "api_key=***" in repr(credentials) and "access_key=None" in repr(credentials)


@pytest.mark.parametrize(
    "text",
    [
        "no DashScope API key: pass api_key=... or set DASHSCOPE_API_KEY",
        "QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY (IAM keys, bce-auth-v1 signing), or pass them",
        "set KOALA_API_KEY (or api_key=) to a key the server was started with",
        "set CLUEAI_API_KEY or pass api_key= (only clueai-base answers without one)",
        "Bearer authentication failed",
    ],
)
def test_the_pattern_leaves_our_help_text_alone(text: str) -> None:
    assert errors.redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"GET /chat?access_token={TOKEN}&x=1", TOKEN),
        (f"Authorization: Bearer {KEY}", KEY),
        ("bce-auth-v1/AKIDabcdef/2024-01-01T00:00:00Z/1800/host/0123456789abcdef", "AKIDabcdef"),
        (f"client_secret={KEY}", KEY),
    ],
)
def test_the_pattern_still_masks_credentials(text: str, secret: str) -> None:
    assert secret not in errors.redact(text)


def test_scrub_masks_known_values_longest_first() -> None:
    text = f"api_key {KEY} 无效; token {TOKEN}"
    scrubbed = errors.scrub(text, [KEY, TOKEN, KEY[:10], None, "short"])
    assert KEY not in scrubbed and TOKEN not in scrubbed and KEY[:10] not in scrubbed
    assert scrubbed == "api_key *** 无效; token ***"


def test_scrub_error_masks_message_body_args_and_chain() -> None:
    cause = errors.ServerError(f"upstream said {KEY}")
    error = errors.AuthenticationError(
        f"Invalid API-key provided: {KEY}", vendor="dashscope", body={"message": [KEY]}
    )
    error.__cause__ = cause
    assert errors.scrub_error(error, [KEY]) is error
    for shown in (str(error), repr(error), str(error.body), str(cause), error.message):
        assert KEY not in shown
    assert "vendor=dashscope" in str(error)
    assert KEY not in str(pickle.loads(pickle.dumps(error)))


def test_a_remembered_secret_never_reaches_a_message() -> None:
    secret = "unknown-client-id-echoed-4242"
    errors.remember_secret(secret)
    error = errors.AuthenticationError(f"unknown client id {secret}", body={"d": secret})
    assert secret not in str(error) and secret not in str(error.body)


def test_short_values_are_not_scrubbed_by_value() -> None:
    errors.remember_secret("abc")  # would mask every "abc" in every message
    assert "abc" in str(errors.APIError("abcdef"))


def test_the_transport_scrubs_its_secrets_from_every_checked_error() -> None:
    def check(response: HttpResponse) -> None:
        raise errors.AuthenticationError(response.text, vendor="x", body={"echo": response.text})

    body = f"Invalid API-key provided: {KEY}".encode()
    for secrets in ((KEY,), lambda: [KEY]):
        transport = Transport(check=check, vendor="x", secrets=secrets)
        with pytest.raises(errors.AuthenticationError) as caught:
            transport._check(HttpResponse(401, {}, body))
        formatted = formatted_below_the_test(caught.value)
        assert KEY not in formatted and KEY not in str(caught.value.body)
        assert "Invalid API-key provided: ***" in str(caught.value)


def test_the_status_only_error_is_scrubbed_too() -> None:
    transport = Transport(check=lambda response: None, vendor="x", secrets=(KEY,))
    with pytest.raises(errors.ServerError) as caught:
        transport._check(HttpResponse(500, {}, f"<html>{KEY}</html>".encode()))
    assert KEY not in str(caught.value)
