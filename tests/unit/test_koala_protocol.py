"""Koala's quirks against the seed document's own examples (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnllm import errors
from cnllm.koala import KoalaClient, models, protocol
from cnllm.koala.protocol import KoalaProtocol, KoalaStreamParser
from cnllm.sse import iter_sse
from cnllm.transport import HttpResponse
from cnllm.types import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    Message,
    ToolCall,
    ToolSpec,
)
from tests.seeds.koala import load

SEEDS = Path(__file__).parent.parent / "seeds" / "koala"
KOALA = KoalaProtocol()
IMAGE = "http://www.osmagic.com/storage/files/1717389731978301442.jpg"


def answer(status: int, body: object, content_type: str = "application/json") -> HttpResponse:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(status, {"content-type": content_type}, content)


def stream(raw: bytes, kind: protocol.Kind = "chat", mode: protocol.StreamMode = "auto") -> list:
    parser = KoalaStreamParser(kind, "m", mode)
    deltas = [parser.feed(event) for event in iter_sse([raw])]
    deltas.append(parser.finish())
    return [delta for delta in deltas if delta is not None]


def text_stream(*pieces: str, mode: protocol.StreamMode = "auto") -> str:
    """A FastChat chat stream whose content chunks are ``pieces``; the text the parser makes."""
    events = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    events += [
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": p}}]}
        for p in pieces
    ]
    events.append(
        {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    raw = (
        "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events)
        + "data: [DONE]\n\n"
    )
    return "".join(d.text for d in stream(raw.encode(), mode=mode))


# -- the seed, byte for byte --------------------------------------------------------------------


@pytest.mark.skipif(not load.SEED.exists(), reason="the seed is not checked out here")
def test_seed_examples_are_verbatim_copies() -> None:
    seed = load.SEED.read_text(encoding="utf-8")
    for path in SEEDS.glob("*.json"):
        assert path.read_text(encoding="utf-8").rstrip("\n") in seed, path.name


def test_chat_request_is_the_seeds() -> None:
    request = ChatRequest(
        (Message("system", "你是笑话故事专家,请为用户讲笑话:"), Message("user", "讲个鬼故事")),
        GenerationParams(temperature=0),
    )
    body = KOALA.chat_body("Baichuan2-13B-Chat", request, stream=False)
    assert body == load.body("chat_request.json")


def test_chat_response_is_parsed() -> None:
    result = KOALA.parse_result(load.body("chat_response.json"), "chat", "Baichuan2-13B-Chat")
    assert result.text == "好的,讲一个鬼故事给你听。"
    assert result.request_id == "chatcmpl-UGUGb4wTubCSQFSC34wfzn"
    assert result.finish_reason == "stop" and result.model == "Baichuan2-13B-Chat"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (16, 399)
    assert result.usage.total_tokens == 415
    assert result.metadata == {"object": "chat.completion", "created": 1697168925}


def test_completion_request_is_the_seeds_plus_max_tokens() -> None:
    request = CompletionRequest("今天老谋理想吃", GenerationParams(temperature=0.5))
    body = KOALA.completion_body("Baichuan-13B-Chat", request, stream=False)
    # FastChat's completions default to 16 tokens; the seed's 388-token answer needs more.
    assert body == {**load.body("completion_request.json"), "max_tokens": 512}
    explicit = CompletionRequest("x", GenerationParams(max_tokens=64))
    assert KOALA.completion_body("m", explicit, stream=True)["max_tokens"] == 64


def test_completion_response_is_parsed() -> None:
    result = KOALA.parse_result(load.body("completion_response.json"), "completions", "m")
    assert result.text.startswith("火锅,于是他决定去一家火锅店。")
    assert result.text.endswith("尝试更多的美食。")
    assert result.usage is not None and result.usage.output_tokens == 388
    assert result.model == "Baichuan-13B-Chat"


@pytest.mark.parametrize(
    "image",
    [
        {"type": "image_url", "image_url": {"url": IMAGE}},
        {"type": "image", "url": IMAGE},
    ],
)
def test_image_request_is_the_seeds(image: dict) -> None:
    message = Message("user", [{"type": "text", "text": "图片里面有什么"}, image])
    request = ChatRequest((message,), GenerationParams(temperature=0, max_tokens=512))
    body = KOALA.chat_body("koala-mm", request, stream=False)
    assert body == load.body("image_request.json")
    assert list(body["messages"][0]) == ["images", "role", "content"]  # the seed's key order


def test_base64_images_become_data_urls() -> None:
    image = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
    message = Message("user", [{"type": "text", "text": "看"}, image])
    body = KOALA.chat_body("koala-mm", ChatRequest((message,)), stream=False)
    assert body["messages"][0]["images"] == "data:image/png;base64,iVBORw0KGgo="


def test_image_response_zero_usage_means_not_reported() -> None:
    result = KOALA.parse_result(load.body("image_response.json"), "chat", "koala-mm")
    assert result.text.startswith("图片里面有一个山顶上的停车场")
    assert result.usage is None


def test_images_are_refused_before_sending_where_they_cannot_go() -> None:
    photo = {"type": "image_url", "image_url": {"url": IMAGE}}
    one = ChatRequest((Message("user", [{"type": "text", "text": "看"}, photo]),))
    with pytest.raises(
        errors.ValidationError, match="Baichuan2-13B-Chat takes no images"
    ) as caught:
        KOALA.chat_body("Baichuan2-13B-Chat", one, stream=False)
    assert caught.value.parameter == "messages" and "koala-mm" in str(caught.value)
    two = ChatRequest((Message("user", [photo, photo]),))
    with pytest.raises(errors.ValidationError, match="one image per message"):
        KOALA.chat_body("koala-mm", two, stream=False)
    audio = ChatRequest((Message("user", [{"type": "audio", "url": "x"}]),))
    with pytest.raises(errors.ValidationError, match="'audio'"):
        KOALA.chat_body("koala-mm", audio, stream=False)
    mine = KoalaProtocol(image_input={"my-vl": True, "koala-mm": False})
    assert mine.chat_body("my-vl", one, stream=False)["messages"][0]["images"] == IMAGE
    with pytest.raises(errors.ValidationError):
        mine.chat_body("koala-mm", one, stream=False)


def test_embeddings_request_is_the_seeds() -> None:
    body = KOALA.embedding_body(
        "text2vec-large-chinese", ["The food was delicious and the waiter..."]
    )
    assert body == load.body("embeddings_request.json")
    assert KOALA.embedding_body("e", ["a", "b"])["input"] == ["a", "b"]
    with pytest.raises(errors.ValidationError, match="at least one"):
        KOALA.embedding_body("e", [])


def test_embeddings_response_is_parsed_without_inventing_usage() -> None:
    result = KOALA.parse_embeddings(
        load.body("embeddings_response.json"), 1, "text2vec-large-chinese"
    )
    assert result.vectors == [[0.4897420406341553, -0.9981815218925476, 0.7993206977844238]]
    assert result.usage is None  # the seed's zeros
    assert result.model == "text2vec-large-chinese"


def test_the_verbatim_elided_examples_are_not_json() -> None:
    for name in ("embeddings_response.json", "models_response.json"):
        with pytest.raises(errors.ProtocolError, match="expected a JSON body"):
            answer(200, load.text(name).encode()).json()


def test_models_response_is_parsed() -> None:
    cards = KOALA.parse_models(load.body("models_response.json"))
    assert [(c.id, c.owned_by, c.created) for c in cards] == [("koala-mm", "fastchat", 1698807458)]


def test_model_table() -> None:
    assert models.takes_images("koala-mm") and not models.takes_images("Baichuan2-13B-Chat")
    assert not models.takes_images("unlisted-model")
    assert models.lookup("text2vec-large-chinese").kind == "embeddings"


# -- parameters ---------------------------------------------------------------------------------


def test_unset_parameters_and_nulls_are_never_sent() -> None:
    params = GenerationParams(extra={"presence_penalty": None, "frequency_penalty": 0.5})
    body = KOALA.chat_body("m", ChatRequest((Message("user", "hi"),), params), stream=True)
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "frequency_penalty": 0.5,
        "stream": True,  # and no stream_options: FastChat has no usage in streams
    }
    named = ChatRequest((Message("user", "hi", name="ann"),))
    assert KOALA.chat_body("m", named, stream=False)["messages"] == [
        {"role": "user", "content": "hi"}
    ]


def test_several_system_messages_are_joined_not_dropped() -> None:
    messages = (
        Message("system", "你是助手。"),
        Message("user", "你好"),
        Message("assistant", "你好！"),
        Message("system", "只用中文回答。"),
        Message("user", "hi"),
    )
    wire = KOALA.chat_body("m", ChatRequest(messages), stream=False)["messages"]
    assert wire == [
        {"role": "system", "content": "你是助手。\n\n只用中文回答。"},
        {"role": "user", "content": "你好"},
        {"role": "assistant", "content": "你好！"},
        {"role": "user", "content": "hi"},
    ]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        (GenerationParams(temperature=2.01), "temperature"),
        (GenerationParams(temperature=-0.1), "temperature"),
        (GenerationParams(top_p=1.5), "top_p"),
        (GenerationParams(top_k=0), "top_k"),
        (GenerationParams(max_tokens=0), "max_tokens"),
        (GenerationParams(logprobs=True), "logprobs"),
        (GenerationParams(extra={"n": 3}), "n"),
    ],
)
def test_fastchat_ranges_are_checked_before_sending(
    params: GenerationParams, parameter: str
) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        KOALA.chat_body("m", ChatRequest((Message("user", "x"),), params), stream=False)
    assert caught.value.parameter == parameter and caught.value.vendor == "koala"


def test_accepted_edges() -> None:
    for params in (
        GenerationParams(temperature=0),
        GenerationParams(temperature=2),
        GenerationParams(top_k=-1),
        GenerationParams(top_k=1),
    ):
        KOALA.chat_body("m", ChatRequest((Message("user", "x"),), params), stream=False)


def test_tools_json_mode_and_tool_history_are_refused_not_ignored() -> None:
    tool = ToolSpec("f", "", {"type": "object", "properties": {}})
    with pytest.raises(errors.ValidationError, match="no tool calling") as caught:
        KOALA.chat_body("m", ChatRequest((Message("user", "x"),), tools=(tool,)), stream=False)
    assert caught.value.parameter == "tools"
    with pytest.raises(errors.ValidationError) as caught:
        KOALA.chat_body("m", ChatRequest((Message("user", "x"),), json_mode=True), stream=False)
    assert caught.value.parameter == "json_mode"
    history = (
        Message("user", "x"),
        Message("assistant", "", tool_calls=(ToolCall("1", "f", "{}"),)),
        Message("tool", "r", tool_call_id="1"),
    )
    with pytest.raises(errors.ValidationError, match="tool"):
        KOALA.chat_body("m", ChatRequest(history), stream=False)


# -- errors -------------------------------------------------------------------------------------


def fastchat_error(code: int, message: str = "m") -> HttpResponse:
    return answer(400, {"object": "error", "message": message, "code": code})


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (40001, errors.InvalidRequestError, False),
        (40301, errors.NotFoundError, False),
        (40302, errors.InvalidRequestError, False),
        (40303, errors.ContextOverflowError, False),
        (42901, errors.RateLimitError, True),
        (42902, errors.QuotaExceededError, False),
        (50001, errors.ServerError, True),
        (50002, errors.ServerError, True),
        (50005, errors.ServerError, True),
        (40999, errors.InvalidRequestError, False),
        (59999, errors.ServerError, True),
    ],
)
def test_fastchat_error_family(code: int, cls: type[errors.APIError], retryable: bool) -> None:
    with pytest.raises(cls) as caught:
        KOALA.check_response(fastchat_error(code))
    error = caught.value
    assert type(error) is cls and error.retryable is retryable
    assert (error.code, error.status_code, error.vendor) == (code, 400, "koala")


def test_unknown_model_message_is_kept() -> None:
    message = "Only Baichuan2-13B-Chat&&koala-mm allowed now, your model nope"
    with pytest.raises(errors.NotFoundError, match="your model nope"):
        KOALA.check_response(fastchat_error(40301, message))


def test_401_404_and_plain_500() -> None:
    detail = {
        "detail": {
            "error": {
                "message": "",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
    }
    with pytest.raises(errors.AuthenticationError, match="KOALA_API_KEY") as caught:
        KOALA.check_response(answer(401, detail))
    assert caught.value.code == "invalid_api_key"
    with pytest.raises(errors.NotFoundError, match="/v1"):
        KOALA.check_response(answer(404, {"detail": "Not Found"}))
    KOALA.check_response(answer(500, b"Internal Server Error", "text/plain"))  # transport: 5xx
    KOALA.check_response(answer(200, load.body("chat_response.json")))


def test_openai_shaped_errors_from_a_gateway_still_work() -> None:
    gateway = {
        "error": {"message": "too many", "type": "rate_limit", "code": "rate_limit_exceeded"}
    }
    with pytest.raises(errors.RateLimitError):
        KOALA.check_response(answer(429, gateway))


# -- streams ------------------------------------------------------------------------------------


def test_observed_fastchat_stream() -> None:
    deltas = stream((SEEDS / "chat_stream_observed.sse").read_bytes())
    assert "".join(d.text for d in deltas) == "你好,世界!Hi"
    final = deltas[-1]
    assert final.is_final and final.finish_reason == "stop" and final.usage is None
    assert (
        final.request_id == "chatcmpl-DF7KrYeFXdWgZjHbfPLNny" and final.model == "vicuna-13b-v1.5"
    )
    assert sum(d.is_final for d in deltas) == 1


def test_observed_completion_stream() -> None:
    deltas = stream((SEEDS / "completion_stream_observed.sse").read_bytes(), "completions")
    assert "".join(d.text for d in deltas) == "火锅,于是他" and deltas[-1].finish_reason == "stop"


def test_worker_error_event_raises_a_retryable_server_error() -> None:
    with pytest.raises(errors.ServerError, match="NETWORK ERROR") as caught:
        stream((SEEDS / "stream_error_observed.sse").read_bytes())
    assert caught.value.code == 50001 and caught.value.retryable


def test_text_and_finish_on_one_chunk() -> None:
    raw = (
        'data: {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "全"}, '
        '"finish_reason": "length"}]}\n\n'
        "data: [DONE]\n\n"
    ).encode()
    deltas = stream(raw)
    assert [d.text for d in deltas] == ["全", ""] and deltas[-1].finish_reason == "length"


def test_cumulative_streams_as_the_document_describes_are_opt_in() -> None:
    pieces = ("你好", "你好，我", "你好，我是悠然", "你好，我是悠然。")
    assert text_stream(*pieces, mode="cumulative") == "你好，我是悠然。"
    assert text_stream("你好", "你好，世界", mode="cumulative") == "你好，世界"
    assert text_stream("只有一段", mode="cumulative") == "只有一段"


def test_delta_streams_that_look_cumulative_lose_nothing_by_default() -> None:
    # FastChat sends deltas; guessing "cumulative" from the chunks lost delivered text.
    assert text_stream("a", "ab") == "aab"
    assert text_stream("哈", "哈哈", "哈哈哈") == "哈哈哈哈哈哈"
    assert text_stream("哈", "哈哈", "好笑") == "哈哈哈好笑"
    assert text_stream("你好", "世界", "你好世界") == "你好世界你好世界"
    assert text_stream("a", "a", "a") == "aaa"
    assert text_stream("a", "ab", mode="auto") == "aab"  # "auto" is the default, delta


def test_explicit_stream_modes() -> None:
    assert text_stream("哈", "哈哈", "哈哈哈", mode="delta") == "哈哈哈哈哈哈"
    assert text_stream("哈", "哈哈", "哈哈", mode="cumulative") == "哈哈"
    with pytest.raises(errors.ProtocolError, match="changed text"):
        text_stream("abc", "xyz", mode="cumulative")


# -- configuration ------------------------------------------------------------------------------


def test_base_url_is_required_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOALA_BASE_URL", raising=False)
    with pytest.raises(errors.ConfigurationError, match="KOALA_BASE_URL"):
        KoalaClient()
    with pytest.raises(errors.ConfigurationError, match="http"):
        KoalaClient("10.1.2.3:9015/v1")


def test_base_url_from_env_and_bare_hosts_get_v1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOALA_BASE_URL", "http://10.1.2.3:9015/v1/")
    assert KoalaClient().base_url == "http://10.1.2.3:9015/v1"
    assert KoalaClient("http://10.1.2.3:9015").base_url == "http://10.1.2.3:9015/v1"
    assert KoalaClient("https://gw.example/koala/v1").base_url == "https://gw.example/koala/v1"


def test_api_key_is_optional_and_sent_as_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    assert "Authorization" not in KoalaClient("http://h:1/v1")._headers
    monkeypatch.setenv("KOALA_API_KEY", "k-env")
    assert KoalaClient("http://h:1/v1")._headers["Authorization"] == "Bearer k-env"
    assert KoalaClient("http://h:1/v1", api_key="k-arg")._headers["Authorization"] == "Bearer k-arg"
