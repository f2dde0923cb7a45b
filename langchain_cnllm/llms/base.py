"""What every cnllm completion model (a prompt in, text out) shares: generation, streaming,
usage in ``generation_info`` and ``llm_output``. A vendor class only says how to call its
client (the LLM counterpart of ``chat_models.base.CnChatModel``)."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult

from cnllm.types import ChatDelta, ChatResult, CompletionRequest, GenerationParams
from langchain_cnllm._common import CnModelFields
from langchain_cnllm._convert import usage_metadata
from langchain_cnllm.errors import aiterate, iterate, langchain_errors


def generation_info(result: ChatResult | ChatDelta) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": result.finish_reason, "model_name": result.model}
    if result.request_id:
        info["request_id"] = result.request_id
    if result.usage is not None:
        info["usage_metadata"] = usage_metadata(result.usage)
    info.update(result.metadata)
    return info


class CnLLM(CnModelFields, BaseLLM):
    """Base of the vendors' completion classes."""

    stop: list[str] | None = None

    # -- what a vendor provides ----------------------------------------------------------------

    @property
    @abstractmethod
    def _provider(self) -> str: ...

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Vendor fields of GenerationParams (top_p, user_id…), call-time kwargs winning."""
        return {}

    @abstractmethod
    def _complete(self, request: CompletionRequest) -> ChatResult: ...

    @abstractmethod
    async def _acomplete(self, request: CompletionRequest) -> ChatResult: ...

    @abstractmethod
    def _complete_stream(self, request: CompletionRequest) -> Iterator[ChatDelta]: ...

    @abstractmethod
    def _acomplete_stream(self, request: CompletionRequest) -> AsyncIterator[ChatDelta]: ...

    # -- LangChain plumbing ------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return f"{self._provider}-completions"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = self._provider
        params["ls_model_name"] = self._model_name()
        return params

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> GenerationParams:
        sampling = self._sampling(kwargs)
        return GenerationParams(
            temperature=kwargs.pop("temperature", self.temperature),
            max_tokens=kwargs.pop("max_tokens", self.max_tokens),
            stop=tuple(stop or self.stop or ()) or None,
            extra={**self.model_kwargs, **kwargs},
            **sampling,
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
                generations.append(
                    [_merge(list(self._stream(prompt, stop, run_manager, **kwargs)))]
                )
                continue
            with langchain_errors():
                result = self._complete(self._request(prompt, stop, kwargs))
            generations.append(
                [Generation(text=result.text, generation_info=generation_info(result))]
            )
        return _llm_result(generations, self._model_name())

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        async def one(prompt: str) -> list[Generation]:
            if self.streaming:
                chunks = [c async for c in self._astream(prompt, stop, run_manager, **kwargs)]
                return [_merge(chunks)]
            with langchain_errors():
                result = await self._acomplete(self._request(prompt, stop, kwargs))
            return [Generation(text=result.text, generation_info=generation_info(result))]

        generations = list(await asyncio.gather(*(one(prompt) for prompt in prompts)))
        return _llm_result(generations, self._model_name())

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        with langchain_errors():
            deltas = self._complete_stream(self._request(prompt, stop, kwargs))
        for delta in iterate(deltas):
            chunk = _chunk(delta)
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
            deltas = self._acomplete_stream(self._request(prompt, stop, kwargs))
        async for delta in aiterate(deltas):
            chunk = _chunk(delta)
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunk(delta: ChatDelta) -> GenerationChunk:
    info = generation_info(delta) if delta.is_final else None
    return GenerationChunk(text=delta.text, generation_info=info)


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
