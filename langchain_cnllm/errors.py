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


class AuthenticationError(cn.AuthenticationError, lc.ModelAuthenticationError):
    pass


class PermissionDeniedError(cn.PermissionDeniedError, lc.ModelPermissionDeniedError):
    pass


class InvalidRequestError(cn.InvalidRequestError, lc.ModelInvalidRequestError):
    pass


class NotFoundError(cn.NotFoundError, lc.ModelNotFoundError):
    pass


class ContextOverflowError(cn.ContextOverflowError, lc.ContextOverflowError):
    pass


class InputTooLongError(cn.InputTooLongError, lc.ContextOverflowError):
    pass


class ContentFilterError(cn.ContentFilterError, lc.ModelInvalidRequestError):
    pass


class RateLimitError(cn.RateLimitError, lc.ModelRateLimitError):
    pass


class QuotaExceededError(cn.QuotaExceededError, lc.ModelRateLimitError):
    pass


class ServerError(cn.ServerError, lc.ModelAPIError):
    pass


class ProtocolError(cn.ProtocolError, lc.ModelAPIError):
    pass


class StreamInterruptedError(cn.StreamInterruptedError, lc.ModelAPIError):
    pass


class APIError(cn.APIError, lc.ModelAPIError):
    pass


class TimeoutError(cn.TimeoutError, lc.ModelTimeoutError):
    pass


class ConnectionError(cn.ConnectionError, lc.ModelConnectionError):
    pass


class ValidationError(cn.ValidationError, lc.ModelInvalidRequestError):
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
            # langchain-core's flag follows the vendor-specific decision (e.g. Qianfan 336000).
            converted.is_retryable = error.retryable  # type: ignore[attr-defined]
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
