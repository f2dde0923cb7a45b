"""ClueAI client: the pure protocol over the shared transport, sync and async mirrored.

Generation-sized calls (generate, classify, uploads, fine-tune start/predict, text2image) use
the caller's timeout (200 s by default, the SDK's); the light ones (search, usage, key check,
training state) a shorter one. Waiting for an engine or a training run polls with a deadline.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from cnllm import errors
from cnllm.auth import StaticHeaders
from cnllm.client import VendorClient
from cnllm.clueai import prompts, protocol
from cnllm.clueai.protocol import (
    Classification,
    GenerateConfig,
    Generation,
    SearchResult,
)
from cnllm.retry import RetryPolicy
from cnllm.transport import HttpRequest, HttpResponse, Limiter, Transport

GENERATION_TIMEOUT = 200.0  # the SDK's value for serving_api, start and predict (§2.4)
LIGHT_TIMEOUT = 30.0
# Answers that say "try again later" while an engine indexes or a model trains; anything
# else (bad key, no quota, bad request) ends the wait at once.
_FATAL_WHILE_WAITING = (
    errors.AuthenticationError,
    errors.PermissionDeniedError,
    errors.QuotaExceededError,
    errors.ContextOverflowError,
)

Examples = Sequence[Mapping[str, str] | tuple[str, str]]


def base_url_from_env() -> str:
    return os.environ.get("CLUEAI_BASE_URL") or protocol.DEFAULT_BASE_URL


def modelfun_url_from_env() -> str:
    return os.environ.get("CLUEAI_MODELFUN_URL") or protocol.DEFAULT_MODELFUN_URL


class ClueAIClient:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        modelfun_url: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        limiter: Limiter | None = None,
    ) -> None:
        self.api_key = api_key or None
        self.base_url = (base_url or base_url_from_env()).rstrip("/")
        self.modelfun_url = (modelfun_url or modelfun_url_from_env()).rstrip("/")
        heavy = timeout if timeout is not None else GENERATION_TIMEOUT
        retry = RetryPolicy(max_retries=max_retries)
        self.transport = Transport(
            check=protocol.check_response,
            vendor=protocol.VENDOR,
            timeout=heavy,
            retry=retry,
            limiter=limiter,  # one budget for both hosts: the key is what the vendor counts
        )
        self.light = Transport(
            check=protocol.check_response,
            vendor=protocol.VENDOR,
            timeout=min(heavy, LIGHT_TIMEOUT),
            retry=retry,
            limiter=limiter,
        )
        # The key travels in each request the protocol builds (a header, a field or a query
        # parameter, per endpoint), so the auth adds nothing.
        auth = StaticHeaders({})
        self._heavy_io = VendorClient(self.transport, auth)
        self._light_io = VendorClient(self.light, auth)

    def __repr__(self) -> str:  # never the key
        return f"ClueAIClient(base_url={self.base_url!r}, modelfun_url={self.modelfun_url!r})"

    # -- exchanges ------------------------------------------------------------------------------

    # ``creates=True``: the request makes something (an engine, a training run, a serving
    # instance); it is retried only when the failure proves the server never acted on it.

    def _send(
        self, request: HttpRequest, *, light: bool = False, creates: bool = False
    ) -> HttpResponse:
        io = self._light_io if light else self._heavy_io
        return io.post(request, idempotent=not creates)

    async def _asend(
        self, request: HttpRequest, *, light: bool = False, creates: bool = False
    ) -> HttpResponse:
        io = self._light_io if light else self._heavy_io
        return await io.apost(request, idempotent=not creates)

    def _json(
        self, request: HttpRequest, what: str, *, light: bool = False, creates: bool = False
    ) -> dict[str, Any]:
        return protocol.json_body(self._send(request, light=light, creates=creates), what)

    async def _ajson(
        self, request: HttpRequest, what: str, *, light: bool = False, creates: bool = False
    ) -> dict[str, Any]:
        return protocol.json_body(await self._asend(request, light=light, creates=creates), what)

    # -- account --------------------------------------------------------------------------------

    def check_api_key(self) -> bool:
        request = protocol.check_api_key_request(self.modelfun_url, self.api_key)
        return protocol.parse_valid(self._json(request, "check_api_key", light=True))

    async def acheck_api_key(self) -> bool:
        request = protocol.check_api_key_request(self.modelfun_url, self.api_key)
        return protocol.parse_valid(await self._ajson(request, "check_api_key", light=True))

    def check_usage(self, *, finetune_user: bool = False) -> dict[str, Any]:
        """The account's usage, as the service reports it (its shape is undocumented)."""
        request = protocol.user_info_request(
            self.base_url, self.api_key, finetune_user=finetune_user
        )
        return self._json(request, "user_info", light=True)

    async def acheck_usage(self, *, finetune_user: bool = False) -> dict[str, Any]:
        request = protocol.user_info_request(
            self.base_url, self.api_key, finetune_user=finetune_user
        )
        return await self._ajson(request, "user_info", light=True)

    # -- generation -----------------------------------------------------------------------------

    def _generate_request(
        self,
        prompt: str,
        model: str,
        config: GenerateConfig,
        engine_key: str | None,
        base: str | None,
        options: dict[str, Any],
    ) -> HttpRequest:
        text = prompts.check_prompt(prompt, truncate=bool(options.get("truncate")))
        likelihoods = options.get("return_likelihoods")
        if engine_key:
            return protocol.finetune_predict_request(
                self.base_url,
                self.api_key,
                engine_key,
                text,
                config,
                base=base,
                return_likelihoods=likelihoods,
            )
        return protocol.generate_request(
            self.modelfun_url,
            self.api_key,
            model,
            text,
            config,
            return_likelihoods=likelihoods,
            stop=options.get("stop"),
            task_name=options.get("task_name"),
        )

    def generate(
        self,
        prompt: str,
        *,
        model: str,
        config: GenerateConfig | None = None,
        engine_key: str | None = None,
        base: str | None = None,
        **options: Any,
    ) -> list[Generation]:
        """serving_api generate (§4.3), or a fine-tuned model's predict when ``engine_key``
        is given (§4.7). ``options``: truncate, return_likelihoods, stop, task_name."""
        request = self._generate_request(
            prompt, model, config or GenerateConfig(), engine_key, base, options
        )
        return protocol.parse_generations(self._json(request, "a generate request"))

    async def agenerate(
        self,
        prompt: str,
        *,
        model: str,
        config: GenerateConfig | None = None,
        engine_key: str | None = None,
        base: str | None = None,
        **options: Any,
    ) -> list[Generation]:
        request = self._generate_request(
            prompt, model, config or GenerateConfig(), engine_key, base, options
        )
        return protocol.parse_generations(await self._ajson(request, "a generate request"))

    def classify(
        self,
        inputs: Sequence[str],
        labels: Sequence[str],
        *,
        model: str,
        examples: Examples | None = None,
        task_name: str = "",
    ) -> list[Classification]:
        request = protocol.classify_request(
            self.modelfun_url,
            self.api_key,
            model,
            inputs,
            labels,
            examples=examples,
            task_name=task_name,
        )
        return protocol.parse_classifications(self._json(request, "a classify request"), inputs)

    async def aclassify(
        self,
        inputs: Sequence[str],
        labels: Sequence[str],
        *,
        model: str,
        examples: Examples | None = None,
        task_name: str = "",
    ) -> list[Classification]:
        request = protocol.classify_request(
            self.modelfun_url,
            self.api_key,
            model,
            inputs,
            labels,
            examples=examples,
            task_name=task_name,
        )
        body = await self._ajson(request, "a classify request")
        return protocol.parse_classifications(body, inputs)

    # -- search engine --------------------------------------------------------------------------

    def upload_corpus(
        self,
        content: bytes,
        filename: str,
        field: str,
        *,
        sync: bool = True,
        model: str | None = None,
    ) -> str:
        """Upload a JSON Lines corpus (§4.5); returns the new engine's key."""
        request = protocol.upload_corpus_request(
            self.base_url, self.api_key, content, filename, field, sync=sync, model=model
        )
        return protocol.parse_engine_key(self._json(request, "a corpus upload", creates=True))

    async def aupload_corpus(
        self,
        content: bytes,
        filename: str,
        field: str,
        *,
        sync: bool = True,
        model: str | None = None,
    ) -> str:
        request = protocol.upload_corpus_request(
            self.base_url, self.api_key, content, filename, field, sync=sync, model=model
        )
        return protocol.parse_engine_key(
            await self._ajson(request, "a corpus upload", creates=True)
        )

    def search(self, engine_key: str, query: str, *, model: str | None = None) -> SearchResult:
        request = protocol.search_request(
            self.base_url, self.api_key, engine_key, query, model=model
        )
        return protocol.parse_search(self._json(request, "a search", light=True))

    async def asearch(
        self, engine_key: str, query: str, *, model: str | None = None
    ) -> SearchResult:
        request = protocol.search_request(
            self.base_url, self.api_key, engine_key, query, model=model
        )
        return protocol.parse_search(await self._ajson(request, "a search", light=True))

    def wait_for_engine(
        self,
        engine_key: str,
        probe: str,
        *,
        timeout: float,
        interval: float = 2.0,
        model: str | None = None,
    ) -> None:
        """After an async upload: search ``probe`` until the engine answers (no status call
        exists, §4.5), or raise TimeoutError after ``timeout`` seconds."""
        _poll(
            lambda: _ready(lambda: self.search(engine_key, probe, model=model)),
            timeout,
            interval,
            f"the search engine {engine_key}",
        )

    async def await_engine(
        self,
        engine_key: str,
        probe: str,
        *,
        timeout: float,
        interval: float = 2.0,
        model: str | None = None,
    ) -> None:
        async def ready() -> bool:
            return await _aready(lambda: self.asearch(engine_key, probe, model=model))

        await _apoll(ready, timeout, interval, f"the search engine {engine_key}")

    # -- fine-tuning ----------------------------------------------------------------------------

    def upload_finetune(
        self,
        content: bytes,
        filename: str,
        *,
        input_field: str = "input",
        target_field: str = "target",
        base: str | None = None,
        sync: bool = True,
    ) -> str:
        request = protocol.finetune_upload_request(
            self.base_url,
            self.api_key,
            content,
            filename,
            input_field=input_field,
            target_field=target_field,
            base=base,
            sync=sync,
        )
        return protocol.parse_engine_key(self._json(request, "a fine-tune upload", creates=True))

    async def aupload_finetune(
        self,
        content: bytes,
        filename: str,
        *,
        input_field: str = "input",
        target_field: str = "target",
        base: str | None = None,
        sync: bool = True,
    ) -> str:
        request = protocol.finetune_upload_request(
            self.base_url,
            self.api_key,
            content,
            filename,
            input_field=input_field,
            target_field=target_field,
            base=base,
            sync=sync,
        )
        return protocol.parse_engine_key(
            await self._ajson(request, "a fine-tune upload", creates=True)
        )

    def _state(self, engine_key: str, step: str, base: str | None) -> HttpRequest:
        return protocol.finetune_state_request(
            self.base_url, self.api_key, engine_key, step=step, base=base
        )

    def finetune_finished(self, engine_key: str, *, base: str | None = None) -> bool:
        body = self._json(
            self._state(engine_key, "finished", base), "finetune/finished", light=True
        )
        return protocol.parse_finished(body)

    async def afinetune_finished(self, engine_key: str, *, base: str | None = None) -> bool:
        request = self._state(engine_key, "finished", base)
        return protocol.parse_finished(await self._ajson(request, "finetune/finished", light=True))

    def wait_until_trained(
        self, engine_key: str, *, base: str | None = None, timeout: float, interval: float = 10.0
    ) -> None:
        _poll(
            lambda: self.finetune_finished(engine_key, base=base),
            timeout,
            interval,
            f"training of {engine_key}",
        )

    async def await_trained(
        self, engine_key: str, *, base: str | None = None, timeout: float, interval: float = 10.0
    ) -> None:
        async def finished() -> bool:
            return await self.afinetune_finished(engine_key, base=base)

        await _apoll(finished, timeout, interval, f"training of {engine_key}")

    def start_finetuned(self, engine_key: str, *, base: str | None = None) -> bool:
        """Start serving a trained model (it stays up about 10 minutes, §4.7)."""
        request = self._state(engine_key, "start", base)
        body = self._json(request, "finetune/start", creates=True)
        return protocol.parse_started(body)

    async def astart_finetuned(self, engine_key: str, *, base: str | None = None) -> bool:
        request = self._state(engine_key, "start", base)
        body = await self._ajson(request, "finetune/start", creates=True)
        return protocol.parse_started(body)

    # -- images ---------------------------------------------------------------------------------

    def text2image(
        self, prompt: str, *, style: str | None = None, model: str | None = None
    ) -> tuple[bytes, str]:
        """The image bytes and format ("png"…); a non-image answer raises, never returns."""
        request = protocol.text2image_request(
            self.base_url, self.api_key, prompt, style=style, model=model
        )
        return protocol.parse_image(self._send(request))

    async def atext2image(
        self, prompt: str, *, style: str | None = None, model: str | None = None
    ) -> tuple[bytes, str]:
        request = protocol.text2image_request(
            self.base_url, self.api_key, prompt, style=style, model=model
        )
        return protocol.parse_image(await self._asend(request))

    def close(self) -> None:
        self.transport.close()
        self.light.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
        await self.light.aclose()


