"""ClueAI: ChatYuan / PromptCLUE for LlamaIndex (one prompt, no streaming endpoint)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from pydantic import Field, model_validator
from typing_extensions import Self

from cnllm.clueai import protocol
from cnllm.clueai.settings import ClueAIChat, whole_answer
from cnllm.types import ChatDelta, ChatRequest, ChatResult
from llamaindex_cnllm.llms.base import CnLLM

# ClueAI takes prompts of at most 1,024 characters, and LlamaIndex packs prompts by tokens
# (its tokenizer counts a Chinese character as 1-2 tokens). A 1,536-token window fits three
# retrieved passages of Chinese text; ``truncate`` (on by default here) cuts the middle of a
# prompt that still exceeds 1,024 characters, keeping the instructions and the question.
DEFAULT_CONTEXT_WINDOW = 1536


class ClueAI(ClueAIChat, CnLLM):
    """ClueAI chat (ChatYuan-large by default): a conversation is rendered into one
    ``用户：…\\n小元：`` prompt (``cnllm.clueai.prompts``), the oldest turns dropped to fit.

    Example:
        .. code-block:: python

            from llamaindex_cnllm import ClueAI

            ClueAI().complete("帮我写个请假条")
    """

    context_window: int = Field(default=DEFAULT_CONTEXT_WINDOW, description="Prompt tokens.")
    max_tokens: int | None = Field(default=128, description="Most tokens to generate.")
    truncate: bool = Field(default=True, description="Cut prompts over 1,024 characters.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.max_tokens is not None:  # sent as max_length: checked here, by its own name
            protocol.max_length_for(self.max_tokens)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "ClueAI"

    def _context_window(self) -> int:
        return self.context_window

    def _supports_tools(self) -> bool:
        return False

    def _call(self, request: ChatRequest) -> ChatResult:
        return self.chat_answer(request)

    async def _acall(self, request: ChatRequest) -> ChatResult:
        return await self.achat_answer(request)

    def _call_stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        yield whole_answer(self._call(request))

    async def _acall_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        yield whole_answer(await self._acall(request))
