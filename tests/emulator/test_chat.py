"""Chat: response shape (seed D003), streaming framing, usage conventions, validation."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from cnllm.emulator import Emulator
from cnllm.emulator.text import count_tokens
from tests.emulator.emu_helpers import PREFIX, Client, sse_objects, user

SYNC_KEYS = ["id", "object", "created", "result", "is_truncated", "need_clear_history",
             "finish_reason", "usage"]


def _stream(client: Client, body: dict[str, Any], endpoint: str = "completions") -> Any:
    response = client.post("chat", endpoint, {**body, "stream": True}, stream=True)
    return response, sse_objects(response)


def test_sync_shape_and_headers(client: Client) -> None:
    response = client.post("chat", "qianfan_chinese_llama_2_13b", {"messages": [user("你好")]})
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    assert response.headers["Statement"] == "AI-generated"
    assert response.headers["X-Baidu-Request-Id"]
    body = response.json()
    assert list(body) == SYNC_KEYS
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("as-") and len(body["id"]) == 13
    assert body["finish_reason"] == "normal" and body["is_truncated"] is False
    usage = body["usage"]
    assert usage["prompt_tokens"] == count_tokens("你好") == 2
    assert usage["completion_tokens"] == count_tokens(body["result"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_answers_are_deterministic_and_mention_the_question(client: Client) -> None:
    first, second = client.ask("介绍下故宫"), client.ask("介绍下故宫")
    assert first["result"] == second["result"] and first["id"] == second["id"]
    assert "介绍下故宫" in first["result"]
    assert 20 <= len(first["result"]) <= 200


def test_token_counting_follows_the_vendor_rule() -> None:
    assert count_tokens("introduce the city beijing") == 5  # 4 words x 1.3
    assert count_tokens("故宫 is big") == 5  # 2 characters + 2 words x 1.3
    assert count_tokens("") == 1


def test_rag_answer_quotes_the_most_similar_sentence(client: Client) -> None:
    context = (
        "已知信息：\n故宫位于北京中轴线的中心，是明清两代的皇家宫殿。\n"
        "长城是中国古代的军事防御工程。\n量子计算机利用量子比特进行计算。\n"
        "问题：故宫是哪两个朝代的皇宫？"
    )
    expected = "根据资料：故宫位于北京中轴线的中心，是明清两代的皇家宫殿。"
    assert client.ask(context)["result"] == expected


def test_rag_answer_reads_context_from_the_system_field(client: Client) -> None:
    system = "Use the following context. Paris is the capital of France. Berlin has a TV tower."
    result = client.ask("What is the capital of France?", system=system)["result"]
    assert result == "根据资料：Paris is the capital of France."


def test_quoted_repeat_request(client: Client) -> None:
    assert client.ask('Please say "hello world" and nothing else')["result"] == "hello world"
    assert client.ask("请重复「千帆」")["result"] == "千帆"


def test_system_accepted_by_open_and_custom_models(client: Client) -> None:
    for endpoint in ("llama_2_7b", "my_own_service", "ernie-speed-128k"):
        body = client.ask("hi", endpoint=endpoint, system="You are terse.")
        assert "result" in body, body


def test_stop_cuts_at_the_first_stop_string(client: Client) -> None:
    full = client.ask("介绍下故宫")["result"]
    cut = client.ask("介绍下故宫", stop=["模拟", "emulator"])
    assert cut["finish_reason"] == "stop"
    assert cut["result"] == full[: full.index("模拟")]


def test_max_output_tokens_truncates(client: Client) -> None:
    body = client.ask("介绍下故宫", max_output_tokens=5)
    assert body["finish_reason"] == "length" and body["is_truncated"] is True
    assert body["usage"]["completion_tokens"] <= 5


def test_logprobs_when_requested(client: Client) -> None:
    body = client.ask("你好", logprobs=True, top_logprobs=2)
    content = body["logprobs"]["content"]
    assert "".join(item["token"] for item in content) == body["result"]
    assert all(len(item["top_logprobs"]) == 2 for item in content)


def test_stream_framing_and_2024_usage(client: Client) -> None:
    sync = client.ask("介绍下故宫")
    response, objects = _stream(client, {"messages": [user("介绍下故宫")]})
    assert response.headers["Content-Type"] == "text/event-stream;charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert len(objects) >= 3
    assert [o["sentence_id"] for o in objects] == list(range(len(objects)))
    assert [o["is_end"] for o in objects] == [False] * (len(objects) - 1) + [True]
    assert "".join(o["result"] for o in objects) == sync["result"]
    prompt = sync["usage"]["prompt_tokens"]
    placeholder = {"prompt_tokens": prompt, "completion_tokens": 0, "total_tokens": prompt}
    assert all(o["usage"] == placeholder for o in objects[:-1])
    assert objects[-1]["usage"] == sync["usage"]
    assert objects[-1]["finish_reason"] == "normal"


def test_stream_body_has_no_done_sentinel(client: Client) -> None:
    response = client.post("chat", "completions", {"messages": [user("hi")], "stream": True})
    assert "[DONE]" not in response.text
    assert response.text.startswith("data: {") and response.text.endswith("}\n\n")


def test_stream_2023_usage_style() -> None:
    with Emulator(stream_usage_style="2023") as emulator:
        objects = _stream(Client(emulator), {"messages": [user("介绍下故宫")]})[1]
    prompt = objects[0]["usage"]["prompt_tokens"]
    running = prompt
    for item in objects:
        running += item["usage"]["completion_tokens"]
        assert item["usage"]["completion_tokens"] == count_tokens(item["result"])
        assert item["usage"]["total_tokens"] == running


def test_keep_alive_serves_several_requests_on_one_connection(emu: Emulator) -> None:
    client = Client(emu)
    token = client.token
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    path = f"{PREFIX}/chat/completions?access_token={token}"
    sockets = []
    for stream in (False, True, False):
        body = json.dumps({"messages": [user("hi")], "stream": stream})
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and response.read()
        sockets.append(connection.sock)
    assert sockets[0] is not None and all(sock is sockets[0] for sock in sockets)
    connection.close()


def test_wrong_method_gives_336101(client: Client) -> None:
    url = client.url("chat", "completions")
    body = client.session.get(url, params={"access_token": client.token}).json()
    assert body["error_code"] == 336101


def test_invalid_json_gives_336002(client: Client) -> None:
    url = client.url("chat", "completions")
    response = client.session.post(url, params={"access_token": client.token}, data=b"{nope")
    assert response.json()["error_code"] == 336002


CALL = {"role": "assistant", "content": "", "function_call": {"name": "f", "arguments": "{}"}}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"messages": []}, "non-empty"),
        ({"messages": [user("a"), {"role": "assistant", "content": "b"}]}, "odd"),
        ({"messages": [user("a"), user("b"), user("c")]}, "assistant"),
        ({"messages": [{"role": "system", "content": "a"}]}, "user"),
        ({"messages": [user("")]}, "empty"),
        ({"messages": [user("a"), {"role": "assistant", "content": "b"},
                       {"role": "function", "name": "f", "content": "{}"}]}, "function_call"),
        ({"messages": [user("a"), CALL, {"role": "function", "content": "{}"}]}, "name"),
        ({"messages": [user("a")], "temperature": 0}, "temperature"),
        ({"messages": [user("a")], "temperature": 1.5}, "temperature"),
        ({"messages": [user("a")], "top_p": 1.2}, "top_p"),
        ({"messages": [user("a")], "penalty_score": 0.5}, "penalty_score"),
        ({"messages": [user("a")], "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"messages": [user("a")], "stop": ["x" * 21]}, "stop"),
        ({"messages": [user("a")], "logprobs": True, "top_logprobs": 6}, "top_logprobs"),
        ({"messages": [user("a")], "logprobs": True}, "top_logprobs"),
        ({"messages": [user("a")], "max_output_tokens": 1}, "max_output_tokens"),
        ({"messages": [user("a")], "response_format": "yaml"}, "response_format"),
        ({"messages": [user("a")], "tool_choice": {"type": "function",
                                                   "function": {"name": "x"}}}, "tool_choice"),
    ],
)
def test_validation_errors_give_336003(client: Client, body: dict[str, Any], needle: str) -> None:
    answer = client.chat(body)
    assert answer["error_code"] == 336003, answer
    assert needle in answer["error_msg"]


def test_function_turns_validate(client: Client) -> None:
    body = {"messages": [user("a"), CALL, {"role": "function", "name": "f", "content": "{}"}]}
    assert "result" in client.chat(body)


def test_system_must_be_a_string(client: Client) -> None:
    assert client.ask("a", system=["x"])["error_code"] == 336104


def test_unknown_kind_gives_error_3(client: Client) -> None:
    response = client.post("images", "x", {"messages": [user("a")]})
    assert response.json()["error_code"] == 3
