"""`cnllm demo --framework llamaindex` with every provider, on the emulator."""

from __future__ import annotations

import pytest

from cnllm.cli import main
from cnllm.demo import providers

CREDENTIALS = (
    "QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY", "QIANFAN_API_KEY",
    "KOALA_BASE_URL",
    "DASHSCOPE_API_KEY", "CLUEAI_API_KEY",
)  # fmt: skip


@pytest.mark.parametrize("provider", sorted(providers.MODULES))
def test_llamaindex_demo_runs_for_every_provider(
    provider: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    argv = [
        "demo",
        "--provider",
        provider,
        "--framework",
        "llamaindex",
        "--question",
        "故宫是什么时候建成的？",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "built-in emulator" in out
    assert "检索到：故宫" in out and "1420" in out
