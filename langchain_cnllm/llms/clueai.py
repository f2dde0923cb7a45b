"""ClueAILLM: PromptCLUE / ChatYuan generation (``serving_api``), or a fine-tuned model."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LangSmithParams
from langchain_core.outputs import Generation, LLMResult
from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.clueai import models, prompts, protocol
from cnllm.clueai.protocol import GenerateConfig
from langchain_cnllm._clueai import ClueAIGeneration, ClueAISettings, likelihood_info
from langchain_cnllm.errors import langchain_errors


class ClueAILLM(ClueAISettings, ClueAIGeneration, BaseLLM):
    """ClueAI text generation: a prompt in, text out, with no vendor SDK.

    Setup: ``CLUEAI_API_KEY`` (``clueai-base`` also answers without a key);
    ``CLUEAI_MODELFUN_URL`` / ``CLUEAI_BASE_URL`` override the two hosts.

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAILLM
            from cnllm.clueai.prompts import format_prompt

            llm = ClueAILLM(model="clueai-large", do_sample=True, top_p=0.8, max_length=128)
            llm.invoke("摘要：\\n本文总结了十个可穿戴产品的设计原则…\\n答案：")
            llm.invoke(format_prompt("sentiment", text="这个看上去还可以，但其实我不喜欢"))
            ClueAILLM(engine_key="ft-…").invoke("…")  # a fine-tuned model

    Prompts follow PromptCLUE's task formats (``cnllm.clueai.prompts.TEMPLATES``). A prompt
    over 1,024 characters raises ``InputTooLongError`` unless ``truncate=True``. Stop
    sequences are applied to the answer here (the service ignores them). With
    ``return_likelihoods="GENERATION"`` the likelihoods are in ``generation_info``. The
    service reports no token usage.
    """

    model: str = Field(default=models.DEFAULT_LLM_MODEL, alias="model_name")
    temperature: float | None = None
    """Sampling temperature (sent in generate_config; 0 means greedy decoding)."""
    max_tokens: int | None = None
    """Tokens to generate at most: LangChain's name for ``max_length`` (sent as
    ``generate_config.max_length``); give one or the other."""
    stop: list[str] | None = None
    task_name: str | None = None
    """Sent as ``task_name`` (the curl examples do; the SDK never does)."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.max_tokens is not None:
            self.max_length = protocol.max_length_for(self.max_tokens, self.max_length)
        self._base_config(self.temperature).to_dict()  # bad values fail here, by name
        return self

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return False

    @property
    def _llm_type(self) -> str:
        return "clueai"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "engine_key": self.engine_key,
            "generate_config": self._base_config(self.temperature).to_dict(),
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "clueai"
        params["ls_model_name"] = self._served_name(kwargs.get("model") or self.model)
        return params

    def _prepare(
        self, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[str, GenerateConfig, dict[str, Any]]:
        kwargs = dict(kwargs)
        model = models.canonical(kwargs.pop("model", None) or self.model)
        if not self.engine_key:
            self._require_key(model)
        max_tokens = kwargs.pop("max_tokens", None)
        config, options = protocol.config_from(
            self._base_config(kwargs.pop("temperature", self.temperature)),
            max_tokens=protocol.max_length_for(max_tokens) if max_tokens is not None else None,
            extra=kwargs,
        )
        config.to_dict()  # validate call-time values before anything is sent
        options = self._options(options)
        options.setdefault("task_name", self.task_name)
        options["stop"] = stop or self.stop
        return model, config, options

    def _one(self, generation: protocol.Generation, model: str, stop: Any) -> Generation:
        text, stopped = prompts.clean_answer(generation.text, stop, dialogue=False)
        info = {
            "model_name": self._served_name(model),
            "finish_reason": "stop" if stopped else None,
            **likelihood_info(generation),
        }
        return Generation(text=text, generation_info=info)

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        with langchain_errors():
            model, config, options = self._prepare(stop, kwargs)
        generations = []
        for prompt in prompts:
            with langchain_errors():
                answers = self.client.generate(
                    prompt,
                    model=model,
                    config=config,
                    engine_key=self.engine_key,
                    base=self.finetune_base,
                    **options,
                )
            generations.append([self._one(answer, model, options["stop"]) for answer in answers])
        return LLMResult(
            generations=generations, llm_output={"model_name": self._served_name(model)}
        )

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        with langchain_errors():
            model, config, options = self._prepare(stop, kwargs)

        async def one(prompt: str) -> list[Generation]:
            with langchain_errors():
                answers = await self.client.agenerate(
                    prompt,
                    model=model,
                    config=config,
                    engine_key=self.engine_key,
                    base=self.finetune_base,
                    **options,
                )
            return [self._one(answer, model, options["stop"]) for answer in answers]

        generations = list(await asyncio.gather(*(one(prompt) for prompt in prompts)))
        return LLMResult(
            generations=generations, llm_output={"model_name": self._served_name(model)}
        )
