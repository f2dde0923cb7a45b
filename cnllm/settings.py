"""Default factories that read configuration from the environment when an object is built.

Shared by the LangChain and LlamaIndex classes (pydantic only, no framework).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, PrivateAttr, SecretStr


def secret_env(name: str) -> Callable[[], SecretStr | None]:
    """``default_factory`` for a secret: the variable's value, or None when it is unset."""

    def read() -> SecretStr | None:
        value = os.environ.get(name)
        return SecretStr(value) if value else None

    return read


def text_env(name: str, default: str) -> Callable[[], str]:
    """``default_factory`` for a setting: the variable's value, or ``default`` when unset."""

    def read() -> str:
        return os.environ.get(name) or default

    return read


def optional_text_env(name: str) -> Callable[[], str | None]:
    def read() -> str | None:
        return os.environ.get(name) or None

    return read


def reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


class LazyClient(BaseModel):
    """Holds a vendor client made on first use; pickling leaves it behind.

    LlamaIndex pickles models into ingestion workers; a client's pools and locks do not
    pickle and would be stale in another process anyway.
    """

    _client: Any = PrivateAttr(default=None)

    def __getstate__(self) -> dict[Any, Any]:
        client, self._client = self._client, None
        try:
            state: dict[Any, Any] = super().__getstate__()
        finally:
            self._client = client
        return state
