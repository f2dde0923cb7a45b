"""Koala configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from cnllm.koala.client import API_KEY_ENV
from cnllm.koala.settings import KoalaSettings as _Fields
from langchain_cnllm.errors import langchain_errors


class KoalaSettings(_Fields):
    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"koala_api_key": API_KEY_ENV}

    def list_models(self) -> list[str]:
        """The names the server lists (``GET /v1/models``); chat and embedding models alike."""
        with langchain_errors():
            return [card.id for card in self.client.list_models()]

    async def alist_models(self) -> list[str]:
        with langchain_errors():
            return [card.id for card in await self.client.alist_models()]
