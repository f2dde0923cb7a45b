"""The one error hierarchy of cnllm.

Every vendor failure becomes one of these classes, carrying what a user needs to act on it
(vendor code, message, HTTP status, request id) and whether retrying can help. Messages never
contain credentials: vendors echo request URLs (with ``access_token`` in the query) and even
the key itself in some errors, so ``redact`` masks credential-shaped values and every value
registered with ``remember_secret`` in every message that goes into an exception;
``scrub_error`` masks a given client's secrets in an error already built.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

# After "api_key=" and the like, any value with a letter or digit in it is a credential;
# after "Bearer", only a token-like one (8+ characters, a digit or punctuation among them).
# Prose is left alone: "pass api_key=... or set", "(or api_key=)", "Bearer authentication".
_VALUE = r"(?=[A-Za-z0-9._~+/=-]*[A-Za-z0-9])[A-Za-z0-9._~+/=%-]+"
_TOKEN = r"(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"
_SECRET_QUERY = re.compile(rf"(?i)\b(access_token|client_secret|client_id|api_key)=({_VALUE})")
_SECRET_HEADER = re.compile(rf"(?i)\b(bearer) ({_TOKEN})")
# bce-auth-v1/{access key}/{timestamp}/{expiry}/{signed headers}/{signature} (never a space).
_BCE_AUTH = re.compile(r"(?i)\b(bce-auth-v1)/[^\s\"']+")
MASK = "***"
# Shorter values are not scrubbed by value: "abc" would mask every "abc" in a message.
MIN_SECRET_LENGTH = 8
E = TypeVar("E", bound=BaseException)
_KNOWN_SECRETS: dict[str, None] = {}  # insertion-ordered set, bounded below
_MAX_KNOWN_SECRETS = 1024


def redact(text: str) -> str:
    """Mask credentials that may appear in URLs or headers quoted in a message, and every
    credential value this process has been given (see ``remember_secret``)."""
    text = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _SECRET_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _BCE_AUTH.sub(lambda m: f"{m.group(1)}/{MASK}", text)
    return scrub(text, tuple(_KNOWN_SECRETS))


def remember_secret(value: str | None) -> None:
    """Register a credential value (a key, a secret, a token) so that no error message built
    afterwards can carry it: servers echo keys back ("Invalid API-key provided: sk-…",
    "unknown client id …"), which no pattern can recognise."""
    if value and len(value) >= MIN_SECRET_LENGTH and value not in _KNOWN_SECRETS:
        if len(_KNOWN_SECRETS) >= _MAX_KNOWN_SECRETS:
            _KNOWN_SECRETS.pop(next(iter(_KNOWN_SECRETS)))
        _KNOWN_SECRETS[value] = None


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each secret (of 8+ characters) masked, longest first
    so that a secret containing another is masked whole."""
    values = sorted(
        {value for value in secrets if value and len(value) >= MIN_SECRET_LENGTH},
        key=len,
        reverse=True,
    )
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def _scrub_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: _scrub_value(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(item, secrets) for item in value)
    return value


def scrub_error(error: E, secrets: Iterable[str | None]) -> E:
    """The same error with the known ``secrets`` masked in its message, body and arguments,
    and in every cnllm error of its chain (cause and context). Returns ``error`` itself."""
    values = tuple(value for value in secrets if value)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CnLLMError):
            current.message = scrub(current.message, values)
            current.body = _scrub_value(current.body, values)
            if isinstance(current.request_id, str):
                current.request_id = scrub(current.request_id, values)
            current.args = (current._describe(),)
        else:
            current.args = tuple(_scrub_value(arg, values) for arg in current.args)
        current = current.__cause__ or current.__context__
    return error


