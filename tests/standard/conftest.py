"""The standard suites run against one emulator, configured the way a user would: env vars."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cnllm.emulator import Emulator

ENV = ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_BASE_URL")


@pytest.fixture(scope="session", autouse=True)
def standard_emulator(emulator_session: Emulator) -> Iterator[Emulator]:
    saved = {name: os.environ.get(name) for name in ENV}
    os.environ.update(
        QIANFAN_AK="standard-ak",
        QIANFAN_SK="standard-sk",
        QIANFAN_BASE_URL=emulator_session.base_url,
    )
    yield emulator_session
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