# -- polling ------------------------------------------------------------------------------------


def _ready(search: Callable[[], SearchResult]) -> bool:
    try:
        search()
    except _FATAL_WHILE_WAITING:
        raise
    except errors.APIError:
        return False  # still indexing: the service answers with an error until it is done
    return True


async def _aready(search: Callable[[], Awaitable[SearchResult]]) -> bool:
    try:
        await search()
    except _FATAL_WHILE_WAITING:
        raise
    except errors.APIError:
        return False
    return True


def _check_wait(timeout: float, interval: float) -> None:
    if timeout < 0 or interval <= 0:
        raise errors.ValidationError(
            "timeout", "the wait needs timeout >= 0 and interval > 0", vendor=protocol.VENDOR
        )


def _timed_out(what: str, timeout: float) -> errors.TimeoutError:
    return errors.TimeoutError(
        f"{what} was not ready after {timeout:g}s; wait longer (timeout=) or check again later",
        vendor=protocol.VENDOR,
        retryable=False,
    )


def _poll(done: Callable[[], bool], timeout: float, interval: float, what: str) -> None:
    _check_wait(timeout, interval)
    deadline = time.monotonic() + timeout
    while not done():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(what, timeout)
        time.sleep(min(interval, remaining))


async def _apoll(
    done: Callable[[], Awaitable[bool]], timeout: float, interval: float, what: str
) -> None:
    _check_wait(timeout, interval)
    deadline = time.monotonic() + timeout
    while not await done():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(what, timeout)
        await asyncio.sleep(min(interval, remaining))
