"""A pytest fixture that points your own code at the built-in emulator, offline.

In your ``conftest.py``::

    pytest_plugins = ["cnllm.testing"]

then ask for ``cnllm_emulator`` in a test: one emulator serves the whole session, and for
each test every vendor's base URL and dummy credentials are set in the environment (the
variables ``cnllm emulator`` prints), so ``ChatQianfan()``, ``DashScopeEmbeddings()``,
``Koala()``… reach the emulator with no other change. Faults, recorded requests and latency
are reset around each test::

    from cnllm.emulator import Fault

    def test_my_chain_survives_a_429(cnllm_emulator):
        cnllm_emulator.inject(Fault("http", status=429, retry_after="0"))
        assert my_chain().invoke("你好")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cnllm.emulator import Emulator
from cnllm.emulator.env import CLEARED, environment


@pytest.fixture(scope="session")
def cnllm_emulator_session() -> Iterator[Emulator]:
    """One emulator on a free loopback port for the whole test session."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def cnllm_emulator(
    cnllm_emulator_session: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emulator]:
    """The session's emulator, reset, with every vendor's env vars pointing at it."""
    from cnllm.qianfan.auth import clear_token_cache

    emulator = cnllm_emulator_session
    emulator.reset()
    emulator.latency = 0.0
    clear_token_cache()  # a token cached from another server would not be accepted here
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment(emulator.base_url).items():
        monkeypatch.setenv(name, value)
    yield emulator
    emulator.reset()
    emulator.latency = 0.0
    clear_token_cache()
