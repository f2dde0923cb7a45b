"""ClueAI protocol: requests byte for byte against the seed's curl examples and the reference's
SDK probes; answers and errors parsed per the reference (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests

from cnllm import errors
from cnllm.clueai import protocol
from cnllm.clueai.protocol import GenerateConfig
from cnllm.transport import HttpRequest, HttpResponse

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "clueai"
MODELFUN = "https://www.modelfun.cn/modelfun/api"
CLUEAI = "https://clueai.cn/clueai"


def curl(name: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(URL, headers, JSON body) of one of the seed's curl commands, verbatim."""
    text = (SEEDS / f"{name}.sh").read_text(encoding="utf-8")
    url = text.split("'")[1]
    headers = dict(
        line.split("'")[1].split(": ", 1) for line in text.splitlines() if "--header" in line
    )
    body = json.loads(text[text.index("--data '") + 8 : text.rindex("}'") + 1])
    return url, headers, body


def response(body: Any, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(status, {"Content-Type": content_type}, content)


def prepared(request: HttpRequest) -> requests.PreparedRequest:
    """What requests would put on the wire (no socket is opened)."""
    return requests.Request(
        request.method,
        request.url,
        params=dict(request.params),
        headers=dict(request.headers),
        json=request.json if request.files is None else None,
        files=request.files,
        data=request.data,
    ).prepare()


# -- requests against the seed's curl examples ----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["curl_generate_ner_base", "curl_generate_summary_base", "curl_generate_summary_large"]
)
def test_generate_request_carries_every_field_of_the_seed_curl(name: str) -> None:
    url, headers, body = curl(name)
    request = protocol.generate_request(
        MODELFUN,
        "sk-test" if "Api-Key" in headers else None,
        headers["Model-name"],
        body["input_data"][0],
        GenerateConfig(),
        task_name=body["task_name"],
    )
    assert request.url == url
    assert {key: request.json[key] for key in body} == body
    for header, value in headers.items():
        expected = value.replace("{api_key}", "sk-test")
        assert request.headers[header] == expected


@pytest.mark.parametrize("name", ["curl_classify_base", "curl_classify_large"])
def test_classify_request_carries_every_field_of_the_seed_curl(name: str) -> None:
    url, headers, body = curl(name)
    request = protocol.classify_request(
        MODELFUN,
        "sk-test" if "Api-Key" in headers else None,
        headers["Model-name"],
        body["input_data"],
        body["labels"],
        task_name=body["task_name"],
    )
    assert request.url == url
    assert {key: request.json[key] for key in body} == body
    assert request.headers["Model-name"] == headers["Model-name"]
    assert ("Api-Key" in request.headers) == ("Api-Key" in headers)


def test_free_requests_leave_the_api_key_header_out_like_the_seed() -> None:
    _, headers, _ = curl("curl_generate_ner_base")
    request = protocol.generate_request(MODELFUN, None, "clueai-base", "x", GenerateConfig())
    assert "Api-Key" not in headers and "Api-Key" not in request.headers


# -- requests against the reference's SDK probes ------------------------------------------------


def test_generate_body_is_the_sdk_body_key_for_key_in_order() -> None:
    request = protocol.generate_request(
        MODELFUN, "k", "ChatYuan-large", "用户：你好\n小元：", GenerateConfig()
    )
    expected = {
        "task_type": "generate",
        "model_name": "ChatYuan-large",
        "input_data": ["用户：你好\n小元："],
        "num_generations": 1,
        "max_tokens": 20,
        "temperature": 1.0,
        "k": 0,
        "p": 0.75,
        "frequency_penalty": 0.0,
        "presence_penalty": 0.0,
        "stop_sequences": None,
        "return_likelihoods": None,
        "generate_config": {},
    }
    assert request.json == expected and list(request.json) == list(expected)
    assert request.method == "POST"
    assert request.headers == {
        "Request-Source": "python-sdk",
        "clueai-Version": "2022-08-08",
        "Api-Key": "BEARER k",
        "Content-Type": "application/json",
        "Model-name": "ChatYuan-large",
    }


