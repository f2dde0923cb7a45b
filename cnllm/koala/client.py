"""Koala client: the OpenAI-compatible client with Koala's protocol, base URL and key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from cnllm import errors
from cnllm.koala.protocol import VENDOR, KoalaProtocol, StreamMode
from cnllm.openai_compat.client import OpenAICompatClient
from cnllm.transport import Limiter

BASE_URL_ENV = "KOALA_BASE_URL"
API_KEY_ENV = "KOALA_API_KEY"


def resolve_base_url(base_url: str | None) -> str:
    """The API root. Koala has no public host: the URL of your server is required. A bare
    ``http://host:port`` gets FastChat's ``/v1``."""
    url = (base_url or os.environ.get(BASE_URL_ENV) or "").strip()
    if not url:
        raise errors.ConfigurationError(
            f"Koala needs the address of your Koala server: set {BASE_URL_ENV} (e.g. "
            "http://10.1.2.3:9015/v1) or pass base_url=; there is no public default",
            vendor=VENDOR,
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.ConfigurationError(
            f"Koala base_url must be an http(s) URL such as http://10.1.2.3:9015/v1, not {url!r}",
            vendor=VENDOR,
        )
    url = url.rstrip("/")
    return url + "/v1" if parts.path in ("", "/") else url


class KoalaClient(OpenAICompatClient):
    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        image_input: Mapping[str, bool] | None = None,
        stream_mode: StreamMode = "auto",
        limiter: Limiter | None = None,
    ) -> None:
        super().__init__(
            resolve_base_url(base_url),
            api_key=api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None,
            dialect=KoalaProtocol(image_input=image_input, stream_mode=stream_mode),
            timeout=timeout,
            max_retries=max_retries,
            limiter=limiter,
        )
