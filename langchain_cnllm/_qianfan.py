"""Qianfan configuration for the LangChain classes (the fields live in cnllm)."""

from __future__ import annotations

from langchain_core.language_models import ModelProfile as LCProfile

from cnllm.qianfan.settings import QianfanSettings as _Fields
from cnllm.qianfan.v2.models import V2Model
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


def lc_profile(model: V2Model) -> LCProfile:
    """The v2 table entry as LangChain's ``profile`` (unknown limits are left out)."""
    profile = model.profile
    found = LCProfile(
        text_inputs=True,
        text_outputs=True,
        image_inputs=profile.image_input,
        image_url_inputs=profile.image_input,
        video_inputs=profile.video_input,
        audio_inputs=profile.audio_input,
        reasoning_output=profile.reasoning_output,
        tool_calling=profile.tool_calling,
        tool_choice=profile.tool_choice,
        structured_output=profile.json_schema,
        temperature=model.temperature,
    )
    if profile.context_window is not None:
        found["max_input_tokens"] = profile.context_window
    if profile.max_output_tokens is not None:
        found["max_output_tokens"] = profile.max_output_tokens
    return found
