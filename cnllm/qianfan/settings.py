"""Qianfan configuration fields shared by the LangChain and LlamaIndex classes."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from cnllm.qianfan import protocol
from cnllm.qianfan.auth import Credentials
from cnllm.qianfan.client import QianfanClient
from cnllm.settings import LazyClient, reveal, secret_env, text_env


class QianfanSettings(LazyClient):
    """Credentials, host and endpoint; each field reads the env var of the same name.

    OAuth application keys (``QIANFAN_AK`` / ``QIANFAN_SK``) win over IAM keys
    (``QIANFAN_ACCESS_KEY`` / ``QIANFAN_SECRET_KEY``) when both are set, as in the SDK.
    """

    qianfan_ak: SecretStr | None = Field(default_factory=secret_env("QIANFAN_AK"), alias="api_key")
    """Application API Key for OAuth (env ``QIANFAN_AK``)."""
    qianfan_sk: SecretStr | None = Field(
        default_factory=secret_env("QIANFAN_SK"), alias="secret_key"
    )
    """Application Secret Key for OAuth (env ``QIANFAN_SK``)."""
    qianfan_access_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_ACCESS_KEY"))
    """IAM Access Key for bce-auth-v1 signing (env ``QIANFAN_ACCESS_KEY``)."""
    qianfan_secret_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_SECRET_KEY"))
    """IAM Secret Key for bce-auth-v1 signing (env ``QIANFAN_SECRET_KEY``)."""
    qianfan_access_token: SecretStr | None = Field(
        default_factory=secret_env("QIANFAN_ACCESS_TOKEN")
    )
    """A ready-made OAuth access token (env ``QIANFAN_ACCESS_TOKEN``); it cannot be renewed."""
    base_url: str = Field(default_factory=text_env("QIANFAN_BASE_URL", protocol.DEFAULT_BASE_URL))
    """Host for the token and inference URLs (env ``QIANFAN_BASE_URL``)."""
    endpoint: str | None = None
    """A user-deployed service: the part of its URL after ``/chat/``, ``/completions/``…"""

    _client: QianfanClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    def _credentials(self) -> Credentials:
        return Credentials(
            api_key=reveal(self.qianfan_ak),
            secret_key=reveal(self.qianfan_sk),
            access_key=reveal(self.qianfan_access_key),
            iam_secret_key=reveal(self.qianfan_secret_key),
            access_token=reveal(self.qianfan_access_token),
        )

    @property
    def client(self) -> QianfanClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            credentials = self._credentials()
            self._client = QianfanClient(
                credentials,
                base_url=self.base_url,
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                limiter=self._limiter(protocol.VENDOR, self.base_url, *astuple(credentials)),
            )
        return self._client


def endpoint_without_default_model(data: Any) -> Any:
    """Before-validator input: with ``endpoint=`` and no ``model``, ``model`` is None.

    ``model`` defaults to ``models.DEFAULT_CHAT_MODEL`` so that the default is visible on the
    object; a service you deployed is not that model, and must not get its capabilities.
    """
    if isinstance(data, dict) and data.get("endpoint") and not {"model", "model_name"} & set(data):
        return {**data, "model": None}
    return data
