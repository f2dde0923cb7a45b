"""ClueAI configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from typing import Any

from cnllm.clueai.settings import ClueAIChat as _ChatFields
from cnllm.clueai.settings import ClueAIGeneration, likelihood_info, whole_answer
from cnllm.clueai.settings import ClueAISettings as _Fields
from langchain_cnllm.errors import langchain_errors

__all__ = [
    "ClueAIChatSettings",
    "ClueAIGeneration",
    "ClueAISettings",
    "likelihood_info",
    "whole_answer",
]


class ClueAISettings(_Fields):
    """What every ClueAI LangChain class adds to the shared fields."""

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "CLUEAI_API_KEY"}

    def check_usage(self, finetune_user: bool = False) -> dict[str, Any]:
        """The account's usage as the service reports it (``user_info``, reference §4.2)."""
        with langchain_errors():
            return self.client.check_usage(finetune_user=finetune_user)

    async def acheck_usage(self, finetune_user: bool = False) -> dict[str, Any]:
        with langchain_errors():
            return await self.client.acheck_usage(finetune_user=finetune_user)


class ClueAIChatSettings(ClueAISettings, _ChatFields):
    pass
