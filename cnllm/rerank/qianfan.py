"""Qianfan v2 rerank (``POST /v2/rerank``, older alias ``/v2/rerankers``): pure build and parse.

Follows the Qianfan v2 reference §7 (request, response); errors are v2's (§5), checked by
``cnllm.qianfan.v2.errors.check_response``.
"""

from __future__ import annotations

from typing import Any, Literal

from cnllm import errors

# One error mapping per API: the rerankers answer with v2's error envelope (reference §5).
from cnllm.qianfan.v2.errors import check_response as check_response
from cnllm.rerank.common import flat_body, parse_results
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse
from cnllm.transport import HttpRequest
from cnllm.types import Usage

VENDOR = "qianfan"
DEFAULT_BASE_URL = "https://qianfan.baidubce.com/v2"
Path = Literal["rerank", "rerankers"]
PATHS: tuple[Path, ...] = ("rerank", "rerankers")


def body(model: RerankModel, request: RerankRequest, *, user: str | None = None) -> dict[str, Any]:
    payload = flat_body(model, request)
    if user:
        payload["user"] = user
    return payload


def http_request(
    base_url: str,
    model: RerankModel,
    request: RerankRequest,
    *,
    path: Path = "rerank",
    appid: str | None = None,
    user: str | None = None,
) -> HttpRequest:
    """The POST, without credentials (the auth adds them per attempt)."""
    if path not in PATHS:
        raise errors.ValidationError("path", f"one of {', '.join(PATHS)}", vendor=VENDOR)
    headers = {"Content-Type": "application/json"}
    if appid:
        headers["appid"] = appid  # a key scoped to applications needs it (reference §2.2)
    url = f"{base_url.rstrip('/')}/{path}"
    return HttpRequest("POST", url, json=body(model, request, user=user), headers=headers)


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise errors.ProtocolError(
            f"Qianfan rerank answer has no {name!r}: {str(body)[:200]}", vendor=VENDOR
        )
    return body[name]


def parse(payload: Any, request: RerankRequest, model: str) -> RerankResponse:
    if not isinstance(payload, dict):
        raise errors.ProtocolError(
            f"unexpected Qianfan answer: {str(payload)[:200]}", vendor=VENDOR
        )
    results = parse_results(_field(payload, "results"), request, VENDOR)
    usage = payload.get("usage") or {}
    prompt, total = usage.get("prompt_tokens"), usage.get("total_tokens")
    return RerankResponse(
        results=results,
        model=str(payload.get("model") or model),
        usage=Usage(prompt, 0, total)
        if isinstance(prompt, int) and isinstance(total, int)
        else None,
        request_ids=(payload["id"],) if isinstance(payload.get("id"), str) else (),
        metadata={key: payload[key] for key in ("object", "created") if key in payload},
    )