def test_classify_body_is_the_sdk_body() -> None:
    request = protocol.classify_request(
        MODELFUN,
        "k",
        "clueai-large",
        ["世界充满了欺骗", "世界和平"],
        ["消极", "积极"],
        examples=[{"text": "基本都是欺骗", "label": "消极"}],
        task_name="情感分析",
    )
    expected = {
        "model_name": "clueai-large",
        "task_name": "情感分析",
        "task_type": "classify",
        "examples": [{"text": "基本都是欺骗", "label": "消极"}],
        "input_data": ["世界充满了欺骗", "世界和平"],
        "labels": ["消极", "积极"],
    }
    assert request.json == expected and list(request.json) == list(expected)


def test_generate_config_and_stop_sequences_go_where_the_sdk_puts_them() -> None:
    config = GenerateConfig(
        do_sample=True, top_p=0.8, max_length=128, min_length=10, length_penalty=1.0, num_beams=1
    )
    request = protocol.generate_request(
        MODELFUN, None, "clueai-base", "p", config, stop=["。"], return_likelihoods="generation"
    )
    assert request.json["generate_config"] == {
        "do_sample": True,
        "top_p": 0.8,
        "max_length": 128,
        "min_length": 10,
        "length_penalty": 1.0,
        "num_beams": 1,
    }  # the seed's README example, key for key
    assert request.json["stop_sequences"] == ["。"]
    assert request.json["return_likelihoods"] == "GENERATION"
    assert "task_name" not in request.json  # the SDK never sends it


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://x/modelfun/api", "https://x/modelfun/api/serving_api"),
        ("https://x/modelfun/api/", "https://x/modelfun/api/serving_api"),
    ],
)
def test_modelfun_urls_join_with_or_without_a_trailing_slash(base: str, expected: str) -> None:
    assert protocol.generate_request(base, None, "m", "p", GenerateConfig()).url == expected


def test_clueai_paths_keep_their_trailing_slashes_exactly() -> None:
    key, content = "k", b'{"title": "t"}\n'
    assert protocol.search_request(CLUEAI, key, "e", "q").url == f"{CLUEAI}/search/"
    assert (
        protocol.upload_corpus_request(CLUEAI, key, content, "f.json", "title", sync=False).url
        == f"{CLUEAI}/search/upload/"
    )
    assert (
        protocol.upload_corpus_request(CLUEAI, key, content, "f.json", "title", sync=True).url
        == f"{CLUEAI}/search/upload/sync/"
    )
    assert protocol.text2image_request(CLUEAI, key, "p").url == f"{CLUEAI}/text2image"
    info = protocol.user_info_request(CLUEAI, key, finetune_user=False)
    assert info.url == f"{CLUEAI}/serving/api/user_info" and info.params == {"api_key": "k"}
    assert protocol.user_info_request(CLUEAI, key, finetune_user=True).url.endswith(
        "/serving/finetune_api/user_info"
    )
    assert protocol.check_api_key_request(MODELFUN, key).url == f"{MODELFUN}/check_api_key"


@pytest.mark.parametrize(
    ("base", "prefix"), [(None, CLUEAI), ("ClueAI", CLUEAI), ("ChatYuan", f"{CLUEAI}/chatyuan")]
)
def test_finetune_paths_switch_to_chatyuan_for_the_chatyuan_base(
    base: str | None, prefix: str
) -> None:
    upload = protocol.finetune_upload_request(CLUEAI, "k", b"", "t.json", base=base)
    assert upload.url == f"{prefix}/finetune/upload/sync/"
    assert upload.data == {"input_field": "input", "target_field": "target"}
    assert upload.headers.get("Model-name") == base
    for step in ("finished", "start"):
        state = protocol.finetune_state_request(CLUEAI, "k", "ft-1", step=step, base=base)
        assert state.url == f"{prefix}/finetune/{step}/"
        assert state.json == {"engine_key": "ft-1"} and "Model-name" not in state.headers
    predict = protocol.finetune_predict_request(
        CLUEAI, "k", "ft-1", "p", GenerateConfig(), base=base
    )
    assert predict.url == f"{prefix}/finetune/predict/"
    assert predict.json == {
        "engine_key": "ft-1",
        "task_type": "generate",
        "model_name": base,
        "input_data": ["p"],
        "return_likelihoods": None,
        "generate_config": {},
    }


