"""The emulated Koala (FastChat under /v1/): wire shapes, checks, options and faults."""

from __future__ import annotations

import base64
import itertools
import json
import math
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cnllm.emulator import Emulator, Fault

TEXT_MODEL = "Baichuan2-13B-Chat"


@pytest.fixture
def http(emu: Emulator) -> Iterator[Any]:
    session = requests.Session()

    class Http:
        emulator = emu

        def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
            return session.post(f"{emu.base_url}/v1/{path}", json=body, **kwargs)

        def get(self, path: str, **kwargs: Any) -> requests.Response:
            return session.get(f"{emu.base_url}/v1/{path}", **kwargs)

    yield Http()
    session.close()


def chat(content: str = "你好", **fields: Any) -> dict[str, Any]:
    return {"model": TEXT_MODEL, "messages": [{"role": "user", "content": content}], **fields}


def events(response: requests.Response) -> list[str]:
    return [
        line[len("data: ") :]
        for line in response.content.decode("utf-8").split("\n\n")
        if line.startswith("data: ")
    ]


def error_body(response: requests.Response) -> tuple[int, int]:
    body = response.json()
    assert body["object"] == "error" and isinstance(body["message"], str)
    return response.status_code, body["code"]


# -- models -------------------------------------------------------------------------------------


def test_models_are_listed_sorted_as_fastchat_cards(http: Any) -> None:
    response = http.get("models")
    body = response.json()
    ids = [card["id"] for card in body["data"]]
    assert body["object"] == "list" and ids == sorted(ids)
    assert {"koala-mm", TEXT_MODEL, "vicuna-13b-v1.5", "text2vec-large-chinese"} <= set(ids)
    card = body["data"][0]
    assert card["owned_by"] == "fastchat" and card["root"] == card["id"] and card["parent"] is None
    assert card["permission"][0]["id"].startswith("modelperm-")
    assert response.headers["Content-Type"] == "application/json"


def test_unknown_paths_and_methods(http: Any) -> None:
    assert http.get("models/koala-mm").json() == {"detail": "Not Found"}  # "未实现"
    assert http.get("nothing").status_code == 404
    wrong = http.get("chat/completions")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


# -- chat ---------------------------------------------------------------------------------------


