"""Koala configuration fields shared by the LangChain and LlamaIndex classes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from cnllm.koala.client import API_KEY_ENV, BASE_URL_ENV, KoalaClient, resolve_base_url
from cnllm.koala.protocol import VENDOR
from cnllm.settings import LazyClient, optional_text_env, reveal, secret_env


class KoalaSettings(LazyClient):
    """Where the Koala server is and, if it checks one, the API key.

    Koala is self-hosted (a FastChat server), so there is no public default: ``base_url``
    (env ``KOALA_BASE_URL``, e.g. ``http://10.1.2.3:9015/v1``) is required, and a missing one
    raises ``cnllm.errors.ConfigurationError`` at construction, before anything is sent.
    """

    base_url: str | None = Field(
        default_factory=optional_text_env(BASE_URL_ENV), alias="koala_base_url"
    )
    """The API root, ending in ``/v1`` (env ``KOALA_BASE_URL``); a bare host:port gets ``/v1``."""
    koala_api_key: SecretStr | None = Field(
        default_factory=secret_env(API_KEY_ENV), alias="api_key"
    )
    """Sent as ``Authorization: Bearer`` when set (env ``KOALA_API_KEY``); only servers started
    with ``--api-keys`` check it."""
    stream_mode: Literal["delta", "cumulative"] = "delta"
    """How stream chunks are read: ``"delta"`` (what FastChat sends) or ``"cumulative"`` (each
    chunk the whole text so far, as Koala's document describes; opt in for such a server)."""

    _client: KoalaClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # Checked here rather than in a validator so that the error keeps its own type.
        self.base_url = resolve_base_url(self.base_url)

    def _image_input(self) -> dict[str, bool]:
        return {}

    @property
    def client(self) -> KoalaClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            key = reveal(self.koala_api_key) or ""  # "": the env var was already read
            self._client = KoalaClient(
                self.base_url,
                api_key=key,
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                image_input=self._image_input(),
                stream_mode=self.stream_mode,
                # Self-hosted: the server (its URL) is what has a capacity, key or none.
                limiter=self._limiter(VENDOR, self.base_url, key),
            )
        return self._client