def test_finetune_base_names_are_checked() -> None:
    assert protocol.finetune_base("chatyuan") == "ChatYuan"
    assert protocol.finetune_base("ChatYuan-large") == "ChatYuan"
    with pytest.raises(errors.ValidationError, match="finetune_base"):
        protocol.finetune_base("GPT")


# -- encoding on the wire -----------------------------------------------------------------------

TRICKY = "A&B=1 #2 + 3 法律案例?"


def test_search_query_is_encoded_so_it_round_trips() -> None:
    request = protocol.search_request(CLUEAI, None, "se-1", TRICKY)
    for url in (
        str(prepared(request).url),
        str(httpx.Request("GET", request.url, params=request.params).url),
    ):
        query = parse_qs(urlsplit(url).query)
        assert "#" not in urlsplit(url).geturl().split("?", 1)[1]
        assert query == {"key": ["se-1"], "query": [TRICKY]}


def test_text2image_style_prefix_and_encoding() -> None:
    request = protocol.text2image_request(CLUEAI, None, "秋日的晚霞 & 星空", style="毕加索")
    assert request.params == {"text": "毕加索风格，秋日的晚霞 & 星空"}
    assert parse_qs(urlsplit(str(prepared(request).url)).query)["text"] == [
        "毕加索风格，秋日的晚霞 & 星空"
    ]


