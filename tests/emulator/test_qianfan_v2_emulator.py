"""The emulated Qianfan v2 on the wire: shapes, refusals and the official openai SDK."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from cnllm.emulator import Emulator

KEY = "bce-v3/ALTAK-sdkuser/0123456789abcdef0123456789abcdef01234567"


def post(emulator: Emulator, path: str, body: Any, key: str | None = KEY) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(f"{emulator.base_url}{path}", json=body, headers=headers, timeout=10)


def chat(emulator: Emulator, messages: list[dict[str, Any]], **fields: Any) -> requests.Response:
    body = {"model": "ernie-4.5-turbo-128k", "messages": messages, **fields}
    return post(emulator, "/v2/chat/completions", body)


def test_a_chat_answer_has_v2s_shape(emulator: Emulator) -> None:
    answer = chat(emulator, [{"role": "user", "content": "你好"}])
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("as-")
    assert body["choices"][0]["flag"] == 0
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert answer.headers["X-Request-Id"] == body["id"]
    assert int(answer.headers["X-Ratelimit-Remaining-Requests"]) >= 0


@pytest.mark.parametrize(
    ("key", "code"),
    [(None, "invalid_iam_token"), ("24.oauth-token", "invalid_iam_token")],
)
def test_keys_are_checked(emulator: Emulator, key: str | None, code: str) -> None:
    body = {"model": "ernie-4.5-turbo-128k", "messages": [{"role": "user", "content": "x"}]}
    answer = post(emulator, "/v2/chat/completions", body, key)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code and answer.json()["id"].startswith("as-")


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
        [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}],
        [{"role": "user", "content": "  \n"}],
        [],
    ],
)
def test_message_rule_violations_are_refused(
    emulator: Emulator, messages: list[dict[str, Any]]
) -> None:
    answer = chat(emulator, messages)
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "invalid_messages",
        "message": answer.json()["error"]["message"],
        "type": "invalid_request_error",
    }


@pytest.mark.parametrize(
    "fields",
    [{"temperature": 0}, {"penalty_score": 3}, {"stop": ["a"] * 5}, {"seed": 0}],
)
def test_out_of_range_arguments_are_refused(emulator: Emulator, fields: dict[str, Any]) -> None:
    answer = chat(emulator, [{"role": "user", "content": "x"}], **fields)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_argument"


def test_models_missing_unknown_and_wrong_paths(emulator: Emulator) -> None:
    missing = post(emulator, "/v2/chat/completions", {"messages": []})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid_model"
    unknown = chat(emulator, [{"role": "user", "content": "x"}], model="gpt-9")
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_model"
    wrong = post(emulator, "/v2/chat/completions/chat/completions", {})
    assert wrong.status_code == 404 and wrong.text == "404 page not found"


def test_embeddings_limits(emulator: Emulator) -> None:
    ok = post(emulator, "/v2/embeddings", {"model": "embedding-v1", "input": ["a", "b"]})
    assert ok.json()["object"] == "embedding_list" and len(ok.json()["data"]) == 2
    empty = post(emulator, "/v2/embeddings", {"model": "embedding-v1", "input": [""]})
    assert empty.status_code == 400
    tao = post(emulator, "/v2/embeddings", {"model": "tao-8k", "input": ["a", "b"]})
    assert tao.status_code == 400


def test_stream_usage_only_on_the_last_chunk(emulator: Emulator) -> None:
    answer = chat(
        emulator,
        [{"role": "user", "content": "你好"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    lines = [line for line in answer.text.split("\n\n") if line]
    assert lines[-1] == "data: [DONE]"
    assert answer.headers["Content-Type"].startswith("text/event-stream")
    usages = [line for line in lines if '"usage":{' in line]
    assert len(usages) == 1 and usages[0] == lines[-2]


# -- the official openai SDK (pip-installed for this test; skipped when absent) ----------------


def test_the_openai_sdk_works_against_the_emulator(emulator: Emulator) -> None:
    openai = pytest.importorskip("openai")
    sdk = openai.OpenAI(api_key=KEY, base_url=f"{emulator.base_url}/v2", max_retries=0)
    answer = sdk.chat.completions.create(
        model="ernie-4.5-turbo-128k", messages=[{"role": "user", "content": "你好"}]
    )
    assert answer.choices[0].message.content and answer.usage.total_tokens > 0
    chunks = list(
        sdk.chat.completions.create(
            model="ernie-x1-turbo-32k",
            messages=[{"role": "user", "content": "9.11 和 9.9 哪个大？"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in chunks
        if c.choices
    )
    assert text and reasoning and chunks[-1].usage.completion_tokens > 0
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    called = sdk.chat.completions.create(
        model="deepseek-v3.1-250821",
        messages=[{"role": "user", "content": "北京天气"}],
        tools=tools,
    )
    assert called.choices[0].message.tool_calls[0].function.name == "get_weather"
    vectors = sdk.embeddings.create(model="embedding-v1", input=["a", "b"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == 384
    assert "ernie-4.5-turbo-128k" in [model.id for model in sdk.models.list()]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="wrong", base_url=f"{emulator.base_url}/v2").models.list()


def test_the_command_line_takes_a_v2_key() -> None:
    from cnllm.emulator.__main__ import _credentials, build_parser

    args = build_parser().parse_args(["--strict", "--qianfan-api-key", KEY])
    assert _credentials(args) == {"qianfan_api_key": KEY}
    with Emulator(strict=True, credentials=_credentials(args)) as strict:
        body = {"model": "ernie-4.5-turbo-128k", "messages": [{"role": "user", "content": "x"}]}
        assert post(strict, "/v2/chat/completions", body).status_code == 200
        other = "bce-v3/ALTAK-other/0123456789abcdef0123456789abcdef01234567"
        assert post(strict, "/v2/chat/completions", body, other).status_code == 401
