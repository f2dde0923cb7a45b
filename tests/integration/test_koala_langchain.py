"""ChatKoala, KoalaLLM and KoalaEmbeddings end to end against the emulator (loopback)."""

from __future__ import annotations

import asyncio
import math
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from pydantic import BaseModel

from cnllm import errors
from cnllm.emulator import Emulator, Fault
from cnllm.retry import RetryPolicy
from langchain_cnllm import ChatKoala, KoalaEmbeddings, KoalaLLM

TEXT = "Baichuan2-13B-Chat"
CHAT_PATH = "/v1/chat/completions"
PICTURE = "http://example.com/a.jpg"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"  # a PNG header, base64


@pytest.fixture
def koala(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator's /v1 in KOALA_BASE_URL, as a user would set it; no key."""
    monkeypatch.setenv("KOALA_BASE_URL", f"{emulator.base_url}/v1")
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    return emulator


def calls(emulator: Emulator, path: str = CHAT_PATH) -> int:
    return emulator.stats.requests.get(path, 0)


def fast(model: Any) -> Any:
    """Retries that wait milliseconds, not seconds (the policy is the same)."""
    model.client.transport.retry = RetryPolicy(
        max_retries=model.max_retries, initial_backoff=0.001, max_backoff=0.01
    )
    return model


def image_message(image: dict[str, Any]) -> list[HumanMessage]:
    return [HumanMessage(content=[{"type": "text", "text": "图片里面有什么"}, image])]


# -- chat ---------------------------------------------------------------------------------------


def test_invoke_sends_only_what_was_set_and_reports_usage(koala: Emulator) -> None:
    message = ChatKoala(model=TEXT).invoke([SystemMessage("简短回答"), HumanMessage("你好")])
    assert message.content and message.usage_metadata and message.usage_metadata["input_tokens"] > 0
    meta = message.response_metadata
    assert meta["model_name"] == TEXT and meta["model_provider"] == "koala"
    assert meta["finish_reason"] == "stop" and meta["request_id"].startswith("chatcmpl-")
    assert koala.stats.last_request.json == {
        "model": TEXT,
        "messages": [
            {"role": "system", "content": "简短回答"},
            {"role": "user", "content": "你好"},
        ],
    }
    assert "Authorization" not in koala.stats.last_request.headers


def test_parameters_are_sent_when_set(koala: Emulator) -> None:
    chat = ChatKoala(model=TEXT, temperature=0, top_p=0.9, top_k=5, max_tokens=64, stop=["。"])
    chat.invoke("你好", presence_penalty=0.5, user="u-1")
    body = koala.stats.last_request.json
    assert {k: body[k] for k in ("temperature", "top_p", "top_k", "max_tokens", "stop")} == {
        "temperature": 0,
        "top_p": 0.9,
        "top_k": 5,
        "max_tokens": 64,
        "stop": ["。"],
    }
    assert body["presence_penalty"] == 0.5 and body["user"] == "u-1"


def test_stream_gives_deltas_and_one_last_chunk_without_usage(koala: Emulator) -> None:
    chunks = list(ChatKoala(model=TEXT).stream("介绍一下故宫"))
    assert len(chunks) >= 3 and chunks[-1].chunk_position == "last"
    assert all(chunk.usage_metadata is None for chunk in chunks)  # FastChat sends none
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert isinstance(full, AIMessageChunk) and full.response_metadata["model_name"] == TEXT
    whole = ChatKoala(model=TEXT).invoke("介绍一下故宫")
    assert full.content == whole.content
    assert koala.stats.last_request.json.get("stream") is None  # the invoke


async def test_ainvoke_and_astream(koala: Emulator) -> None:
    chat = ChatKoala(model=TEXT)
    first, second = await asyncio.gather(chat.ainvoke("你好"), chat.ainvoke("介绍一下长城"))
    assert first.content and second.content and first.content != second.content
    chunks = [chunk async for chunk in chat.astream("介绍一下故宫")]
    assert "".join(str(c.content) for c in chunks) and chunks[-1].chunk_position == "last"


def test_cumulative_streams_are_tolerated() -> None:
    with Emulator(koala_stream="cumulative") as emu:
        chat = ChatKoala(model=TEXT, base_url=f"{emu.base_url}/v1", stream_mode="cumulative")
        streamed = "".join(str(c.content) for c in chat.stream("介绍一下故宫"))
        assert streamed == chat.invoke("介绍一下故宫").content


def test_list_models(koala: Emulator) -> None:
    chat = ChatKoala()
    names = chat.list_models()
    assert "koala-mm" in names and TEXT in names
    assert asyncio.run(chat.alist_models()) == names
    assert chat.model == TEXT  # the default


def test_model_override_per_call(koala: Emulator) -> None:
    message = ChatKoala(model=TEXT).invoke("你好", model="vicuna-13b-v1.5")
    assert message.response_metadata["model_name"] == "vicuna-13b-v1.5"


# -- images -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "sent"),
    [
        ({"type": "image_url", "image_url": {"url": PICTURE}}, PICTURE),
        ({"type": "image", "url": PICTURE}, PICTURE),
        (
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            f"data:image/png;base64,{PNG}",
        ),
    ],
)
def test_koala_mm_gets_the_images_field(koala: Emulator, image: dict, sent: str) -> None:
    message = ChatKoala(model="koala-mm").invoke(image_message(image))
    assert "模拟场景" in message.content
    assert message.usage_metadata is None  # koala-mm reports zeros: not reported
    wire = koala.stats.last_request.json["messages"]
    assert wire == [{"images": sent, "role": "user", "content": "图片里面有什么"}]