def test_corpus_upload_is_multipart_with_the_field_and_the_file() -> None:
    content = '{"id": 0, "title": "完善法律制定规则 严格监管槟榔产业"}\n'.encode()
    request = protocol.upload_corpus_request(
        CLUEAI, "k", content, "law_test.json", "title", sync=False, model="clueai-base"
    )
    assert "Content-Type" not in request.headers  # multipart sets its own, with the boundary
    wire = prepared(request)
    assert wire.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = bytes(wire.body or b"")
    assert b'name="field"\r\n\r\ntitle' in body
    assert b'name="file"; filename="law_test.json"' in body and content in body
    assert wire.headers["Model-name"] == "clueai-base"


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "parameter"),
    [
        (GenerateConfig(top_p=0), "top_p"),
        (GenerateConfig(top_p=1.5), "top_p"),
        (GenerateConfig(temperature=-1), "temperature"),
        (GenerateConfig(max_length=0), "max_length"),
        (GenerateConfig(num_beams=0), "num_beams"),
        (GenerateConfig(num_beams=True), "num_beams"),  # type: ignore[arg-type]
        (GenerateConfig(min_length=20, max_length=10), "min_length"),
        (GenerateConfig(do_sample=True, temperature=0), "temperature"),
        (GenerateConfig(repetition_penalty=0), "repetition_penalty"),
    ],
)
def test_bad_generate_config_names_the_parameter(config: GenerateConfig, parameter: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        config.to_dict()
    assert caught.value.parameter == parameter


def test_sampling_parameters_turn_sampling_on_and_temperature_zero_means_greedy() -> None:
    assert GenerateConfig(temperature=0.7).to_dict() == {"do_sample": True, "temperature": 0.7}
    assert GenerateConfig(top_p=0.9).to_dict() == {"do_sample": True, "top_p": 0.9}
    assert GenerateConfig(temperature=0).to_dict() == {"do_sample": False}
    assert GenerateConfig(do_sample=False, top_p=0.9).to_dict() == {
        "do_sample": False,
        "top_p": 0.9,
    }
    assert GenerateConfig().to_dict() == {}


def test_config_from_maps_standard_parameters_and_splits_options() -> None:
    config, options = protocol.config_from(
        GenerateConfig(num_beams=2),
        temperature=0.5,
        max_tokens=64,
        extra={"min_length": 3, "return_likelihoods": "ALL", "no_repeat_ngram_size": 2, "x": 1},
    )
    assert config.to_dict() == {
        "do_sample": True,
        "max_length": 64,
        "min_length": 3,
        "num_beams": 2,
        "temperature": 0.5,
        "no_repeat_ngram_size": 2,
        "x": 1,
    }
    assert options == {"return_likelihoods": "ALL"}


def test_classify_checks_labels_and_examples_before_sending() -> None:
    with pytest.raises(errors.ValidationError, match="labels"):
        protocol.classify_request(MODELFUN, None, "m", ["x"], ["a", "a"])
    with pytest.raises(errors.ValidationError, match=r"examples\[0\]\.label"):
        protocol.classify_request(
            MODELFUN, None, "m", ["x"], ["a", "b"], examples=[{"text": "t", "label": "c"}]
        )
    with pytest.raises(errors.ValidationError, match=r"inputs\[1\]"):
        protocol.classify_request(MODELFUN, None, "m", ["x", ""], ["a"])


def test_keyed_calls_refuse_to_go_without_a_key() -> None:
    with pytest.raises(errors.ConfigurationError, match="CLUEAI_API_KEY"):
        protocol.user_info_request(CLUEAI, None, finetune_user=False)
    with pytest.raises(errors.ConfigurationError):
        protocol.finetune_upload_request(CLUEAI, "", b"", "t.json")


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "cls", "retryable"),
    [
        ("invalid api key", errors.AuthenticationError, False),
        ("api_key无效", errors.AuthenticationError, False),
        ("调用次数已用完，请充值", errors.QuotaExceededError, False),
        ("请求过于频繁", errors.RateLimitError, True),
        ("服务繁忙，请稍后再试", errors.ServerError, True),
        ("engine_key不存在：x", errors.NotFoundError, False),
        ("输入长度2000超过了1024个字符", errors.ContextOverflowError, False),
        ("something odd", errors.APIError, False),
    ],
)
def test_a_message_body_is_a_typed_error_with_the_message(
    message: str, cls: type[errors.APIError], retryable: bool
) -> None:
    with pytest.raises(cls) as caught:
        protocol.check_response(response({"message": message}))
    assert caught.value.message == message
    assert caught.value.retryable is retryable
    assert caught.value.vendor == "clueai" and caught.value.status_code == 200


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (400, errors.InvalidRequestError),
    ],
)
def test_http_errors_are_typed_by_status_with_the_body_message(
    status: int, cls: type[errors.APIError]
) -> None:
    with pytest.raises(cls) as caught:
        protocol.check_response(response({"message": "出错了"}, status))
    assert caught.value.message == "出错了" and caught.value.status_code == status
    with pytest.raises(cls) as plain:
        protocol.check_response(response(b"<html>Bad Gateway</html>", status, "text/html"))
    assert "Bad Gateway" in plain.value.message


def test_success_bodies_pass_the_check_even_with_a_message_key() -> None:
    protocol.check_response(response({"result": [], "message": "ok"}))
    protocol.check_response(response({"engine_key": "se-1", "message": "上传成功"}))
    protocol.check_response(response({"message": "success", "used": 3}))
    protocol.check_response(response(b"\x89PNG\r\n\x1a\n", content_type="image/png"))


def test_a_body_without_result_is_a_protocol_error_carrying_the_body() -> None:
    with pytest.raises(errors.ProtocolError, match="without 'result'") as caught:
        protocol.parse_generations({"status": "ok"})
    assert caught.value.body == {"status": "ok"}
    with pytest.raises(errors.ProtocolError, match="without 'engine_key'"):
        protocol.parse_engine_key({"error": "bad file"})
    with pytest.raises(errors.ProtocolError, match="without 'result'"):
        protocol.parse_search({})


