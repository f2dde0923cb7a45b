"""Configuration fields of the rerankers, shared by the LangChain and LlamaIndex classes.

Each vendor's fields read its usual environment variables; the client is made on first use
and left behind when the object is pickled.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from cnllm import errors
from cnllm.auth import Auth, StaticHeaders
from cnllm.dashscope.client import API_KEY_ENV as DASHSCOPE_KEY_ENV
from cnllm.dashscope.settings import DashScopeSettings
from cnllm.qianfan.v2 import auth as v2_auth
from cnllm.ratelimit import RateLimiter
from cnllm.rerank import dashscope, models, qianfan
from cnllm.rerank.client import (
    DEFAULT_CONCURRENCY,
    DashScopeProtocol,
    QianfanV2Protocol,
    RerankClient,
    RerankProtocol,
)
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse
from cnllm.settings import LazyClient, optional_text_env, reveal, secret_env, text_env

QIANFAN_KEY_ENV = "QIANFAN_API_KEY"
QIANFAN_BASE_URL_ENV = "QIANFAN_V2_BASE_URL"


class RerankFields(LazyClient):
    """What every reranker takes besides its vendor's credentials."""

    model: str = Field(default="", alias="model_name")
    top_n: int | None = 3
    """Documents to keep, best first; None keeps them all, reordered."""
    instruction: str | None = None
    """A ranking instruction (DashScope ``instruct``; qwen3 rerankers only)."""
    custom_model: bool = False
    """Send a model name the table does not list (a deployed service's name) as it is."""
    max_concurrency: int = DEFAULT_CONCURRENCY
    """Requests in flight at once when the documents need more than one request."""
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    """Retries of transient failures (429, 5xx, connection errors)."""

    _rerank: RerankClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    # A subclass supplies these four.
    rerank_vendor: ClassVar[models.Vendor]

    def _protocol(self) -> RerankProtocol:
        raise NotImplementedError

    def _auth(self) -> Auth:
        raise NotImplementedError

    def _budget(self) -> RateLimiter:
        """The rate budget of this key (shared with the vendor's other classes)."""
        raise NotImplementedError

    def _model_name(self) -> str:
        return self.model

    def rerank_model(self) -> RerankModel:
        return models.resolve(self.rerank_vendor, self._model_name(), custom=self.custom_model)

    @property
    def rerank_client(self) -> RerankClient:
        if self._rerank is None:
            self._rerank = RerankClient(
                self._protocol(),
                self._auth(),
                timeout=self.timeout,
                max_retries=self.max_retries,
                concurrency=self.max_concurrency,
                limiter=self._budget(),
            )
        return self._rerank

    def _request(self, query: str, documents: list[str], top_n: int | None) -> RerankRequest:
        return RerankRequest(query, tuple(documents), top_n, self.instruction)

    def rerank_texts(self, query: str, documents: list[str], top_n: int | None) -> RerankResponse:
        model = self.rerank_model()
        if not documents:  # costs no request (and needs no credentials)
            return RerankResponse((), model.name)
        return self.rerank_client.rerank(model, self._request(query, documents, top_n))

    async def arerank_texts(
        self, query: str, documents: list[str], top_n: int | None
    ) -> RerankResponse:
        model = self.rerank_model()
        if not documents:
            return RerankResponse((), model.name)
        return await self.rerank_client.arerank(model, self._request(query, documents, top_n))

    def __getstate__(self) -> dict[Any, Any]:
        # Pools and locks do not pickle (LlamaIndex pickles components into workers).
        client, self._rerank = self._rerank, None
        try:
            state: dict[Any, Any] = super().__getstate__()
        finally:
            self._rerank = client
        return state


