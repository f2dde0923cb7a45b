"""A client for any OpenAI-compatible server: the protocol object plus the shared transport.

Sync and async paths mirror each other; bodies, parsing and stream state live in the protocol.
A stream that fails before it delivered anything (an error event, a break, an end without an
answer) is replayed with the transport's retry policy: nothing was shown, so nothing repeats.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from cnllm import errors
from cnllm.openai_compat import protocol
from cnllm.openai_compat.protocol import Kind, ModelCard, OpenAIProtocol, StreamParser
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Transport
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    Usage,
)

DEFAULT_EMBEDDING_BATCH = 16
DEFAULT_EMBEDDING_CONCURRENCY = 4


class OpenAICompatClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        dialect: OpenAIProtocol | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.protocol = dialect or OpenAIProtocol()
        if not base_url:
            raise errors.ConfigurationError(
                "an OpenAI-compatible client needs base_url (e.g. http://host:8000/v1)",
                vendor=self.protocol.vendor,
            )
        self.base_url = base_url.rstrip("/")
        self._headers = {
            "Content-Type": "application/json",
            **(headers or {}),
            **protocol.auth_headers(api_key),
        }
        self.transport = Transport(
            check=self.protocol.check_response,
            vendor=self.protocol.vendor,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
        )

    def _request(self, method: str, path: str, body: Any = None) -> HttpRequest:
        return HttpRequest(
            method, protocol.endpoint_url(self.base_url, path), json=body, headers=self._headers
        )

    def _post(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return self.transport.request(self._request("POST", path, body))

    async def _apost(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return await self.transport.arequest(self._request("POST", path, body))

    # -- streams ------------------------------------------------------------------------------

    def _stream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> Iterator[ChatDelta]:
        return self.transport.stream_items(self._request("POST", path, body), parser_for)

    def _astream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> AsyncIterator[ChatDelta]:
        return self.transport.astream_items(self._request("POST", path, body), parser_for)

    def _parser_factory(self, kind: Kind, model: str) -> Callable[[], StreamParser]:
        return lambda: self.protocol.stream_parser(kind, model)

    # -- chat ---------------------------------------------------------------------------------

    def chat(self, model: str, request: ChatRequest) -> ChatResult:
        body = self.protocol.chat_body(model, request, stream=False)
        return self.protocol.parse_result(
            self._post(protocol.CHAT_PATH, body).json(), "chat", model
        )

    async def achat(self, model: str, request: ChatRequest) -> ChatResult:
        body = self.protocol.chat_body(model, request, stream=False)
        response = await self._apost(protocol.CHAT_PATH, body)
        return self.protocol.parse_result(response.json(), "chat", model)

    def stream_chat(self, model: str, request: ChatRequest) -> Iterator[ChatDelta]:
        body = self.protocol.chat_body(model, request, stream=True)  # validates before next()
        return self._stream(protocol.CHAT_PATH, body, self._parser_factory("chat", model))

    def astream_chat(self, model: str, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        body = self.protocol.chat_body(model, request, stream=True)
        return self._astream(protocol.CHAT_PATH, body, self._parser_factory("chat", model))

    # -- completions --------------------------------------------------------------------------

    def complete(self, model: str, request: CompletionRequest) -> ChatResult:
        body = self.protocol.completion_body(model, request, stream=False)
        response = self._post(protocol.COMPLETIONS_PATH, body)
        return self.protocol.parse_result(response.json(), "completions", model)

    async def acomplete(self, model: str, request: CompletionRequest) -> ChatResult:
        body = self.protocol.completion_body(model, request, stream=False)
        response = await self._apost(protocol.COMPLETIONS_PATH, body)
        return self.protocol.parse_result(response.json(), "completions", model)

    def stream_complete(self, model: str, request: CompletionRequest) -> Iterator[ChatDelta]:
        body = self.protocol.completion_body(model, request, stream=True)
        parser_for = self._parser_factory("completions", model)
        return self._stream(protocol.COMPLETIONS_PATH, body, parser_for)

    def astream_complete(self, model: str, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        body = self.protocol.completion_body(model, request, stream=True)
        parser_for = self._parser_factory("completions", model)
        return self._astream(protocol.COMPLETIONS_PATH, body, parser_for)

    # -- embeddings ---------------------------------------------------------------------------

    def _embedding_bodies(
        self, model: str, texts: Sequence[str], batch_size: int
    ) -> list[dict[str, Any]]:
        if batch_size < 1:
            raise errors.ValidationError(
                "batch_size", "must be at least 1", vendor=self.protocol.vendor
            )
        batches = [texts[start : start + batch_size] for start in range(0, len(texts), batch_size)]
        return [self.protocol.embedding_body(model, batch) for batch in batches]

    def embed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int = DEFAULT_EMBEDDING_BATCH,
        normalize: bool = False,
        on_batch: Callable[[int], Any] | None = None,
    ) -> EmbeddingResult:
        """Vectors in input order, ``batch_size`` texts per request, one request at a time."""
        results = []
        for body, size in zip(
            self._embedding_bodies(model, texts, batch_size), _sizes(texts, batch_size), strict=True
        ):
            response = self._post(protocol.EMBEDDINGS_PATH, body)
            results.append(self.protocol.parse_embeddings(response.json(), size, model))
            if on_batch is not None:
                on_batch(size)
        return _joined(results, model, normalize)

    async def aembed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int = DEFAULT_EMBEDDING_BATCH,
        normalize: bool = False,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> EmbeddingResult:
        """As ``embed``, with up to ``concurrency`` requests in flight."""
        bodies = self._embedding_bodies(model, texts, batch_size)
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(body: dict[str, Any], size: int) -> EmbeddingResult:
            async with gate:
                response = await self._apost(protocol.EMBEDDINGS_PATH, body)
            return self.protocol.parse_embeddings(response.json(), size, model)

        sizes = _sizes(texts, batch_size)
        results = await asyncio.gather(*(one(b, n) for b, n in zip(bodies, sizes, strict=True)))
        return _joined(list(results), model, normalize)

    # -- models -------------------------------------------------------------------------------

    def list_models(self) -> list[ModelCard]:
        response = self.transport.request(self._request("GET", protocol.MODELS_PATH))
        return self.protocol.parse_models(response.json())

    async def alist_models(self) -> list[ModelCard]:
        response = await self.transport.arequest(self._request("GET", protocol.MODELS_PATH))
        return self.protocol.parse_models(response.json())

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()


def _sizes(texts: Sequence[str], batch_size: int) -> list[int]:
    return [min(batch_size, len(texts) - start) for start in range(0, len(texts), batch_size)]


def _joined(results: list[EmbeddingResult], model: str, normalize: bool) -> EmbeddingResult:
    vectors = [vector for result in results for vector in result.vectors]
    if normalize:
        vectors = [protocol.l2_normalize(vector) for vector in vectors]
    usages = [result.usage for result in results]
    usage = None
    if usages and all(item is not None for item in usages):
        usage = Usage(
            sum(item.input_tokens for item in usages if item),
            sum(item.output_tokens for item in usages if item),
            sum(item.total_tokens for item in usages if item),
        )
    return EmbeddingResult(vectors, results[0].model if results else model, usage)
