"""The cnllm v2 client against the emulator: bearer keys, minted tokens, chat, tools,
reasoning, JSON, streams with usage, embeddings, completions, models, errors and retries."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from cnllm import errors
from cnllm.emulator import Emulator, Fault
from cnllm.qianfan.v2 import BearerKey, MintedBearer, QianfanV2Client
from cnllm.qianfan.v2.auth import clear_token_cache
from cnllm.types import ChatRequest, CompletionRequest, GenerationParams, Message, ToolSpec

KEY = "bce-v3/ALTAK-emulatorkey/0123456789abcdef0123456789abcdef01234567"
WEATHER = ToolSpec(
    "get_weather",
    "查询城市天气",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture(autouse=True)
def _no_minted_tokens() -> object:
    clear_token_cache()
    yield
    clear_token_cache()


def client(emulator: Emulator, auth: object | None = None, **kwargs: object) -> QianfanV2Client:
    return QianfanV2Client(
        auth or BearerKey(KEY),  # type: ignore[arg-type]
        base_url=f"{emulator.base_url}/v2",
        **kwargs,  # type: ignore[arg-type]
    )


def ask(text: str, **params: object) -> ChatRequest:
    return ChatRequest((Message("user", text),), GenerationParams(**params))  # type: ignore[arg-type]


def test_chat_with_a_bearer_key(emulator: Emulator) -> None:
    result = client(emulator).chat("ernie-4.5-turbo-128k", ask("你好"))
    assert result.text and result.finish_reason == "stop"
    assert result.request_id.startswith("as-") and result.metadata["api"] == "v2"
    assert result.metadata["rate_limit"]["limit_requests"] == 300
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    sent = emulator.stats.last_request
    assert sent.path == "/v2/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"


def test_a_stream_has_usage_once_and_reasoning_first(emulator: Emulator) -> None:
    deltas = list(client(emulator).stream_chat("ernie-x1-turbo-32k", ask("9.11 和 9.9 哪个大？")))
    reasoning = "".join(delta.reasoning for delta in deltas)
    answer = "".join(delta.text for delta in deltas)
    assert reasoning and answer
    first_text = next(i for i, d in enumerate(deltas) if d.text)
    assert all(not d.reasoning for d in deltas[first_text:])
    assert [d.usage for d in deltas if d.usage] == [deltas[-1].usage]
    assert deltas[-1].usage.reasoning_tokens > 0


def test_thinking_switches_reach_the_model(emulator: Emulator) -> None:
    v2 = client(emulator)
    assert v2.chat("qwen3-32b", ask("hi")).reasoning == ""
    assert v2.chat("qwen3-32b", ask("hi", enable_thinking=True)).reasoning
    assert v2.chat("deepseek-v3.2", ask("hi", enable_thinking=True)).reasoning
    assert emulator.stats.last_request.json["thinking"] == {"type": "enabled"}
    assert v2.chat("ernie-5.0-thinking-preview", ask("hi")).reasoning  # on by default


def test_tools_round_trip(emulator: Emulator) -> None:
    v2 = client(emulator)
    request = ChatRequest((Message("user", "北京天气怎么样"),), tools=(WEATHER,))
    called = v2.chat("ernie-4.5-turbo-128k", request)
    (call,) = called.tool_calls
    assert called.finish_reason == "tool_calls" and call.name == "get_weather"
    assert "city" in json.loads(call.arguments)
    streamed = list(v2.stream_chat("ernie-4.5-turbo-128k", request))
    assert streamed[-1].tool_calls[0].arguments == call.arguments
    follow = ChatRequest(
        (
            *request.messages,
            Message("assistant", "", tool_calls=called.tool_calls),
            Message("tool", '{"temp": 20}', tool_call_id=call.id),
        ),
        tools=(WEATHER,),
    )
    answer = v2.chat("ernie-4.5-turbo-128k", follow)
    assert "get_weather" in answer.text and not answer.tool_calls


def test_json_schema_answers_follow_the_schema(emulator: Emulator) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    request = ChatRequest(
        (Message("user", "张三今年30岁"),), json_schema={"name": "Person", "schema": schema}
    )
    data = json.loads(client(emulator).chat("deepseek-v3", request).text)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_embeddings_in_batches_and_async(emulator: Emulator) -> None:
    v2 = client(emulator)
    texts = [f"文本{i}" for i in range(20)]
    result = v2.embed("embedding-v1", texts)
    assert len(result.vectors) == 20 and len(result.vectors[0]) == 384
    assert emulator.stats.requests["/v2/embeddings"] == 2  # 16 + 4
    tao = asyncio.run(v2.aembed("tao-8k", texts[:3]))
    assert len(tao.vectors) == 3 and emulator.stats.requests["/v2/embeddings"] == 5
    assert result.vectors[0] == v2.embed("embedding-v1", ["文本0"]).vectors[0]


def test_completions_and_models(emulator: Emulator) -> None:
    v2 = client(emulator)
    result = v2.complete("my-cerebras-service", CompletionRequest("introduce the city beijing"))
    assert result.text and emulator.stats.last_request.path == "/v2/completions"
    pieces = list(v2.stream_complete("my-cerebras-service", CompletionRequest("hello")))
    assert "".join(p.text for p in pieces) and pieces[-1].usage is not None
    ids = [card.id for card in v2.list_models()]
    assert "ernie-4.5-turbo-128k" in ids and "my-deployed-service" in ids


def test_wrong_keys_unknown_models_and_message_rules(emulator: Emulator) -> None:
    with pytest.raises(errors.AuthenticationError) as caught:
        client(emulator, BearerKey("24.an-old-oauth-token")).chat("ernie-4.5-turbo-128k", ask("x"))
    assert caught.value.code == "invalid_iam_token" and caught.value.request_id
    with pytest.raises(errors.NotFoundError) as missing:
        client(emulator).chat("no-such-model", ask("x"))
    assert missing.value.code == "invalid_model" and missing.value.status_code == 401


def test_rate_limits_are_retried_and_permanent_errors_are_not(emulator: Emulator) -> None:
    emulator.inject(Fault("error_code", code=429))
    assert client(emulator).chat("ernie-4.5-turbo-128k", ask("hi")).text
    assert emulator.stats.requests["/v2/chat/completions"] == 2
    emulator.inject(Fault("error_code", code=400))
    with pytest.raises(errors.InvalidRequestError):
        client(emulator).chat("ernie-4.5-turbo-128k", ask("hi"))
    assert emulator.stats.requests["/v2/chat/completions"] == 3


def test_a_moderated_answer_is_a_content_filter_error(emulator: Emulator) -> None:
    emulator.inject(Fault("need_clear_history", path_contains="/v2/"))
    with pytest.raises(errors.ContentFilterError):
        client(emulator).chat("ernie-4.5-turbo-128k", ask("hi"))
    emulator.inject(Fault("need_clear_history", path_contains="/v2/"))
    with pytest.raises(errors.ContentFilterError):
        list(client(emulator).stream_chat("ernie-4.5-turbo-128k", ask("hi")))


def test_iam_keys_mint_one_token_that_is_renewed_when_it_expires(emulator: Emulator) -> None:
    minted = MintedBearer("iam-ak", "iam-sk", iam_base_url=emulator.base_url)
    v2 = client(emulator, minted)
    assert v2.chat("ernie-4.5-turbo-128k", ask("hi")).text
    token = emulator.stats.last_request.headers["Authorization"]
    assert token.startswith("Bearer bce-v3/ALTAK-") and emulator.stats.token_requests == 1
    assert list(v2.stream_chat("ernie-4.5-turbo-128k", ask("hi")))
    assert emulator.stats.token_requests == 1
    emulator.expire_tokens()  # the server now answers invalid_iam_token: minted once more
    assert v2.chat("ernie-4.5-turbo-128k", ask("hi")).text
    assert emulator.stats.token_requests == 2
    assert emulator.stats.last_request.headers["Authorization"] != token
    emulator.expire_tokens()
    assert list(v2.stream_chat("ernie-4.5-turbo-128k", ask("hi")))
    assert emulator.stats.token_requests == 3


def test_a_strict_server_checks_the_iam_signature(emulator: Emulator) -> None:
    keys = {"qianfan_access_key": "iam-ak", "qianfan_secret_key": "iam-sk"}
    with Emulator(strict=True, credentials=keys) as strict:
        good = MintedBearer("iam-ak", "iam-sk", iam_base_url=strict.base_url)
        assert client(strict, good).chat("ernie-4.5-turbo-128k", ask("hi")).text
        clear_token_cache()
        bad = MintedBearer("iam-ak", "wrong", iam_base_url=strict.base_url)
        with pytest.raises(errors.AuthenticationError) as caught:
            client(strict, bad).chat("ernie-4.5-turbo-128k", ask("hi"))
        assert caught.value.code == "SignatureDoesNotMatch"
        with pytest.raises(errors.AuthenticationError):  # strict: only minted or configured keys
            client(strict).chat("ernie-4.5-turbo-128k", ask("hi"))


def test_concurrent_first_calls_mint_one_token(emulator: Emulator) -> None:
    emulator.latency = 0.05
    minted = MintedBearer("iam-ak", "iam-sk", iam_base_url=emulator.base_url)
    v2 = client(emulator, minted)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            v2.chat("ernie-4.5-turbo-128k", ask("hi"))
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    async def calls() -> None:
        await asyncio.gather(*(v2.achat("ernie-4.5-turbo-128k", ask("hi")) for _ in range(6)))

    threads = [threading.Thread(target=call) for _ in range(6)]
    threads.append(threading.Thread(target=lambda: asyncio.run(calls())))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert emulator.stats.token_requests == 1
    assert emulator.stats.requests["/v2/chat/completions"] == 12


def test_a_dead_iam_host_costs_one_retry_budget(emulator: Emulator) -> None:
    emulator.inject(
        Fault("http", status=503, retry_after="0", path_contains="/BCE-BEARER", times=9)
    )
    minted = MintedBearer("iam-ak", "iam-sk", iam_base_url=emulator.base_url)
    with pytest.raises(errors.ServerError):
        client(emulator, minted, max_retries=2).chat("ernie-4.5-turbo-128k", ask("hi"))
    # max_retries + 1 requests in all (the mint's retries spend the call's budget), not the
    # 3 x 3 of a mint retried inside a call that is retried too
    assert emulator.stats.faults_applied == 3
    assert "/v2/chat/completions" not in emulator.stats.requests
