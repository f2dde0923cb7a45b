"""ClueAI configuration and generation settings shared by the LangChain and LlamaIndex classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from cnllm import errors
from cnllm.clueai import models, prompts, protocol
from cnllm.clueai.client import GENERATION_TIMEOUT, ClueAIClient
from cnllm.clueai.prompts import RenderedChat
from cnllm.clueai.protocol import GenerateConfig, Generation
from cnllm.settings import LazyClient, reveal, secret_env, text_env
from cnllm.types import ChatDelta, ChatRequest, ChatResult


class ClueAISettings(LazyClient):
    """Key, hosts, timeout and retries; each reads its env var when not given.

    ClueAI serves from two hosts (reference §1): ``modelfun_url`` for generation and
    classification, ``base_url`` for everything else (search, fine-tuning, images, usage).
    """

    api_key: SecretStr | None = Field(
        default_factory=secret_env("CLUEAI_API_KEY"), alias="clueai_api_key"
    )
    """API key (env ``CLUEAI_API_KEY``); clueai-base and the search engine also work without."""
    base_url: str = Field(default_factory=text_env("CLUEAI_BASE_URL", protocol.DEFAULT_BASE_URL))
    """The clueai.cn base (env ``CLUEAI_BASE_URL``)."""
    modelfun_url: str = Field(
        default_factory=text_env("CLUEAI_MODELFUN_URL", protocol.DEFAULT_MODELFUN_URL)
    )
    """The modelfun base for generate and classify (env ``CLUEAI_MODELFUN_URL``)."""
    timeout: float | None = Field(default=GENERATION_TIMEOUT, alias="request_timeout")
    """Seconds for generation-sized calls (the SDK's 200); light calls use at most 30."""
    max_retries: int = 2
    """Retries of transient failures (429, 5xx, "busy" answers, connection errors)."""

    _client: ClueAIClient | None = PrivateAttr(default=None)

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    @property
    def client(self) -> ClueAIClient:
        """The HTTP client, made on first use (pools and locks are never pickled)."""
        if self._client is None:
            key = reveal(self.api_key)
            self._client = ClueAIClient(
                key,
                base_url=self.base_url,
                modelfun_url=self.modelfun_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                limiter=self._limiter(protocol.VENDOR, self.modelfun_url, key),
            )
        return self._client

    def _require_key(self, model: str | None) -> None:
        """A model that cannot answer without a key fails here, before anything is sent."""
        if self.api_key is None and models.needs_key(model):
            raise errors.ConfigurationError(
                f"{model} needs a ClueAI API key: set CLUEAI_API_KEY or pass api_key= "
                "(only clueai-base answers without one)",
                vendor=protocol.VENDOR,
            )


class ClueAIGeneration(BaseModel):
    """``generate_config`` keys as fields, and what else a generate call takes.

    Unset fields are not sent. ``truncate`` opts in to cutting prompts longer than 1,024
    characters; by default they raise ``InputTooLongError`` (the SDK cuts them silently).
    ``engine_key`` calls a fine-tuned model (``finetune/predict``) instead of ``model``.
    """

    do_sample: bool | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_length: int | None = None
    """Tokens to generate at most (the service's documentation says it counts the input too)."""
    min_length: int | None = None
    length_penalty: float | None = None
    num_beams: int | None = None
    repetition_penalty: float | None = None
    no_repeat_ngram_size: int | None = None
    generate_config: dict[str, Any] = Field(default_factory=dict)
    """More ``generate_config`` keys, sent as they are (they follow HF ``generate()``)."""
    return_likelihoods: str | None = None
    """``"GENERATION"`` or ``"ALL"``: the likelihoods come back in the answer's metadata."""
    truncate: bool = False
    engine_key: str | None = None
    """A fine-tuned model's key (see ``ClueAIFineTuner``); ``model`` is then not used."""
    finetune_base: str | None = None
    """``"ChatYuan"`` for a model fine-tuned from ChatYuan (its endpoints differ)."""

    @field_validator("return_likelihoods")
    @classmethod
    def _likelihoods(cls, value: str | None) -> str | None:
        return protocol.return_likelihoods_value(value)

    @field_validator("finetune_base")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return protocol.finetune_base(value)

    def _base_config(self, temperature: float | None) -> GenerateConfig:
        return GenerateConfig(
            do_sample=self.do_sample,
            top_p=self.top_p,
            max_length=self.max_length,
            min_length=self.min_length,
            length_penalty=self.length_penalty,
            num_beams=self.num_beams,
            temperature=temperature,
            top_k=self.top_k,
            repetition_penalty=self.repetition_penalty,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
            extra=dict(self.generate_config),
        )

    def _options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "return_likelihoods": self.return_likelihoods,
            "truncate": self.truncate,
        }
        options.update(overrides)
        options["return_likelihoods"] = protocol.return_likelihoods_value(
            options["return_likelihoods"]
        )
        return options

    def _served_name(self, model: str) -> str:
        """The name reported as ``model_name``: the model, or the fine-tuned engine."""
        if self.engine_key:
            return f"{self.finetune_base or 'ClueAI'}-finetuned:{self.engine_key}"
        return model


