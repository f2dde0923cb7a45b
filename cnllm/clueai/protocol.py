"""ClueAI HTTP protocol: pure request builders and answer parsers, no I/O.

Everything follows the wire notes in docs/clueai.md; section numbers refer to them. Two hosts:
generate and classify go to the modelfun base, everything else to the clueai base (§1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cnllm import errors, parsing
from cnllm.transport import HttpRequest, HttpResponse

VENDOR = "clueai"
DEFAULT_BASE_URL = "https://clueai.cn/clueai"
DEFAULT_MODELFUN_URL = "https://www.modelfun.cn/modelfun/api"
API_VERSION = "2022-08-08"
REQUEST_SOURCE = "python-sdk"
RETURN_LIKELIHOODS = ("GENERATION", "ALL", "NONE")
FINETUNE_BASES = ("ChatYuan", "ClueAI")
UPLOAD_CONTENT_TYPE = "application/octet-stream"
# The fields generate() sends that Cohere's SDK left behind, at the SDK's defaults (§4.3).
_COHERE_FIELDS: dict[str, Any] = {
    "num_generations": 1,
    "max_tokens": 20,
    "temperature": 1.0,
    "k": 0,
    "p": 0.75,
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
}


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenLikelihood:
    token: str
    prob: float


@dataclass(frozen=True)
class Generation:
    text: str
    likelihood: float | None = None
    token_likelihoods: tuple[TokenLikelihood, ...] | None = None


@dataclass(frozen=True)
class Classification:
    input: str
    prediction: str
    confidences: dict[str, float]  # label -> confidence, in the order the service gave

    @property
    def confidence(self) -> float | None:
        """The confidence of the predicted label (how the README reads it)."""
        return self.confidences.get(self.prediction)


@dataclass(frozen=True)
class SearchHit:
    text: str
    score: float
    is_best: bool


@dataclass(frozen=True)
class SearchResult:
    query: str
    best_answer: str | None
    hits: tuple[SearchHit, ...]  # highest score first


# -- generate_config --------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateConfig:
    """The ``generate_config`` keys (seed, PKG "生成参数说明"); None means "not sent".

    Sampling is off unless asked for: ``do_sample`` becomes true when a sampling parameter
    (temperature > 0, top_p, top_k > 0) is given without it. ``temperature=0`` means greedy:
    it is not sent and ``do_sample`` is false.
    """

    do_sample: bool | None = None
    top_p: float | None = None
    max_length: int | None = None
    min_length: int | None = None
    length_penalty: float | None = None
    num_beams: int | None = None
    temperature: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    no_repeat_ngram_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        validate_config(self)
        config = {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if item.name != "extra" and getattr(self, item.name) is not None
        }
        greedy = self.temperature == 0
        if greedy:
            config.pop("temperature")
        sampling = not greedy and (
            self.temperature is not None or self.top_p is not None or bool(self.top_k)
        )
        if self.do_sample is None and (sampling or greedy):
            config = {"do_sample": sampling, **config}
        return {**config, **self.extra}


def _invalid(name: str, problem: str) -> errors.ValidationError:
    return errors.ValidationError(name, problem, vendor=VENDOR)


def _number(name: str, value: Any, *, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise _invalid(name, f"{value!r} is not {'an integer' if integer else 'a number'}")


def validate_config(config: GenerateConfig) -> None:
    """Ranges of the HF ``generate()`` parameters the service forwards to (PKG)."""
    errors.require_finite(config, vendor=VENDOR)
    checks: list[tuple[str, bool, Any, str]] = [
        ("top_p", False, lambda v: 0 < v <= 1, "must be in (0, 1]"),
        ("temperature", False, lambda v: v >= 0, "must be >= 0 (0 means greedy)"),
        ("top_k", True, lambda v: v >= 0, "must be >= 0"),
        ("max_length", True, lambda v: v >= 1, "must be >= 1"),
        ("min_length", True, lambda v: v >= 0, "must be >= 0"),
        ("num_beams", True, lambda v: v >= 1, "must be >= 1"),
        ("length_penalty", False, lambda v: True, ""),
        ("repetition_penalty", False, lambda v: v > 0, "must be > 0"),
        ("no_repeat_ngram_size", True, lambda v: v >= 0, "must be >= 0"),
    ]
    for name, integer, ok, rule in checks:
        value = getattr(config, name)
        if value is None:
            continue
        _number(name, value, integer=integer)
        if not ok(value):
            raise _invalid(name, f"{value!r}: {rule}")
    if config.do_sample is not None and not isinstance(config.do_sample, bool):
        raise _invalid("do_sample", f"{config.do_sample!r} is not true or false")
    if config.do_sample is True and config.temperature == 0:
        raise _invalid("temperature", "must be > 0 when do_sample is true")
    low, high = config.min_length, config.max_length
    if low is not None and high is not None and low > high:
        raise _invalid("min_length", f"{low} is above max_length {high}")


def max_length_for(max_tokens: Any, max_length: int | None = None) -> int:
    """LangChain's ``max_tokens`` as the service's ``max_length`` (§8), checked before anything
    is sent: a positive integer, and not contradicting a ``max_length`` also given."""
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise _invalid(
            "max_tokens",
            f"{max_tokens!r}: must be a positive integer (sent as generate_config.max_length)",
        )
    if max_length is not None and max_length != max_tokens:
        raise _invalid(
            "max_tokens",
            f"{max_tokens} conflicts with max_length={max_length}: they are the same setting, "
            "give one of them",
        )
    return max_tokens


# Call-time keywords that are not generate_config keys (client options).
OPTION_KEYS = ("return_likelihoods", "truncate", "task_name")
_CONFIG_KEYS = frozenset(item.name for item in fields(GenerateConfig)) - {"extra"}


def config_from(
    base: GenerateConfig,
    *,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    max_tokens: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[GenerateConfig, dict[str, Any]]:
    """``base`` with LangChain's standard parameters mapped in (§8: ``max_tokens`` becomes
    ``max_length``) and ``extra`` split into generate_config keys and client options."""
    updates: dict[str, Any] = {}
    for name, value in (
        ("temperature", temperature),
        ("top_p", top_p),
        ("top_k", top_k),
        ("max_length", max_tokens),
    ):
        if value is not None:
            updates[name] = value
    options: dict[str, Any] = {}
    config_extra = dict(base.extra)
    for key, value in (extra or {}).items():
        if key in OPTION_KEYS:
            options[key] = value
        elif key in _CONFIG_KEYS:
            updates[key] = value
        elif key == "generate_config" and isinstance(value, Mapping):
            config_extra.update(value)
        else:
            config_extra[key] = value
    return replace(base, **updates, extra=config_extra), options


def return_likelihoods_value(value: str | None) -> str | None:
    if value is None:
        return None
    upper = str(value).upper()
    if upper not in RETURN_LIKELIHOODS:
        raise _invalid("return_likelihoods", f"{value!r} is not one of {RETURN_LIKELIHOODS}")
    return upper


def finetune_base(value: str | None) -> str | None:
    """The SDK's ``base_model_name``: "ChatYuan" switches paths to ``chatyuan/`` (§4.7)."""
    if value is None or value == "":
        return None
    for base in FINETUNE_BASES:
        if value.strip().lower() in (base.lower(), f"{base.lower()}-large"):
            return base
    raise _invalid("finetune_base", f"{value!r} is not one of {FINETUNE_BASES} (or None)")


