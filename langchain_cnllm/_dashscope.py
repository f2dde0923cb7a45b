"""DashScope configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from cnllm.dashscope.client import API_KEY_ENV
from cnllm.dashscope.settings import DashScopeSettings as _Fields


class DashScopeSettings(_Fields):
    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"dashscope_api_key": API_KEY_ENV}