def test_chat_answer_shape(http: Any) -> None:
    response = http.post("chat/completions", chat(temperature=0))
    body = response.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
    assert body["id"].startswith("chatcmpl-") and len(body["id"]) == len("chatcmpl-") + 22
    assert body["object"] == "chat.completion" and body["model"] == TEXT_MODEL
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert list(usage) == ["prompt_tokens", "total_tokens", "completion_tokens"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_stream_wire_format(http: Any) -> None:
    response = http.post("chat/completions", chat("介绍一下故宫", stream=True))
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    data = events(response)
    assert data[-1] == "[DONE]"
    role, *contents, finish = (json.loads(item) for item in data[:-1])
    assert role["choices"][0]["delta"] == {"role": "assistant"} and "object" not in role
    assert len(contents) >= 3
    for item in contents:
        assert set(item) == {"id", "model", "choices"}  # no object/created (exclude_unset)
        assert list(item["choices"][0]["delta"]) == ["content"]
    assert finish["object"] == "chat.completion.chunk" and "created" in finish
    assert finish["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert '", "' in data[1] and '": ' in data[1]  # pydantic v1 .json() separators
    assert len({json.loads(item)["id"] for item in data[:-1]}) == 1


def test_stream_deltas_add_up_to_the_whole_answer(http: Any) -> None:
    whole = http.post("chat/completions", chat("介绍一下故宫")).json()
    text = "".join(
        json.loads(item)["choices"][0]["delta"].get("content", "")
        for item in events(http.post("chat/completions", chat("介绍一下故宫", stream=True)))[:-1]
    )
    assert text == whole["choices"][0]["message"]["content"]


def test_n_choices_stream_one_after_another(http: Any) -> None:
    data = [
        json.loads(d) for d in events(http.post("chat/completions", chat(n=2, stream=True)))[:-1]
    ]
    indexes = [item["choices"][0]["index"] for item in data]
    assert indexes == [*sorted(indexes[:-2]), 0, 1]  # finish chunks together at the end
    assert http.post("chat/completions", chat(n=2)).json()["choices"][1]["index"] == 1


def test_system_stop_and_max_tokens(http: Any) -> None:
    body = chat("请重复“你好，世界。再见”", stop=["。"])
    assert (
        http.post("chat/completions", body).json()["choices"][0]["message"]["content"]
        == "你好，世界"
    )
    cut = http.post("chat/completions", chat("介绍一下故宫", max_tokens=3)).json()
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] <= 3


def test_structured_output_prompts_get_json(http: Any) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    content = f"北京在哪里？ JSON schema: {json.dumps(schema)}"
    answer = http.post("chat/completions", chat(content)).json()["choices"][0]["message"]["content"]
    assert set(json.loads(answer)) == {"city"}


def test_koala_mm_reads_the_images_field_and_reports_zero_usage(http: Any) -> None:
    message = {
        "images": "http://x/1717389731978301442.jpg",
        "role": "user",
        "content": "图片里面有什么",
    }
    body = http.post(
        "chat/completions",
        {"model": "koala-mm", "messages": [message], "max_tokens": 512, "temperature": 0},
    ).json()
    assert "1717389731978301442.jpg" in body["choices"][0]["message"]["content"]
    assert body["usage"] == {"prompt_tokens": 0, "total_tokens": 0, "completion_tokens": 0}


def test_message_forms_fastchat_rejects(http: Any) -> None:
    parts = [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": "http://x"}}]
    listed = http.post(
        "chat/completions", {"model": "koala-mm", "messages": [{"role": "user", "content": parts}]}
    )
    assert error_body(listed) == (400, 40001)  # 0.2.30/0.2.31: content must be a string
    null = http.post(
        "chat/completions", {"model": TEXT_MODEL, "messages": [{"role": "user", "content": None}]}
    )
    assert error_body(null) == (400, 40001)
    for messages in ([{"user": "你好", "bot": "你好"}], [{"role": "tool", "content": "x"}]):
        crash = http.post("chat/completions", {"model": TEXT_MODEL, "messages": messages})
        assert (crash.status_code, crash.text) == (500, "Internal Server Error")
        assert crash.headers["Content-Type"].startswith("text/plain")
    raw = http.post("chat/completions", {"model": TEXT_MODEL, "messages": "USER: hi ASSISTANT:"})
    assert raw.status_code == 200


def test_unknown_model_and_out_of_range_parameters(http: Any) -> None:
    unknown = http.post("chat/completions", {**chat(), "model": "nope"})
    assert error_body(unknown) == (400, 40301)
    assert "&&" in unknown.json()["message"] and unknown.json()["message"].endswith(
        "your model nope"
    )
    for field, value, text in (
        ("temperature", 2.5, "2.5 is greater than the maximum of 2 - 'temperature'"),
        ("top_p", -1, "-1 is less than the minimum of 0 - 'top_p'"),
        ("top_k", 0, "0 is out of Range. Either set top_k to -1 or >=1."),
        ("max_tokens", 0, "0 is less than the minimum of 1 - 'max_tokens'"),
    ):
        response = http.post("chat/completions", chat(**{field: value}))
        assert error_body(response) == (400, 40302) and response.json()["message"] == text
    assert error_body(http.post("chat/completions", chat(temperature="hot"))) == (400, 40001)
    assert error_body(http.post("chat/completions", {"model": TEXT_MODEL})) == (400, 40001)


def test_nulls_break_the_worker(http: Any) -> None:
    assert error_body(http.post("chat/completions", chat(temperature=None))) == (400, 50001)
    data = events(http.post("chat/completions", chat(top_p=None, stream=True)))
    assert json.loads(data[1])["error_code"] == 50001 and data[-1] == "[DONE]"
    assert http.post("chat/completions", chat(max_tokens=None)).status_code == 200  # its default


def test_context_overflow(http: Any) -> None:
    response = http.post("chat/completions", chat("字" * 5000))
    assert error_body(response) == (400, 40303)
    assert response.json()["message"].startswith("This model's maximum context length is 4096")


# -- completions --------------------------------------------------------------------------------


def test_completions_default_to_16_tokens(http: Any) -> None:
    body = http.post("completions", {"model": TEXT_MODEL, "prompt": "介绍一下故宫的历史"}).json()
    assert body["object"] == "text_completion" and body["id"].startswith("cmpl-")
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 16 and body["choices"][0]["logprobs"] is None
    full = http.post(
        "completions", {"model": TEXT_MODEL, "prompt": "介绍一下故宫的历史", "max_tokens": 512}
    )
    assert full.json()["choices"][0]["finish_reason"] == "stop"


def test_completion_stream_and_prompt_lists(http: Any) -> None:
    data = events(
        http.post(
            "completions", {"model": TEXT_MODEL, "prompt": "你好", "max_tokens": 64, "stream": True}
        )
    )
    chunks = [json.loads(item) for item in data[:-1]]
    assert data[-1] == "[DONE]" and all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-1]["choices"][0] == {
        "index": 0,
        "text": "",
        "logprobs": None,
        "finish_reason": "stop",
    }
    many = http.post(
        "completions", {"model": TEXT_MODEL, "prompt": ["a", "b"], "max_tokens": 8}
    ).json()
    assert [c["index"] for c in many["choices"]] == [0, 1]


# -- embeddings ---------------------------------------------------------------------------------


def test_embeddings_are_unnormalised_ordered_and_report_zero_usage(http: Any) -> None:
    one = http.post(
        "embeddings",
        {"input": "故宫", "model": "text2vec-large-chinese", "encoding_format": "float"},
    ).json()
    assert one["object"] == "list" and one["model"] == "text2vec-large-chinese"
    assert one["usage"] == {"prompt_tokens": 0, "total_tokens": 0}  # as the seed shows
    vector = one["data"][0]["embedding"]
    assert len(vector) == 1024 and math.sqrt(sum(v * v for v in vector)) > 2
    many = http.post(
        "embeddings",
        {"input": ["a", "故宫", "c", "d", "e", "f"], "model": "text2vec-large-chinese"},
    ).json()
    assert [item["index"] for item in many["data"]] == list(range(6))
    assert many["data"][1]["embedding"] == vector


def test_embeddings_base64_engines_path_and_empty_input(http: Any) -> None:
    coded = http.post(
        "embeddings",
        {"input": ["x"], "model": "text2vec-large-chinese", "encoding_format": "base64"},
    ).json()
    packed = base64.b64decode(coded["data"][0]["embedding"])
    assert len(struct.unpack(f"<{len(packed) // 4}f", packed)) == 1024
    path = http.post("engines/text2vec-large-chinese/embeddings", {"input": "x"}).json()
    assert path["model"] == "text2vec-large-chinese"
    counted = http.post("embeddings", {"input": ["你好"], "model": TEXT_MODEL}).json()
    assert counted["usage"]["prompt_tokens"] > 0
    assert (
        http.post("embeddings", {"input": [], "model": "text2vec-large-chinese"}).status_code == 500
    )


# -- faults -------------------------------------------------------------------------------------


def test_error_code_fault_uses_fastchat_shape(http: Any) -> None:
    http.emulator.inject(Fault("error_code", code=50001))
    response = http.post("chat/completions", chat())
    assert error_body(response) == (400, 50001)
    assert response.json()["message"].startswith("**NETWORK ERROR DUE TO HIGH TRAFFIC")
    http.emulator.inject(Fault("error_code", code=401))
    assert http.post("chat/completions", chat()).status_code == 401


def test_stream_error_fault_is_a_worker_event_then_done(http: Any) -> None:
    http.emulator.inject(Fault("stream_error", code=50002, after_events=2))
    data = events(http.post("chat/completions", chat("介绍一下故宫", stream=True)))
    assert len(data) == 4 and data[-1] == "[DONE]"
    assert json.loads(data[2])["error_code"] == 50002 and "text" in json.loads(data[2])


def test_latency_and_http_faults_apply(http: Any) -> None:
    http.emulator.inject(Fault("http", status=502))
    assert (
        http.post("embeddings", {"input": "x", "model": "text2vec-large-chinese"}).status_code
        == 502
    )
    assert http.emulator.stats.requests["/v1/embeddings"] == 1


# -- options ------------------------------------------------------------------------------------


def test_api_keys_are_checked_before_the_body() -> None:
    with Emulator(koala_api_key="k1,k2") as emu:
        url = f"{emu.base_url}/v1/chat/completions"
        missing = requests.post(url, json=chat())
        assert missing.status_code == 401
        assert missing.json()["detail"]["error"]["code"] == "invalid_api_key"
        wrong = requests.post(url, json={"bad": "body"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = requests.post(url, json=chat(), headers={"Authorization": "Bearer k2"})
        assert right.status_code == 200
        assert (
            requests.get(f"{emu.base_url}/v1/models", headers={"Authorization": "k1"}).status_code
            == 401
        )


def test_cumulative_stream_option() -> None:
    with Emulator(koala_stream="cumulative") as emu:
        response = requests.post(
            f"{emu.base_url}/v1/chat/completions", json=chat("介绍一下故宫", stream=True)
        )
        contents = [
            json.loads(item)["choices"][0]["delta"].get("content", "")
            for item in events(response)[1:-2]
        ]
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(contents))


def test_model_list_option() -> None:
    with Emulator(koala_models=["only-this"]) as emu:
        body = requests.get(f"{emu.base_url}/v1/models").json()
        assert [card["id"] for card in body["data"]] == ["only-this"]
