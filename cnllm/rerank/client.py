"""The rerank client: a vendor's pure protocol, an Auth and the shared transport.

One loop for both vendors: plan the requests within the model's limits, send them (several at
once, at most ``concurrency`` in flight; threads for sync callers, tasks for async ones),
merge the answers by score. An empty document list sends nothing. When the client skeleton
(``cnllm.client``) lands, ``_send``/``_asend`` are what moves onto it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from cnllm import errors
from cnllm.auth import Auth
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
        self.auth = auth
        self.concurrency = max(1, concurrency)
        self.transport = Transport(
            check=protocol.check,
            vendor=protocol.vendor,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            limiter=limiter,
        )

    def __repr__(self) -> str:
        return f"RerankClient({self.protocol!r})"

    # -- one request, with one renewal of a stale credential ------------------------------------

    def _send(self, request: HttpRequest) -> HttpResponse:
        used: list[str | None] = [None]

        def prepare(raw: HttpRequest) -> HttpRequest:
            prepared, used[0] = self.auth.authorize(raw)
            return prepared

        try:
            return self.transport.request(request, prepare)
        except errors.CnLLMError as error:
            if not (self.auth.can_refresh and self.auth.is_stale(error)):
                raise
            self.auth.invalidate(used[0])
            return self.transport.request(request, prepare)

    async def _asend(self, request: HttpRequest) -> HttpResponse:
        used: list[str | None] = [None]

        async def prepare(raw: HttpRequest) -> HttpRequest:
            prepared, used[0] = await self.auth.aauthorize(raw)
            return prepared

        try:
            return await self.transport.arequest(request, prepare)
        except errors.CnLLMError as error:
            if not (self.auth.can_refresh and self.auth.is_stale(error)):
                raise
            self.auth.invalidate(used[0])
            return await self.transport.arequest(request, prepare)

    # -- rerank -----------------------------------------------------------------------------

    def _one(self, model: RerankModel, batch: split.Batch) -> tuple[split.Batch, RerankResponse]:
        response = self._send(self.protocol.build(model, batch.request))
        return batch, self.protocol.parse(response.json(), model, batch.request)

    def rerank(self, model: RerankModel, request: RerankRequest) -> RerankResponse:
        batches = split.plan(model, request)  # validates before anything is sent

        def run(batch: split.Batch) -> tuple[split.Batch, RerankResponse]:
            return self._one(model, batch)

        if len(batches) <= 1:
            answers = [run(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(batches))) as pool:
                answers = list(pool.map(run, batches))
        return split.merge(model.name, request, answers)

    async def arerank(self, model: RerankModel, request: RerankRequest) -> RerankResponse:
        batches = split.plan(model, request)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(batch: split.Batch) -> tuple[split.Batch, RerankResponse]:
            async with gate:
                response = await self._asend(self.protocol.build(model, batch.request))
            return batch, self.protocol.parse(response.json(), model, batch.request)

        answers = await asyncio.gather(*(one(batch) for batch in batches))
        return split.merge(model.name, request, list(answers))

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