def test_an_image_to_a_text_model_fails_before_sending(koala: Emulator) -> None:
    with pytest.raises(ModelInvalidRequestError, match="takes no images"):
        ChatKoala(model=TEXT).invoke(image_message({"type": "image", "url": PICTURE}))
    assert calls(koala) == 0
    mine = ChatKoala(model="vicuna-13b-v1.5", image_input=True)  # a multimodal model of one's own
    mine.invoke(image_message({"type": "image", "url": PICTURE}))
    assert koala.stats.last_request.json["messages"][0]["images"] == PICTURE


# -- tools and structured output ----------------------------------------------------------------


class Joke(BaseModel):
    setup: str
    punchline: str


def test_bind_tools_raises_and_nothing_is_sent(koala: Emulator) -> None:
    with pytest.raises(errors.ValidationError, match="no tool calling"):
        ChatKoala().bind_tools([Joke])
    assert calls(koala) == 0


@pytest.mark.parametrize("method", ["function_calling", "json_mode", "json_schema"])
def test_structured_output_by_prompt_and_parse(koala: Emulator, method: str) -> None:
    joke = ChatKoala().with_structured_output(Joke, method=method).invoke("讲个关于猫的笑话")
    assert isinstance(joke, Joke)
    body = koala.stats.last_request.json
    assert "tools" not in body and "response_format" not in body
    assert "JSON schema" in body["messages"][-1]["content"]


def test_structured_output_include_raw(koala: Emulator) -> None:
    result = ChatKoala().with_structured_output(Joke, include_raw=True).invoke("讲个笑话")
    assert isinstance(result["raw"], AIMessage) and isinstance(result["parsed"], Joke)
    assert result["parsing_error"] is None


# -- completions and embeddings -----------------------------------------------------------------


def test_llm_always_sends_max_tokens(koala: Emulator) -> None:
    llm = KoalaLLM(model=TEXT, temperature=0.5)
    result = llm.generate(["今天老谋理想吃"])
    assert result.generations[0][0].text
    assert koala.stats.last_request.json == {
        "model": TEXT,
        "prompt": "今天老谋理想吃",
        "temperature": 0.5,
        "max_tokens": 512,
    }
    assert result.llm_output["token_usage"]["output_tokens"] > 0
    KoalaLLM(model=TEXT, max_tokens=256).invoke("今天老谋理想吃")
    assert koala.stats.last_request.json["max_tokens"] == 256


