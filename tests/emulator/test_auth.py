"""OAuth tokens (110/111, expiry, strict keys) and IAM bce-auth-v1 signatures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests

from cnllm.emulator import Emulator
from cnllm.qianfan.signer import iam_headers
from tests.emulator.emu_helpers import PREFIX, Client, user

CHAT_PATH = f"{PREFIX}/chat/completions"
BODY = {"messages": [user("你好")]}
KEYS = {
    "qianfan_ak": "app-key",
    "qianfan_sk": "app-secret",
    "qianfan_access_key": "a" * 32,
    "qianfan_secret_key": "b" * 32,
}


@pytest.fixture(scope="module")
def strict() -> Iterator[Emulator]:
    with Emulator(strict=True, credentials=KEYS) as emulator:
        yield emulator


def _signed_post(
    emulator: Emulator, access_key: str, secret_key: str, now: datetime | None = None
) -> requests.Response:
    host = emulator.base_url.removeprefix("http://")
    headers = iam_headers(
        access_key=access_key, secret_key=secret_key, method="POST", url_host=host,
        path=CHAT_PATH, now=now,
    )
    return requests.post(emulator.base_url + CHAT_PATH, headers=headers, json=BODY)


def test_token_response_shape_and_count(client: Client, emu: Emulator) -> None:
    response = client.new_token()
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("24.")
    assert body["expires_in"] == 2592000
    assert {"refresh_token", "scope", "session_key", "session_secret"} <= set(body)
    client.new_token("", "")
    assert emu.stats.token_requests == 2


@pytest.mark.parametrize(
    ("client_id", "secret", "description"),
    [("", "sk", "unknown client id"), ("ak", "", "Client authentication failed")],
)
def test_token_rejects_missing_credentials(
    client: Client, client_id: str, secret: str, description: str
) -> None:
    response = client.new_token(client_id, secret)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": description}


def test_token_rejects_other_grant_types(client: Client) -> None:
    response = client.session.post(f"{client.base}/oauth/2.0/token?grant_type=password")
    assert response.json()["error"] == "unsupported_grant_type"


def test_unknown_and_missing_token_give_110(client: Client) -> None:
    url = client.url("chat", "completions")
    unknown = client.session.post(url, params={"access_token": "24.nope"}, json=BODY)
    missing = client.session.post(url, json=BODY)
    for response in (unknown, missing):
        assert response.status_code == 200
        assert response.json()["error_code"] == 110
        assert response.json()["error_msg"] == "Access token invalid or no longer valid"


def test_expired_token_gives_111_and_a_new_one_works(client: Client, emu: Emulator) -> None:
    assert "result" in client.chat(BODY)
    emu.expire_tokens()
    assert client.chat(BODY) == {"error_code": 111, "error_msg": "Access token expired"}
    client._token = None
    assert "result" in client.chat(BODY)


def test_token_ttl_is_honoured() -> None:
    with Emulator(token_ttl=0) as emulator:
        client = Client(emulator)
        assert client.new_token().json()["expires_in"] == 0
        assert client.chat(BODY)["error_code"] == 111


def test_reset_forgets_tokens(client: Client, emu: Emulator) -> None:
    client.chat(BODY)
    emu.reset()
    assert client.chat(BODY)["error_code"] == 110


def test_strict_oauth_checks_keys(strict: Emulator) -> None:
    client = Client(strict)
    assert client.new_token("app-key", "app-secret").status_code == 200
    wrong_id = client.new_token("other", "app-secret").json()
    wrong_secret = client.new_token("app-key", "other").json()
    assert wrong_id["error_description"] == "unknown client id"
    assert wrong_secret["error_description"] == "Client authentication failed"


def test_iam_signature_accepted_non_strict(emu: Emulator) -> None:
    response = _signed_post(emu, "any-key", "any-secret")
    assert response.status_code == 200
    assert "result" in response.json()


def test_iam_form_checked_non_strict(emu: Emulator) -> None:
    url = emu.base_url + CHAT_PATH
    malformed = requests.post(url, headers={"Authorization": "bce-auth-v1/x"}, json=BODY)
    assert malformed.status_code == 401
    assert malformed.headers["X-Bce-Error-Code"]
    good = iam_headers(access_key="a", secret_key="b", method="POST",
                       url_host=emu.base_url[7:], path=CHAT_PATH)
    no_date = {k: v for k, v in good.items() if k != "x-bce-date"}
    assert requests.post(url, headers=no_date, json=BODY).status_code == 403
    unsigned_host = dict(good, Authorization=good["Authorization"].replace(
        "content-type;host;x-bce-date", "content-type;x-bce-date"))
    assert requests.post(url, headers=unsigned_host, json=BODY).status_code == 403


def test_strict_iam_accepts_a_correct_signature(strict: Emulator) -> None:
    response = _signed_post(strict, "a" * 32, "b" * 32)
    assert response.status_code == 200, response.text
    assert "result" in response.json()


def test_strict_iam_rejects_a_wrong_secret(strict: Emulator) -> None:
    response = _signed_post(strict, "a" * 32, "c" * 32)
    assert response.status_code == 401
    assert response.headers["X-Bce-Error-Code"] == "SignatureDoesNotMatch"
    assert response.headers["X-Bce-Error-Message"] == (
        "SignatureDoesNotMatch, cause: Fail to authn user: Signature does not match"
    )
    body = response.json()
    assert body["code"] == "SignatureDoesNotMatch" and body["requestId"]


def test_strict_iam_rejects_an_unknown_access_key(strict: Emulator) -> None:
    response = _signed_post(strict, "z" * 32, "b" * 32)
    assert response.status_code == 401
    assert response.headers["X-Bce-Error-Message"] == "NotFound, cause: Could not find credential."


def test_strict_iam_rejects_an_expired_signature(strict: Emulator) -> None:
    old = datetime.now(timezone.utc) - timedelta(minutes=10)
    response = _signed_post(strict, "a" * 32, "b" * 32, now=old)
    assert response.status_code == 401
    assert response.headers["X-Bce-Error-Code"] == "RequestExpired"


def test_strict_iam_signature_covers_the_query(strict: Emulator) -> None:
    host = strict.base_url[7:]
    headers = iam_headers(access_key="a" * 32, secret_key="b" * 32, method="POST",
                          url_host=host, path=CHAT_PATH, query={"x": "1"})
    url = strict.base_url + CHAT_PATH
    assert requests.post(url, params={"x": "1"}, headers=headers, json=BODY).status_code == 200
    assert requests.post(url, params={"x": "2"}, headers=headers, json=BODY).status_code == 401
