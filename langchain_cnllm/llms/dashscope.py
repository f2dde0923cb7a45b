"""DashScopeLLM: a prompt in, text out, on DashScope's text-generation service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from pydantic import model_validator
from typing_extensions import Self

from cnllm.dashscope import models, protocol
from cnllm.dashscope.models import ModelInfo
from cnllm.types import ChatDelta, ChatResult, CompletionRequest, GenerationParams
from langchain_cnllm._dashscope import DashScopeSettings
from langchain_cnllm.llms.base import CnLLM


class DashScopeLLM(DashScopeSettings, CnLLM):
    """DashScope as a LangChain LLM (``DASHSCOPE_API_KEY`` from the environment).

    Example:
        .. code-block:: python

            from langchain_cnllm import DashScopeLLM

            DashScopeLLM(model="chatyuan-large-v2").invoke("翻译成英文：春天来了，花朵都开了。")

    For ``chatyuan-large-v2`` the prompt is sent as written (ChatYuan accepts a bare
    instruction, or ``用户：…\\n小元：`` turns you format yourself), with newlines as the two
    characters ``\\n`` unless ``escape_newlines=False``; ``\\n`` in its answer becomes a
    newline. Other models get the prompt as one user message. Usage, when the model reports
    it, is in ``generation_info["usage_metadata"]`` and ``llm_output["token_usage"]``.
    """

    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    enable_thinking: bool | None = None
    """Thinking switch of hybrid models (None: the model's default)."""
    thinking_budget: int | None = None
    escape_newlines: bool = True
    """ChatYuan only: send newlines as ``\\n`` (its tokenizer's convention; see the README)."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        protocol.validate_params(self._params(None, {}))
        self._info()
        return self

    @property
    def _provider(self) -> str:
        return "dashscope"

    def _info(self) -> ModelInfo:
        return replace(models.resolve("chat", self.model), escape_newlines=self.escape_newlines)

    def _model_name(self) -> str:
        return self._info().name

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        sampling = {name: kwargs.pop(name, getattr(self, name)) for name in ("top_p", "top_k")}
        sampling["penalty_score"] = kwargs.pop("repetition_penalty", self.repetition_penalty)
        for name in ("enable_thinking", "thinking_budget"):
            sampling[name] = kwargs.pop(name, getattr(self, name))
        return sampling

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> GenerationParams:
        seed = kwargs.pop("seed", self.seed)  # no neutral field: sent in ``parameters``
        params = super()._params(stop, kwargs)
        if seed is None:
            return params
        return replace(params, extra={"seed": seed, **params.extra})

    def _complete(self, request: CompletionRequest) -> ChatResult:
        return self.client.complete(self._info(), request)

    async def _acomplete(self, request: CompletionRequest) -> ChatResult:
        return await self.client.acomplete(self._info(), request)

    def _complete_stream(self, request: CompletionRequest) -> Iterator[ChatDelta]:
        return self.client.stream_complete(self._info(), request)

    def _acomplete_stream(self, request: CompletionRequest) -> AsyncIterator[ChatDelta]:
        return self.client.astream_complete(self._info(), request)
