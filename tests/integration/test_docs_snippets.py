"""Every python block of README.md and docs/*.md runs as written, against the emulator.

The environment is set exactly as a user sets it by pasting the lines ``cnllm emulator``
prints (``cnllm.emulator.env``); blocks run in a fresh namespace each, in a scratch directory,
with top-level ``await`` allowed as in a notebook. A block that defines ``test_*`` functions
taking ``cnllm_emulator`` (the README's pytest example) has them called too.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from cnllm.emulator import Emulator
from cnllm.emulator.env import CLEARED, environment

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def snippets() -> list[Any]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(ROOT).as_posix()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            name = f"{relative}:{line}"
            found.append(pytest.param(match.group(1), name, id=name))
    return found


def compile_snippet(source: str, name: str) -> Any:
    return compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize(("source", "name"), snippets())
def test_the_snippet_compiles(source: str, name: str) -> None:
    compile_snippet(source, name)


@pytest.fixture
def as_pasted(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulator:
    """The emulator's printed lines, applied; a scratch working directory."""
    for variable in CLEARED:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment(emulator.base_url).items():
        monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)
    return emulator


def _reset_llamaindex_settings() -> None:
    import sys

    if "llama_index.core" in sys.modules:
        from llama_index.core import Settings

        Settings._llm = None
        Settings._embed_model = None


# What asks for Qianfan v1 in a snippet; anything else must never reach a v1 path.
ASKS_FOR_V1 = re.compile(r'api_version="v1"|endpoint=')
V1_PATHS = ("/rpc/2.0/", "/oauth/")


def run_snippet(source: str, name: str, emulator: Emulator) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__snippet__"}
    result = eval(compile_snippet(source, name), namespace)  # our own docs, run as written
    if inspect.iscoroutine(result):
        asyncio.run(result)
    for function_name, function in list(namespace.items()):
        if function_name.startswith("test_") and callable(function):
            parameters = inspect.signature(function).parameters
            function(**{p: emulator for p in parameters if p == "cnllm_emulator"})
    return namespace


@pytest.mark.parametrize(("source", "name"), snippets())
def test_the_snippet_runs_against_the_emulator(source: str, name: str, as_pasted: Emulator) -> None:
    try:
        run_snippet(source, name, as_pasted)
    finally:
        _reset_llamaindex_settings()
    # The printed lines set both a v2 key and the v1 OAuth pair: the v2 key must win.
    if not ASKS_FOR_V1.search(source):
        v1 = [path for path in as_pasted.stats.requests if path.startswith(V1_PATHS)]
        assert not v1, f"{name} reached Qianfan v1 ({v1}) without asking for it"


def test_the_readme_quick_start_runs_on_qianfan_v2(as_pasted: Emulator) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = next(
        block.group(1) for block in BLOCK.finditer(text) if "ChatQianfan(model=" in block.group(1)
    )
    namespace = run_snippet(quick_start, "README.md quick start", as_pasted)
    assert namespace["answer"].response_metadata["api"] == "v2"
    assert namespace["chat"].api == "v2" and "api_version='v2'" in repr(namespace["chat"])
    requests = as_pasted.stats.requests
    assert requests["/v2/chat/completions"] >= 4 and requests["/v2/completions"] == 1
    assert requests["/v2/embeddings"] == 1 and as_pasted.stats.token_requests == 0
