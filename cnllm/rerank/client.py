"""The rerank client: a vendor's pure protocol, an Auth and the client skeleton.

One loop for both vendors: plan the requests within the model's limits, send them through
the skeleton (several at once, at most ``concurrency`` in flight; threads for sync callers,
tasks for async ones), merge the answers by score. An empty document list sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from cnllm.auth import Auth
from cnllm.client import VendorClient, arun_batches, run_batches
from cnllm.rerank import dashscope, qianfan, split
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Limiter, Transport

DEFAULT_CONCURRENCY = 4


class RerankProtocol(Protocol):
    """What a vendor supplies: pure build, parse and error check."""

    @property
    def vendor(self) -> str: ...

    def build(self, model: RerankModel, request: RerankRequest) -> HttpRequest: ...

    def parse(self, payload: Any, model: RerankModel, request: RerankRequest) -> RerankResponse: ...

    def check(self, response: HttpResponse) -> None: ...


@dataclass(frozen=True)
class QianfanV2Protocol:
    base_url: str = qianfan.DEFAULT_BASE_URL
    path: qianfan.Path = "rerank"
    appid: str | None = None
    user: str | None = None
    vendor: str = qianfan.VENDOR

    def build(self, model: RerankModel, request: RerankRequest) -> HttpRequest:
        return qianfan.http_request(
            self.base_url, model, request, path=self.path, appid=self.appid, user=self.user
        )

    def parse(self, payload: Any, model: RerankModel, request: RerankRequest) -> RerankResponse:
        return qianfan.parse(payload, request, model.name)

    def check(self, response: HttpResponse) -> None:
        qianfan.check_response(response)


@dataclass(frozen=True)
class DashScopeProtocol:
    base_url: str = dashscope.DEFAULT_ROOT
    compatible: bool | None = None  # None: the form the model is documented on
    workspace: str | None = None
    data_inspection: bool = False
    vendor: str = dashscope.VENDOR

    def _compatible(self, model: RerankModel) -> bool:
        if self.compatible is not None:
            return self.compatible
        return model.route == "dashscope-compatible"

    def build(self, model: RerankModel, request: RerankRequest) -> HttpRequest:
        return dashscope.http_request(
            self.base_url,
            model,
            request,
            compatible=self._compatible(model),
            workspace=self.workspace,
            data_inspection=self.data_inspection,
        )

    def parse(self, payload: Any, model: RerankModel, request: RerankRequest) -> RerankResponse:
        return dashscope.parse(payload, request, model.name, compatible=self._compatible(model))

    def check(self, response: HttpResponse) -> None:
        dashscope.check_response(response)


class RerankClient:
    """A vendor's rerank protocol on the client skeleton: ``VendorClient`` sends each request
    (auth per attempt, one renewal of a stale credential, one retry budget per request) and
    ``run_batches``/``arun_batches`` run the split requests, at most ``concurrency`` at once,
    the first permanent failure stopping the ones not yet sent."""

    def __init__(
        self,
        protocol: RerankProtocol,
        auth: Auth,
        *,
        timeout: float | None = None,
        max_retries: int = 2,
        concurrency: int = DEFAULT_CONCURRENCY,
        limiter: Limiter | None = None,
    ) -> None:
        self.protocol = protocol
        self.concurrency = max(1, concurrency)
        transport = Transport(
            check=protocol.check,
            vendor=protocol.vendor,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            limiter=limiter,
        )
        self.io = VendorClient(transport, auth)

    def __repr__(self) -> str:
        return f"RerankClient({self.protocol!r})"

    @property
    def auth(self) -> Auth:
        return self.io.auth

    @property
    def transport(self) -> Transport:
        return self.io.transport

    def rerank(self, model: RerankModel, request: RerankRequest) -> RerankResponse:
        batches = split.plan(model, request)  # validates before anything is sent

        def send(batch: split.Batch) -> tuple[split.Batch, RerankResponse]:
            response = self.io.post(self.protocol.build(model, batch.request))
            return batch, self.protocol.parse(response.json(), model, batch.request)

        answers = run_batches(batches, send, concurrency=self.concurrency)
        return split.merge(model.name, request, answers)

    async def arerank(self, model: RerankModel, request: RerankRequest) -> RerankResponse:
        batches = split.plan(model, request)

        async def send(batch: split.Batch) -> tuple[split.Batch, RerankResponse]:
            response = await self.io.apost(self.protocol.build(model, batch.request))
            return batch, self.protocol.parse(response.json(), model, batch.request)

        answers = await arun_batches(batches, send, concurrency=self.concurrency)
        return split.merge(model.name, request, answers)

    def close(self) -> None:
        self.io.close()

    async def aclose(self) -> None:
        await self.io.aclose()
