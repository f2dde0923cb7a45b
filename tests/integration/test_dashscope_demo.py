"""`cnllm demo --provider dashscope`: the emulator without a key, the service with one."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.demo import providers
from cnllm.emulator import Emulator


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the provider's line is in providers.MODULES (the lead adds it), register it here.
    monkeypatch.setitem(providers.MODULES, "dashscope", "cnllm.demo.providers.dashscope")


def test_demo_without_a_key_runs_on_the_emulator_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["demo", "--provider", "dashscope", "--question", "故宫是什么时候建成的？"]) == 0
    out = capsys.readouterr().out
    assert "No Alibaba DashScope credentials set" in out and "simulated" in out
    assert "检索到：故宫" in out and "1420" in out


def test_demo_with_a_key_uses_the_configured_service(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-demo")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    assert main(["demo", "--provider", "dashscope", "--question", "长城有多长？"]) == 0
    out = capsys.readouterr().out
    assert "live Alibaba DashScope service" in out and "长城" in out
    generation = "/api/v1/services/aigc/text-generation/generation"
    assert emulator.stats.requests[generation] == 1
    assert emulator.stats.last_request is not None
    assert emulator.stats.last_request.json["model"] == "chatyuan-large-v2"
