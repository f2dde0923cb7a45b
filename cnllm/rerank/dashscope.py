"""DashScope rerank: the native text-rerank service and the ``/compatible-api/v1/reranks`` form.

Pure build and parse (DashScope reference §7). Both forms answer errors in the native
``{code, message, request_id}`` envelope, which ``cnllm.dashscope.protocol`` already reads.
"""

from __future__ import annotations

from typing import Any

from cnllm import errors
from cnllm.dashscope import protocol as native
from cnllm.rerank.common import flat_body, parse_results
from cnllm.rerank.models import RerankModel
from cnllm.rerank.types import RerankRequest, RerankResponse
from cnllm.transport import HttpRequest
from cnllm.types import Usage

VENDOR = "dashscope"
DEFAULT_ROOT = "https://dashscope.aliyuncs.com"
NATIVE_PATH = "/services/rerank/text-rerank/text-rerank"  # under /api/v1
COMPATIBLE_PATH = "/reranks"  # under /compatible-api/v1 (not /compatible-mode/v1: dead there)
_API_PREFIXES = ("/api/v1", "/compatible-api/v1", "/compatible-mode/v1")

check_response = native.check_response


def root_url(base_url: str) -> str:
    """The host part of any DashScope base URL (``…/api/v1``, ``…/compatible-mode/v1``…)."""
    root = base_url.rstrip("/")
    for prefix in _API_PREFIXES:
        if root.endswith(prefix):
            return root[: -len(prefix)]
    return root


def _options(request: RerankRequest, return_documents: bool) -> dict[str, Any]:
    """top_n, return_documents, instruct: ``parameters`` natively, top-level when compatible."""
    options: dict[str, Any] = {}
    if request.top_n is not None:
        options["top_n"] = request.top_n
    if return_documents:
        options["return_documents"] = True
    if request.instruction is not None:
        options["instruct"] = request.instruction
    return options


def native_body(
    model: RerankModel, request: RerankRequest, *, return_documents: bool = False
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": model.name,
        "input": {"query": request.query, "documents": list(request.documents)},
    }
    parameters = _options(request, return_documents)
    if parameters:
        payload["parameters"] = parameters
    return payload


def compatible_body(
    model: RerankModel, request: RerankRequest, *, return_documents: bool = False
) -> dict[str, Any]:
    return {**flat_body(model, request), **_options(request, return_documents)}


def http_request(
    base_url: str,
    model: RerankModel,
    request: RerankRequest,
    *,
    compatible: bool | None = None,
    workspace: str | None = None,
    data_inspection: bool = False,
) -> HttpRequest:
    """The POST, without the key; ``compatible`` None takes the model's documented form."""
    if compatible is None:
        compatible = model.route == "dashscope-compatible"
    root = root_url(base_url)
    if compatible:
        settings = native.Settings(f"{root}/compatible-api/v1", workspace, data_inspection)
        return native.request(
            settings, COMPATIBLE_PATH, compatible_body(model, request), stream=False
        )
    settings = native.Settings(f"{root}/api/v1", workspace, data_inspection)
    return native.request(settings, NATIVE_PATH, native_body(model, request), stream=False)


def _usage(payload: dict[str, Any]) -> Usage | None:
    total = (payload.get("usage") or {}).get("total_tokens")
    return Usage(total, 0, total) if isinstance(total, int) else None


def _checked(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise errors.ProtocolError(
            f"unexpected DashScope answer: {str(payload)[:200]}", vendor=VENDOR
        )
    native.error_in_body(payload)  # an error may come with HTTP 200 (reference §8.1)
    return payload


def parse_native(payload: Any, request: RerankRequest, model: str) -> RerankResponse:
    body = _checked(payload)
    output = body.get("output")
    if not isinstance(output, dict) or "results" not in output:
        raise errors.ProtocolError(
            f"DashScope rerank answer has no 'output.results': {str(body)[:200]}", vendor=VENDOR
        )
    rid = body.get("request_id")
    return RerankResponse(
        results=parse_results(output["results"], request, VENDOR),
        model=model,
        usage=_usage(body),
        request_ids=(rid,) if isinstance(rid, str) else (),
    )


def parse_compatible(payload: Any, request: RerankRequest, model: str) -> RerankResponse:
    body = _checked(payload)
    if "results" not in body:
        raise errors.ProtocolError(
            f"DashScope rerank answer has no 'results': {str(body)[:200]}", vendor=VENDOR
        )
    rid = body.get("id") or body.get("request_id")
    return RerankResponse(
        results=parse_results(body["results"], request, VENDOR),
        model=str(body.get("model") or model),
        usage=_usage(body),
        request_ids=(rid,) if isinstance(rid, str) else (),
        metadata={"object": body["object"]} if "object" in body else {},
    )


def parse(payload: Any, request: RerankRequest, model: str, *, compatible: bool) -> RerankResponse:
    return (parse_compatible if compatible else parse_native)(payload, request, model)
