"""Errors LangChain users can catch as either the cnllm error or the langchain-core one.

``ChatQianfan`` raises, for example, ``RateLimitError``, which is both
``cnllm.errors.RateLimitError`` and ``langchain_core.exceptions.ModelRateLimitError``
(the pattern of langchain-openai and langchain-anthropic).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TypeVar

from langchain_core import exceptions as lc

from cnllm import errors as cn

T = TypeVar("T")


class _Retryable:
    """Let langchain-core's ``is_retryable`` follow the vendor error's ``retryable``."""

    retryable: bool

    @property
    def is_retryable(self) -> bool:  # type: ignore[override]
        return self.retryable


class AuthenticationError(_Retryable, cn.AuthenticationError, lc.ModelAuthenticationError):
    pass


class PermissionDeniedError(_Retryable, cn.PermissionDeniedError, lc.ModelPermissionDeniedError):
    pass


class InvalidRequestError(_Retryable, cn.InvalidRequestError, lc.ModelInvalidRequestError):
    pass


class NotFoundError(_Retryable, cn.NotFoundError, lc.ModelNotFoundError):
    pass


class ContextOverflowError(_Retryable, cn.ContextOverflowError, lc.ContextOverflowError):
    pass


class InputTooLongError(_Retryable, cn.InputTooLongError, lc.ContextOverflowError):
    pass


class ContentFilterError(_Retryable, cn.ContentFilterError, lc.ModelInvalidRequestError):
    pass


class RateLimitError(_Retryable, cn.RateLimitError, lc.ModelRateLimitError):
    pass


class QuotaExceededError(_Retryable, cn.QuotaExceededError, lc.ModelRateLimitError):
    pass


class ServerError(_Retryable, cn.ServerError, lc.ModelAPIError):
    pass


class ProtocolError(_Retryable, cn.ProtocolError, lc.ModelAPIError):
    pass


class StreamInterruptedError(_Retryable, cn.StreamInterruptedError, lc.ModelAPIError):
    pass


class APIError(_Retryable, cn.APIError, lc.ModelAPIError):
    pass


class TimeoutError(_Retryable, cn.TimeoutError, lc.ModelTimeoutError):  # noqa: A001
    pass


class ConnectionError(_Retryable, cn.ConnectionError, lc.ModelConnectionError):  # noqa: A001
    pass


class ValidationError(_Retryable, cn.ValidationError, lc.ModelInvalidRequestError):
    pass


# Most specific first: the first cnllm class an error is an instance of decides.
_MAP: tuple[tuple[type[cn.CnLLMError], type[cn.CnLLMError]], ...] = (
    (cn.InputTooLongError, InputTooLongError),
    (cn.ValidationError, ValidationError),
    (cn.ContextOverflowError, ContextOverflowError),
    (cn.AuthenticationError, AuthenticationError),
    (cn.PermissionDeniedError, PermissionDeniedError),
    (cn.NotFoundError, NotFoundError),
    (cn.InvalidRequestError, InvalidRequestError),
    (cn.ContentFilterError, ContentFilterError),
    (cn.QuotaExceededError, QuotaExceededError),
    (cn.RateLimitError, RateLimitError),
    (cn.ServerError, ServerError),
    (cn.StreamInterruptedError, StreamInterruptedError),
    (cn.ProtocolError, ProtocolError),
    (cn.APIError, APIError),
    (cn.TimeoutError, TimeoutError),
    (cn.ConnectionError, ConnectionError),
)


def to_langchain_error(error: cn.CnLLMError) -> cn.CnLLMError:
    """The same error, as the class that is also the langchain-core model error."""
    for source, target in _MAP:
        if isinstance(error, source):
            if isinstance(error, target):
                return error
            converted = target.__new__(target)
            converted.__dict__.update(error.__dict__)
            converted.args = error.args
            return converted
    return error  # ConfigurationError and the like stay what they are (ValueError)


@contextmanager
def langchain_errors() -> Iterator[None]:
    try:
        yield
    except cn.CnLLMError as error:
        converted = to_langchain_error(error)
        if converted is error:
            raise
        raise converted.with_traceback(error.__traceback__) from None


def iterate(source: Iterator[T]) -> Iterator[T]:
    """Iterate a cnllm stream, raising errors as their LangChain classes."""
    with langchain_errors():
        yield from source


async def aiterate(source: AsyncIterator[T]) -> AsyncIterator[T]:
    with langchain_errors():
        async for item in source:
            yield item
