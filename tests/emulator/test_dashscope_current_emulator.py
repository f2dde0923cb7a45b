"""The emulated 2026 DashScope wire: both native services, thinking, compatible mode, regions;
and the official SDKs pointed at it (openai; dashscope when importable)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from cnllm.emulator import Emulator

KEY = {"Authorization": "Bearer sk-emulator"}
SSE = {**KEY, "X-DashScope-SSE": "enable", "Accept": "text/event-stream"}
TEXT = "/api/v1/services/aigc/text-generation/generation"
MULTIMODAL = "/api/v1/services/aigc/multimodal-generation/generation"
COMPAT = "/compatible-mode/v1/chat/completions"


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    return emulator


def post(emu: Emulator, path: str, body: Any, headers: dict[str, str] = KEY) -> requests.Response:
    return requests.post(f"{emu.base_url}{path}", json=body, headers=headers, timeout=10)


def native(model: str, content: Any = "你好", **parameters: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": content}]
    return {"model": model, "input": {"messages": messages}, "parameters": parameters}


def events(response: requests.Response) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) of each native SSE event, checking the layout of §2.7."""
    found = []
    for block in response.text.strip().split("\n\n"):
        lines = block.split("\n")
        assert lines[0].startswith("id:") and lines[2].startswith(":HTTP_STATUS/")
        assert lines[3].startswith("data:") and not lines[3].startswith("data: ")
        found.append((lines[1].removeprefix("event:"), json.loads(lines[3][5:])))
    return found


# -- routes ---------------------------------------------------------------------------------------


def test_each_model_is_bound_to_one_service(emu: Emulator) -> None:
    wrong = post(emu, TEXT, native("qwen3.6-plus"))
    assert wrong.status_code == 400
    assert wrong.json()["message"].startswith("url error, please check url！")
    assert post(emu, MULTIMODAL, native("qwen-plus")).json()["message"].startswith("url error")
    right = post(emu, MULTIMODAL, native("qwen3.6-plus", [{"text": "你好"}]))
    assert right.status_code == 200
    assert right.json()["output"]["choices"][0]["message"]["content"][0]["text"]


def test_url_error_on_a_stream_is_a_200_error_frame(emu: Emulator) -> None:
    response = post(emu, TEXT, native("qwen3.8-max", incremental_output=True), SSE)
    assert response.status_code == 200
    ((name, data),) = events(response)
    assert name == "error" and data["code"] == "InvalidParameter"
    assert "url error" in data["message"]


def test_content_parts_and_image_tokens(emu: Emulator) -> None:
    parts = [{"image": "https://x/a.png"}, {"text": "这是什么？"}]
    body = post(emu, MULTIMODAL, native("qwen3-vl-plus", parts)).json()
    usage = body["usage"]
    assert usage["image_tokens"] == 258
    assert usage["input_tokens_details"]["image_tokens"] == 258
    assert usage["input_tokens"] == usage["input_tokens_details"]["text_tokens"] + 258
    openai_style = [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]
    refused = post(emu, MULTIMODAL, native("qwen3-vl-plus", openai_style))
    assert refused.status_code == 400


# -- thinking -------------------------------------------------------------------------------------


def test_reasoning_streams_first_with_cumulative_usage(emu: Emulator) -> None:
    body = native("qwen3.7-plus", [{"text": "2+2?"}], incremental_output=True, thinking_budget=8)
    found = events(post(emu, MULTIMODAL, body, SSE))
    messages = [data["output"]["choices"][0]["message"] for _, data in found]
    reasoning = "".join(m.get("reasoning_content", "") for m in messages)
    answer = "".join(part["text"] for m in messages for part in m["content"])
    assert reasoning and answer
    first_answer = next(i for i, m in enumerate(messages) if m["content"])
    assert all(not m["content"] for m in messages[:first_answer])  # reasoning first
    finishes = [data["output"]["choices"][0]["finish_reason"] for _, data in found]
    assert finishes[:-1] == ["null"] * (len(found) - 1) and finishes[-1] == "stop"
    last = found[-1][1]["usage"]
    assert last["output_tokens_details"]["reasoning_tokens"] <= 8


@pytest.mark.parametrize(
    ("path", "body", "headers", "message"),
    [
        (TEXT, native("qwen3-32b"), KEY, "must be set to false for non-streaming calls"),
        (MULTIMODAL, native("qvq-plus", [{"text": "?"}]), KEY, "only support stream mode"),
        (
            TEXT,
            native(
                "qwen-plus",
                enable_thinking=True,
                tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
                tool_choice="required",
            ),
            KEY,
            "tool_choice parameter does not support",
        ),
        (
            TEXT,
            native(
                "qwen-plus", "json", enable_thinking=True, response_format={"type": "json_object"}
            ),
            KEY,
            "Json mode response is not supported",
        ),
        (
            TEXT,
            native("qwen-plus", "hi", response_format={"type": "json_object"}),
            KEY,
            "word 'json'",
        ),
        (
            TEXT,
            native("qwen-plus", enable_thinking=True, incremental_output=False),
            SSE,
            "incremental_output parameter must be",
        ),
    ],
)
def test_documented_refusals(
    emu: Emulator, path: str, body: dict[str, Any], headers: dict[str, str], message: str
) -> None:
    response = post(emu, path, body, headers)
    if headers is SSE:
        ((name, data),) = events(response)
        assert name == "error" and message in data["message"]
    else:
        assert response.status_code == 400 and message in response.json()["message"]


