"""Qianfan configuration fields shared by the LangChain and LlamaIndex classes, and which API
(v1 wenxinworkshop or v2 OpenAI-compatible) they call.

v2 is the default: a v2 API key (``api_key`` / ``QIANFAN_API_KEY``, ``bce-v3/ALTAK-…``) is the
bearer, IAM keys (``QIANFAN_ACCESS_KEY`` / ``QIANFAN_SECRET_KEY``) mint a short-lived bearer.
v1 is chosen only by OAuth application keys (``QIANFAN_AK`` / ``QIANFAN_SK``), a ready-made
OAuth ``QIANFAN_ACCESS_TOKEN``, ``endpoint=``, ``api_version="v1"``, or IAM keys together with an
explicit v1 host (``base_url=``); when that host is Baidu's own it warns once that Baidu switched
v1 off on 2026-08-31 (the emulator and private deployments keep v1 quietly).
Credentials passed to the constructor decide before those read from the environment.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import astuple, replace
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from cnllm.qianfan import protocol
from cnllm.qianfan.auth import Credentials
from cnllm.qianfan.client import QianfanClient
from cnllm.qianfan.v2 import auth as v2_auth
from cnllm.qianfan.v2 import models as v2_models
from cnllm.qianfan.v2.auth import BearerKey, MintedBearer
from cnllm.qianfan.v2.client import QianfanV2Client
from cnllm.qianfan.v2.protocol import DEFAULT_BASE_URL as DEFAULT_V2_BASE_URL
from cnllm.settings import LazyClient, optional_text_env, reveal, secret_env, text_env
from cnllm.types import ChatDelta, ChatResult

Api = Literal["v1", "v2"]
Tagged = TypeVar("Tagged", ChatResult, ChatDelta)
V1_SHUTDOWN_WARNING = (
    "Qianfan v1 (wenxinworkshop, aip.baidubce.com) was switched off by Baidu on 2026-08-31; "
    "this object calls v1 because {reason}. Live calls fail: use a v2 API key "
    "(QIANFAN_API_KEY=bce-v3/…) or IAM keys (QIANFAN_ACCESS_KEY/QIANFAN_SECRET_KEY). v1 stays "
    "for recorded exchanges, the emulator and private deployments."
)
_WARNED: list[bool] = []


def _warn_v1_once(reason: str) -> None:
    """Once per process: every v1 object after the first would only repeat it."""
    if not _WARNED:
        _WARNED.append(True)
        warnings.warn(V1_SHUTDOWN_WARNING.format(reason=reason), UserWarning, stacklevel=3)


class QianfanSettings(LazyClient):
    """Credentials, hosts and the API version; each field reads the env var of its name."""

    qianfan_api_key: SecretStr | None = Field(
        default_factory=secret_env("QIANFAN_API_KEY"), alias="api_key"
    )
    """v2 API key ``bce-v3/ALTAK-…/…`` sent as the bearer (env ``QIANFAN_API_KEY``). Passed
    together with ``secret_key`` (and not a bce-v3 key) it is read as a v1 OAuth API Key."""
    qianfan_ak: SecretStr | None = Field(default_factory=secret_env("QIANFAN_AK"))
    """v1 application API Key for OAuth (env ``QIANFAN_AK``)."""
    qianfan_sk: SecretStr | None = Field(
        default_factory=secret_env("QIANFAN_SK"), alias="secret_key"
    )
    """v1 application Secret Key for OAuth (env ``QIANFAN_SK``)."""
    qianfan_access_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_ACCESS_KEY"))
    """IAM Access Key (env ``QIANFAN_ACCESS_KEY``): mints v2 bearer tokens (v1: signs calls)."""
    qianfan_secret_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_SECRET_KEY"))
    """IAM Secret Key (env ``QIANFAN_SECRET_KEY``)."""
    qianfan_access_token: SecretStr | None = Field(
        default_factory=secret_env("QIANFAN_ACCESS_TOKEN")
    )
    """A ready-made v1 OAuth access token (env ``QIANFAN_ACCESS_TOKEN``); it cannot be renewed."""
    base_url: str = Field(default_factory=text_env("QIANFAN_BASE_URL", protocol.DEFAULT_BASE_URL))
    """v1 host for the token and inference URLs (env ``QIANFAN_BASE_URL``)."""
    v2_base_url: str = Field(default_factory=text_env("QIANFAN_V2_BASE_URL", DEFAULT_V2_BASE_URL))
    """v2 API root, ending at ``/v2`` (env ``QIANFAN_V2_BASE_URL``)."""
    iam_base_url: str = Field(
        default_factory=text_env("QIANFAN_IAM_BASE_URL", v2_auth.DEFAULT_IAM_BASE_URL)
    )
    """IAM host that mints v2 bearer tokens from IAM keys (env ``QIANFAN_IAM_BASE_URL``)."""
    appid: str | None = Field(default_factory=optional_text_env("QIANFAN_APPID"))
    """v2 application id sent as the ``appid`` header (env ``QIANFAN_APPID``; optional)."""
    api_version: Api | None = None
    """``"v1"`` or ``"v2"``; unset: chosen from the credentials (see the module docstring)."""
    endpoint: str | None = None
    """v1 only: a user-deployed service, the part of its URL after ``/chat/``…; on v2 a
    deployed service is called by its API name as ``model``."""

    _client: QianfanClient | None = PrivateAttr(default=None)
    _v2_client: QianfanV2Client | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _choose_api(cls, data: Any) -> Any:
        """Settle ``api_version`` from what was passed, then from the environment, before any
        other validation reads it; a v1 choice warns once."""
        if not isinstance(data, dict):
            return data
        data = _legacy_pair(dict(data))
        if data.get("api_version") is None:
            data["api_version"], reason = choose_api(data)
        else:
            reason = f'api_version="{data["api_version"]}" was given'
        if data["api_version"] == "v1" and _public_v1_host(data):
            _warn_v1_once(reason)
        return data

    @property
    def api(self) -> Api:
        """The API this object calls (``api_version`` as settled at construction)."""
        return self.api_version or "v2"

    @staticmethod
    def _tag(result: Tagged, api: Api) -> Tagged:
        """The chosen API in an answer's metadata (and so in ``response_metadata``); a stream
        carries it on its final delta."""
        if result.metadata.get("api") == api or (
            isinstance(result, ChatDelta) and not result.is_final
        ):
            return result
        return replace(result, metadata={**result.metadata, "api": api})

    # -- clients ----------------------------------------------------------------------------

    def _credentials(self) -> Credentials:
        return Credentials(
            api_key=reveal(self.qianfan_ak),
            secret_key=reveal(self.qianfan_sk),
            access_key=reveal(self.qianfan_access_key),
            iam_secret_key=reveal(self.qianfan_secret_key),
            access_token=reveal(self.qianfan_access_token),
        )

    def _v2_auth(self) -> BearerKey | MintedBearer:
        return v2_auth.v2_auth(
            reveal(self.qianfan_api_key),
            reveal(self.qianfan_access_key),
            reveal(self.qianfan_secret_key),
            iam_base_url=self.iam_base_url,
            appid=self.appid,
            timeout=getattr(self, "timeout", None),
        )

    @property
    def client(self) -> QianfanClient:
        """The v1 HTTP client, made on first use (pools and locks are never pickled)."""
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

    @property
    def v2_client(self) -> QianfanV2Client:
        """The v2 HTTP client, made on first use."""
        if self._v2_client is None:
            self._v2_client = QianfanV2Client(
                self._v2_auth(),
                base_url=self.v2_base_url,
                timeout=getattr(self, "timeout", None),
                max_retries=getattr(self, "max_retries", 2),
                limiter=self._limiter(
                    protocol.VENDOR,
                    self.v2_base_url,
                    reveal(self.qianfan_api_key),
                    reveal(self.qianfan_access_key),
                    reveal(self.qianfan_secret_key),
                ),
            )
        return self._v2_client

    def __getstate__(self) -> dict[Any, Any]:
        client, self._v2_client = self._v2_client, None
        try:
            return super().__getstate__()
        finally:
            self._v2_client = client


# -- choosing the API (pure functions of the constructor's arguments and the environment) -------

_ENV = {
    "qianfan_api_key": "QIANFAN_API_KEY",
    "qianfan_ak": "QIANFAN_AK",
    "qianfan_sk": "QIANFAN_SK",
    "qianfan_access_token": "QIANFAN_ACCESS_TOKEN",
    "qianfan_access_key": "QIANFAN_ACCESS_KEY",
    "qianfan_secret_key": "QIANFAN_SECRET_KEY",
}
_ALIASES = {"api_key": "qianfan_api_key", "secret_key": "qianfan_sk"}


def _text(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


def _legacy_pair(data: dict[str, Any]) -> dict[str, Any]:
    """``api_key=…, secret_key=…`` was the v1 OAuth pair before v2 keys existed; it still is,
    unless the key is a v2 one (``bce-v3/…``)."""
    key = data.get("api_key", data.get("qianfan_api_key"))
    paired = data.get("secret_key") or data.get("qianfan_sk")
    if not (key and paired) or _text(key).startswith("bce-v3/"):
        return data
    data = {k: v for k, v in data.items() if k not in ("api_key", "qianfan_api_key")}
    data["qianfan_ak"] = key
    data["qianfan_api_key"] = None  # the pair is v1's; an env v2 key must not be read
    return data


def _public_v1_host(data: dict[str, Any]) -> bool:
    """Whether v1 calls go to Baidu's own host, where v1 is switched off; the emulator and
    private deployments (any other host) keep v1 without a warning."""
    url = data.get("base_url") or os.environ.get("QIANFAN_BASE_URL") or protocol.DEFAULT_BASE_URL
    host = urlsplit(str(url)).hostname or ""
    return host == "baidubce.com" or host.endswith(".baidubce.com")


def choose_api(data: dict[str, Any]) -> tuple[Api, str]:
    """(the API, why): ``endpoint=`` → v1; then the credentials passed, then those in the
    environment: a v2 key → v2, OAuth keys or token → v1, IAM keys → v2 (v1 with base_url=)."""
    if data.get("endpoint"):
        return "v1", "endpoint= names a v1 deployed service"
    given = {_ALIASES.get(name, name): value for name, value in data.items()}
    env = {field: os.environ.get(var) for field, var in _ENV.items()}
    for found, where in ((given, "passed"), (env, "set in the environment")):

        def has(*names: str, found: dict[str, Any] = found) -> bool:
            return all(_text(found.get(name)) for name in names)

        if has("qianfan_api_key"):
            return "v2", "a v2 API key"
        if has("qianfan_ak", "qianfan_sk"):
            return "v1", f"OAuth application keys (QIANFAN_AK/QIANFAN_SK) were {where}"
        if has("qianfan_access_token"):
            return "v1", f"a v1 OAuth access token was {where}"
        if has("qianfan_access_key", "qianfan_secret_key"):
            if data.get("base_url"):
                return "v1", "IAM keys were given with an explicit v1 base_url"
            return "v2", "IAM keys mint v2 bearer tokens"
    return "v2", "v2 is the default"


def endpoint_without_default_model(data: Any) -> Any:
    """Before-validator input: with ``endpoint=`` and no ``model``, ``model`` is None.

    ``model`` defaults to ``models.DEFAULT_CHAT_MODEL`` so that the default is visible on the
    object; a service you deployed is not that model, and must not get its capabilities.
    """
    if isinstance(data, dict) and data.get("endpoint") and not {"model", "model_name"} & set(data):
        return {**data, "model": None}
    return data


def chat_model_default(data: Any) -> Any:
    """Before-validator input of the chat and LLM classes: the default model made visible for
    the API the object will call (v1's DEFAULT_CHAT_MODEL, or v2's), None with ``endpoint=``."""
    data = endpoint_without_default_model(data)
    if not isinstance(data, dict) or {"model", "model_name"} & set(data):
        return data
    api = data.get("api_version") or choose_api(_legacy_pair(dict(data)))[0]
    return {**data, "model": v2_models.DEFAULT_CHAT_MODEL} if api == "v2" else data


__all__ = ["Api", "QianfanSettings", "chat_model_default", "endpoint_without_default_model"]
