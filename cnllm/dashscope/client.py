"""DashScope client: the pure protocol and the shared transport put together.

The loops are the skeleton's (cnllm.client), the auth a static bearer header; bodies,
parsing and the stream state live in ``protocol``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from cnllm import errors
from cnllm.auth import StaticHeaders
from cnllm.client import VendorClient
from cnllm.dashscope import generation, hosts, protocol, routes, thinking
from cnllm.dashscope.calls import BatchedEmbeddings
from cnllm.dashscope.catalog import Route
from cnllm.dashscope.compat import DashScopeCompatClient
from cnllm.dashscope.models import VENDOR, ModelInfo
from cnllm.embedding import batches
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Limiter, Transport
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
)

API_KEY_ENV = "DASHSCOPE_API_KEY"
BASE_URL_ENV = "DASHSCOPE_HTTP_BASE_URL"


def base_url_from_env() -> str:
    # SDK 2.x's DASHSCOPE_BASE_URL (a host or a base), then 1.x's DASHSCOPE_HTTP_BASE_URL.
    url = os.environ.get("DASHSCOPE_BASE_URL") or os.environ.get(BASE_URL_ENV)
    return hosts.normalize(url) if url else protocol.DEFAULT_BASE_URL


class DashScopeClient(BatchedEmbeddings):
    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None = None,
        workspace: str | None = None,
        data_inspection: bool = False,
        timeout: float | None = None,
        max_retries: int = 2,
        limiter: Limiter | None = None,
    ) -> None:
        if not api_key:
            raise errors.ConfigurationError(
                f"no DashScope API key: pass api_key=... or set {API_KEY_ENV}", vendor=VENDOR
            )
        self.settings = protocol.Settings(
            base_url=(base_url or base_url_from_env()).rstrip("/"),
            workspace=workspace or None,
            data_inspection=data_inspection,
        )
        self._api_key = api_key  # for the compatible-mode model list on the same host
        self.transport = Transport(
            check=hosts.regional_check(protocol.check_response, self.settings.base_url),
            vendor=VENDOR,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            limiter=limiter,
        )
        self.io = VendorClient(self.transport, StaticHeaders(protocol.auth_headers(api_key)))

    def __repr__(self) -> str:
        return f"DashScopeClient(base_url={self.settings.base_url!r})"

    def _request(self, path: str, body: dict[str, Any], *, stream: bool = False) -> HttpRequest:
        return protocol.request(self.settings, path, body, stream=stream)

    def _post(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return self.io.post(self._request(path, body))

    async def _apost(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return await self.io.apost(self._request(path, body))

    # -- streams ------------------------------------------------------------------------------
    # An error event that arrives before any delta was handed out (a Throttling event first,
    # say) is replayed by the skeleton; once a delta has been delivered a stream is never
    # replayed (reference §5.3).

    def _stream(
        self, info: ModelInfo, body: dict[str, Any], path: str = protocol.GENERATION_PATH
    ) -> Iterator[ChatDelta]:
        request = self._request(path, body, stream=True)
        return self.io.stream(request, lambda: protocol.StreamParser(info))

    def _astream(
        self, info: ModelInfo, body: dict[str, Any], path: str = protocol.GENERATION_PATH
    ) -> AsyncIterator[ChatDelta]:
        request = self._request(path, body, stream=True)
        return self.io.astream(request, lambda: protocol.StreamParser(info))

    # -- chat and completions -------------------------------------------------------------------
    # ChatYuan (prompt-only) keeps the seed's text-generation call. Every other model goes
    # through ``generation`` (thinking, media, JSON schema) on its route, with the one-shot
    # "url error" fallback of ``routes``; a call the vendor takes only as a stream is
    # streamed underneath and aggregated (``thinking``).

    def chat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        if info.prompt_only:
            body = protocol.chat_body(info, request, stream=False)
            return protocol.parse_result(self._post(protocol.GENERATION_PATH, body).json(), info)
        plan = generation.prepare(info, request, stream=False)
        if plan.stream_underneath:
            return thinking.aggregate(info.name, self._routed_stream(info, plan))

        def send(route: Route) -> ChatResult:
            body = generation.body(info, plan, route, stream=False)
            return protocol.parse_result(self._post(routes.PATHS[route], body).json(), info)

        return routes.call(info.name, send)

    async def achat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        if info.prompt_only:
            body = protocol.chat_body(info, request, stream=False)
            response = await self._apost(protocol.GENERATION_PATH, body)
            return protocol.parse_result(response.json(), info)
        plan = generation.prepare(info, request, stream=False)
        if plan.stream_underneath:
            return await thinking.aaggregate(info.name, self._arouted_stream(info, plan))

        async def send(route: Route) -> ChatResult:
            body = generation.body(info, plan, route, stream=False)
            response = await self._apost(routes.PATHS[route], body)
            return protocol.parse_result(response.json(), info)

        return await routes.acall(info.name, send)

    def _routed_stream(self, info: ModelInfo, plan: thinking.Plan) -> Iterator[ChatDelta]:
        def open_stream(route: Route) -> Iterator[ChatDelta]:
            body = generation.body(info, plan, route, stream=True)
            return self._stream(info, body, routes.PATHS[route])

        return routes.stream(info.name, open_stream)

    def _arouted_stream(self, info: ModelInfo, plan: thinking.Plan) -> AsyncIterator[ChatDelta]:
        def open_stream(route: Route) -> AsyncIterator[ChatDelta]:
            body = generation.body(info, plan, route, stream=True)
            return self._astream(info, body, routes.PATHS[route])

        return routes.astream(info.name, open_stream)

    def stream_chat(self, info: ModelInfo, request: ChatRequest) -> Iterator[ChatDelta]:
        if info.prompt_only:
            body = protocol.chat_body(info, request, stream=True)  # validates before next()
            return self._stream(info, body)
        return self._routed_stream(info, generation.prepare(info, request, stream=True))

    def astream_chat(self, info: ModelInfo, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        if info.prompt_only:
            body = protocol.chat_body(info, request, stream=True)
            return self._astream(info, body)
        return self._arouted_stream(info, generation.prepare(info, request, stream=True))

    def complete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        if not info.prompt_only:
            return self.chat(info, protocol.completion_chat(request))
        body = protocol.completion_body(info, request, stream=False)
        return protocol.parse_result(self._post(protocol.GENERATION_PATH, body).json(), info)

    async def acomplete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        if not info.prompt_only:
            return await self.achat(info, protocol.completion_chat(request))
        body = protocol.completion_body(info, request, stream=False)
        response = await self._apost(protocol.GENERATION_PATH, body)
        return protocol.parse_result(response.json(), info)

    def stream_complete(self, info: ModelInfo, request: CompletionRequest) -> Iterator[ChatDelta]:
        if not info.prompt_only:
            return self.stream_chat(info, protocol.completion_chat(request))
        body = protocol.completion_body(info, request, stream=True)
        return self._stream(info, body)

    def astream_complete(
        self, info: ModelInfo, request: CompletionRequest
    ) -> AsyncIterator[ChatDelta]:
        if not info.prompt_only:
            return self.astream_chat(info, protocol.completion_chat(request))
        body = protocol.completion_body(info, request, stream=True)
        return self._astream(info, body)

    # -- embeddings: the batch loops are ``calls.BatchedEmbeddings``' -------------------------

    def _embedding_bodies(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        text_type: str,
        dimension: int | None,
        batch_size: int | None,
    ) -> list[dict[str, Any]]:
        size = protocol.batch_size(info, batch_size)
        return [
            protocol.embedding_body(info, batch, text_type=text_type, dimension=dimension)
            for batch in batches(texts, size)
        ]

    def _send_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult:
        response = self._post(protocol.EMBEDDING_PATH, body)
        return protocol.parse_embeddings(response.json(), info, len(body["input"]["texts"]))

    async def _asend_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult:
        response = await self._apost(protocol.EMBEDDING_PATH, body)
        return protocol.parse_embeddings(response.json(), info, len(body["input"]["texts"]))

    # -- models: the compatible-mode list on the same host (reference §3.1, §9.1) --------------

    def _models_client(self) -> DashScopeCompatClient:
        return DashScopeCompatClient(
            self._api_key,
            base_url=hosts.with_protocol(self.settings.base_url, "openai"),
            workspace=self.settings.workspace,
            timeout=self.transport.read_timeout,
        )

    def list_models(self) -> list[str]:
        """The model IDs this key may call here (they differ by region and plan)."""
        client = self._models_client()
        try:
            return client.list_models()
        finally:
            client.close()

    async def alist_models(self) -> list[str]:
        client = self._models_client()
        try:
            return await client.alist_models()
        finally:
            await client.aclose()

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
