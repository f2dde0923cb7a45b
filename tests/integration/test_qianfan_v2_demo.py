"""The demo and the cross-provider chain with a Qianfan v2 key, against the emulator."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.demo import providers
from cnllm.demo.providers import qianfan
from cnllm.demo.rag import build_chain, load_corpus
from cnllm.emulator import Emulator
from cnllm.qianfan.v2 import models

V2_KEY = "bce-v3/ALTAK-demolive/0123456789abcdef0123456789abcdef01234567"


def test_the_demo_uses_a_v2_key_from_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_API_KEY", V2_KEY)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    assert main(["demo", "--question", "长城有多长？"]) == 0
    out = capsys.readouterr().out
    assert "live Baidu Qianfan service" in out and "长城" in out
    assert emulator.stats.requests["/v2/chat/completions"] == 1
    assert emulator.stats.requests["/v2/embeddings"] >= 1


def test_the_cross_provider_chain_on_v2(emulator: Emulator) -> None:
    provider = providers.load("qianfan")
    # What `cnllm demo` without credentials uses: the emulator's v2 (the notebooks stay on v1).
    assert provider.emulator_settings is qianfan.emulator_v2
    assert provider.notebook_settings(emulator.base_url) == qianfan.emulator_v1(emulator.base_url)
    retriever, chat = provider.build(
        provider.emulator_settings(emulator.base_url), load_corpus(), None
    )
    assert chat.api == "v2" and chat.model == models.DEFAULT_CHAT_MODEL
    result = build_chain(retriever, chat).invoke({"question": "故宫是什么时候建成的？"})
    assert "1420" in result["answer"] and result["docs"][0].metadata["title"] == "故宫"
    assert emulator.stats.requests["/v2/chat/completions"] == 1