class CnLLMError(Exception):
    """Base class of every error raised by cnllm."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str | None = None,
        code: str | int | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = redact(message)
        body = _scrub_value(body, tuple(_KNOWN_SECRETS)) if _KNOWN_SECRETS else body
        self.vendor = vendor
        self.code = code
        self.status_code = status_code
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after  # seconds the vendor asked us to wait, if it said
        if retryable is not None:
            self.retryable = retryable
        super().__init__(self._describe())

    def _describe(self) -> str:
        details = [
            f"{label}={value}"
            for label, value in (
                ("vendor", self.vendor),
                ("code", self.code),
                ("status", self.status_code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword-only state across pickling (multiprocessing workers re-raise these).
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[CnLLMError], message: str, state: dict[str, Any]) -> CnLLMError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.args = (error._describe(),)
    return error


class APIError(CnLLMError):
    """The vendor answered, with an error."""


class AuthenticationError(APIError):
    """Bad or expired credentials (HTTP 401, Qianfan 110/111/14, invalid_client)."""


class PermissionDeniedError(APIError):
    """The credentials are valid but may not do this (HTTP 403, Qianfan 6/336004)."""


class InvalidRequestError(APIError):
    """The request is malformed or a parameter is out of range (HTTP 400, Qianfan 336003)."""


class NotFoundError(APIError):
    """Unknown model, endpoint or resource (HTTP 404, Qianfan 336005)."""


class ContextOverflowError(InvalidRequestError):
    """The input is longer than the model accepts."""


class ContentFilterError(APIError):
    """The vendor's safety system refused the input or the output."""


class RateLimitError(APIError):
    """Too many requests or tokens (HTTP 429, Qianfan 18/336501/336502)."""

    retryable = True


class QuotaExceededError(RateLimitError):
    """A daily or total quota is used up; waiting a few seconds does not help."""

    retryable = False


class ServerError(APIError):
    """The vendor failed (HTTP 5xx, Qianfan 2/336100)."""

    retryable = True


class ProtocolError(APIError):
    """The vendor's answer did not follow its own protocol (bad JSON, a truncated stream)."""


class StreamInterruptedError(ProtocolError):
    """A stream ended before its final event: the partial answer is not a success."""

    retryable = True


class RedirectError(APIError):
    """The server answered with a redirect. LLM APIs do not redirect, so this is a wrong base
    URL (or a proxy in the way); it is never followed, so credentials never reach the target."""

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        self.location = location  # the redirect target, query values redacted
        super().__init__(message, **kwargs)


class TimeoutError(CnLLMError):
    """The vendor did not answer in time."""

    retryable = True


class ConnectionError(CnLLMError):
    """The vendor could not be reached, or the connection broke."""

    retryable = True


class ConnectError(ConnectionError):
    """The connection could not be opened (refused, unresolvable, connect timeout): the
    request was never sent, so even a non-idempotent request may be retried."""


class ConfigurationError(CnLLMError, ValueError):
    """Missing or contradictory configuration, found before anything is sent."""


class ValidationError(CnLLMError, ValueError):
    """A request parameter is invalid; the message names it and the allowed values."""

    def __init__(self, parameter: str, problem: str, *, vendor: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(f"invalid {parameter!r}: {problem}", vendor=vendor)


class InputTooLongError(ValidationError, ContextOverflowError):
    """The input exceeds the model's documented limit; found before anything is sent."""


def non_finite_path(value: Any, path: str) -> str | None:
    """The path of the first NaN or infinity inside ``value`` (nested dicts and lists)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = non_finite_path(item, f"{path}[{key!r}]")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = non_finite_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


def require_finite(params: Any, *, vendor: str | None = None) -> None:
    """Refuse NaN and infinity anywhere in request parameters (a dataclass such as
    GenerationParams, its ``extra`` keys named as given, or a mapping) before sending: JSON
    has no such numbers, and a server's answer to them is never transient."""
    if dataclasses.is_dataclass(params) and not isinstance(params, type):
        items = [(f.name, getattr(params, f.name)) for f in dataclasses.fields(params)]
        extra = dict(items).get("extra")
        items = [item for item in items if item[0] != "extra"]
        if isinstance(extra, Mapping):
            items += [(str(key), value) for key, value in extra.items()]
    elif isinstance(params, Mapping):
        items = [(str(key), value) for key, value in params.items()]
    else:
        return
    for name, value in items:
        found = non_finite_path(value, name)
        if found:
            raise ValidationError(
                found,
                f"{value!r} is not a finite number: NaN and infinity are refused",
                vendor=vendor,
            )


def error_for_status(status: int) -> type[APIError]:
    """The class for an HTTP status when the vendor gives nothing more specific."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 413:
        return ContextOverflowError
    if status in (408, 425, 429):
        return RateLimitError if status == 429 else ServerError
    if status >= 500:
        return ServerError
    return InvalidRequestError
