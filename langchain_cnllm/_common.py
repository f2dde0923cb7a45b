"""What the chat and the completion base classes share: the standard fields and plumbing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CnModelFields(BaseModel):
    model: str | None = Field(default=None, alias="model_name")
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = Field(default=60.0, alias="request_timeout")
    """Seconds to wait for the connection and between bytes of the answer."""
    max_retries: int = 2
    """Retries of transient failures (429, 5xx, connection errors, vendor busy codes)."""
    streaming: bool = False
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra fields sent in the request body as they are."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    def _model_name(self) -> str:
        return self.model or ""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        # langchain-core's load() admits only the classes it lists, never a partner's, so
        # dumpd() output could not be loaded back; the standard test_serdes then skips.
        return False

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}