async def test_llm_streams(koala: Emulator) -> None:
    llm = KoalaLLM(model=TEXT)
    streamed = "".join(llm.stream("介绍一下故宫"))
    assert streamed == llm.invoke("介绍一下故宫")
    assert "".join([piece async for piece in llm.astream("介绍一下故宫")]) == streamed
    assert koala.stats.requests["/v1/completions"] == 3


def test_embeddings_batches_order_and_normalisation(koala: Emulator) -> None:
    texts = [f"文本{i}" for i in range(7)] + ["故宫"]
    raw = KoalaEmbeddings(batch_size=3).embed_documents(texts)
    assert koala.stats.requests["/v1/embeddings"] == 3
    assert len(raw) == 8 and raw[-1] == KoalaEmbeddings().embed_query("故宫")
    assert math.dist(raw[0], [0.0] * len(raw[0])) > 2  # Koala's vectors are not unit length
    unit = KoalaEmbeddings(normalize=True).embed_documents(texts)
    assert all(abs(math.fsum(v * v for v in vector) - 1) < 1e-9 for vector in unit)
    assert koala.stats.last_request.json["model"] == "text2vec-large-chinese"


async def test_async_embeddings_keep_input_order(koala: Emulator) -> None:
    texts = [f"句子{i}" for i in range(10)]
    embeddings = KoalaEmbeddings(batch_size=2, max_concurrency=3)
    assert await embeddings.aembed_documents(texts) == embeddings.embed_documents(texts)
    assert await embeddings.aembed_documents([]) == []


# -- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error_code", code=50001),
        Fault("error_code", code=50002),
        Fault("http", status=503),
        Fault("http", status=500, body="Internal Server Error"),
        Fault("reset"),
    ],
)
def test_transient_failures_are_retried(koala: Emulator, fault: Fault) -> None:
    koala.inject(fault)
    assert fast(ChatKoala()).invoke("你好").content
    assert calls(koala) == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (40302, ModelInvalidRequestError),
        (40301, ModelNotFoundError),
        (40303, ContextOverflowError),
        (40001, ModelInvalidRequestError),
    ],
)
def test_permanent_errors_are_not_retried(koala: Emulator, code: int, expected: type) -> None:
    koala.inject(Fault("error_code", code=code, message=f"problem {code}"))
    with pytest.raises(expected) as caught:
        fast(ChatKoala()).invoke("你好")
    assert caught.value.code == code and caught.value.vendor == "koala"
    assert caught.value.status_code == 400 and calls(koala) == 1


def test_retries_give_up_with_the_vendor_error(koala: Emulator) -> None:
    koala.inject(Fault("error_code", code=50001, times=5))
    with pytest.raises(errors.ServerError) as caught:
        fast(ChatKoala(max_retries=2)).invoke("你好")
    assert isinstance(caught.value, ModelAPIError) and caught.value.code == 50001
    assert calls(koala) == 3


def test_real_context_overflow_from_the_server(koala: Emulator) -> None:
    with pytest.raises(ContextOverflowError, match="maximum context length"):
        ChatKoala().invoke("字" * 5000)


def test_in_stream_error_after_text_raises(koala: Emulator) -> None:
    koala.inject(Fault("stream_error", code=50001, after_events=3))
    seen: list[str] = []
    with pytest.raises(errors.ServerError, match="NETWORK ERROR") as caught:
        for chunk in fast(ChatKoala()).stream("介绍一下故宫"):
            seen.append(str(chunk.content))
    assert "".join(seen) and isinstance(caught.value, ModelAPIError)
    assert calls(koala) == 1  # text was shown: never replayed


def test_in_stream_error_before_text_is_replayed(koala: Emulator) -> None:
    koala.inject(Fault("stream_error", code=50001, after_events=1))
    text = "".join(str(c.content) for c in fast(ChatKoala()).stream("介绍一下故宫"))
    assert text == ChatKoala().invoke("介绍一下故宫").content
    assert calls(koala) == 3


