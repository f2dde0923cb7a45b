"""A module that is imported on first attribute access.

The async HTTP library costs tens of milliseconds to import and only async calls need it;
``import langchain_cnllm`` plus building a model must stay cheap (benchmarks/bench_import.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """Stands in for ``name`` until an attribute is read, then imports the real module."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_module"] = None

    def _load(self) -> ModuleType:
        module = self.__dict__["_lazy_module"]
        if module is None:
            module = importlib.import_module(self.__name__)
            self.__dict__["_lazy_module"] = module
        return module  # type: ignore[no-any-return]

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)


def lazy_module(name: str) -> Any:
    """``httpx = lazy_module("httpx")``: the same attribute access, paid for on first use."""
    return LazyModule(name)
