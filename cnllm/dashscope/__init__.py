"""Alibaba DashScope (native ``/api/v1/services/...`` protocol): model table, protocol, client."""

from cnllm.dashscope.client import DashScopeClient

__all__ = ["DashScopeClient"]
