"""The standard suites' capability flags, read from the model's profile (the vendor's model
table), so that no suite claims more or less than the class tells LangChain.

What the profile cannot say stays a hand flag in the suite, with its reason (e.g. a vendor
that reports no usage at all, or none in streams).
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models import ModelProfile as LCModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk

from cnllm.types import ModelProfile
from langchain_cnllm.chat_models.base import CnChatModel

REASONING_QUESTION = "3 乘以 7 等于多少？"
Detail = Literal[
    "audio_input", "audio_output", "reasoning_output", "cache_read_input", "cache_creation_input"
]


class ProfileFlags:
    """Mix in before ``ChatModelIntegrationTests``."""

    # Usage details the vendor reports in streams too (FastChat streams carry no usage).
    streams_usage_details: bool = True

    def _model(self) -> CnChatModel:
        # chat_model_class / chat_model_params come from the suite this is mixed into.
        model = self.chat_model_class(**self.chat_model_params)  # type: ignore[attr-defined]
        assert isinstance(model, CnChatModel)
        return model

    @property
    def _lc_profile(self) -> LCModelProfile:
        return self._model().profile or {}

    @property
    def _table(self) -> ModelProfile:
        return self._model()._model_profile()

    @property
    def has_tool_calling(self) -> bool:
        return bool(self._lc_profile.get("tool_calling"))

    @property
    def has_tool_choice(self) -> bool:
        return bool(self._lc_profile.get("tool_choice"))

    @property
    def has_structured_output(self) -> bool:
        return True  # every class: natively where the profile says so, else by prompting

    @property
    def supports_json_mode(self) -> bool:
        return self._table.json_mode

    @property
    def supports_image_inputs(self) -> bool:
        return bool(self._lc_profile.get("image_inputs"))

    @property
    def supports_image_urls(self) -> bool:
        return bool(self._lc_profile.get("image_url_inputs"))

    @property
    def supports_audio_inputs(self) -> bool:
        return bool(self._lc_profile.get("audio_inputs"))

    @property
    def supports_video_inputs(self) -> bool:
        return bool(self._lc_profile.get("video_inputs"))

    @property
    def supports_pdf_inputs(self) -> bool:
        return bool(self._lc_profile.get("pdf_inputs"))

    @property
    def supported_usage_metadata_details(self) -> dict[Literal["invoke", "stream"], list[Detail]]:
        """Reasoning models report their reasoning tokens and the prefix-cache hit."""
        if not self._lc_profile.get("reasoning_output"):
            return {"invoke": [], "stream": []}
        details: list[Detail] = ["reasoning_output", "cache_read_input"]
        return {"invoke": details, "stream": details if self.streams_usage_details else []}

    def _thinking_call(self, stream: bool) -> AIMessage:
        model = self._model()
        if self._table.thinking_optional:  # a hybrid: switch thinking on for this call
            model = model.model_copy(update={"enable_thinking": True})
        if not stream:
            return model.invoke(REASONING_QUESTION)
        chunks = list(model.stream(REASONING_QUESTION))
        merged = chunks[0]
        for chunk in chunks[1:]:
            merged += chunk
        assert isinstance(merged, AIMessageChunk)
        return merged

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        return self._thinking_call(stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        return self._thinking_call(stream)
