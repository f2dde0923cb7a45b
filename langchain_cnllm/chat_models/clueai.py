"""ChatClueAI: ChatYuan / PromptCLUE as a LangChain chat model over ``serving_api``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.clueai import models, prompts, protocol
from cnllm.clueai.prompts import RenderedChat
from cnllm.clueai.protocol import GenerateConfig
from cnllm.types import ChatDelta, ChatRequest, ChatResult
from langchain_cnllm._clueai import ClueAIGeneration, ClueAISettings, likelihood_info
from langchain_cnllm.chat_models.base import CnChatModel


class ChatClueAI(ClueAISettings, ClueAIGeneration, CnChatModel):
    """ClueAI chat (ChatYuan-large by default), with no vendor SDK.

    Setup: ``CLUEAI_API_KEY``; ``CLUEAI_MODELFUN_URL`` / ``CLUEAI_BASE_URL`` override the hosts.

    Example:
        .. code-block:: python

            from langchain_core.messages import HumanMessage
            from langchain_cnllm import ChatClueAI

            chat = ChatClueAI()  # ChatYuan-large
            chat.invoke([HumanMessage("帮我写个请假条")])
            ChatClueAI(model="clueai-large", max_tokens=128).invoke("介绍一下杭州")

    ClueAI has no chat endpoint: the conversation is rendered into one prompt in the
    ChatYuan form ``用户：…\\n小元：…\\n用户：…\\n小元：`` (system text on its own lines first),
    and generated with ``serving_api`` (``cnllm.clueai.prompts`` documents the rendering).
    Prompts are limited to 1,024 characters: the oldest exchanges are dropped to fit, never
    the last user message; ``response_metadata["dropped_turns"]`` says how many. If the system
    text and the last user message alone are too long, ``InputTooLongError`` is raised unless
    ``truncate=True``.

    No native tools (``bind_tools`` raises; ``with_structured_output`` prompts for JSON and
    parses it), no streaming endpoint (``stream`` yields the whole answer as one chunk) and no
    token usage (``usage_metadata`` is None). ``temperature`` / ``top_p`` / ``top_k`` /
    ``max_tokens`` go to ``generate_config`` (``max_tokens`` as ``max_length``; temperature 0
    means greedy). Stop sequences are applied to the answer here; it is also cut where the
    model begins a next ``用户：`` turn, and a literal ``\\n`` in it becomes a newline.
    """

    model: str | None = Field(default=models.DEFAULT_CHAT_MODEL, alias="model_name")
    escape_newlines: bool = False
    """Send newlines as a literal backslash-n, as ChatYuan's open-source code does."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        self._base_config(self.temperature).to_dict()  # bad values fail here, by name
        return self

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return False

    @property
    def _provider(self) -> str:
        return "clueai"

    def _name(self, model: str | None = None) -> str:
        return models.canonical(model or self.model or models.DEFAULT_CHAT_MODEL)

    def _model_name(self) -> str:
        return self._served_name(self._name())

    def _supports_tools(self, model: str | None = None) -> bool:
        return False

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"top_p": kwargs.pop("top_p", self.top_p), "top_k": kwargs.pop("top_k", self.top_k)}

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

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
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

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
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

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        yield _whole(self._call(request, model))

    async def _acall_stream(
        self, request: ChatRequest, model: str | None
    ) -> AsyncIterator[ChatDelta]:
        yield _whole(await self._acall(request, model))


def _whole(result: ChatResult) -> ChatDelta:
    """The one chunk of a "stream": ClueAI has no streaming endpoint."""
    return ChatDelta(
        text=result.text,
        model=result.model,
        is_final=True,
        finish_reason=result.finish_reason,
        metadata=result.metadata,
    )
