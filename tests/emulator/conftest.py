"""Shared fixtures: one emulator per module, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cnllm.emulator import Emulator
from tests.emulator.emu_helpers import Client


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emu(shared_emulator: Emulator) -> Iterator[Emulator]:
    shared_emulator.reset()
    shared_emulator.latency = 0.0
    shared_emulator.chunk_interval = 0.0
    yield shared_emulator
    shared_emulator.reset()


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    client = Client(emu)
    yield client
    client.session.close()
