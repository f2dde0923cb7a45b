"""`cnllm demo --provider clueai`: ClueAIRetriever over the bundled corpus and ChatClueAI."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.demo import providers
from cnllm.emulator import Emulator

ENV = ("CLUEAI_API_KEY", "CLUEAI_BASE_URL", "CLUEAI_MODELFUN_URL")


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The line providers.MODULES gets for ClueAI (idempotent once it is there).
    monkeypatch.setitem(providers.MODULES, "clueai", "cnllm.demo.providers.clueai")


def test_demo_without_a_key_runs_on_the_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    question = "故宫是什么时候建成的？"
    assert main(["demo", "--provider", "clueai", "--question", question]) == 0
    out = capsys.readouterr().out
    assert "No ClueAI credentials set (CLUEAI_API_KEY)" in out and "simulated" in out
    assert "检索到：故宫" in out and "1420" in out


def test_demo_with_a_key_uses_the_configured_service(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLUEAI_API_KEY", "demo-key")
    monkeypatch.setenv("CLUEAI_BASE_URL", f"{emulator.base_url}/clueai")
    monkeypatch.setenv("CLUEAI_MODELFUN_URL", f"{emulator.base_url}/modelfun/api")
    assert main(["demo", "--provider", "clueai", "--question", "劳动争议应该怎么解决？"]) == 0
    out = capsys.readouterr().out
    assert "live ClueAI service" in out and "劳动仲裁" in out
    assert emulator.stats.requests["/clueai/search/upload/sync/"] == 1
    assert emulator.stats.requests["/clueai/search/"] == 1
    assert emulator.stats.requests["/modelfun/api/serving_api"] == 1
