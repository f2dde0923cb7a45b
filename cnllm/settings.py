"""Default factories that read configuration from the environment when an object is built.

Shared by the LangChain and LlamaIndex classes (pydantic only, no framework).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pydantic import SecretStr


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
