"""Qianfan client: puts the pure protocol, the auth and the shared transport together.

Sync and async paths mirror each other line by line; everything they share (bodies, parsing,
the stream state) lives in ``protocol`` so that only the I/O differs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from cnllm import errors
from cnllm.qianfan import protocol
from cnllm.qianfan.auth import Authorizer, Credentials
from cnllm.qianfan.models import ModelInfo
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport
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
    ) -> None:
        self.base_url = (base_url or base_url_from_env()).rstrip("/")
        self.transport = Transport(
            check=protocol.check_response,
            vendor=protocol.VENDOR,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
        )
        self.auth = Authorizer(credentials, self.base_url, self.transport)

    def _request(self, info: ModelInfo, body: dict[str, Any]) -> HttpRequest:
        return HttpRequest(
            "POST",
            protocol.model_url(self.base_url, info),
            json=body,
            headers={"Content-Type": "application/json"},
        )

    # -- one exchange, with the single reactive token refresh (§2.3) ---------------------------

    def _renewable(self, error: errors.CnLLMError, token: str | None) -> bool:
        renew = (
            isinstance(error, errors.AuthenticationError)
            and error.code in protocol.TOKEN_ERROR_CODES
            and self.auth.can_refresh
        )
        if renew:
            self.auth.invalidate(token)
        return renew

    def _post(self, info: ModelInfo, body: dict[str, Any]) -> HttpResponse:
        request = self._request(info, body)
        used: list[str | None] = [None]

        def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used[0] = self.auth.authorize(attempt)
            return prepared

        try:
            return self.transport.request(request, prepare)
        except errors.CnLLMError as error:
            if not self._renewable(error, used[0]):
                raise
            return self.transport.request(request, prepare)

    async def _apost(self, info: ModelInfo, body: dict[str, Any]) -> HttpResponse:
        request = self._request(info, body)
        used: list[str | None] = [None]

        async def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used[0] = await self.auth.aauthorize(attempt)
            return prepared

        try:
            return await self.transport.arequest(request, prepare)
        except errors.CnLLMError as error:
            if not self._renewable(error, used[0]):
                raise
            return await self.transport.arequest(request, prepare)

    def _stream(self, info: ModelInfo, body: dict[str, Any]) -> Iterator[ChatDelta]:
        request = self._request(info, body)
        for renewed in (False, True):
            used: list[str | None] = [None]

            def prepare(attempt: HttpRequest, used: list[str | None] = used) -> HttpRequest:
                prepared, used[0] = self.auth.authorize(attempt)
                return prepared

            delivered = False
            try:
                for delta in self.transport.stream_items(
                    request, lambda: protocol.StreamParser(info), prepare
                ):
                    delivered = True
                    yield delta
                return
            except errors.CnLLMError as error:
                # Renew only if nothing was delivered yet: a partial answer cannot be replayed.
                if renewed or delivered or not self._renewable(error, used[0]):
                    raise

    async def _astream(self, info: ModelInfo, body: dict[str, Any]) -> AsyncIterator[ChatDelta]:
        request = self._request(info, body)
        for renewed in (False, True):
            used: list[str | None] = [None]

            async def prepare(attempt: HttpRequest, used: list[str | None] = used) -> HttpRequest:
                prepared, used[0] = await self.auth.aauthorize(attempt)
                return prepared

            delivered = False
            try:
                async for delta in self.transport.astream_items(
                    request, lambda: protocol.StreamParser(info), prepare
                ):
                    delivered = True
                    yield delta
                return
            except errors.CnLLMError as error:
                if renewed or delivered or not self._renewable(error, used[0]):
                    raise

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
    def _batches(info: ModelInfo, texts: Sequence[str]) -> list[Sequence[str]]:
        size = info.batch_size
        return [texts[start : start + size] for start in range(0, len(texts), size)]

    def embed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        user_id: str | None = None,
        on_batch: Callable[[int], Any] | None = None,
    ) -> list[EmbeddingResult]:
        """One result per batch of the model's size, in input order; ``on_batch(n)`` after each."""
        bodies = [
            protocol.embedding_body(info, batch, user_id) for batch in self._batches(info, texts)
        ]
        results = []
        for body in bodies:
            response = self._post(info, body)
            results.append(protocol.parse_embeddings(response.json(), info, len(body["input"])))
            if on_batch is not None:
                on_batch(len(body["input"]))
        return results

    async def aembed(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        *,
        user_id: str | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> list[EmbeddingResult]:
        bodies = [
            protocol.embedding_body(info, batch, user_id) for batch in self._batches(info, texts)
        ]
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(body: dict[str, Any]) -> EmbeddingResult:
            async with gate:
                response = await self._apost(info, body)
            return protocol.parse_embeddings(response.json(), info, len(body["input"]))

        return list(await asyncio.gather(*(one(body) for body in bodies)))

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
