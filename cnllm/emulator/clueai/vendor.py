"""The emulated ClueAI service on both of its bases (the wire notes in docs/clueai.md):

- ``/modelfun/api/serving_api`` (generate, classify) and ``/modelfun/api/check_api_key``;
- ``/clueai/...``: user_info, the search engine (multipart corpus upload, search), the
  fine-tune endpoints (also under ``/clueai/chatyuan/``) and ``text2image``.

Errors are what the SDK knows: HTTP 200 with ``{"message": …}`` (unknown paths: 404). Paths
are matched exactly, trailing slashes included. Options (``Emulator(**options)``, also
changeable at runtime through ``emulator.config.options``):

- ``clueai_index_seconds`` (0.2): how long an engine uploaded on the async path indexes;
- ``clueai_train_seconds`` (0.3): how long a fine-tune trains;
- ``clueai_keepalive_seconds`` (600): how long a started fine-tuned model serves;
- ``clueai_search_hits`` (10): the most documents a search returns.

The shapes of user_info and of the fine-tune state answers beyond the keys the SDK reads are
not documented; the ones here are this emulator's choice.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from ..core import (
    EmulatorConfig,
    Request,
    Response,
    Route,
    Stats,
    Vendor,
    json_response,
    register_vendor,
    route,
)
from ..faults import Fault
from . import multipart, png, replies
from .search import Index
from .state import Engine, FineTune, State

MAX_PROMPT = 1024
MAX_SAMPLES = 10_000
MODELS = {"clueai-base": False, "clueai": False, "clueai-large": True, "ChatYuan-large": True}
DEFAULT_MODEL = "clueai-base"
DEFAULTS = {
    "clueai_index_seconds": 0.2,
    "clueai_train_seconds": 0.3,
    "clueai_keepalive_seconds": 600.0,
    "clueai_search_hits": 10,
}
_BEARER = re.compile(r"^BEARER (.*)$")
_BEARER_ANY_CASE = re.compile(r"^bearer\s+(.*)$", re.IGNORECASE)

Handler = Callable[[Request], Response]


def message(text: str, status: int = 200) -> Response:
    return json_response({"message": text}, status)


def _decode(request: Request) -> dict[str, Any] | Response:
    try:
        body = request.json()
    except ValueError:
        return message("请求体不是合法的JSON")
    return body if isinstance(body, dict) else message("请求体必须是JSON对象")


def _jsonl(content: bytes, fields: tuple[str, ...]) -> list[dict[str, Any]] | Response:
    """The records of an uploaded JSON Lines file, each holding every field as a string."""
    found = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return message("文件必须是UTF-8编码")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return message(f"文件格式错误：第{number}行不是合法的JSON")
        if not isinstance(record, dict):
            return message(f"文件格式错误：第{number}行不是JSON对象")
        for name in fields:
            if not isinstance(record.get(name), str):
                return message(f"文件格式错误：第{number}行缺少字段 {name}")
        found.append(record)
    return found or message("文件为空")


@register_vendor("clueai")
class ClueAIVendor(Vendor):
    name = "clueai"

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        super().__init__(config, stats)
        self.state = State()

    def routes(self) -> list[Route]:
        finetune = r"/clueai/(?P<chatyuan>chatyuan/)?finetune"
        return [
            route(r"/modelfun/api/serving_api", self._post(self._serving), "clueai", "generate"),
            route(r"/modelfun/api/check_api_key", self._post(self._check_key), "clueai"),
            route(
                r"/clueai/serving/(?P<kind>api|finetune_api)/user_info",
                self._get(self._user_info),
                "clueai",
            ),
            route(
                r"/clueai/search/upload/(?P<sync>sync/)?",
                self._post(self._upload_corpus),
                "clueai",
                "upload",
            ),
            route(r"/clueai/search/", self._get(self._search), "clueai", "search"),
            route(
                rf"{finetune}/upload/(?P<sync>sync/)?",
                self._post(self._finetune_upload),
                "clueai",
                "finetune",
            ),
            route(
                rf"{finetune}/(?P<step>finished|start|predict)/",
                self._post(self._finetune_step),
                "clueai",
                "finetune",
            ),
            route(r"/clueai/text2image", self._get(self._text2image), "clueai", "text2image"),
            route(r"/(?:clueai|modelfun)(?:/.*)?", self._unknown, "clueai"),
        ]

    # -- Vendor hooks -----------------------------------------------------------------------

    def error_response(self, fault: Fault, request: Request) -> Response:
        """``Fault("error_code", code=…)``: an HTTP status when code is 400-599, else 200;
        the body is ClueAI's ``{"message": …}`` (default: the service is busy)."""
        status = fault.code if fault.code is not None and 400 <= fault.code < 600 else 200
        return message(fault.message or "服务繁忙，请稍后再试", status)

    def stream_error_event(self, fault: Fault) -> bytes:
        payload = {"message": fault.message or "服务繁忙，请稍后再试"}
        return json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n"

    def reset(self) -> None:
        self.state.clear()

    # -- plumbing ---------------------------------------------------------------------------

    def _option(self, name: str) -> float:
        return float(self.config.options.get(name, DEFAULTS[name]))

    def _post(self, handler: Handler) -> Handler:
        return partial(self._method, "POST", handler)

    def _get(self, handler: Handler) -> Handler:
        return partial(self._method, "GET", handler)

    @staticmethod
    def _method(method: str, handler: Handler, request: Request) -> Response:
        if request.method != method:
            return message(f"Method Not Allowed: use {method}", 405)
        return handler(request)

    @staticmethod
    def _unknown(request: Request) -> Response:
        return message(f"no such path {request.path}", 404)

    def _key(self, request: Request) -> str | None:
        header = request.header("Api-Key") or ""
        pattern = _BEARER if self.config.strict else _BEARER_ANY_CASE
        found = pattern.match(header)
        return found.group(1).strip() or None if found else None

    def _valid(self, key: str | None) -> bool:
        expected = self.config.credential("clueai_api_key")
        return bool(key) and (expected is None or key == expected)

    def _authorize(self, request: Request, required: bool) -> Response | None:
        """An error answer when the key is wrong, or missing where one is needed."""
        key = self._key(request)
        if key is None and not required:
            return None
        if key is None:
            return message("invalid api key: this call needs an Api-Key header")
        if not self._valid(key):
            return message("invalid api key")
        self.state.count(key)
        return None

    # -- modelfun: serving_api and check_api_key ------------------------------------------------

    def _check_key(self, request: Request) -> Response:
        return json_response({"valid": self._valid(self._key(request))})

    def _serving(self, request: Request) -> Response:
        body = _decode(request)
        if isinstance(body, Response):
            return body
        model = body.get("model_name") or request.header("Model-name") or DEFAULT_MODEL
        if model not in MODELS:
            return message(f"模型不存在：{model}；可用模型：{'，'.join(MODELS)}")
        denied = self._authorize(request, required=MODELS[model])
        if denied is not None:
            return denied
        inputs = body.get("input_data")
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(item, str) and item for item in inputs)
        ):
            return message("input_data 必须是非空字符串列表")
        if body.get("task_type") == "generate":
            return self._generate(body, model, inputs)
        if body.get("task_type") == "classify":
            return self._classify(body, inputs)
        return message(f"不支持的task_type：{body.get('task_type')}")

    def _generate(self, body: dict[str, Any], model: str, inputs: list[str]) -> Response:
        too_long = [len(item) for item in inputs if len(item) > MAX_PROMPT]
        if too_long:
            return message(f"输入长度{too_long[0]}超过了{MAX_PROMPT}个字符")
        config = body.get("generate_config") or {}
        if not isinstance(config, dict):
            return message("generate_config 必须是JSON对象")
        likelihoods = body.get("return_likelihoods")
        result = [
            replies.generation(
                replies.limit_length(replies.answer(item), config),
                likelihoods,
                escape=model == "ChatYuan-large",
            )
            for item in inputs
        ]
        return json_response({"result": result})

    def _classify(self, body: dict[str, Any], inputs: list[str]) -> Response:
        labels = body.get("labels")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) and label for label in labels)
        ):
            return message("labels 必须是非空字符串列表")
        examples = [item for item in body.get("examples") or [] if isinstance(item, dict)]
        result = [replies.classification(item, labels, examples) for item in inputs]
        return json_response({"result": result})

    # -- clueai: usage ----------------------------------------------------------------------

    def _user_info(self, request: Request) -> Response:
        key = request.query.get("api_key")
        if not self._valid(key) or (self._key(request) not in (None, key)):
            return message("invalid api key")
        used = self.state.usage.get(key or "", 0)
        total = 10_000
        return json_response(
            {
                "api_key": f"{(key or '')[:4]}***",
                "finetune_user": request.params["kind"] == "finetune_api",
                "total": total,
                "used": used,
                "remaining": max(total - used, 0),
            }
        )

    # -- clueai: search engine ----------------------------------------------------------------

    def _form(self, request: Request) -> multipart.Form | Response:
        form = multipart.parse(request.header("Content-Type"), request.body)
        if form is None or "file" not in form.files:
            return message("请以multipart/form-data上传文件（字段名 file）")
        return form

    def _upload_corpus(self, request: Request) -> Response:
        denied = self._authorize(request, required=False)
        if denied is not None:
            return denied
        form = self._form(request)
        if isinstance(form, Response):
            return form
        field = form.fields.get("field")
        if not field:
            return message("缺少参数 field")
        records = _jsonl(form.files["file"][1], (field,))
        if isinstance(records, Response):
            return records
        delay = 0.0 if request.params.get("sync") else self._option("clueai_index_seconds")
        engine = Engine(Index([r[field] for r in records]), field, time.monotonic() + delay)
        return json_response({"engine_key": self.state.add_engine(engine)})

    def _search(self, request: Request) -> Response:
        denied = self._authorize(request, required=False)
        if denied is not None:
            return denied
        key, query = request.query.get("key", ""), request.query.get("query", "")
        engine = self.state.engines.get(key)
        if engine is None:
            return message(f"engine_key不存在：{key}")
        if not engine.ready:
            return message("索引构建中，引擎还未就绪")
        if not query.strip():
            return message("query 不能为空")
        hits = dict(engine.index.search(query, int(self._option("clueai_search_hits"))))
        # In corpus order, not ranked, and as strings: clients must sort and convert (§4.5).
        scores = {doc: f"{hits[doc]:.4f}" for doc in engine.index.documents if doc in hits}
        best = max(hits, key=lambda doc: hits[doc]) if hits else ""
        return json_response(
            {"result": {"query": query, "best_answer": best, "answer_score": scores}}
        )

    # -- clueai: fine-tuning ------------------------------------------------------------------

    def _finetune_upload(self, request: Request) -> Response:
        denied = self._authorize(request, required=True)
        if denied is not None:
            return denied
        form = self._form(request)
        if isinstance(form, Response):
            return form
        source = form.fields.get("input_field") or "input"
        target = form.fields.get("target_field") or "output"  # the SDK's default
        records = _jsonl(form.files["file"][1], (source, target))
        if isinstance(records, Response):
            return records
        step = max(1, -(-len(records) // MAX_SAMPLES))  # sampled down to 10,000 (seed)
        pairs = [(r[source], r[target]) for r in records[::step]]
        job = FineTune(
            base="chatyuan" if request.params.get("chatyuan") else "",
            pairs=pairs,
            trained_at=time.monotonic() + self._option("clueai_train_seconds"),
        )
        return json_response({"engine_key": self.state.add_finetune(job)})

    def _finetune_step(self, request: Request) -> Response:
        denied = self._authorize(request, required=True)
        if denied is not None:
            return denied
        body = _decode(request)
        if isinstance(body, Response):
            return body
        key = str(body.get("engine_key") or "")
        job = self.state.finetunes.get(key)
        base = "chatyuan" if request.params.get("chatyuan") else ""
        if job is None or job.base != base:
            return message(f"engine_key不存在：{key}")
        step = request.params["step"]
        if step == "finished":
            return json_response({"finished": job.trained, "engine_key": key})
        if step == "start":
            if job.trained:
                job.started_at = time.monotonic()
            return json_response({"start": job.trained})
        return self._predict(job, body)

    def _predict(self, job: FineTune, body: dict[str, Any]) -> Response:
        if not job.serving(self._option("clueai_keepalive_seconds")):
            return message("模型服务未启动，请先调用 finetune/start/ 启动")
        inputs = body.get("input_data")
        if not isinstance(inputs, list) or not all(isinstance(i, str) and i for i in inputs):
            return message("input_data 必须是非空字符串列表")
        config = body.get("generate_config") or {}
        result = []
        for item in inputs:
            answer = job.predict(item) or replies.answer(item)
            result.append(
                replies.generation(
                    replies.limit_length(answer, config),
                    body.get("return_likelihoods"),
                    escape=job.base == "chatyuan",
                )
            )
        return json_response({"result": result})

    # -- clueai: text2image -------------------------------------------------------------------

    def _text2image(self, request: Request) -> Response:
        denied = self._authorize(request, required=False)
        if denied is not None:
            return denied
        text = request.query.get("text", "")
        if not text.strip():
            return message("text 不能为空")
        return Response(200, {"Content-Type": "image/png"}, png.image(text))
