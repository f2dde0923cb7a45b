"""What every configuration class shares: defaults read from the environment, and the base
``LazyClient`` that keeps constructor input out of validation errors, never drops an unknown
argument silently, and refuses non-http(s) URLs and NaN/inf before anything is sent.

Shared by the LangChain and LlamaIndex classes (pydantic only, no framework).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, PrivateAttr, SecretStr, model_validator

from cnllm import errors
from cnllm.ratelimit import LIMIT_NAMES, RateLimiter, check_limits, shared_limiter

# Where an unknown constructor argument goes, in order of preference: the field whose
# contents are sent in the request body as they are. A class with none of them refuses it.
BODY_FIELDS = ("model_kwargs", "additional_kwargs", "generate_config")
# Keys the frameworks themselves pass back to constructors (LlamaIndex's to_dict/from_dict).
_FRAMEWORK_KEYS = frozenset({"class_name"})


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
    """The secret's value, for a client; remembered so that no error message can show it."""
    if secret is None:
        return None
    value = secret.get_secret_value()
    errors.remember_secret(value)
    return value


def accepted_names(cls: type[BaseModel]) -> set[str]:
    """Every keyword a model's constructor takes: field names and their aliases."""
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


def route_unknown_arguments(cls: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Unknown constructor arguments are never dropped silently (pydantic's default).

    As in langchain-openai: where the class has a field sent in the request body as it is
    (``model_kwargs``…), the argument moves there with a warning naming it (a new vendor
    parameter works; a typo is visible). A class with no such field refuses it.
    """
    known = accepted_names(cls)
    unknown = [key for key in data if key not in known and key not in _FRAMEWORK_KEYS]
    if not unknown:
        return data
    body_field = next((name for name in BODY_FIELDS if name in cls.model_fields), None)
    if body_field is None:
        valid = ", ".join(sorted(name for name in cls.model_fields if not name.startswith("_")))
        raise ValueError(
            f"{cls.__name__} got unknown argument(s) {', '.join(map(repr, unknown))}; "
            f"valid arguments: {valid}"
        )
    data = dict(data)
    extra = dict(data.get(body_field) or {})
    for key in unknown:
        if key in extra:
            raise ValueError(f"{key!r} was given twice: as an argument and in {body_field}")
        warnings.warn(
            f"{cls.__name__}: {key!r} is not a known parameter; it is sent in the request "
            f"body through {body_field}. Check the spelling if that is not what you meant.",
            UserWarning,
            stacklevel=4,
        )
        extra[key] = data.pop(key)
    data[body_field] = extra
    return data


def check_url(name: str, value: str) -> None:
    """A base URL must be http(s): anything else could never work, and is not transient."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        shown = value.split("@")[-1][:100]  # never echo user:password@
        raise errors.ConfigurationError(
            f"{name} must be an http:// or https:// URL (e.g. https://host/path), not {shown!r}"
        )


class RateBudget(BaseModel):
    """The rate budget every public class takes (docs/rate-limits.md).

    One budget per vendor and credentials in a process: every object built with the same
    key (and host) paces its requests together, and the last limits configured win. Unset,
    nothing is paced until the vendor throttles; then the pace adapts (see cnllm.ratelimit).
    """

    requests_per_second: float | None = None
    """Requests per second at most, for this key in this process (None: no limit)."""
    requests_per_minute: float | None = None
    """Requests per minute at most, spread evenly (None: no limit); the stricter of the two
    request limits applies."""
    tokens_per_minute: int | None = None
    """Tokens per minute at most, estimated from each request body (None: no limit)."""

    def _limiter(self, vendor: str, url: str | None, *credentials: str | None) -> RateLimiter:
        """The process's budget of ``vendor`` for these credentials at ``url``'s host (only a
        hash of them is kept), configured with this object's limits if it has any."""
        host = urlsplit(url or "").netloc.lower()
        return shared_limiter(
            vendor,
            "\n".join([host, *(part or "" for part in credentials)]),
            requests_per_second=self.requests_per_second,
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
        )


class LazyClient(RateBudget):
    """Holds a vendor client made on first use; pickling leaves it behind. The base of every
    public class, so the checks below hold for all of them.

    LlamaIndex pickles models into ingestion workers; a client's pools and locks do not
    pickle and would be stale in another process anyway.
    """

    _client: Any = PrivateAttr(default=None)

    # Never echo constructor input in a validation error (it holds keys and secrets); a
    # NaN or infinity in a numeric field is refused, never sent.
    model_config = ConfigDict(hide_input_in_errors=True, allow_inf_nan=False)

    def __init__(self, **data: Any) -> None:
        # The limits' own error (a ConfigurationError naming the field), never pydantic's.
        check_limits({name: data[name] for name in LIMIT_NAMES if name in data})
        super().__init__(**data)
        # Checked here rather than in a validator so that the error keeps its own type.
        for name, value in self.__dict__.items():
            if name.endswith("url") and isinstance(value, str):
                check_url(name, value)

    @model_validator(mode="before")
    @classmethod
    def _unknown_arguments(cls, data: Any) -> Any:
        return route_unknown_arguments(cls, data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _finite(self) -> Any:
        # Numeric fields are checked by allow_inf_nan; the fields sent as they are, here.
        for name in BODY_FIELDS:
            found = errors.non_finite_path(self.__dict__.get(name), name)
            if found:
                raise ValueError(f"{found} is not a finite number; NaN and infinity are refused")
        return self

    def __getstate__(self) -> dict[Any, Any]:
        client, self._client = self._client, None
        try:
            state: dict[Any, Any] = super().__getstate__()
        finally:
            self._client = client
        return state
