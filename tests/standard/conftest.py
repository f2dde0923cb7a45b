"""The standard suites run against one emulator, configured the way a user would: env vars."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cnllm.emulator import Emulator


def vendor_env(base_url: str) -> dict[str, str]:
    """Each vendor's env vars, pointed at the one emulator (their paths do not collide)."""
    return {
        "QIANFAN_AK": "standard-ak",
        "QIANFAN_SK": "standard-sk",
        "QIANFAN_BASE_URL": base_url,
        "KOALA_BASE_URL": f"{base_url}/v1",
        "DASHSCOPE_API_KEY": "standard-dashscope-key",
        "DASHSCOPE_HTTP_BASE_URL": f"{base_url}/api/v1",
        "CLUEAI_API_KEY": "standard-clueai-key",
        "CLUEAI_BASE_URL": f"{base_url}/clueai",
        "CLUEAI_MODELFUN_URL": f"{base_url}/modelfun/api",
    }


@pytest.fixture(scope="session", autouse=True)
def standard_emulator(emulator_session: Emulator) -> Iterator[Emulator]:
    env = vendor_env(emulator_session.base_url)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    yield emulator_session
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
