"""Configuration shared by ChatKoala, KoalaLLM and KoalaEmbeddings."""

from __future__ import annotations

from typing import Any

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from cnllm.koala.client import API_KEY_ENV, BASE_URL_ENV, KoalaClient, resolve_base_url
from langchain_cnllm.errors import langchain_errors


class KoalaSettings(BaseModel):
    """Where the Koala server is and, if it checks one, the API key.

    Koala is self-hosted (a FastChat server), so there is no public default: ``base_url``
    (env ``KOALA_BASE_URL``, e.g. ``http://10.1.2.3:9015/v1``) is required, and a missing one
    raises ``cnllm.errors.ConfigurationError`` at construction, before anything is sent.
    """

    base_url: str | None = Field(
        default_factory=from_env(BASE_URL_ENV, default=None), alias="koala_base_url"
    )
    """The API root, ending in ``/v1`` (env ``KOALA_BASE_URL``); a bare host:port gets ``/v1``."""
    koala_api_key: SecretStr | None = Field(
        default_factory=secret_from_env(API_KEY_ENV, default=None), alias="api_key"
    )
    """Sent as ``Authorization: Bearer`` when set (env ``KOALA_API_KEY``); only servers started
    with ``--api-keys`` check it."""

    _client: KoalaClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # Checked here rather than in a validator so that the error keeps its own type.
        self.base_url = resolve_base_url(self.base_url)

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"koala_api_key": API_KEY_ENV}

    def _image_input(self) -> dict[str, bool]:
        return {}

    @property
    def client(self) -> KoalaClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            key = self.koala_api_key.get_secret_value() if self.koala_api_key else None
            self._client = KoalaClient(
                self.base_url,
                api_key=key or "",  # "" (not None): the env var was already read by the field
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                image_input=self._image_input(),
            )
        return self._client

    def list_models(self) -> list[str]:
        """The names the server lists (``GET /v1/models``); chat and embedding models alike."""
        with langchain_errors():
            return [card.id for card in self.client.list_models()]

    async def alist_models(self) -> list[str]:
        with langchain_errors():
            return [card.id for card in await self.client.alist_models()]

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private["_client"] = None
        state["__pydantic_private__"] = private
        return state
