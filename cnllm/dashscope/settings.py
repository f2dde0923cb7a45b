"""DashScope configuration fields shared by the LangChain and LlamaIndex classes."""

from __future__ import annotations

import os

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from cnllm.dashscope import hosts
from cnllm.dashscope.client import API_KEY_ENV, DashScopeClient
from cnllm.dashscope.compat import DashScopeCompatClient
from cnllm.dashscope.models import VENDOR
from cnllm.settings import LazyClient, reveal, secret_env

# SDK 2.x reads DASHSCOPE_BASE_URL, 1.x DASHSCOPE_HTTP_BASE_URL; likewise for the workspace
# and the region (reference §1.3). The first one set wins.
BASE_URL_ENVS = ("DASHSCOPE_BASE_URL", "DASHSCOPE_HTTP_BASE_URL")
WORKSPACE_ENVS = ("DASHSCOPE_WORKSPACE", "DASHSCOPE_WORKSPACE_ID")
REGION_ENVS = ("DASHSCOPE_REGION", "DASHSCOPE_API_REGION")


def _first_env(*names: str) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def _data_inspection_from_env() -> bool:
    # The SDK's inverted switch: DASHSCOPE_DISABLE_DATA_INSPECTION=false turns the header on.
    return os.environ.get("DASHSCOPE_DISABLE_DATA_INSPECTION", "true").strip().lower() == "false"


def _compatible_from_env() -> bool:
    return os.environ.get("DASHSCOPE_PROTOCOL", "").strip().lower() == "openai"


class DashScopeSettings(LazyClient):
    """API key, host (region, workspace gateway, protocol) and data inspection; each reads
    DashScope's usual env vars."""

    dashscope_api_key: SecretStr | None = Field(
        default_factory=secret_env(API_KEY_ENV), alias="api_key"
    )
    """DashScope API key, sent as ``Authorization: Bearer`` (env ``DASHSCOPE_API_KEY``).
    Keys are regional: a Beijing key fails on the Singapore and Virginia hosts."""
    base_url: str | None = Field(default_factory=lambda: _first_env(*BASE_URL_ENVS))
    """The API base, ``…/api/v1`` (native) or ``…/compatible-mode/v1`` (OpenAI-compatible);
    a bare host gets ``/api/v1`` (env ``DASHSCOPE_BASE_URL``, or the legacy
    ``DASHSCOPE_HTTP_BASE_URL``). None: the region's host."""
    region: str | None = Field(default_factory=lambda: _first_env(*REGION_ENVS))
    """``cn-beijing`` (default), ``ap-southeast-1``, ``us-east-1``, ``cn-hongkong``,
    ``eu-central-1`` or ``ap-northeast-1`` (env ``DASHSCOPE_REGION``). With ``workspace`` it
    selects the workspace gateway ``https://{workspace}.{region}.maas.aliyuncs.com``."""
    workspace: str | None = Field(default_factory=lambda: _first_env(*WORKSPACE_ENVS))
    """Workspace ID, sent as ``X-DashScope-WorkSpace`` (required for sub-account keys; env
    ``DASHSCOPE_WORKSPACE`` or ``DASHSCOPE_WORKSPACE_ID``)."""
    compatible_mode: bool = Field(default_factory=_compatible_from_env)
    """Speak the OpenAI-compatible protocol (``/compatible-mode/v1``); also on when
    ``base_url`` ends with it (env ``DASHSCOPE_PROTOCOL=openai``)."""
    data_inspection: bool = Field(default_factory=_data_inspection_from_env)
    """Send ``X-DashScope-DataInspection: enable`` (off by default, as in the SDK; env
    ``DASHSCOPE_DISABLE_DATA_INSPECTION=false`` turns it on)."""

    _client: DashScopeClient | DashScopeCompatClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _resolve_host(self) -> Self:
        # The base URL is settled at construction, so a bad region fails here, naming it.
        protocol: hosts.Protocol = "openai" if self.compatible_mode else "native"
        base = hosts.base_url(
            explicit=self.base_url,
            region=self.region,
            workspace=self.workspace,
            workspace_gateway=self.region is not None,
            protocol=protocol,
        )
        if self.compatible_mode and base.endswith(hosts.PATHS["native"]):
            base = hosts.with_protocol(base, "openai")  # compatible_mode=True: that host's path
        self.base_url = base
        self.compatible_mode = hosts.protocol_of(base) == "openai"
        return self

    @property
    def client(self) -> DashScopeClient | DashScopeCompatClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            key = reveal(self.dashscope_api_key)
            cls = DashScopeCompatClient if self.compatible_mode else DashScopeClient
            self._client = cls(
                key,
                base_url=self.base_url or hosts.base_url(),
                workspace=self.workspace,
                data_inspection=self.data_inspection,
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                limiter=self._limiter(VENDOR, self.base_url, key),
            )
        return self._client

    def list_models(self) -> list[str]:
        """The model IDs this key may call on this host, from compatible mode's ``/models``
        (availability differs by region and plan)."""
        return self.client.list_models()

    async def alist_models(self) -> list[str]:
        return await self.client.alist_models()
