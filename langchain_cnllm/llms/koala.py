"""KoalaLLM: Koala 悠然 text completion (``/v1/completions``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.koala import models, protocol
from cnllm.types import ChatDelta, ChatResult, CompletionRequest
from langchain_cnllm._koala import KoalaSettings
from langchain_cnllm.llms.base import CnLLM


class KoalaLLM(KoalaSettings, CnLLM):
    """Koala ``/v1/completions``: the prompt is sent as it is, with no chat template.

    Example:
        .. code-block:: python

            from langchain_cnllm import KoalaLLM

            KoalaLLM(model="Baichuan2-13B-Chat", max_tokens=256).invoke("今天老谋理想吃")

    ``max_tokens`` is always sent (512 unless you say otherwise): FastChat's own default is 16
    tokens. Usage is in ``generation_info["usage_metadata"]`` and ``llm_output["token_usage"]``
    when the server reports it.
    """

    model: str = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    max_tokens: int = protocol.DEFAULT_COMPLETION_MAX_TOKENS
    top_p: float | None = None
    top_k: int | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        protocol.validate_params(self._params(None, {}))
        return self

    @property
    def _provider(self) -> str:
        return "koala"

    def _model_name(self) -> str:
        return self.model

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        sampling = {name: kwargs.pop(name, getattr(self, name)) for name in ("top_p", "top_k")}
        sampling["user_id"] = kwargs.pop("user", self.user)
        return sampling

    def _complete(self, request: CompletionRequest) -> ChatResult:
        return self.client.complete(self.model, request)

    async def _acomplete(self, request: CompletionRequest) -> ChatResult:
        return await self.client.acomplete(self.model, request)

    def _complete_stream(self, request: CompletionRequest) -> Iterator[ChatDelta]:
        return self.client.stream_complete(self.model, request)

    def _acomplete_stream(self, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_complete(self.model, request)
