"""Which native service a chat model is called on, and the one-shot "url error" fallback.

DashScope binds each model to exactly one of text-generation and multimodal-generation and
answers the other with 400 ``url error, please check url！`` — or, on a stream, with an HTTP
200 whose first SSE event is ``event:error`` (reference §2.1, §2.2). The family table gives
the first guess; when the vendor still says "url error" before anything was delivered, the
other route is tried once and the answer is remembered for that model in this process (the
strategy of the official SDK's own CLI).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

from cnllm import errors
from cnllm.dashscope import catalog
from cnllm.dashscope.catalog import Route

TEXT_PATH = "/services/aigc/text-generation/generation"
MULTIMODAL_PATH = "/services/aigc/multimodal-generation/generation"
PATHS: dict[Route, str] = {"text": TEXT_PATH, "multimodal": MULTIMODAL_PATH}

T = TypeVar("T")

_learned: dict[str, Route] = {}  # model -> the route the vendor accepted, per process
_lock = threading.Lock()


def route_for(model: str) -> Route:
    """The route to try first: what this process learned, else the family, else the guess."""
    with _lock:
        learned = _learned.get(model)
    if learned is not None:
        return learned
    entry = catalog.family(model)
    return entry.route if entry is not None else catalog.guess_route(model)


def other(route: Route) -> Route:
    return "text" if route == "multimodal" else "multimodal"


def remember(model: str, route: Route) -> None:
    with _lock:
        _learned[model] = route


def forget() -> None:
    """Drop what was learned (tests)."""
    with _lock:
        _learned.clear()


def is_url_error(error: BaseException) -> bool:
    """The vendor's answer to a model sent to the wrong service. Matched on the substring:
    the full text carries a full-width ``！`` and a help URL that vary (trap 29)."""
    return isinstance(error, errors.InvalidRequestError) and "url error" in str(error).lower()


# Each ``call`` builds its body for the route it is given (the two services take different
# message shapes) and sends it.


def call(model: str, send: Callable[[Route], T]) -> T:
    first = route_for(model)
    try:
        result = send(first)
    except errors.CnLLMError as error:
        if not is_url_error(error):
            raise
        result = send(other(first))
        remember(model, other(first))
        return result
    remember(model, first)
    return result


async def acall(model: str, send: Callable[[Route], Awaitable[T]]) -> T:
    first = route_for(model)
    try:
        result = await send(first)
    except errors.CnLLMError as error:
        if not is_url_error(error):
            raise
        result = await send(other(first))
        remember(model, other(first))
        return result
    remember(model, first)
    return result


def stream(model: str, open_stream: Callable[[Route], Iterator[T]]) -> Iterator[T]:
    """The stream on the model's route; "url error" before the first item switches once."""
    first = route_for(model)
    items = open_stream(first)
    try:
        head = next(items)
        chosen = first
    except StopIteration:
        return
    except errors.CnLLMError as error:
        if not is_url_error(error):
            raise
        chosen = other(first)
        items = open_stream(chosen)
        try:
            head = next(items)
        except StopIteration:
            return
    remember(model, chosen)
    yield head
    yield from items


async def astream(model: str, open_stream: Callable[[Route], AsyncIterator[T]]) -> AsyncIterator[T]:
    first = route_for(model)
    items = open_stream(first)
    try:
        head = await anext(items)
        chosen = first
    except StopAsyncIteration:
        return
    except errors.CnLLMError as error:
        if not is_url_error(error):
            raise
        chosen = other(first)
        items = open_stream(chosen)
        try:
            head = await anext(items)
        except StopAsyncIteration:
            return
    remember(model, chosen)
    yield head
    async for item in items:
        yield item
