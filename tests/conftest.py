"""Shared fixtures. Sockets: unit and cassette tests run with them disabled; integration and
standard-suite tests may reach loopback only (the emulator)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket, socket_allow_hosts

from cnllm.emulator import Emulator
from cnllm.qianfan.auth import clear_token_cache
from cnllm.qianfan.v2.auth import clear_token_cache as clear_minted_tokens
from cnllm.ratelimit import clear_shared_limiters

TESTS = Path(__file__).parent
OFFLINE_DIRS = ("unit", "cassette")
LOOPBACK = ["127.0.0.1", "localhost", "::1"]


def _area(item: pytest.Item) -> str:
    return Path(str(item.fspath)).relative_to(TESTS).parts[0]


@pytest.fixture(autouse=True)
def _network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    recording = os.environ.get("VCR_RECORD_MODE", "none") != "none"
    if _area(request.node) == "cassette" and recording:
        enable_socket()  # re-recording against the live service (tests/cassette/README.md)
    elif _area(request.node) in OFFLINE_DIRS:
        disable_socket(allow_unix_socket=True)
    else:
        socket_allow_hosts(LOOPBACK, allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session: Emulator) -> Iterator[Emulator]:
    """The shared emulator, reset (faults, stats, tokens, latency) around each test."""
    emulator_session.reset()
    emulator_session.latency = 0.0
    clear_token_cache()
    clear_minted_tokens()
    clear_shared_limiters()  # a throttle in one test must not pace the next
    yield emulator_session
    emulator_session.reset()
    emulator_session.latency = 0.0
    clear_token_cache()
    clear_minted_tokens()
    clear_shared_limiters()


@pytest.fixture
def qianfan_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """OAuth credentials and the emulator's URL in the environment, as a user would set them."""
    for name in (
        "QIANFAN_ACCESS_KEY",
        "QIANFAN_SECRET_KEY",
        "QIANFAN_ACCESS_TOKEN",
        "QIANFAN_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_AK", "test-ak")
    monkeypatch.setenv("QIANFAN_SK", "test-sk")
    monkeypatch.setenv("QIANFAN_BASE_URL", emulator.base_url)
    return emulator
