"""`cnllm demo --rerank`: retrieve 8, rerank to 3 with the provider's reranker, show scores."""

from __future__ import annotations

import re

import pytest

from cnllm.cli import main
from cnllm.emulator import Emulator

ENV = (
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_BASE_URL",
    "QIANFAN_API_KEY",
    "QIANFAN_V2_BASE_URL",
    "DASHSCOPE_API_KEY",
    "DASHSCOPE_HTTP_BASE_URL",
    "DASHSCOPE_BASE_URL",
)
SCORED = re.compile(r"（(\d\.\d{3})，检索第(\d)）")


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("provider", ["qianfan", "dashscope"])
@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_demo_rerank_shows_the_best_three_with_scores(
    provider: str, framework: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if framework == "llamaindex":
        pytest.importorskip("llama_index.core")
    argv = ["demo", "--rerank", "--provider", provider, "--framework", framework]
    assert main([*argv, "--question", "中国的国宝动物主要吃什么？"]) == 0
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if text.startswith("检索 8 篇，重排后前 3："))
    assert line.split("：", 1)[1].startswith("大熊猫（")
    scores = [float(score) for score, _ in SCORED.findall(line)]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True) and scores[0] > 0.5
    assert "国宝" in out  # the answer is built from the reranked context


def test_demo_rerank_against_the_configured_service(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-demo")
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{emulator.base_url}/api/v1")
    assert main(["demo", "--rerank", "--provider", "dashscope", "--question", "长城"]) == 0
    assert "live Alibaba DashScope service" in capsys.readouterr().out
    assert emulator.stats.requests["/compatible-api/v1/reranks"] == 1


def test_demo_rerank_needs_a_provider_with_a_reranker() -> None:
    with pytest.raises(SystemExit, match="dashscope or qianfan"):
        main(["demo", "--rerank", "--provider", "koala"])
