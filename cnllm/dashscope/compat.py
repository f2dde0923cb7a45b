"""DashScope's OpenAI-compatible mode (``/compatible-mode/v1``) as a dialect of
``cnllm.openai_compat``, and a client with the native client's interface.

Reference §3: a flat OpenAI body with DashScope's extras as top-level keys
(``enable_thinking``, ``thinking_budget``, ``enable_search``, ``top_k``,
``repetition_penalty``...; ``extra_body`` is an OpenAI-SDK notion, never sent literally),
``stream_options.include_usage`` (the usage comes on a last ``choices: []`` chunk),
``reasoning_content`` beside ``content``, and OpenAI-style content parts with DashScope's
video and audio forms. Thinking, media checks and structured output are planned exactly as
for the native protocol (``generation``), so the same classes give the same results.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from typing import Any

from cnllm import errors
from cnllm.dashscope import generation, hosts, multimodal, protocol, thinking
from cnllm.dashscope.calls import BatchedEmbeddings
from cnllm.dashscope.models import VENDOR, ModelInfo
from cnllm.embedding import batches
from cnllm.openai_compat import protocol as oai
from cnllm.openai_compat.client import OpenAICompatClient
from cnllm.openai_compat.protocol import OpenAIProtocol, ReasoningBack
from cnllm.transport import HttpResponse, Limiter
from cnllm.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingResult,
    Message,
)


def wire_message(message: Message) -> dict[str, Any]:
    """One message: OpenAI's form with DashScope's media parts; the reasoning of an assistant
    turn that called tools goes back (kept within a tool loop, reference §4.5)."""
    text_only = message if isinstance(message.content, str) else replace(message, content="")
    wire = oai.wire_message(text_only, vendor=VENDOR, reasoning_back=DashScopeCompat.reasoning_back)
    if not isinstance(message.content, str):
        wire["content"] = multimodal.compat_parts(message.content)
    return wire


class DashScopeCompat(OpenAIProtocol):
    """The dialect: DashScope's extras, parts, usage details, reasoning and regional keys."""

    vendor = VENDOR
    include_usage_in_streams = True
    reasoning_back: ReasoningBack = "tool_turns"

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url

    def check_response(self, response: HttpResponse) -> None:
        check = hosts.regional_check(lambda r: oai.check_response(r, vendor=VENDOR), self.base_url)
        check(response)

    def chat_body(self, model: str, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        params = request.params
        response_format = thinking.response_format(model, request)
        messages = request.messages
        if response_format == {"type": "json_object"}:
            messages = thinking.with_json_word(messages)
        plain = replace(
            request,
            messages=tuple(
                m if isinstance(m.content, str) else replace(m, content="") for m in messages
            ),
            params=replace(params, penalty_score=None, extra={}),
            json_mode=False,
            json_schema=None,
        )
        body = oai.chat_body(model, plain, stream=stream, include_usage=True)
        body["messages"] = [wire_message(message) for message in messages]
        if params.penalty_score is not None:
            body["repetition_penalty"] = params.penalty_score
        if response_format is not None:
            body["response_format"] = response_format
        body.update(params.extra)  # DashScope's extras are top-level keys (trap 14)
        return body


class DashScopeCompatClient(BatchedEmbeddings):
    """Compatible mode behind the native client's interface (``ModelInfo`` in, neutral out)."""

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str,
        workspace: str | None = None,
        data_inspection: bool = False,
        timeout: float | None = None,
        max_retries: int = 2,
        limiter: Limiter | None = None,
    ) -> None:
        if not api_key:
            raise errors.ConfigurationError(
                "no DashScope API key: pass api_key=... or set DASHSCOPE_API_KEY", vendor=VENDOR
            )
        headers = protocol.account_headers(workspace, data_inspection)
        self.base_url = base_url.rstrip("/")
        self.inner = OpenAICompatClient(
            self.base_url,
            api_key=api_key,
            dialect=DashScopeCompat(self.base_url),
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            limiter=limiter,
        )
        self.transport = self.inner.transport

    def __repr__(self) -> str:
        return f"DashScopeCompatClient(base_url={self.base_url!r})"

    # -- chat ---------------------------------------------------------------------------------

    @staticmethod
    def _planned(plan: thinking.Plan) -> ChatRequest:
        request = plan.request
        extra = {**request.params.extra, **plan.fields}
        params = replace(request.params, enable_thinking=None, thinking_budget=None, extra=extra)
        return replace(request, params=params)

    def chat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        plan = generation.prepare(info, request, stream=False)
        if plan.stream_underneath:
            deltas = self.inner.stream_chat(info.name, self._planned(plan))
            return thinking.aggregate(info.name, deltas)
        return self.inner.chat(info.name, self._planned(plan))

    async def achat(self, info: ModelInfo, request: ChatRequest) -> ChatResult:
        plan = generation.prepare(info, request, stream=False)
        if plan.stream_underneath:
            deltas = self.inner.astream_chat(info.name, self._planned(plan))
            return await thinking.aaggregate(info.name, deltas)
        return await self.inner.achat(info.name, self._planned(plan))

    def stream_chat(self, info: ModelInfo, request: ChatRequest) -> Iterator[ChatDelta]:
        plan = generation.prepare(info, request, stream=True)
        return self.inner.stream_chat(info.name, self._planned(plan))

    def astream_chat(self, info: ModelInfo, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        plan = generation.prepare(info, request, stream=True)
        return self.inner.astream_chat(info.name, self._planned(plan))

    @staticmethod
    def _as_chat(info: ModelInfo, request: CompletionRequest) -> ChatRequest:
        if info.prompt_only:
            raise errors.ValidationError(
                "model",
                f"{info.name} takes a bare prompt on the native protocol only; use the native "
                "base URL (…/api/v1)",
                vendor=VENDOR,
            )
        return protocol.completion_chat(request)

    def complete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        return self.chat(info, self._as_chat(info, request))

    async def acomplete(self, info: ModelInfo, request: CompletionRequest) -> ChatResult:
        return await self.achat(info, self._as_chat(info, request))

    def stream_complete(self, info: ModelInfo, request: CompletionRequest) -> Iterator[ChatDelta]:
        return self.stream_chat(info, self._as_chat(info, request))

    def astream_complete(
        self, info: ModelInfo, request: CompletionRequest
    ) -> AsyncIterator[ChatDelta]:
        return self.astream_chat(info, self._as_chat(info, request))

    # -- embeddings (§6.3): ``dimensions`` (plural), float only; text_type is native-only -------

    def _embedding_bodies(
        self,
        info: ModelInfo,
        texts: Sequence[str],
        text_type: str,
        dimension: int | None,
        batch_size: int | None,
    ) -> list[dict[str, Any]]:
        size = protocol.batch_size(info, batch_size)
        protocol.validate_embedding_options(info, "document", dimension)
        bodies = []
        for batch in batches(texts, size):
            body = oai.embedding_body(info.name, batch, dimensions=dimension, vendor=VENDOR)
            body["encoding_format"] = "float"
            bodies.append(body)
        return bodies

    def _send_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult:
        response = self.inner._post(oai.EMBEDDINGS_PATH, body)
        return self.inner.protocol.parse_embeddings(response.json(), len(body["input"]), info.name)

    async def _asend_embedding(self, info: ModelInfo, body: dict[str, Any]) -> EmbeddingResult:
        response = await self.inner._apost(oai.EMBEDDINGS_PATH, body)
        return self.inner.protocol.parse_embeddings(response.json(), len(body["input"]), info.name)

    # -- models (§3.1) ----------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        return [card.id for card in self.inner.list_models()]

    async def alist_models(self) -> list[str]:
        return [card.id for card in await self.inner.alist_models()]

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


__all__ = ["DashScopeCompat", "DashScopeCompatClient"]