# -- URLs and headers ---------------------------------------------------------------------------


def join(base: str, path: str) -> str:
    """``base`` + ``/`` + ``path``, keeping the path's trailing slash exactly (§1)."""
    return f"{base.rstrip('/')}/{path}"


def headers(
    api_key: str | None, model: str | None = None, *, json_body: bool = True
) -> dict[str, str]:
    """The SDK's headers (§2.1). With no key the ``Api-Key`` header is left out, as in the
    seed's free curl examples, rather than sent as a bare ``BEARER``."""
    sent = {"Request-Source": REQUEST_SOURCE, "clueai-Version": API_VERSION}
    if api_key:
        sent["Api-Key"] = f"BEARER {api_key}"
    if json_body:
        sent["Content-Type"] = "application/json"
    if model:
        sent["Model-name"] = model
    return sent


def _require_key(api_key: str | None, what: str) -> str:
    if not api_key:
        raise errors.ConfigurationError(
            f"{what} needs a ClueAI API key: set CLUEAI_API_KEY or pass api_key=", vendor=VENDOR
        )
    return api_key


def _non_empty(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(name, "must be a non-empty string")
    return value


# -- requests: modelfun host --------------------------------------------------------------------


def check_api_key_request(modelfun_url: str, api_key: str | None) -> HttpRequest:
    """§4.1: an empty POST; the answer is ``{"valid": bool}``."""
    key = _require_key(api_key, "check_api_key")
    return HttpRequest("POST", join(modelfun_url, "check_api_key"), headers=headers(key))


def generate_request(
    modelfun_url: str,
    api_key: str | None,
    model: str,
    prompt: str,
    config: GenerateConfig,
    *,
    return_likelihoods: str | None = None,
    stop: Sequence[str] | None = None,
    task_name: str | None = None,
) -> HttpRequest:
    """§4.3: the SDK's body; ``task_name`` only when given (the curl examples send it)."""
    body: dict[str, Any] = {
        "task_type": "generate",
        "model_name": model,
        "input_data": [_non_empty("prompt", prompt)],
        **_COHERE_FIELDS,
        "stop_sequences": list(stop) if stop else None,
        "return_likelihoods": return_likelihoods_value(return_likelihoods),
        "generate_config": config.to_dict(),
    }
    if task_name:
        body["task_name"] = task_name
    return HttpRequest(
        "POST", join(modelfun_url, "serving_api"), json=body, headers=headers(api_key, model)
    )


def examples_list(
    examples: Sequence[Mapping[str, str] | tuple[str, str]] | None, labels: Sequence[str]
) -> list[dict[str, str]]:
    found = []
    for index, example in enumerate(examples or ()):
        if isinstance(example, Mapping):
            text, label = example.get("text"), example.get("label")
        else:
            text, label = tuple(example)
        _non_empty(f"examples[{index}].text", text)
        if label not in labels:
            raise _invalid(f"examples[{index}].label", f"{label!r} is not one of {list(labels)}")
        found.append({"text": str(text), "label": str(label)})
    return found


def classify_request(
    modelfun_url: str,
    api_key: str | None,
    model: str,
    inputs: Sequence[str],
    labels: Sequence[str],
    *,
    examples: Sequence[Mapping[str, str] | tuple[str, str]] | None = None,
    task_name: str = "",
) -> HttpRequest:
    """§4.4: many inputs in one request; ``task_name`` is always sent (default "")."""
    if not inputs:
        raise _invalid("inputs", "need at least one text to classify")
    for index, text in enumerate(inputs):
        _non_empty(f"inputs[{index}]", text)
    label_list = [_non_empty(f"labels[{i}]", label) for i, label in enumerate(labels)]
    if not label_list or len(set(label_list)) != len(label_list):
        raise _invalid("labels", f"need one or more distinct labels, got {label_list}")
    body = {
        "model_name": model,
        "task_name": task_name or "",
        "task_type": "classify",
        "examples": examples_list(examples, label_list),
        "input_data": list(inputs),
        "labels": label_list,
    }
    return HttpRequest(
        "POST", join(modelfun_url, "serving_api"), json=body, headers=headers(api_key, model)
    )


# -- requests: clueai host --------------------------------------------------------------------


def user_info_request(base_url: str, api_key: str | None, *, finetune_user: bool) -> HttpRequest:
    """§4.2: the key goes in the query as well as in the header."""
    key = _require_key(api_key, "check_usage")
    path = "serving/finetune_api/user_info" if finetune_user else "serving/api/user_info"
    return HttpRequest("GET", join(base_url, path), params={"api_key": key}, headers=headers(key))


def _upload(
    url: str,
    api_key: str | None,
    model: str | None,
    content: bytes,
    filename: str,
    data: dict[str, str],
) -> HttpRequest:
    return HttpRequest(
        "POST",
        url,
        files={"file": (filename, content, UPLOAD_CONTENT_TYPE)},
        data=data,
        headers=headers(api_key, model, json_body=False),  # multipart sets its own type
    )


def upload_corpus_request(
    base_url: str,
    api_key: str | None,
    content: bytes,
    filename: str,
    field: str,
    *,
    sync: bool,
    model: str | None = None,
) -> HttpRequest:
    """§4.5: ``search/upload/sync/`` answers once indexed; ``search/upload/`` at once."""
    path = "search/upload/sync/" if sync else "search/upload/"
    data = {"field": _non_empty("field", field)}
    return _upload(join(base_url, path), api_key, model, content, filename, data)


def search_request(
    base_url: str, api_key: str | None, engine_key: str, query: str, *, model: str | None = None
) -> HttpRequest:
    """§4.5, §2.3: ``params`` encodes the query, so ``&``, ``#`` and ``+`` survive."""
    params = {"key": _non_empty("engine_key", engine_key), "query": _non_empty("query", query)}
    return HttpRequest(
        "GET", join(base_url, "search/"), params=params, headers=headers(api_key, model)
    )


def finetune_prefix(base_url: str, base: str | None) -> str:
    return join(base_url, "chatyuan") if base == "ChatYuan" else base_url.rstrip("/")


def finetune_upload_request(
    base_url: str,
    api_key: str | None,
    content: bytes,
    filename: str,
    *,
    input_field: str = "input",
    target_field: str = "target",
    base: str | None = None,
    sync: bool = True,
) -> HttpRequest:
    """§4.7 step 1 (sync by default, unlike the search upload)."""
    key = _require_key(api_key, "fine-tuning")
    path = "finetune/upload/sync/" if sync else "finetune/upload/"
    data = {
        "input_field": _non_empty("input_field", input_field),
        "target_field": _non_empty("target_field", target_field),
    }
    return _upload(join(finetune_prefix(base_url, base), path), key, base, content, filename, data)


def finetune_state_request(
    base_url: str, api_key: str | None, engine_key: str, *, step: str, base: str | None = None
) -> HttpRequest:
    """§4.7 steps 2 and 3: ``finished/`` and ``start/`` take ``{"engine_key"}``."""
    if step not in ("finished", "start"):
        raise ValueError(f"unknown fine-tune step {step!r}")
    key = _require_key(api_key, "fine-tuning")
    body = {"engine_key": _non_empty("engine_key", engine_key)}
    url = join(finetune_prefix(base_url, base), f"finetune/{step}/")
    return HttpRequest("POST", url, json=body, headers=headers(key))


def finetune_predict_request(
    base_url: str,
    api_key: str | None,
    engine_key: str,
    prompt: str,
    config: GenerateConfig,
    *,
    base: str | None = None,
    return_likelihoods: str | None = None,
) -> HttpRequest:
    """§4.7 step 4: none of the Cohere-era fields; ``model_name`` is the base (or null)."""
    key = _require_key(api_key, "a fine-tuned model")
    body = {
        "engine_key": _non_empty("engine_key", engine_key),
        "task_type": "generate",
        "model_name": base,
        "input_data": [_non_empty("prompt", prompt)],
        "return_likelihoods": return_likelihoods_value(return_likelihoods),
        "generate_config": config.to_dict(),
    }
    url = join(finetune_prefix(base_url, base), "finetune/predict/")
    return HttpRequest("POST", url, json=body, headers=headers(key, base))


def text2image_request(
    base_url: str,
    api_key: str | None,
    prompt: str,
    *,
    style: str | None = None,
    model: str | None = None,
) -> HttpRequest:
    """§4.8: ``text=<style>风格，<prompt>`` (full-width comma), properly encoded."""
    text = _non_empty("prompt", prompt)
    if style:
        text = f"{style}风格，{text}"
    return HttpRequest(
        "GET", join(base_url, "text2image"), params={"text": text}, headers=headers(api_key, model)
    )


# -- errors -------------------------------------------------------------------------------------

# The service documents no error codes (§3): the message text is all there is to go on.
_MESSAGE_CLASSES: tuple[tuple[re.Pattern[str], type[errors.APIError]], ...] = (
    (
        re.compile(r"余额|额度|欠费|次数.{0,6}(用完|用尽|不足|超)|quota", re.IGNORECASE),
        errors.QuotaExceededError,
    ),
    (re.compile(r"频繁|限流|rate.?limit|too many", re.IGNORECASE), errors.RateLimitError),
    (
        re.compile(r"api[ _-]?key|密钥|未授权|unauthori[sz]ed|forbidden|鉴权|认证", re.IGNORECASE),
        errors.AuthenticationError,
    ),
    (re.compile(r"长度|too long|超过.{0,10}字符", re.IGNORECASE), errors.ContextOverflowError),
    (re.compile(r"不存在|not found|no such|未找到", re.IGNORECASE), errors.NotFoundError),
    (
        re.compile(
            r"繁忙|稍后再试|busy|overload|internal|服务器错误|server error|超时|timed? ?out",
            re.IGNORECASE,
        ),
        errors.ServerError,
    ),
)
# Keys whose presence means the answer is the success it looks like, whatever else it holds.
_SUCCESS_KEYS = frozenset({"result", "engine_key", "valid", "finished", "start"})
# A ``message`` that reports success (user_info's shape is undocumented, §4.2).
_SUCCESS_MESSAGE = re.compile(r"^\s*(success|ok|成功|操作成功|请求成功)\s*$", re.IGNORECASE)


def error_from_message(
    message: str, *, status: int | None = None, body: Any = None, request_id: str | None = None
) -> errors.APIError:
    cls: type[errors.APIError] = errors.APIError
    for pattern, candidate in _MESSAGE_CLASSES:
        if pattern.search(message):
            cls = candidate
            break
    return cls(message, vendor=VENDOR, status_code=status, request_id=request_id, body=body)


def _json(response: HttpResponse) -> Any:
    try:
        return response.json()
    except errors.ProtocolError:
        return None


def _request_id(response: HttpResponse) -> str | None:
    return response.header("x-request-id") or response.header("request-id")


def check_response(response: HttpResponse) -> None:
    """Raise the typed error an answer stands for (§3): an HTTP error (with the body's
    ``message`` when there is one) or a 2xx body ``{"message": …}`` with no success key."""
    body = _json(response)
    message = body.get("message") if isinstance(body, dict) else None
    request_id = _request_id(response)
    if response.status >= 400:
        cls = errors.error_for_status(response.status)
        text = str(message) if message else response.text[:300] or f"HTTP {response.status}"
        raise cls(
            text, vendor=VENDOR, status_code=response.status, request_id=request_id, body=body
        )
    if (
        isinstance(body, dict)
        and "message" in body
        and not (_SUCCESS_KEYS & body.keys())
        and not _SUCCESS_MESSAGE.match(str(message))
    ):
        raise error_from_message(
            str(message), status=response.status, body=body, request_id=request_id
        )


def json_body(response: HttpResponse, what: str) -> dict[str, Any]:
    """The JSON object of an answer; anything else is a ProtocolError carrying the body."""
    body = _json(response)
    if not isinstance(body, dict):
        kind = "a non-JSON body" if body is None else f"JSON {type(body).__name__}"
        raise errors.ProtocolError(
            f"ClueAI answered {what} with {kind}: {response.text[:300]!r}",
            vendor=VENDOR,
            status_code=response.status,
            request_id=_request_id(response),
        )
    return body


def _missing(body: dict[str, Any], key: str, what: str) -> errors.APIError:
    if "message" in body:
        return error_from_message(str(body["message"]), body=body)
    return errors.ProtocolError(
        f"ClueAI answered {what} without {key!r}: {json.dumps(body, ensure_ascii=False)[:300]}",
        vendor=VENDOR,
        body=body,
    )


# -- parsing ------------------------------------------------------------------------------------


def parse_valid(body: dict[str, Any]) -> bool:
    if "valid" not in body:
        raise _missing(body, "valid", "check_api_key")
    return bool(body["valid"])


def _index(key: Any) -> int:
    return int(key) if str(key).isdigit() else 0


def _token_likelihoods(value: Any) -> tuple[TokenLikelihood, ...] | None:
    """A dict keyed by index (what the SDK reads), or a list."""
    if value is None:
        return None
    if isinstance(value, dict):
        items = [item for _, item in sorted(value.items(), key=lambda pair: _index(pair[0]))]
    elif isinstance(value, list):
        items = value
    else:
        raise errors.ProtocolError(f"unexpected token_likelihoods: {value!r}", vendor=VENDOR)
    try:
        return tuple(TokenLikelihood(str(item["token"]), float(item["prob"])) for item in items)
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.ProtocolError(f"unexpected token_likelihoods: {exc}", vendor=VENDOR) from None


def parse_generations(body: dict[str, Any]) -> list[Generation]:
    """§4.3 (also §4.7 predict): one Generation per element of ``result``."""
    result = body.get("result")
    if not isinstance(result, list) or not result:
        raise _missing(body, "result", "a generate request")
    generations = []
    for index, item in enumerate(result):
        if not isinstance(item, dict) or not isinstance(item.get("generate_text"), str):
            raise errors.ProtocolError(
                f"a generation without generate_text (result[{index}].generate_text): "
                f"{str(item)[:200]}",
                vendor=VENDOR,
            )
        likelihood = item.get("likelihood")
        generations.append(
            Generation(
                item["generate_text"],
                parsing.number(likelihood, f"result[{index}].likelihood", VENDOR)
                if likelihood is not None
                else None,
                _token_likelihoods(item.get("token_likelihoods")),
            )
        )
    return generations


def parse_classifications(body: dict[str, Any], inputs: Sequence[str]) -> list[Classification]:
    """§4.4: one result per input, in input order."""
    result = body.get("result")
    if not isinstance(result, list):
        raise _missing(body, "result", "a classify request")
    if len(result) != len(inputs):
        raise errors.ProtocolError(
            f"ClueAI classified {len(result)} texts of {len(inputs)}", vendor=VENDOR, body=body
        )
    found = []
    for index, (text, item) in enumerate(zip(inputs, result, strict=True)):
        path = f"result[{index}]"
        item = parsing.mapping(item, path, VENDOR)
        entries = item.get("confidence") or []
        if not isinstance(entries, list):
            raise parsing.malformed(f"{path}.confidence", "a list", entries, VENDOR)
        confidences = {}
        for position, entry in enumerate(entries):
            entry = parsing.mapping(entry, f"{path}.confidence[{position}]", VENDOR)
            label = parsing.text(entry.get("label"), f"{path}.confidence[{position}].label", VENDOR)
            confidences[label] = parsing.number(
                entry.get("confidence"), f"{path}.confidence[{position}].confidence", VENDOR
            )
        prediction = item.get("prediction")
        if not isinstance(prediction, str):
            raise parsing.malformed(f"{path}.prediction", "a string", prediction, VENDOR)
        found.append(Classification(str(item.get("input", text)), prediction, confidences))
    return found


def parse_engine_key(body: dict[str, Any], what: str = "an upload") -> str:
    key = body.get("engine_key")
    if not isinstance(key, str) or not key:
        raise _missing(body, "engine_key", what)
    return key


def parse_search(body: dict[str, Any]) -> SearchResult:
    """§4.5: ``answer_score`` maps doc text to score (a number or a numeric string), in no
    particular order; hits come back sorted by score, highest first (stable on ties)."""
    result = body.get("result")
    if not isinstance(result, dict):
        raise _missing(body, "result", "a search")
    scores = result.get("answer_score") or {}
    if not isinstance(scores, dict):
        raise errors.ProtocolError(f"unexpected answer_score: {str(scores)[:200]}", vendor=VENDOR)
    best = result.get("best_answer") or None
    try:
        ranked = sorted(
            ((str(doc), float(score)) for doc, score in scores.items()), key=lambda pair: -pair[1]
        )
    except (TypeError, ValueError) as exc:
        raise errors.ProtocolError(
            f"a search score is not a number: {exc}", vendor=VENDOR
        ) from None
    hits = tuple(SearchHit(doc, score, doc == best) for doc, score in ranked)
    return SearchResult(str(result.get("query", "")), best, hits)


def parse_finished(body: dict[str, Any]) -> bool:
    if "finished" not in body:
        raise _missing(body, "finished", "finetune/finished")
    return body["finished"] is True


def parse_started(body: dict[str, Any]) -> bool:
    if "start" not in body:
        raise _missing(body, "start", "finetune/start")
    return bool(body["start"])


# -- images -------------------------------------------------------------------------------------

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def image_format(content: bytes) -> str | None:
    """ "png", "jpg", "gif" or "webp" from the magic bytes; None when it is no image."""
    for magic, kind in _IMAGE_MAGIC:
        if content.startswith(magic):
            if kind == "png" and content[12:16] != b"IHDR":
                return None  # a PNG signature but no header chunk: truncated or garbage
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    return None


def parse_image(response: HttpResponse) -> tuple[bytes, str]:
    """§4.8: the image bytes and their format; any other answer is an error, never a file."""
    kind = image_format(response.content)
    if kind is not None:
        return response.content, kind
    body = _json(response)
    if isinstance(body, dict) and body.get("message"):
        raise error_from_message(str(body["message"]), status=response.status, body=body)
    content_type = response.header("content-type") or "no content type"
    raise errors.ProtocolError(
        f"ClueAI text2image answered with {content_type}, not an image: {response.content[:200]!r}",
        vendor=VENDOR,
        status_code=response.status,
        request_id=_request_id(response),
    )
