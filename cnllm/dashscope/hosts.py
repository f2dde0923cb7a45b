"""Where DashScope lives: regional hosts, workspace gateways, the two protocols' base paths.

Reference §1: the legacy shared hosts (``dashscope.aliyuncs.com`` for Beijing,
``dashscope-intl`` for Singapore, ``dashscope-us`` for Virginia, ``cn-hongkong.dashscope``)
and the workspace gateway ``https://{workspace}.{region}.maas.aliyuncs.com`` take the same
paths: ``/api/v1`` (native) and ``/compatible-mode/v1`` (OpenAI-compatible). API keys are
regional; a key used in another region is refused with 401 ``InvalidApiKey`` and nothing
more, so the client says what the likely cause is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

from cnllm import errors
from cnllm.transport import HttpResponse

Protocol = Literal["native", "openai"]

VENDOR = "dashscope"
DEFAULT_REGION = "cn-beijing"
REGIONS = (
    "cn-beijing",
    "ap-southeast-1",
    "us-east-1",
    "cn-hongkong",
    "eu-central-1",
    "ap-northeast-1",
)
# Virginia is dashscope-us per the docs (SDK 2.0.2's fallback maps it to -intl; trap 3).
LEGACY_HOSTS = {
    "cn-beijing": "dashscope.aliyuncs.com",
    "ap-southeast-1": "dashscope-intl.aliyuncs.com",
    "us-east-1": "dashscope-us.aliyuncs.com",
    "cn-hongkong": "cn-hongkong.dashscope.aliyuncs.com",
}
PATHS: dict[Protocol, str] = {"native": "/api/v1", "openai": "/compatible-mode/v1"}
_WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # the SDK's check
_MAAS = re.compile(r"^[^.]+\.(?P<region>[a-z0-9-]+)\.maas\.aliyuncs\.com$")


def check_region(region: str) -> str:
    if region not in REGIONS:
        raise errors.ValidationError(
            "region", f"{region!r}; one of {', '.join(REGIONS)}", vendor=VENDOR
        )
    return region


def check_workspace(workspace: str) -> str:
    if not _WORKSPACE.match(workspace):
        raise errors.ValidationError(
            "workspace",
            f"{workspace!r} is not a workspace ID (letters, digits, '_' and '-', e.g. "
            "ws-xxxxxxxxxxxxxxxx)",
            vendor=VENDOR,
        )
    return workspace


def protocol_of(url: str) -> Protocol:
    """``openai`` for a ``.../compatible-mode/v1`` base, else ``native``."""
    return "openai" if url.rstrip("/").endswith(PATHS["openai"]) else "native"


def normalize(url: str, protocol: Protocol | None = None) -> str:
    """A base URL: kept as given when it has a path; a bare host gets the protocol's path
    (``DASHSCOPE_BASE_URL`` is a host in SDK 2.x and a full base in other clients)."""
    url = url.rstrip("/")
    if urlsplit(url).path in ("", "/"):
        return url + PATHS[protocol or "native"]
    return url


def base_url(
    *,
    explicit: str | None = None,
    region: str | None = None,
    workspace: str | None = None,
    workspace_gateway: bool = False,
    protocol: Protocol = "native",
) -> str:
    """The base URL: an explicit one wins; else the region's host (the workspace gateway when
    asked for, or when the region has no shared host, as Frankfurt and Tokyo)."""
    if explicit:
        return normalize(explicit, protocol)
    region = check_region(region or DEFAULT_REGION)
    if workspace and (workspace_gateway or region not in LEGACY_HOSTS):
        host = f"{check_workspace(workspace)}.{region}.maas.aliyuncs.com"
    elif region in LEGACY_HOSTS:
        host = LEGACY_HOSTS[region]
    else:
        raise errors.ConfigurationError(
            f"region {region} is reached through a workspace gateway only: pass workspace=... "
            "(the workspace ID from the Model Studio console)",
            vendor=VENDOR,
        )
    return f"https://{host}{PATHS[protocol]}"


def with_protocol(url: str, protocol: Protocol) -> str:
    """The same host's base for the other protocol (``/api/v1`` <-> ``/compatible-mode/v1``)."""
    url = url.rstrip("/")
    for path in PATHS.values():
        if url.endswith(path):
            return url[: -len(path)] + PATHS[protocol]
    return url + PATHS[protocol]


def region_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    for region, legacy in LEGACY_HOSTS.items():
        if host == legacy:
            return region
    found = _MAAS.match(host)
    return found.group("region") if found else None


def explain_key_error(error: errors.AuthenticationError, url: str) -> errors.AuthenticationError:
    """The vendor's bare "Invalid API-key provided." with the likely cause: keys are regional."""
    host = urlsplit(url).netloc or url
    region = region_of(url)
    where = f"{host} ({region})" if region else host
    hint = (
        f" — DashScope API keys are regional: this client calls {where}, and a key made in "
        "another region (Beijing vs Singapore, Virginia, Hong Kong...) is refused there. Use "
        "the key's region (region=..., base_url=... or DASHSCOPE_BASE_URL)."
    )
    return type(error)(
        error.message + hint,
        vendor=error.vendor,
        code=error.code,
        status_code=error.status_code,
        request_id=error.request_id,
        retryable=error.retryable,
        body=error.body,
    )


def regional_check(
    check: Callable[[HttpResponse], None], url: str
) -> Callable[[HttpResponse], None]:
    """A transport check whose key errors say that keys are regional."""

    def checked(response: HttpResponse) -> None:
        try:
            check(response)
        except errors.AuthenticationError as error:
            raise explain_key_error(error, url) from None

    return checked
