"""The client skeleton every vendor fills: the request, stream and batch loops, written once.

A vendor client is its pure protocol (build/parse), an :class:`~cnllm.auth.Auth` and its model
table; :class:`VendorClient` runs the I/O for all of them:

- a request (sync/async) authorized per attempt, with ONE reactive renewal when the auth says
  the credential used is stale;
- a stream with replay: the transport replays a stream that failed before its first item; the
  skeleton adds the one renewal, only while nothing was delivered;
- batches (embeddings): at most ``concurrency`` in flight, results in input order, and the
  first permanent failure stops the batches not yet sent.

Every request of one logical call (its token fetch, its retries, its replays, its renewal)
spends one :class:`~cnllm.retry.RetryBudget`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TypeVar

from cnllm import errors
from cnllm.auth import Auth
from cnllm.retry import RetryBudget
from cnllm.transport import EventParser, HttpRequest, HttpResponse, Transport

T = TypeVar("T")
Job = TypeVar("Job")
Result = TypeVar("Result")


class VendorClient:
    """The I/O of one vendor client: a transport and an auth."""

    def __init__(self, transport: Transport, auth: Auth) -> None:
        self.transport = transport
        self.auth = auth

    def budget(self) -> RetryBudget:
        return RetryBudget(self.transport.retry)

    def _renew(self, error: errors.CnLLMError, token: str | None) -> bool:
        """True (and the token dropped) if the call may be sent once more with a new one."""
        if not (self.auth.can_refresh and self.auth.is_stale(error)):
            return False
        self.auth.invalidate(token)
        return True

    def _authorizer(self, budget: RetryBudget, used: _Used) -> Callable[[HttpRequest], HttpRequest]:
        """Each attempt authorized afresh, noting the token used (what a renewal drops)."""

        def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used.token = self.auth.authorize(attempt, budget)
            return prepared

        return prepare

    def _aauthorizer(
        self, budget: RetryBudget, used: _Used
    ) -> Callable[[HttpRequest], Awaitable[HttpRequest]]:
        async def prepare(attempt: HttpRequest) -> HttpRequest:
            prepared, used.token = await self.auth.aauthorize(attempt, budget)
            return prepared

        return prepare

    # -- one request ----------------------------------------------------------------------------

    def post(self, request: HttpRequest, *, idempotent: bool = True) -> HttpResponse:
        """Send ``request`` (any method); ``idempotent=False`` for one that creates something."""
        budget, used = self.budget(), _Used()
        prepare = self._authorizer(budget, used)

        try:
            return self.transport.request(request, prepare, budget=budget, idempotent=idempotent)
        except errors.CnLLMError as error:
            if not self._renew(error, used.token):
                raise
        return self.transport.request(request, prepare, budget=budget, idempotent=idempotent)

    async def apost(self, request: HttpRequest, *, idempotent: bool = True) -> HttpResponse:
        budget, used = self.budget(), _Used()
        prepare = self._aauthorizer(budget, used)

        try:
            return await self.transport.arequest(
                request, prepare, budget=budget, idempotent=idempotent
            )
        except errors.CnLLMError as error:
            if not self._renew(error, used.token):
                raise
        return await self.transport.arequest(request, prepare, budget=budget, idempotent=idempotent)

    # -- streams --------------------------------------------------------------------------------

    def stream(self, request: HttpRequest, new_parser: Callable[[], EventParser[T]]) -> Iterator[T]:
        """Parsed items; renewed once if the credential was stale and nothing was delivered
        (a partial answer cannot be replayed)."""
        budget, used = self.budget(), _Used()
        prepare = self._authorizer(budget, used)

        for renewed in (False, True):
            delivered = False
            try:
                for item in self.transport.stream_items(
                    request, new_parser, prepare, budget=budget
                ):
                    delivered = True
                    yield item
                return
            except errors.CnLLMError as error:
                if renewed or delivered or not self._renew(error, used.token):
                    raise

    async def astream(
        self, request: HttpRequest, new_parser: Callable[[], EventParser[T]]
    ) -> AsyncIterator[T]:
        budget, used = self.budget(), _Used()
        prepare = self._aauthorizer(budget, used)

        for renewed in (False, True):
            delivered = False
            try:
                async for item in self.transport.astream_items(
                    request, new_parser, prepare, budget=budget
                ):
                    delivered = True
                    yield item
                return
            except errors.CnLLMError as error:
                if renewed or delivered or not self._renew(error, used.token):
                    raise

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()


class _Used:
    """The token the latest attempt was authorized with (what a renewal must drop)."""

    token: str | None = None


class _Stopped(Exception):
    """A batch not sent because an earlier one failed for good."""


def run_batches(
    jobs: Sequence[Job],
    send: Callable[[Job], Result],
    *,
    concurrency: int,
    on_result: Callable[[Job, Result], object] | None = None,
) -> list[Result]:
    """``send`` each job, at most ``concurrency`` at once (threads over the shared connection
    pool); results in input order. ``on_result`` runs in the caller's thread as each job
    completes (a progress bar stays exact). The first failure stops every job not yet sent
    and is raised once the ones in flight have ended."""
    if concurrency <= 1 or len(jobs) <= 1:
        in_order = []
        for job in jobs:
            in_order.append(send(job))
            if on_result is not None:
                on_result(job, in_order[-1])
        return in_order
    failed = threading.Event()

    def run(job: Job) -> Result:
        if failed.is_set():
            raise _Stopped
        try:
            return send(job)
        except BaseException:
            failed.set()  # before this thread takes another job
            raise

    results: dict[int, Result] = {}
    with ThreadPoolExecutor(min(concurrency, len(jobs)), "cnllm-batch") as pool:
        futures: dict[Future[Result], int] = {
            pool.submit(run, job): position for position, job in enumerate(jobs)
        }
        try:
            for future in as_completed(futures):
                position = futures[future]
                results[position] = future.result()
                if on_result is not None:
                    on_result(jobs[position], results[position])
        except BaseException as error:
            failed.set()
            for future in futures:
                future.cancel()
            if isinstance(error, _Stopped):  # the job that failed for real ended later
                pool.shutdown(wait=True)
                raise _real_failure(futures) from None
            raise
    return [results[position] for position in range(len(jobs))]


def _real_failure(futures: dict[Future[Result], int]) -> BaseException:
    for future in futures:
        if future.done() and not future.cancelled():
            error = future.exception()
            if error is not None and not isinstance(error, _Stopped):
                return error
    return errors.CnLLMError("a batch failed")  # pragma: no cover


async def arun_batches(
    jobs: Sequence[Job],
    send: Callable[[Job], Awaitable[Result]],
    *,
    concurrency: int,
) -> list[Result]:
    """Async ``run_batches``: the first failure cancels the jobs still waiting (never sent)
    and those in flight, then is raised."""
    gate = asyncio.Semaphore(max(1, concurrency))
    failed: list[BaseException] = []

    async def one(job: Job) -> Result:
        async with gate:
            if failed:
                raise _Stopped
            try:
                return await send(job)
            except BaseException as error:
                failed.append(error)  # before the gate lets the next job in
                raise

    tasks = [asyncio.ensure_future(one(job)) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if failed and not isinstance(failed[0], asyncio.CancelledError):
            raise failed[0] from None
        raise
