"""Qianfan client: puts the pure protocol, the auth and the shared transport together.

The loops (request, stream with replay, the one token renewal, batches) are the skeleton's
(cnllm.client); bodies, parsing and the stream state live in ``protocol``; the auth (OAuth
token, IAM signature, a ready-made token) in ``auth``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from cnllm.client import VendorClient, arun_batches, run_batches
from cnllm.embedding import batches
from cnllm.qianfan import protocol
from cnllm.qianfan.auth import Authorizer, Credentials
from cnllm.qianfan.models import ModelInfo
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Limiter, Transport
from cnllm.types import ChatDelta, ChatRequest, ChatResult, CompletionRequest, EmbeddingResult

DEFAULT_EMBEDDING_CONCURRENCY = 8


def base_url_from_env() -> str:
    return os.environ.get("QIANFAN_BASE_URL") or protocol.DEFAULT_BASE_URL


class QianfanClient:
    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        limiter: Limiter | None = None,
    ) -> None:
        self.base_url = (base_url or base_url_from_env()).rstrip("/")
        self.transport = Transport(
            check=protocol.check_response,
            vendor=protocol.VENDOR,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            limiter=limiter,
        )
        self.auth = Authorizer(credentials, self.base_url, self.transport)
        self.io = VendorClient(self.transport, self.auth)

    def _request(self, info: ModelInfo, body: dict[str, Any]) -> HttpRequest:
        return HttpRequest(
            "POST",
            protocol.model_url(self.base_url, info),
            json=body,
            headers={"Content-Type": "application/json"},
        )

    # One exchange with the single reactive token renewal (§2.3): the skeleton's loops.

    def _post(self, info: ModelInfo, body: dict[str, Any]) -> HttpResponse:
        return self.io.post(self._request(info, body))

    async def _apost(self, info: ModelInfo, body: dict[str, Any]) -> HttpResponse:
        return await self.io.apost(self._request(info, body))

    def _stream(self, info: ModelInfo, body: dict[str, Any]) -> Iterator[ChatDelta]:
        return self.io.stream(self._request(info, body), lambda: protocol.StreamParser(info))

    def _astream(self, info: ModelInfo, body: dict[str, Any]) -> AsyncIterator[ChatDelta]:
        return self.io.astream(self._request(info, body), lambda: protocol.StreamParser(info))

    # -- chat and completions -------------------------------------------------------------------

    def chat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        body = protocol.chat_body(info, request, stream=False)
        return protocol.parse_result(self._post(info, body).json(), info)

    async def achat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        body = protocol.chat_body(info, request, stream=False)
        return protocol.parse_result((await self._apost(info, body)).json(), info)

    def stream_chat(self, info: ModelInfo, request: ChatRequest) -> Iterator[ChatDelta]:
        body = protocol.chat_body(info, request, stream=True)  # validates before the first next()
        return self._stream(info, body)

    def astream_chat(self, info: ModelInfo, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        body = protocol.chat_body(info, request, stream=True)
        return self._astream(info, body)

    def complete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        body = protocol.completion_body(info, request, stream=False)
        return protocol.parse_result(self._post(info, body).json(), info)

    async def acomplete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        body = protocol.completion_body(info, request, stream=False)
        return protocol.parse_result((await self._apost(info, body)).json(), info)

    def stream_complete(self, info: ModelInfo, request: CompletionRequest) -> Iterator[ChatDelta]:
        body = protocol.completion_body(info, request, stream=True)
        return self._stream(info, body)

    def astream_complete(
        self, info: ModelInfo, request: CompletionRequest
    ) -> AsyncIterator[ChatDelta]:
        body = protocol.completion_body(info, request, stream=True)
        return self._astream(info, body)

    # -- embeddings --------------------------------------------------------------------------

    @staticmethod
    def _bodies(info: ModelInfo, texts: Sequence[str], user_id: str | None) -> list[dict[str, Any]]:
        return [
            protocol.embedding_body(info, batch, user_id)
            for batch in batches(texts, info.batch_size)
        ]

    def embed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        user_id: str | None = None,
        on_batch: Callable[[int], Any] | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> list[EmbeddingResult]:
        """One result per batch of the model's size, in input order, at most ``concurrency``
        requests at a time; ``on_batch(n)`` as each batch of ``n`` texts completes."""

        def send(body: dict[str, Any]) -> EmbeddingResult:
            response = self._post(info, body)
            return protocol.parse_embeddings(response.json(), info, len(body["input"]))

        def done(body: dict[str, Any], result: EmbeddingResult) -> None:
            if on_batch is not None:
                on_batch(len(body["input"]))

        return run_batches(
            self._bodies(info, texts, user_id), send, concurrency=concurrency, on_result=done
        )

    async def aembed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        user_id: str | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> list[EmbeddingResult]:
        async def send(body: dict[str, Any]) -> EmbeddingResult:
            response = await self._apost(info, body)
            return protocol.parse_embeddings(response.json(), info, len(body["input"]))

        return await arun_batches(self._bodies(info, texts, user_id), send, concurrency=concurrency)

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
