"""ChatClueAI: ChatYuan / PromptCLUE as a LangChain chat model over ``serving_api``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import model_validator
from typing_extensions import Self

from cnllm.clueai import protocol
from cnllm.types import ChatDelta, ChatRequest, ChatResult
from langchain_cnllm._clueai import ClueAIChatSettings, whole_answer
from langchain_cnllm.chat_models.base import CnChatModel


class ChatClueAI(ClueAIChatSettings, CnChatModel):
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

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.max_tokens is not None:  # sent as max_length: checked here, by its own name
            protocol.max_length_for(self.max_tokens, self.max_length)
        self._base_config(self.temperature).to_dict()  # bad values fail here, by name
        return self

    @property
    def _provider(self) -> str:
        return "clueai"

    def _supports_tools(self, model: str | None = None) -> bool:
        return False

    def _sampling(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"top_p": kwargs.pop("top_p", self.top_p), "top_k": kwargs.pop("top_k", self.top_k)}

    def _call(self, request: ChatRequest, model: str | None) -> ChatResult:
        return self.chat_answer(request, model)

    async def _acall(self, request: ChatRequest, model: str | None) -> ChatResult:
        return await self.achat_answer(request, model)

    def _call_stream(self, request: ChatRequest, model: str | None) -> Iterator[ChatDelta]:
        yield whole_answer(self._call(request, model))

    async def _acall_stream(
        self, request: ChatRequest, model: str | None
    ) -> AsyncIterator[ChatDelta]:
        yield whole_answer(await self._acall(request, model))
