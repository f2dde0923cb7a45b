"""QianfanLLM: Qianfan completion endpoints (e.g. cerebras-gpt-6.7b deployed by you)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import Self

from cnllm.qianfan import models, protocol
from cnllm.qianfan.models import ModelInfo
from cnllm.types import ChatDelta, ChatResult, CompletionRequest, GenerationParams
from langchain_cnllm._convert import usage_metadata
from langchain_cnllm._qianfan import QianfanSettings
from langchain_cnllm.errors import aiterate, iterate, langchain_errors


def _generation_info(result: ChatResult | ChatDelta) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": result.finish_reason, "model_name": result.model}
    if result.request_id:
        info["request_id"] = result.request_id
    if result.usage is not None:
        info["usage_metadata"] = usage_metadata(result.usage)
    info.update(result.metadata)
    return info


class QianfanLLM(QianfanSettings, BaseLLM):
    """Qianfan ``/completions/{endpoint}`` (a prompt in, text out).

    Example:
        .. code-block:: python

            from langchain_cnllm import QianfanLLM

            QianfanLLM(endpoint="my_cerebras_api").invoke("introduce the city beijing")

    Without ``endpoint``, ``model`` names a table model; a chat model is then called as a
    one-turn chat, as the Qianfan SDK does. Usage is in ``generation_info["usage_metadata"]``
    and ``llm_output["token_usage"]``.
    """

    model: str | None = Field(default=None, alias="model_name")
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    penalty_score: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    user_id: str | None = None
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    max_retries: int = 2
    streaming: bool = False
    model_kwargs: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _check(self) -> Self:
        protocol.validate_params(self._params(None, {}))
        self._info()
        return self

    @property
    def _llm_type(self) -> str:
        return "qianfan-completions"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "endpoint": self.endpoint, "temperature": self.temperature}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "qianfan"
        params["ls_model_name"] = self._info().name
        return params

    def _info(self) -> ModelInfo:
        return models.resolve("completions", self.model, self.endpoint)

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> GenerationParams:
        def pick(name: str) -> Any:
            return kwargs.pop(name, getattr(self, name))

        return GenerationParams(
            temperature=pick("temperature"),
            top_p=pick("top_p"),
            top_k=pick("top_k"),
            penalty_score=pick("penalty_score"),
            max_tokens=pick("max_tokens"),
            user_id=pick("user_id"),
            stop=tuple(stop or self.stop or ()) or None,
            extra={**self.model_kwargs, **kwargs},
        )

    def _request(
        self, prompt: str, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> CompletionRequest:
        return CompletionRequest(prompt, self._params(stop, dict(kwargs)))

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations: list[list[Generation]] = []
        for prompt in prompts:
            if self.streaming:
                chunks = list(self._stream(prompt, stop, run_manager, **kwargs))
                generations.append([_merge(chunks)])
                continue
            with langchain_errors():
                result = self.client.complete(self._info(), self._request(prompt, stop, kwargs))
            generations.append(
                [Generation(text=result.text, generation_info=_generation_info(result))]
            )
        return _llm_result(generations, self._info().name)

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        async def one(prompt: str) -> list[Generation]:
            if self.streaming:
                return [
                    _merge(
                        [
                            chunk
                            async for chunk in self._astream(prompt, stop, run_manager, **kwargs)
                        ]
                    )
                ]
            with langchain_errors():
                result = await self.client.acomplete(
                    self._info(), self._request(prompt, stop, kwargs)
                )
            return [Generation(text=result.text, generation_info=_generation_info(result))]

        generations = list(await asyncio.gather(*(one(prompt) for prompt in prompts)))
        return _llm_result(generations, self._info().name)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        with langchain_errors():
            deltas = self.client.stream_complete(self._info(), self._request(prompt, stop, kwargs))
        for delta in iterate(deltas):
            chunk = GenerationChunk(
                text=delta.text, generation_info=_generation_info(delta) if delta.is_final else None
            )
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        with langchain_errors():
            deltas = self.client.astream_complete(self._info(), self._request(prompt, stop, kwargs))
        async for delta in aiterate(deltas):
            chunk = GenerationChunk(
                text=delta.text, generation_info=_generation_info(delta) if delta.is_final else None
            )
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _merge(chunks: list[GenerationChunk]) -> GenerationChunk:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    return merged


def _llm_result(generations: list[list[Generation]], model: str) -> LLMResult:
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    reported = False
    for (generation,) in generations:
        usage = (generation.generation_info or {}).get("usage_metadata")
        if usage:
            reported = True
            for key in totals:
                totals[key] += usage[key]
    llm_output: dict[str, Any] = {"model_name": model}
    if reported:
        llm_output["token_usage"] = totals
    return LLMResult(generations=generations, llm_output=llm_output)