def likelihood_info(generation: Generation) -> dict[str, Any]:
    """The likelihoods of an answer, for generation_info / response_metadata."""
    info: dict[str, Any] = {}
    if generation.likelihood is not None:
        info["likelihood"] = generation.likelihood
    if generation.token_likelihoods is not None:
        info["token_likelihoods"] = [
            {"token": item.token, "prob": item.prob} for item in generation.token_likelihoods
        ]
    return info


class ClueAIChat(ClueAISettings, ClueAIGeneration):
    """A conversation rendered into one ChatYuan prompt and generated (``cnllm.clueai.prompts``
    documents the rendering); what ChatClueAI and the LlamaIndex ClueAI share."""

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    escape_newlines: bool = False
    """Send newlines as a literal backslash-n, as ChatYuan's open-source code does."""

    def _name(self, model: str | None = None) -> str:
        return models.canonical(model or self.model or models.DEFAULT_CHAT_MODEL)

    def _model_name(self) -> str:
        return self._served_name(self._name())

    def _prepare(
        self, request: ChatRequest, model: str | None
    ) -> tuple[str, GenerateConfig, dict[str, Any], RenderedChat]:
        name = self._name(model)
        if not self.engine_key:
            self._require_key(name)
        params = request.params
        config, options = protocol.config_from(
            self._base_config(None),
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k,
            max_tokens=params.max_tokens,
            extra=params.extra,
        )
        config.to_dict()  # validate call-time values before anything is sent
        options = self._options(options)
        rendered = prompts.render_chat(
            request.messages,
            truncate=bool(options.pop("truncate")),
            escape_newlines=self.escape_newlines,
        )
        options["stop"] = params.stop
        return name, config, options, rendered

    def _result(
        self,
        generation: protocol.Generation,
        name: str,
        rendered: RenderedChat,
        request: ChatRequest,
    ) -> ChatResult:
        text, stopped = prompts.clean_answer(generation.text, request.params.stop, dialogue=True)
        metadata = {**likelihood_info(generation), "dropped_turns": rendered.dropped_turns}
        if rendered.shortened:
            metadata["shortened"] = True
        return ChatResult(
            text=text,
            model=self._served_name(name),
            finish_reason="stop" if stopped else None,
            metadata=metadata,
        )

    def chat_answer(self, request: ChatRequest, model: str | None = None) -> ChatResult:
        name, config, options, rendered = self._prepare(request, model)
        answers = self.client.generate(
            rendered.prompt,
            model=name,
            config=config,
            engine_key=self.engine_key,
            base=self.finetune_base,
            **options,
        )
        return self._result(answers[0], name, rendered, request)

    async def achat_answer(self, request: ChatRequest, model: str | None = None) -> ChatResult:
        name, config, options, rendered = self._prepare(request, model)
        answers = await self.client.agenerate(
            rendered.prompt,
            model=name,
            config=config,
            engine_key=self.engine_key,
            base=self.finetune_base,
            **options,
        )
        return self._result(answers[0], name, rendered, request)


def whole_answer(result: ChatResult) -> ChatDelta:
    """The one chunk of a "stream": ClueAI has no streaming endpoint."""
    return ChatDelta(
        text=result.text,
        model=result.model,
        is_final=True,
        finish_reason=result.finish_reason,
        metadata=result.metadata,
    )
