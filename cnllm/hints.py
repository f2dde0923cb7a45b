"""One-line hints that name the fix, appended to errors a first-time user meets.

Pure: reads only the environment. The transport adds ``connection_hint`` to a refused
connection; a vendor's check uses ``missing_path`` when a 404 carries no vendor error body,
which means the base URL lacks its path (DashScope's ``/api/v1``, Koala's ``/v1``).
"""

from __future__ import annotations

import os

from cnllm import errors

# vendor -> the env vars that set its base URLs (the first is the main one).
BASE_URL_ENVS: dict[str, tuple[str, ...]] = {
    "qianfan": ("QIANFAN_BASE_URL", "QIANFAN_V2_BASE_URL"),
    "dashscope": ("DASHSCOPE_HTTP_BASE_URL",),
    "koala": ("KOALA_BASE_URL",),
    "clueai": ("CLUEAI_BASE_URL", "CLUEAI_MODELFUN_URL"),
}


def connection_hint(vendor: str | None) -> str:
    """Where the unreachable URL came from: the env var that set it, or the default."""
    names = BASE_URL_ENVS.get(vendor or "", ())
    if not names:
        return ""
    set_ = [f"{name}={os.environ[name]}" for name in names if os.environ.get(name)]
    if set_:
        return f"; is a server listening at {', '.join(set_)} (or the base_url= you passed)?"
    return f"; no {' or '.join(names)} is set, so the vendor's default host was used"


def missing_path(vendor: str, expected: str, example: str, env: str) -> errors.NotFoundError:
    """A 404 with no vendor error body: the base URL most likely lacks ``expected``."""
    return errors.NotFoundError(
        f"HTTP 404 from a server that has no such path: the {vendor} base URL must end in "
        f"{expected} (e.g. {example}); check {env} or base_url=",
        vendor=vendor,
        status_code=404,
    )
