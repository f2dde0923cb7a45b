"""Qianfan configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from cnllm.qianfan.settings import QianfanSettings as _Fields


class QianfanSettings(_Fields):
    @property
    def lc_secrets(self) -> dict[str, str]:
        return {
            "qianfan_ak": "QIANFAN_AK",
            "qianfan_sk": "QIANFAN_SK",
            "qianfan_access_key": "QIANFAN_ACCESS_KEY",
            "qianfan_secret_key": "QIANFAN_SECRET_KEY",
            "qianfan_access_token": "QIANFAN_ACCESS_TOKEN",
        }
