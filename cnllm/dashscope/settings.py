"""DashScope configuration fields shared by the LangChain and LlamaIndex classes."""

from __future__ import annotations

import os

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from cnllm.dashscope import protocol
from cnllm.dashscope.client import API_KEY_ENV, BASE_URL_ENV, DashScopeClient
from cnllm.dashscope.models import VENDOR
from cnllm.settings import LazyClient, optional_text_env, reveal, secret_env, text_env


def _data_inspection_from_env() -> bool:
    # The SDK's inverted switch: DASHSCOPE_DISABLE_DATA_INSPECTION=false turns the header on.
    return os.environ.get("DASHSCOPE_DISABLE_DATA_INSPECTION", "true").strip().lower() == "false"


class DashScopeSettings(LazyClient):
    """API key, host, workspace and data inspection; each reads DashScope's usual env var."""

    dashscope_api_key: SecretStr | None = Field(
        default_factory=secret_env(API_KEY_ENV), alias="api_key"
    )
    """DashScope API key, sent as ``Authorization: Bearer`` (env ``DASHSCOPE_API_KEY``)."""
    base_url: str = Field(default_factory=text_env(BASE_URL_ENV, protocol.DEFAULT_BASE_URL))
    """The API base including ``/api/v1`` (env ``DASHSCOPE_HTTP_BASE_URL``)."""
    workspace: str | None = Field(default_factory=optional_text_env("DASHSCOPE_WORKSPACE_ID"))
    """Sent as ``X-DashScope-WorkSpace``: required for sub-account keys, optional otherwise
    (env ``DASHSCOPE_WORKSPACE_ID``)."""
    data_inspection: bool = Field(default_factory=_data_inspection_from_env)
    """Send ``X-DashScope-DataInspection: enable`` (off by default, as in the SDK; env
    ``DASHSCOPE_DISABLE_DATA_INSPECTION=false`` turns it on)."""

    _client: DashScopeClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @property
    def client(self) -> DashScopeClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            key = reveal(self.dashscope_api_key)
            self._client = DashScopeClient(
                key,
                base_url=self.base_url,
                workspace=self.workspace,
                data_inspection=self.data_inspection,
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                limiter=self._limiter(VENDOR, self.base_url, key),
            )
        return self._client
