"""`cnllm demo --provider koala`: the same RAG chain with Koala's chat model and embeddings."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.demo import providers
from cnllm.emulator import Emulator


@pytest.fixture(autouse=True)
def koala_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until providers.MODULES lists it (a one-line addition owned by the demo's maintainer).
    monkeypatch.setitem(providers.MODULES, "koala", "cnllm.demo.providers.koala")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)


def test_demo_without_a_server_runs_on_the_emulator_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KOALA_BASE_URL", raising=False)
    assert main(["demo", "--provider", "koala", "--question", "故宫是什么时候建成的？"]) == 0
    out = capsys.readouterr().out
    assert "No Koala 悠然 credentials set (KOALA_BASE_URL)" in out and "simulated" in out
    assert "检索到：故宫" in out and "1420" in out


def test_demo_with_a_base_url_uses_that_server(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOALA_BASE_URL", f"{emulator.base_url}/v1")
    assert main(["demo", "--provider", "koala", "--question", "长城有多长？"]) == 0
    out = capsys.readouterr().out
    assert "live Koala 悠然 service" in out and "长城" in out
    assert emulator.stats.requests["/v1/chat/completions"] == 1
    assert emulator.stats.requests["/v1/embeddings"] >= 2  # the corpus, then the question
