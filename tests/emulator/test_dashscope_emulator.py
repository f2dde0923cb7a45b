"""The emulated DashScope service, spoken to with plain requests (no cnllm client code)."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import pytest
import requests

from cnllm.emulator import Emulator, Fault

GENERATION = "/api/v1/services/aigc/text-generation/generation"
EMBEDDING = "/api/v1/services/embeddings/text-embedding/text-embedding"
KEY = {"Authorization": "Bearer sk-emulator"}
SSE = {**KEY, "X-DashScope-SSE": "enable", "Accept": "text/event-stream"}


def post(emu: Emulator, path: str, body: Any, headers: dict[str, str] = KEY) -> requests.Response:
    return requests.post(f"{emu.base_url}{path}", json=body, headers=headers, timeout=10)


def chatyuan(prompt: str = "用户：你好\\n小元：", **parameters: Any) -> dict[str, Any]:
    return {"model": "chatyuan-large-v2", "input": {"prompt": prompt}, "parameters": parameters}


def qwen(content: str = "你好", **parameters: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": content}]
    return {"model": "qwen-plus", "input": {"messages": messages}, "parameters": parameters}


def blocks(response: requests.Response) -> list[list[str]]:
    """The raw SSE blocks, line by line (the framing itself is under test)."""
    text = response.content.decode("utf-8")
    return [block.split("\n") for block in text.split("\n\n") if block]


def data(block: list[str]) -> dict[str, Any]:
    line = next(line for line in block if line.startswith("data:"))
    parsed: dict[str, Any] = json.loads(line[len("data:") :])
    return parsed


# -- ChatYuan ------------------------------------------------------------------------------------


def test_chatyuan_answers_with_output_text_only_and_escaped_newlines(emu: Emulator) -> None:
    response = post(emu, GENERATION, chatyuan())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"output", "request_id"}  # no usage, as in the seed
    assert set(body["output"]) == {"text"}  # no finish_reason either
    assert "\\n" in body["output"]["text"] and "\n" not in body["output"]["text"]
    assert response.headers["X-Request-Id"] == body["request_id"]


def test_chatyuan_takes_the_seed_curl_prompt(emu: Emulator) -> None:
    prompt = "用户:帮我写个请假条,我因为感冒不舒服,需要请假1天,请领导批准\\n小元"
    body = post(emu, GENERATION, chatyuan(prompt)).json()
    assert "帮我写个请假条" in body["output"]["text"]


def test_chatyuan_refuses_messages(emu: Emulator) -> None:
    body = {
        "model": "chatyuan-large-v2",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
    }
    response = post(emu, GENERATION, body)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert "input.prompt" in response.json()["message"]


def test_chatyuan_input_length_limit(emu: Emulator) -> None:
    response = post(emu, GENERATION, chatyuan("长" * 5000))
    assert response.status_code == 400
    assert response.json()["message"] == "Range of input length should be [1, 4096]"


def test_chatyuan_streams_incrementally_without_finish_reason(emu: Emulator) -> None:
    response = post(emu, GENERATION, chatyuan(incremental_output=True), SSE)
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = blocks(response)
    assert len(events) >= 3
    pieces = [data(block)["output"]["text"] for block in events]
    whole = post(emu, GENERATION, chatyuan()).json()["output"]["text"]
    assert "".join(pieces) == whole
    assert all("finish_reason" not in data(block)["output"] for block in events)


# -- messages models and the SSE layout ---------------------------------------------------------


def test_qwen_text_and_message_result_formats(emu: Emulator) -> None:
    text = post(emu, GENERATION, qwen()).json()
    assert text["output"]["finish_reason"] == "stop" and text["output"]["text"]
    usage = text["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    message = post(emu, GENERATION, qwen(result_format="message")).json()
    choice = message["output"]["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"


def test_the_native_sse_layout_and_the_end_of_a_stream(emu: Emulator) -> None:
    body = qwen("介绍下故宫", result_format="message", incremental_output=True)
    events = blocks(post(emu, GENERATION, body, SSE))
    for number, block in enumerate(events, start=1):
        assert block[0] == f"id:{number}" and block[1] == "event:result"
        assert block[2] == ":HTTP_STATUS/200" and block[3].startswith("data:{")  # no space
    reasons = [data(block)["output"]["choices"][0]["finish_reason"] for block in events]
    assert reasons[:-1] == ["null"] * (len(events) - 1) and reasons[-1] == "stop"
    assert all("[DONE]" not in line for block in events for line in block)
    usages = [data(block)["usage"]["output_tokens"] for block in events]
    assert usages == sorted(usages)  # running totals


def test_non_incremental_streams_repeat_the_text_so_far(emu: Emulator) -> None:
    events = blocks(post(emu, GENERATION, qwen("介绍下故宫"), SSE))
    texts = [data(block)["output"]["text"] for block in events]
    assert all(later.startswith(earlier) for earlier, later in pairwise(texts))


def test_tools_give_a_tool_call_streamed_in_pieces(emu: Emulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    body = qwen("北京天气", result_format="message", tools=[tool], incremental_output=True)
    whole = post(emu, GENERATION, body).json()["output"]["choices"][0]
    assert whole["finish_reason"] == "tool_calls"
    call = whole["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather" and call["id"].startswith("call_")
    events = [data(b)["output"]["choices"][0] for b in blocks(post(emu, GENERATION, body, SSE))]
    arguments = "".join(
        piece["function"]["arguments"] for e in events for piece in e["message"]["tool_calls"]
    )
    assert arguments == call["function"]["arguments"]
    assert events[-1]["finish_reason"] == "tool_calls"


def test_json_mode_and_parameter_limits(emu: Emulator) -> None:
    body = qwen("给我一个 JSON", response_format={"type": "json_object"})
    assert json.loads(post(emu, GENERATION, body).json()["output"]["text"])
    limited = post(emu, GENERATION, qwen("介绍下故宫", max_tokens=3)).json()
    assert limited["output"]["finish_reason"] == "length" and limited["usage"]["output_tokens"] <= 3


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"temperature": 2.0}, "Range of temperature should be [0.0, 2.0)"),
        ({"top_p": 0}, "Range of top_p should be (0.0, 1.0]"),
        ({"result_format": "xml"}, "result_format must be 'text' or 'message'."),
    ],
)
def test_out_of_range_parameters(emu: Emulator, parameters: dict[str, Any], message: str) -> None:
    response = post(emu, GENERATION, qwen(**parameters))
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert response.json()["message"] == message


def test_message_order_rules(emu: Emulator) -> None:
    late_system = qwen()
    late_system["input"]["messages"].append({"role": "system", "content": "x"})
    assert post(emu, GENERATION, late_system).status_code == 400


def test_models_and_paths(emu: Emulator) -> None:
    unknown = post(emu, GENERATION, {**qwen(), "model": "gpt-4"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "Model.NotExist")
    vision = post(emu, GENERATION, {**qwen(), "model": "qwen-vl-max"})
    assert vision.json()["message"].startswith("url error")
    elsewhere = post(emu, "/api/v1/services/aigc/multimodal-generation/generation", qwen())
    assert elsewhere.json()["message"].startswith("url error")


# -- auth and errors ----------------------------------------------------------------------------


def test_a_missing_key_is_invalid_api_key(emu: Emulator) -> None:
    response = post(emu, GENERATION, qwen(), headers={})
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "request_id"}
    assert response.json()["code"] == "InvalidApiKey"


def test_strict_mode_checks_the_key() -> None:
    with Emulator(strict=True, credentials={"dashscope_api_key": "right"}) as emu:
        wrong = post(emu, GENERATION, qwen())
        assert wrong.status_code == 401
        assert (wrong.json()["code"], wrong.json()["message"]) == (
            "InvalidApiKey",
            "Invalid API-key provided.",
        )
        right = post(emu, GENERATION, qwen(), headers={"Authorization": "Bearer right"})
        assert right.status_code == 200


@pytest.mark.parametrize(
    ("code", "status"),
    [("Throttling", 429), ("InvalidParameter", 400), ("DataInspectionFailed", 400), (503, 503)],
)
def test_error_code_faults_have_dashscope_shapes(emu: Emulator, code: Any, status: int) -> None:
    emu.inject(Fault("error_code", code=code))
    response = post(emu, GENERATION, qwen())
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}
    assert body["code"] == (code if isinstance(code, str) else "ServiceUnavailable")


def test_an_error_code_with_status_200(emu: Emulator) -> None:
    emu.inject(Fault("error_code", code="Throttling", status=200))
    response = post(emu, GENERATION, qwen())
    assert response.status_code == 200 and response.json()["code"] == "Throttling"


def test_a_stream_error_fault_is_an_error_event(emu: Emulator) -> None:
    emu.inject(Fault("stream_error", code="DataInspectionFailed", after_events=2))
    events = blocks(post(emu, GENERATION, qwen("介绍下故宫", incremental_output=True), SSE))
    assert len(events) == 3
    last = events[-1]
    assert last[0] == "id:3" and last[1] == "event:error" and last[2] == ":HTTP_STATUS/400"
    assert data(last)["code"] == "DataInspectionFailed"


# -- embeddings ---------------------------------------------------------------------------------


def embedding(model: str, texts: list[str], **parameters: Any) -> dict[str, Any]:
    return {"model": model, "input": {"texts": texts}, "parameters": parameters}


def test_embeddings_come_back_keyed_by_text_index(emu: Emulator) -> None:
    body = post(emu, EMBEDDING, embedding("text-embedding-v2", ["故宫", "长城", "西湖"])).json()
    items = body["output"]["embeddings"]
    assert [item["text_index"] for item in items] == [2, 1, 0]  # order is not promised
    assert all(len(item["embedding"]) == 1536 for item in items)
    assert body["usage"]["total_tokens"] > 0


def test_embedding_batch_limits_and_dimensions(emu: Emulator) -> None:
    too_many = post(emu, EMBEDDING, embedding("text-embedding-v3", ["a"] * 11))
    assert too_many.json()["message"] == "batch size is invalid, it should not be larger than 10."
    assert post(emu, EMBEDDING, embedding("text-embedding-v2", ["a"] * 25)).status_code == 200
    sized = post(emu, EMBEDDING, embedding("text-embedding-v4", ["a"], dimension=2048)).json()
    assert len(sized["output"]["embeddings"][0]["embedding"]) == 2048
    assert (
        post(emu, EMBEDDING, embedding("text-embedding-v2", ["a"], dimension=512)).status_code
        == 400
    )
    bad_type = post(emu, EMBEDDING, embedding("text-embedding-v2", ["a"], text_type="passage"))
    assert bad_type.status_code == 400
