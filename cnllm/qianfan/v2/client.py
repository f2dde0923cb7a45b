"""The Qianfan v2 client: the OpenAI-compatible client with the v2 dialect and a renewable auth.

Until the client skeleton gives ``OpenAICompatClient`` an ``auth=`` of its own, this subclass
prepares every attempt with the auth and renews a stale minted token once (a stream only if
nothing was delivered yet: a partial answer cannot be replayed). Every request of one call —
the token mint, the retries, the renewal — spends one ``RetryBudget``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

from cnllm import errors
from cnllm.auth import Auth
from cnllm.openai_compat import protocol as openai
from cnllm.openai_compat.client import OpenAICompatClient
from cnllm.openai_compat.protocol import ModelCard, StreamParser
from cnllm.qianfan.v2 import models
from cnllm.qianfan.v2.protocol import DEFAULT_BASE_URL, QianfanV2Protocol, rate_limits
from cnllm.retry import RetryBudget
from cnllm.transport import HttpRequest, HttpResponse
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    Message,
)


class BudgetedAuth(Auth, Protocol):
    """The skeleton's Auth contract: ``authorize`` is given the call's retry budget."""

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]: ...

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]: ...


class QianfanV2Client(OpenAICompatClient):
    def __init__(
        self,
        auth: BudgetedAuth,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
    ) -> None:
        super().__init__(
            (base_url or DEFAULT_BASE_URL),
            dialect=QianfanV2Protocol(),
            timeout=timeout,
            max_retries=max_retries,
        )
        self.auth = auth

    def __repr__(self) -> str:
        return f"QianfanV2Client(base_url={self.base_url!r}, auth={self.auth!r})"

    # -- one exchange, with one renewal of a stale token -----------------------------------------

    def _renew(self, error: errors.CnLLMError, token: str | None) -> bool:
        if not (self.auth.can_refresh and self.auth.is_stale(error)):
            return False
        self.auth.invalidate(token)
        return True

    def _send(self, request: HttpRequest) -> HttpResponse:
        budget, used = RetryBudget(self.transport.retry), list[str | None]([None])

        def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used[0] = self.auth.authorize(attempt, budget)
            return prepared

        try:
            return self.transport.request(request, prepare, budget=budget)
        except errors.CnLLMError as error:
            if not self._renew(error, used[0]):
                raise
            return self.transport.request(request, prepare, budget=budget)

    async def _asend(self, request: HttpRequest) -> HttpResponse:
        budget, used = RetryBudget(self.transport.retry), list[str | None]([None])

        async def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used[0] = await self.auth.aauthorize(attempt, budget)
            return prepared

        try:
            return await self.transport.arequest(request, prepare, budget=budget)
        except errors.CnLLMError as error:
            if not self._renew(error, used[0]):
                raise
            return await self.transport.arequest(request, prepare, budget=budget)

    def _post(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return self._send(self._request("POST", path, body))

    async def _apost(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return await self._asend(self._request("POST", path, body))

    def _stream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> Iterator[ChatDelta]:
        request, budget = self._request("POST", path, body), RetryBudget(self.transport.retry)
        for renewed in (False, True):
            used: list[str | None] = [None]

            def prepare(attempt: HttpRequest, used: list[str | None] = used) -> HttpRequest:
                prepared, used[0] = self.auth.authorize(attempt, budget)
                return prepared

            delivered = False
            try:
                for delta in self.transport.stream_items(
                    request, parser_for, prepare, budget=budget
                ):
                    delivered = True
                    yield delta
                return
            except errors.CnLLMError as error:
                if renewed or delivered or not self._renew(error, used[0]):
                    raise

    async def _astream(
        self, path: str, body: dict[str, Any], parser_for: Callable[[], StreamParser]
    ) -> AsyncIterator[ChatDelta]:
        request, budget = self._request("POST", path, body), RetryBudget(self.transport.retry)
        for renewed in (False, True):
            used: list[str | None] = [None]

            async def prepare(attempt: HttpRequest, used: list[str | None] = used) -> HttpRequest:
                prepared, used[0] = await self.auth.aauthorize(attempt, budget)
                return prepared

            delivered = False
            try:
                async for delta in self.transport.astream_items(
                    request, parser_for, prepare, budget=budget
                ):
                    delivered = True
                    yield delta
                return
            except errors.CnLLMError as error:
                if renewed or delivered or not self._renew(error, used[0]):
                    raise

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
        return ChatRequest((Message("user", request.prompt),), request.params)

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
    ) -> EmbeddingResult:
        size = batch_size or models.resolve("embeddings", model).batch_size
        return super().embed(model, texts, batch_size=size, normalize=normalize, on_batch=on_batch)

    async def aembed(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        normalize: bool = False,
        concurrency: int = 8,
    ) -> EmbeddingResult:
        size = batch_size or models.resolve("embeddings", model).batch_size
        return await super().aembed(
            model, texts, batch_size=size, normalize=normalize, concurrency=concurrency
        )

    # -- models (§8) ---------------------------------------------------------------------------

    def list_models(self) -> list[ModelCard]:
        response = self._send(self._request("GET", openai.MODELS_PATH))
        return self.protocol.parse_models(response.json())

    async def alist_models(self) -> list[ModelCard]:
        response = await self._asend(self._request("GET", openai.MODELS_PATH))
        return self.protocol.parse_models(response.json())

    def close(self) -> None:
        super().close()
        close = getattr(self.auth, "close", None)
        if callable(close):
            close()
