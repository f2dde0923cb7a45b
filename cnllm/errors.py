"""The one error hierarchy of cnllm.

Every vendor failure becomes one of these classes, carrying what a user needs to act on it
(vendor code, message, HTTP status, request id) and whether retrying can help. Messages never
contain credentials: vendors echo request URLs (with ``access_token`` in the query) in some
errors, so ``redact`` scrubs every message that goes into an exception.
"""

from __future__ import annotations

import re
from typing import Any

_SECRET_QUERY = re.compile(r"(?i)(access_token|client_secret|client_id|api_key)=[^&\s\"']+")
_SECRET_HEADER = re.compile(r"(?i)(bearer|bce-auth-v1)[ /][^\s\"']+")


def redact(text: str) -> str:
    """Mask credentials that may appear in URLs or headers quoted in a message."""
    text = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
    return _SECRET_HEADER.sub(lambda m: f"{m.group(1)} ***", text)


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
