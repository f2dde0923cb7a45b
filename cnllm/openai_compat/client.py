"""A client for any OpenAI-compatible server: the protocol object plus the shared transport.

The loops are the skeleton's (cnllm.client); bodies, parsing and stream state live in the
protocol (a dialect per vendor), credentials in an ``Auth``. A stream that fails before it
delivered anything (an error event, a break, an end without an answer) is replayed within the
call's retry budget: nothing was shown, so nothing repeats.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from cnllm import errors
from cnllm.auth import Auth, StaticHeaders
from cnllm.client import VendorClient, arun_batches, run_batches
from cnllm.embedding import batches
from cnllm.openai_compat import protocol
from cnllm.openai_compat.protocol import Kind, ModelCard, OpenAIProtocol, StreamParser
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Limiter, Transport
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    Usage,
)

DEFAULT_EMBEDDING_BATCH = 16
DEFAULT_EMBEDDING_CONCURRENCY = 8  # as DashScope and Qianfan: ~8x a one-by-one client


class OpenAICompatClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        dialect: OpenAIProtocol | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        headers: Mapping[str, str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        auth: Auth | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        """``auth``: how each attempt is authorized (a minted, renewable bearer token, say);
        by default a static ``Authorization: Bearer <api_key>`` (none without a key).
        ``default_headers`` (or ``headers``): sent with every request."""
        self.protocol = dialect or OpenAIProtocol()
        if not base_url:
            raise errors.ConfigurationError(
                "an OpenAI-compatible client needs base_url (e.g. http://host:8000/v1)",
                vendor=self.protocol.vendor,
            )
        self.base_url = base_url.rstrip("/")
        self._base_headers = {
            "Content-Type": "application/json",
            **(headers or {}),
            **(default_headers or {}),
        }
        self.transport = Transport(
            check=self.protocol.check_response,
            vendor=self.protocol.vendor,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            limiter=limiter,
        )
        self.auth: Auth = auth or StaticHeaders(protocol.auth_headers(api_key))
        self.io = VendorClient(self.transport, self.auth)

    @property
    def _headers(self) -> dict[str, str]:
        """Every header a request carries when the auth is a static one."""
        static = self.auth.headers if isinstance(self.auth, StaticHeaders) else {}
        return {**self._base_headers, **static}

    def _request(self, method: str, path: str, body: Any = None) -> HttpRequest:
        return HttpRequest(
            method,
            protocol.endpoint_url(self.base_url, path),
            json=body,
            headers=self._base_headers,
        )

    def _post(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return self.io.post(self._request("POST", path, body))

    async def _apost(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return await self.io.apost(self._request("POST", path, body))

    # -- streams ------------------------------------------------------------------------------

    def _stream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> Iterator[ChatDelta]:
        return self.io.stream(self._request("POST", path, body), parser_for)

    def _astream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> AsyncIterator[ChatDelta]:
        return self.io.astream(self._request("POST", path, body), parser_for)

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
        return [self.protocol.embedding_body(model, batch) for batch in batches(texts, batch_size)]

    def _embedding_jobs(
        self, model: str, texts: Sequence[str], batch_size: int
    ) -> list[tuple[dict[str, Any], int]]:
        bodies = self._embedding_bodies(model, texts, batch_size)
        return list(zip(bodies, _sizes(texts, batch_size), strict=True))

    def embed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int = DEFAULT_EMBEDDING_BATCH,
        normalize: bool = False,
        on_batch: Callable[[int], Any] | None = None,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
    ) -> EmbeddingResult:
        """Vectors in input order, ``batch_size`` texts per request, at most ``concurrency``
        requests at a time; ``on_batch(n)`` as each batch of ``n`` texts completes."""
        jobs = self._embedding_jobs(model, texts, batch_size)

        def send(job: tuple[dict[str, Any], int]) -> EmbeddingResult:
            response = self._post(protocol.EMBEDDINGS_PATH, job[0])
            return self.protocol.parse_embeddings(response.json(), job[1], model)

        def done(job: tuple[dict[str, Any], int], result: EmbeddingResult) -> None:
            if on_batch is not None:
                on_batch(job[1])

        results = run_batches(jobs, send, concurrency=concurrency, on_result=done)
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
        jobs = self._embedding_jobs(model, texts, batch_size)

        async def send(job: tuple[dict[str, Any], int]) -> EmbeddingResult:
            response = await self._apost(protocol.EMBEDDINGS_PATH, job[0])
            return self.protocol.parse_embeddings(response.json(), job[1], model)

        results = await arun_batches(jobs, send, concurrency=concurrency)
        return _joined(results, model, normalize)

    # -- models -------------------------------------------------------------------------------

    def list_models(self) -> list[ModelCard]:
        response = self.io.post(self._request("GET", protocol.MODELS_PATH))
        return self.protocol.parse_models(response.json())

    async def alist_models(self) -> list[ModelCard]:
        response = await self.io.apost(self._request("GET", protocol.MODELS_PATH))
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
