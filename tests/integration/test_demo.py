"""`cnllm demo`: the emulator when no credentials are set, the configured service otherwise."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.emulator import Emulator

CREDENTIALS = (
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_BASE_URL",
    "QIANFAN_API_KEY",
)


def test_demo_without_credentials_runs_on_the_emulator_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    assert main(["demo", "--question", "故宫是什么时候建成的？"]) == 0
    out = capsys.readouterr().out
    assert "built-in emulator" in out and "simulated" in out
    assert "检索到：故宫" in out and "1420" in out


def test_demo_with_credentials_uses_the_configured_service(
    qianfan_env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--question", "长城有多长？"]) == 0
    out = capsys.readouterr().out
    assert "live Baidu Qianfan service" in out and "长城" in out
    assert qianfan_env.stats.token_requests == 1  # it really went to QIANFAN_BASE_URL