# -- compatible mode ----------------------------------------------------------------------------


def test_compatible_stream_with_reasoning_and_include_usage(emu: Emulator) -> None:
    body = {
        "model": "qwen3.6-plus",
        "messages": [{"role": "user", "content": "If 3x + 7 = 22, what is x?"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "enable_thinking": True,
        "thinking_budget": 500,
    }
    response = post(emu, COMPAT, body)
    lines = [line for line in response.text.split("\n\n") if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens_details"]
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    assert "".join(d.get("reasoning_content") or "" for d in deltas)


def test_compatible_errors_use_the_openai_envelope(emu: Emulator) -> None:
    body = {
        "model": "qwen3-32b",
        "messages": [{"role": "user", "content": "hi"}],
    }
    error = post(emu, COMPAT, body).json()["error"]
    assert error["code"] == "invalid_parameter_error"
    assert error["type"] == "invalid_request_error"
    missing = post(emu, COMPAT, {**body, "model": "gpt-4"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "model_not_found")


def test_regional_paths_and_keys(emu: Emulator) -> None:
    singapore = {"Authorization": "Bearer sk-ap-southeast-1-abc"}
    body = native("qwen3.6-plus", [{"text": "你好"}])
    assert post(emu, f"/ap-southeast-1{MULTIMODAL}", body, singapore).status_code == 200
    beijing = post(emu, MULTIMODAL, body, singapore)
    assert (beijing.status_code, beijing.json()["code"]) == (401, "InvalidApiKey")
    compat = post(emu, COMPAT, {"model": "qwen-plus", "messages": []}, singapore)
    assert compat.json()["error"]["code"] == "invalid_api_key"


# -- the official SDKs --------------------------------------------------------------------------


def test_the_openai_sdk(emu: Emulator) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-emulator", base_url=f"{emu.base_url}/compatible-mode/v1")
    stream = client.chat.completions.create(
        model="qwen3.8-max",
        messages=[{"role": "user", "content": "2+2?"}],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"enable_thinking": True, "thinking_budget": 50},
    )
    reasoning, answer, usage = "", "", None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
            answer += choice.delta.content or ""
    assert reasoning and answer and usage is not None and usage.total_tokens > 0
    image = client.chat.completions.create(
        model="qwen3.6-plus",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
                    {"type": "text", "text": "这是什么？"},
                ],
            }
        ],
    )
    assert "1 个图片" in (image.choices[0].message.content or "")
    vectors = client.embeddings.create(model="text-embedding-v4", input=["a", "b"], dimensions=64)
    assert [len(item.embedding) for item in vectors.data] == [64, 64]
    assert "qwen3.8-max" in [model.id for model in client.models.list()]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="qwen3-32b", messages=[{"role": "user", "content": "hi"}]
        )


def test_the_dashscope_sdk(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    dashscope = pytest.importorskip(
        "dashscope", reason="the official dashscope SDK is not installed"
    )
    monkeypatch.setattr(dashscope, "base_http_api_url", f"{emu.base_url}/api/v1")
    image = dashscope.MultiModalConversation.call(
        model="qwen3.6-plus",
        api_key="sk-emulator",
        messages=[
            {"role": "user", "content": [{"image": "https://x/a.png"}, {"text": "这是什么？"}]}
        ],
    )
    assert image.status_code == 200
    assert "1 个图片" in image.output.choices[0].message.content[0]["text"]
    chunks = list(
        dashscope.MultiModalConversation.call(
            model="qwen3.8-max",
            api_key="sk-emulator",
            messages=[{"role": "user", "content": [{"text": "2+2?"}]}],
            stream=True,
            incremental_output=True,
        )
    )
    assert all(chunk.status_code == 200 for chunk in chunks)
    assert chunks[-1].output.choices[0].finish_reason == "stop"
    text = dashscope.Generation.call(
        model="qwen-plus",
        api_key="sk-emulator",
        messages=[{"role": "user", "content": "你好"}],
        result_format="message",
    )
    assert text.status_code == 200 and text.output.choices[0].message.content
    wrong = dashscope.Generation.call(
        model="qwen3.6-plus", api_key="sk-emulator", messages=[{"role": "user", "content": "你好"}]
    )
    assert wrong.status_code == 400 and "url error" in wrong.message
    vectors = dashscope.TextEmbedding.call(
        model="text-embedding-v4", api_key="sk-emulator", input=["a", "b"], dimension=64
    )
    assert [len(item["embedding"]) for item in vectors.output["embeddings"]] == [64, 64]