def test_dropped_stream_after_text_raises(koala: Emulator) -> None:
    koala.inject(Fault("drop_mid_stream", after_events=3))
    with pytest.raises(errors.StreamInterruptedError) as caught:
        list(fast(ChatKoala()).stream("介绍一下故宫"))
    assert isinstance(caught.value, ModelAPIError) and calls(koala) == 1


async def test_dropped_and_unfinished_streams_before_text_are_replayed(koala: Emulator) -> None:
    koala.inject(Fault("drop_mid_stream", after_events=1))
    koala.inject(Fault("no_is_end", after_events=1))
    chunks = [c async for c in fast(ChatKoala()).astream("介绍一下故宫")]
    assert "".join(str(c.content) for c in chunks) and calls(koala) == 3


def test_a_stream_that_never_finishes_is_not_a_success(koala: Emulator) -> None:
    koala.inject(Fault("no_is_end", after_events=4, times=3))
    with pytest.raises(errors.StreamInterruptedError, match="incomplete"):
        list(fast(ChatKoala(max_retries=0)).stream("介绍一下故宫"))


def test_llm_and_embeddings_see_typed_errors_too(koala: Emulator) -> None:
    koala.inject(Fault("error_code", code=40302, path_contains="/v1/completions"))
    with pytest.raises(ModelInvalidRequestError):
        KoalaLLM().invoke("x")
    koala.inject(Fault("error_code", code=50001, path_contains="/v1/embeddings"))
    assert fast(KoalaEmbeddings()).embed_query("x")
    assert koala.stats.requests["/v1/embeddings"] == 2


def test_timeouts(koala: Emulator) -> None:
    koala.inject(Fault("slow", delay=1.0))
    with pytest.raises(ModelTimeoutError):
        ChatKoala(timeout=0.2, max_retries=0).invoke("你好")


# -- configuration and auth ---------------------------------------------------------------------


def test_missing_base_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOALA_BASE_URL", raising=False)
    for cls in (ChatKoala, KoalaLLM, KoalaEmbeddings):
        with pytest.raises(errors.ConfigurationError, match="KOALA_BASE_URL"):
            cls()


@pytest.fixture
def keyed() -> Iterator[Emulator]:
    with Emulator(koala_api_key="secret-koala-key") as emu:
        yield emu


def test_api_key_is_sent_as_bearer(keyed: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"{keyed.base_url}/v1"
    monkeypatch.delenv("KOALA_API_KEY", raising=False)
    with pytest.raises(ModelAuthenticationError, match="KOALA_API_KEY") as caught:
        fast(ChatKoala(base_url=url)).invoke("你好")
    assert caught.value.status_code == 401 and keyed.stats.requests[CHAT_PATH] == 1  # no retry
    assert ChatKoala(base_url=url, api_key="secret-koala-key").invoke("你好").content
    monkeypatch.setenv("KOALA_API_KEY", "secret-koala-key")
    assert KoalaEmbeddings(base_url=url).embed_query("x")
    assert keyed.stats.last_request.headers["Authorization"] == "Bearer secret-koala-key"
    assert KoalaLLM(base_url=url).invoke("x") and ChatKoala(base_url=url).list_models()


def test_objects_pickle_with_their_settings(keyed: Emulator) -> None:
    url = f"{keyed.base_url}/v1"
    chat = ChatKoala(base_url=url, api_key="secret-koala-key", temperature=0.3)
    chat.invoke("你好")  # a client exists now; it must not travel
    copy = pickle.loads(pickle.dumps(chat))
    assert copy.koala_api_key.get_secret_value() == "secret-koala-key"
    assert copy.base_url == url and copy.temperature == 0.3 and copy.invoke("你好").content
    embeddings = pickle.loads(
        pickle.dumps(KoalaEmbeddings(base_url=url, api_key="secret-koala-key"))
    )
    assert embeddings.embed_query("x")