def test_a_non_json_body_is_a_protocol_error_with_the_body() -> None:
    with pytest.raises(errors.ProtocolError, match="non-JSON body") as caught:
        protocol.json_body(response(b"<html>502 Bad Gateway</html>", 200, "text/html"), "x")
    assert "502 Bad Gateway" in caught.value.message


# -- answers ------------------------------------------------------------------------------------


def test_generations_with_likelihoods_keyed_by_index() -> None:
    body = {
        "result": [
            {
                "generate_text": "国际",
                "likelihood": -1.23,
                "token_likelihoods": {
                    "1": {"token": "际", "prob": 0.8},
                    "0": {"token": "国", "prob": 0.9},
                },
            }
        ]
    }
    (generation,) = protocol.parse_generations(body)
    assert generation.text == "国际" and generation.likelihood == -1.23
    assert [(t.token, t.prob) for t in generation.token_likelihoods or ()] == [
        ("国", 0.9),
        ("际", 0.8),
    ]
    assert protocol.parse_generations({"result": [{"generate_text": ""}]})[0].text == ""


def test_classifications_in_input_order_with_confidences() -> None:
    body = {
        "result": [
            {
                "input": "世界和平",
                "prediction": "积极",
                "confidence": [
                    {"label": "积极", "confidence": 0.93},
                    {"label": "消极", "confidence": 0.07},
                ],
            }
        ]
    }
    (item,) = protocol.parse_classifications(body, ["世界和平"])
    assert item.prediction == "积极" and item.confidence == 0.93
    assert item.confidences == {"积极": 0.93, "消极": 0.07}
    with pytest.raises(errors.ProtocolError, match="classified 1 texts of 2"):
        protocol.parse_classifications(body, ["a", "b"])


def test_search_scores_may_be_strings_and_are_sorted_highest_first() -> None:
    body = {
        "result": {
            "query": "法律案例",
            "best_answer": "doc 1",
            "answer_score": {"doc 3": 0.2, "doc 1": "0.83", "doc 2": 0.61},
        }
    }
    result = protocol.parse_search(body)
    assert [(hit.text, hit.score, hit.is_best) for hit in result.hits] == [
        ("doc 1", 0.83, True),
        ("doc 2", 0.61, False),
        ("doc 3", 0.2, False),
    ]
    assert result.query == "法律案例"
    with pytest.raises(errors.ProtocolError, match="not a number"):
        protocol.parse_search({"result": {"answer_score": {"d": "high"}}})


def test_finetune_state_answers() -> None:
    assert protocol.parse_finished({"finished": True}) is True
    assert protocol.parse_finished({"finished": "yes"}) is False  # the SDK wants exactly True
    assert protocol.parse_started({"start": True}) is True
    with pytest.raises(errors.ProtocolError):
        protocol.parse_started({})


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0rest", "jpg"),
        (b"GIF89a....", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    ],
)
def test_images_are_recognised_by_their_magic_bytes(content: bytes, kind: str) -> None:
    assert protocol.parse_image(response(content, content_type="image/png")) == (content, kind)


@pytest.mark.parametrize(
    ("content", "cls", "text"),
    [
        (b'{"message": "invalid api key"}', errors.AuthenticationError, "invalid api key"),
        (b'{"detail": "x"}', errors.ProtocolError, "not an image"),
        (b"<html>error</html>", errors.ProtocolError, "not an image"),
        (b"\x89PNG\r\n\x1a\n", errors.ProtocolError, "not an image"),  # truncated
        (b"", errors.ProtocolError, "not an image"),
    ],
)
def test_an_answer_that_is_not_an_image_is_a_typed_error(
    content: bytes, cls: type[errors.CnLLMError], text: str
) -> None:
    with pytest.raises(cls, match=text):
        protocol.parse_image(response(content, content_type="application/json"))
