"""Minted v2 bearer tokens (reference §2.3–2.4), offline: the signature test vector, parsing,
caching, early renewal and single flight across threads and event loops."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cnllm import errors
from cnllm.qianfan import signer
from cnllm.qianfan.v2 import auth
from cnllm.transport import HttpRequest, HttpResponse

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "qianfan_v2"
AK, SK = "ak-test-1234567890abcdef", "sk-test-fedcba0987654321"
MOMENT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    auth.clear_token_cache()
    yield
    auth.clear_token_cache()


def test_the_reference_test_vectors() -> None:
    request = auth.token_request("https://iam.bj.baidubce.com", AK, SK, now=MOMENT)
    assert request.method == "GET"
    assert request.url == "https://iam.bj.baidubce.com/v1/BCE-BEARER/token"
    assert request.params == {"expireInSeconds": "86400"}
    assert request.headers["Authorization"] == (
        "bce-auth-v1/ak-test-1234567890abcdef/2025-01-02T03:04:05Z/1800/host/"
        "83650fa0658f686123c90c815f46cc77dba6aad51b07bea382327345902caa03"
    )
    signed_date = signer.sign(
        access_key=AK,
        secret_key=SK,
        method="GET",
        path="/v1/BCE-BEARER/token",
        headers={"host": "iam.bj.baidubce.com", "x-bce-date": "2025-01-02T03:04:05Z"},
        query={"expireInSeconds": "86400"},
        timestamp="2025-01-02T03:04:05Z",
        expiration_seconds=1800,
        signed_headers=("host", "x-bce-date"),
    )
    assert signed_date.endswith(
        "/1800/host;x-bce-date/df17c427c26ce7d04f40d5346878bf2bbbbbb3146d3030eb0afee4df30da82f5"
    )


def test_the_token_answer_of_section_2_3() -> None:
    body = json.loads((SEEDS / "bearer_token_response.json").read_text("utf-8"))
    minted = auth.parse_token(body, now=0.0)
    assert minted.token == "bce-v3/ALTA*****GzuFQ4/fe67e09604d****43edbd"
    assert minted.expires_at == datetime(2024, 11, 29, 6, 9, 57, tzinfo=timezone.utc).timestamp()
    with pytest.raises(errors.AuthenticationError):
        auth.parse_token({**body, "status": "disable"}, now=0.0)
    with pytest.raises(errors.ProtocolError):
        auth.parse_token({"status": "enable"}, now=0.0)


@pytest.mark.parametrize(
    ("status", "headers", "cls"),
    [
        (401, {"X-Bce-Error-Code": "SignatureDoesNotMatch"}, errors.AuthenticationError),
        (
            404,
            {"X-Bce-Error-Message": "NotFound, cause: Could not find credential."},
            errors.AuthenticationError,
        ),
        (500, {}, errors.ServerError),
    ],
)
def test_iam_failures_are_typed(status: int, headers: dict[str, str], cls: type) -> None:
    body = b'{"requestId":"r-1","code":"x","message":"m"}'
    response = HttpResponse(status, {"Content-Type": "application/json", **headers}, body)
    with pytest.raises(cls) as caught:
        auth.check_iam_response(response)
    assert caught.value.request_id == "r-1"
    auth.check_iam_response(HttpResponse(201, {}, b"{}"))  # 201 Created is the success


class _FakeIAM:
    """Stands in for the IAM host: counts mints, each taking a little while."""

    def __init__(self, lifetime: float = 86400.0, delay: float = 0.05) -> None:
        self.calls = 0
        self.lifetime = lifetime
        self.delay = delay
        self.lock = threading.Lock()

    def answer(self) -> HttpResponse:
        with self.lock:
            self.calls += 1
            number = self.calls
        expire = datetime.fromtimestamp(time.time() + self.lifetime, tz=timezone.utc)
        body = {
            "token": f"bce-v3/ALTAK-minted/{number}",
            "status": "enable",
            "expireTime": expire.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        return HttpResponse(201, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def request(self, request: HttpRequest, prepare: Any = None) -> HttpResponse:
        assert request.url.endswith("/v1/BCE-BEARER/token")
        time.sleep(self.delay)
        return self.answer()

    async def arequest(self, request: HttpRequest, prepare: Any = None) -> HttpResponse:
        await asyncio.sleep(self.delay)
        return self.answer()


def _minter(fake: _FakeIAM, **kwargs: Any) -> auth.MintedBearer:
    minter = auth.MintedBearer(AK, SK, iam_base_url="http://iam.invalid", **kwargs)
    minter.transport = fake  # type: ignore[assignment]
    return minter


def test_tokens_are_cached_shared_and_sent_as_bearer_with_appid() -> None:
    fake = _FakeIAM(delay=0)
    first = _minter(fake, appid="app-tODvu5IS")
    request, used = first.authorize(HttpRequest("POST", "http://x/v2/chat/completions"))
    assert request.headers == {
        "Authorization": "Bearer bce-v3/ALTAK-minted/1",
        "appid": "app-tODvu5IS",
    }
    assert used == "bce-v3/ALTAK-minted/1"
    assert _minter(fake).token() == used  # another object with the same keys shares it
    assert fake.calls == 1
    assert SK not in repr(first) and AK not in repr(first)


def test_a_token_is_renewed_before_it_expires() -> None:
    fake = _FakeIAM(lifetime=86400, delay=0)
    now = [time.time()]
    minter = _minter(fake, clock=lambda: now[0])
    assert minter.token().endswith("/1")
    now[0] += 86400 - 400  # more than the 300 s margin left: kept
    assert minter.token().endswith("/1")
    now[0] += 150  # inside the margin: renewed
    assert minter.token().endswith("/2")


def test_stale_tokens_are_dropped_once_and_only_if_still_current() -> None:
    fake = _FakeIAM(delay=0)
    minter = _minter(fake)
    token = minter.token()
    stale = errors.AuthenticationError("x", code="invalid_iam_token", status_code=401)
    assert minter.is_stale(stale) and minter.can_refresh
    assert not minter.is_stale(errors.AuthenticationError("x", code="invalid_appid"))
    minter.invalidate("some-older-token")
    assert minter.token() == token
    minter.invalidate(token)
    assert minter.token() != token and fake.calls == 2


def test_one_mint_for_many_threads_and_event_loops_at_once() -> None:
    fake = _FakeIAM(delay=0.2)
    minter = _minter(fake)
    seen: list[str] = []
    lock = threading.Lock()

    def sync_caller() -> None:
        token = minter.token()
        with lock:
            seen.append(token)

    def loop_caller() -> None:
        async def many() -> list[str]:
            return list(await asyncio.gather(*(minter.atoken() for _ in range(5))))

        tokens = asyncio.run(many())
        with lock:
            seen.extend(tokens)

    threads = [threading.Thread(target=sync_caller) for _ in range(6)]
    threads += [threading.Thread(target=loop_caller) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.calls == 1
    assert len(seen) == 21 and set(seen) == {"bce-v3/ALTAK-minted/1"}


def test_a_failed_mint_reaches_every_waiter_and_the_next_call_tries_again() -> None:
    class Failing(_FakeIAM):
        def request(self, request: HttpRequest, prepare: Any = None) -> HttpResponse:
            self.calls += 1
            time.sleep(0.1)
            raise errors.AuthenticationError("SignatureDoesNotMatch", status_code=401)

    fake = Failing()
    minter = _minter(fake)
    failures: list[BaseException] = []

    def caller() -> None:
        try:
            minter.token()
        except errors.AuthenticationError as error:
            failures.append(error)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 4 and fake.calls == 1
    with pytest.raises(errors.AuthenticationError):
        minter.token()
    assert fake.calls == 2


def test_a_static_key_is_a_bearer_and_never_renewed() -> None:
    key = auth.BearerKey("bce-v3/ALTAK-abc/0123", appid=None)
    request, used = key.authorize(HttpRequest("GET", "http://x/v2/models"))
    assert request.headers == {"Authorization": "Bearer bce-v3/ALTAK-abc/0123"}
    assert used is None and not key.can_refresh
    assert "ALTAK" not in repr(key)


def test_missing_iam_keys_are_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError):
        auth.MintedBearer(AK, "")


def test_a_cancelled_minter_hands_the_mint_to_a_waiter() -> None:
    fake = _FakeIAM(delay=0.2)
    minter = _minter(fake)

    async def scenario() -> str:
        leader = asyncio.ensure_future(minter.atoken())
        await asyncio.sleep(0.05)  # the leader is minting
        waiter = asyncio.ensure_future(minter.atoken())
        await asyncio.sleep(0.01)
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        return await waiter

    assert asyncio.run(scenario()) == "bce-v3/ALTAK-minted/1"
    assert fake.calls == 1  # the cancelled mint never answered; the waiter's did