class QianfanRerankSettings(RerankFields):
    """Qianfan v2 with the chat classes' credentials: an API key (``bce-v3/…``) sent as the
    bearer, or IAM keys that mint one (``cnllm.qianfan.v2.auth``)."""

    model: str = Field(default=models.DEFAULTS["qianfan"], alias="model_name")
    """bce-reranker-base, or (with ``custom_model=True``) a deployed service's API name."""
    qianfan_api_key: SecretStr | None = Field(
        default_factory=secret_env(QIANFAN_KEY_ENV), alias="api_key"
    )
    """Qianfan v2 API key (env ``QIANFAN_API_KEY``)."""
    qianfan_access_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_ACCESS_KEY"))
    """IAM Access Key (env ``QIANFAN_ACCESS_KEY``): with the secret key, mints v2 bearer tokens."""
    qianfan_secret_key: SecretStr | None = Field(default_factory=secret_env("QIANFAN_SECRET_KEY"))
    """IAM Secret Key (env ``QIANFAN_SECRET_KEY``)."""
    base_url: str = Field(
        default_factory=text_env(QIANFAN_BASE_URL_ENV, qianfan.DEFAULT_BASE_URL),
        alias="v2_base_url",
    )
    """The v2 base, ``https://qianfan.baidubce.com/v2`` (env ``QIANFAN_V2_BASE_URL``; also
    accepted as ``v2_base_url=``, the chat classes' name)."""
    iam_base_url: str = Field(
        default_factory=text_env("QIANFAN_IAM_BASE_URL", v2_auth.DEFAULT_IAM_BASE_URL)
    )
    """IAM host that mints bearer tokens from IAM keys (env ``QIANFAN_IAM_BASE_URL``)."""
    appid: str | None = Field(default_factory=optional_text_env("QIANFAN_APPID"))
    """The v2 application id, for keys scoped to applications (``appid`` header; env
    ``QIANFAN_APPID``)."""
    path: qianfan.Path = "rerank"
    """``rerank`` (the documented path) or ``rerankers`` (the older SDKs' alias)."""

    rerank_vendor: ClassVar[models.Vendor] = "qianfan"

    def _protocol(self) -> RerankProtocol:
        # The auth adds the appid header with the bearer; the protocol needs it no more.
        return QianfanV2Protocol(self.base_url, self.path)

    def _auth(self) -> Auth:
        return v2_auth.v2_auth(
            reveal(self.qianfan_api_key),
            reveal(self.qianfan_access_key),
            reveal(self.qianfan_secret_key),
            iam_base_url=self.iam_base_url,
            appid=self.appid,
            timeout=self.timeout,
        )

    def _budget(self) -> RateLimiter:
        return self._limiter(qianfan.VENDOR, self.base_url, reveal(self.qianfan_api_key))


def _dashscope_base_url() -> str:
    # The 1.x name first (the rest of this package reads it), then the 2.x SDK's name.
    for name in ("DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_BASE_URL"):
        value = os.environ.get(name)
        if value:
            return value
    return f"{dashscope.DEFAULT_ROOT}/api/v1"


class DashScopeRerankSettings(RerankFields, DashScopeSettings):
    """DashScope's key, host, workspace; the rerank form per model (or ``compatible``)."""

    model: str = Field(default=models.DEFAULTS["dashscope"], alias="model_name")
    """qwen3-rerank (default), gte-rerank-v2, qwen3-vl-rerank (text), qwen3.7-text-rerank."""
    base_url: str = Field(default_factory=_dashscope_base_url)
    """Any DashScope base (``…/api/v1``, ``…/compatible-api/v1``); the host is what counts
    (env ``DASHSCOPE_HTTP_BASE_URL``, then ``DASHSCOPE_BASE_URL``)."""
    compatible: bool | None = None
    """True: ``/compatible-api/v1/reranks``; False: the native text-rerank service; None: the
    form the model is documented on (qwen3-rerank compatible, the others native)."""

    rerank_vendor: ClassVar[models.Vendor] = "dashscope"

    def _protocol(self) -> RerankProtocol:
        return DashScopeProtocol(
            self.base_url, self.compatible, self.workspace, self.data_inspection
        )

    def _auth(self) -> Auth:
        key = reveal(self.dashscope_api_key)
        if not key:
            raise errors.ConfigurationError(
                f"no DashScope API key: pass api_key=... or set {DASHSCOPE_KEY_ENV}",
                vendor=dashscope.VENDOR,
            )
        return StaticHeaders({"Authorization": f"Bearer {key}"})

    def _budget(self) -> RateLimiter:
        return self._limiter(dashscope.VENDOR, self.base_url, reveal(self.dashscope_api_key))
