"""Qianfan configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from cnllm.qianfan.settings import QianfanSettings as _Fields
from langchain_cnllm.errors import langchain_errors


class QianfanSettings(_Fields):
    @property
    def lc_secrets(self) -> dict[str, str]:
        return {
            "qianfan_api_key": "QIANFAN_API_KEY",
            "qianfan_ak": "QIANFAN_AK",
            "qianfan_sk": "QIANFAN_SK",
            "qianfan_access_key": "QIANFAN_ACCESS_KEY",
            "qianfan_secret_key": "QIANFAN_SECRET_KEY",
            "qianfan_access_token": "QIANFAN_ACCESS_TOKEN",
        }

    def list_models(self) -> list[str]:
        """The model ids the v2 credentials may call (``GET /v2/models``)."""
        with langchain_errors():
            return [card.id for card in self.v2_client.list_models()]

    async def alist_models(self) -> list[str]:
        with langchain_errors():
            return [card.id for card in await self.v2_client.alist_models()]
