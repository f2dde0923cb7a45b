"""A LangChain user never needs llama-index, and a LlamaIndex user never needs LangChain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {blocked!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import pkgutil, importlib
package = importlib.import_module({package!r})
for module in pkgutil.walk_packages(package.__path__, {package!r} + "."):
    importlib.import_module(module.name)
for name in package.__all__:
    getattr(package, name)
print("ok")
"""


def extras() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(project["optional-dependencies"])


def test_runtime_needs_only_requests_aiohttp_pydantic() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = sorted(dep.split(">")[0].split("=")[0].strip() for dep in project["dependencies"])
    assert names == ["aiohttp", "pydantic", "requests"]


def test_extras_do_not_cross() -> None:
    assert not any("llama" in dep for dep in extras()["langchain"])
    assert not any("langchain" in dep for dep in extras()["llamaindex"])


@pytest.mark.parametrize(
    ("package", "blocked"),
    [
        ("langchain_cnllm", "llama_index"),
        ("llamaindex_cnllm", "langchain_core"),
        ("cnllm.qianfan", "langchain_core"),
    ],
)
def test_each_package_imports_without_the_other_framework(package: str, blocked: str) -> None:
    pytest.importorskip(package.split(".")[0] if package != "cnllm.qianfan" else "cnllm")
    if package == "llamaindex_cnllm":
        pytest.importorskip("llama_index.core")
    code = BLOCKER.format(package=package, blocked=blocked)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
