"""The Qianfan v2 client: the OpenAI-compatible client with the v2 dialect and an Auth (a v2
API key as the bearer, or a minted, renewable bearer token). The skeleton's loops do the I/O:
one retry budget per call (the token mint included), one renewal of a stale token, streams
renewed only while nothing was delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from cnllm.auth import Auth
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.client import DEFAULT_EMBEDDING_CONCURRENCY, OpenAICompatClient
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.protocol import DEFAULT_BASE_URL, QianfanV2Protocol, rate_limits
from cnllm.transport import HttpResponse, Limiter
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
)


class QianfanV2Client(OpenAICompatClient):
    def __init__(
        self,
        auth: Auth,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        limiter: Limiter | None = None,
    ) -> None:
        super().__init__(
            (base_url or DEFAULT_BASE_URL),
            dialect=QianfanV2Protocol(),
            timeout=timeout,
            max_retries=max_retries,
            auth=auth,
            limiter=limiter,
        )

    def __repr__(self) -> str:
        return f"QianfanV2Client(base_url={self.base_url!r}, auth={self.auth!r})"

    # -- chat: the rate-limit headers go to the metadata ---------------------------------------

    def _with_limits(self, result: ChatResult, response: HttpResponse) -> ChatResult:
        limits = rate_limits(response)
        if not limits:
            return result
        return replace(result, metadata={**result.metadata, "rate_limit": limits})

    def chat(self, model: str, request: ChatRequest) -> ChatResult:
        body = self.protocol.chat_body(model, request, stream=False)
        response = self._post(openai.CHAT_PATH, body)
        result = self.protocol.parse_result(response.json(), "chat", model)
        return self._with_limits(result, response)

    async def achat(self, model: str, request: ChatRequest) -> ChatResult:
        body = self.protocol.chat_body(model, request, stream=False)
        response = await self._apost(openai.CHAT_PATH, body)
        result = self.protocol.parse_result(response.json(), "chat", model)
        return self._with_limits(result, response)

    # -- completions: a deployed completion service, or a table chat model as one turn ----------

    @staticmethod
    def _as_chat(model: str, request: CompletionRequest) -> ChatRequest | None:
        """A table model is a chat model: its completion is a one-turn chat (as v1 did);
        any other id is a completion service (``/v2/completions``)."""
        if not models.resolve("completions", model).known:
            return None
        return request.as_chat()

    def complete(self, model: str, request: CompletionRequest) -> ChatResult:
        chat = self._as_chat(model, request)
        return self.chat(model, chat) if chat else super().complete(model, request)

    async def acomplete(self, model: str, request: CompletionRequest) -> ChatResult:
        chat = self._as_chat(model, request)
        return await self.achat(model, chat) if chat else await super().acomplete(model, request)

    def stream_complete(self, model: str, request: CompletionRequest) -> Iterator[ChatDelta]:
        chat = self._as_chat(model, request)
        return self.stream_chat(model, chat) if chat else super().stream_complete(model, request)

    def astream_complete(self, model: str, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        chat = self._as_chat(model, request)
        if chat:
            return self.astream_chat(model, chat)
        return super().astream_complete(model, request)

    # -- embeddings: each model's batch size (§6) ----------------------------------------------

    def embed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        normalize: bool = False,
        on_batch: Callable[[int], Any] | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> EmbeddingResult:
        size = batch_size or models.resolve("embeddings", model).batch_size
        return super().embed(
            model,
            texts,
            batch_size=size,
            normalize=normalize,
            on_batch=on_batch,
            concurrency=concurrency,
        )

    async def aembed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        normalize: bool = False,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> EmbeddingResult:
        size = batch_size or models.resolve("embeddings", model).batch_size
        return await super().aembed(
            model, texts, batch_size=size, normalize=normalize, concurrency=concurrency
        )

    def close(self) -> None:
        super().close()
        close = getattr(self.auth, "close", None)
        if callable(close):
            close()
