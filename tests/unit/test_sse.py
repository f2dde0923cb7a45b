"""The incremental SSE decoder: WHATWG rules, vendor framings, and chunking invariance."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnllm.sse import ServerSentEvent, SSEDecoder, aiter_sse, iter_sse

Event = ServerSentEvent

# Three chunks copied from the Qianfan seed's streaming example (seed 003); the seed shows the
# lines without the blank separators, which the live service sends.
QIANFAN_LINES = [
    'data: {"id":"as-ywwpgx4dt7","object":"chat.completion","created":1680166793,"sentence_id":0,'
    '"is_end":false,"is_truncated":false,"result":"以下是一些适合自驾游的路线推荐:\\n\\n1.",'
    '"need_clear_history":false,"usage":{"prompt_tokens":11,"completion_tokens":16,'
    '"total_tokens":27}}',
    'data: {"id":"as-ywwpgx4dt7","object":"chat.completion","created":1680166794,"sentence_id":1,'
    '"is_end":false,"is_truncated":false,"result":" 中国大陆最美的景观大道:川藏线,从成都出发,'
    '沿着川藏公路一路向西,经过稻城亚丁、理塘、巴塘、芒康等美景,最终到达拉萨。",'
    '"need_clear_history":false,"usage":{"prompt_tokens":11,"completion_tokens":50,'
    '"total_tokens":77}}',
    'data: {"id":"as-ywwpgx4dt7","object":"chat.completion","created":1680166804,"sentence_id":8,'
    '"is_end":true,"is_truncated":false,"result":"这条路线可以领略到中国西南地区和西藏地区的自然风光'
    '和人文景观。","need_clear_history":false,"usage":{"prompt_tokens":11,"completion_tokens":30,'
    '"total_tokens":412}}',
]
QIANFAN_STREAM = "".join(line + "\n\n" for line in QIANFAN_LINES).encode()

DASHSCOPE_STREAM = (
    "id:1\nevent:result\n:HTTP_STATUS/200\n"
    'data:{"output":{"choices":[{"message":{"role":"assistant","content":"你"},'
    '"finish_reason":"null"}]},"usage":{"input_tokens":26,"output_tokens":1,"total_tokens":27},'
    '"request_id":"r-1"}\n\n'
    "id:2\nevent:result\n:HTTP_STATUS/200\n"
    'data:{"output":{"choices":[{"message":{"role":"assistant","content":"好"},'
    '"finish_reason":"stop"}]},"usage":{"input_tokens":26,"output_tokens":2,"total_tokens":28},'
    '"request_id":"r-1"}\n\n'
).encode()


def parse(*chunks: bytes) -> list[Event]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.flush()


def split(stream: bytes, cuts: Iterable[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


def feed_split(stream: bytes, cuts: Iterable[int]) -> list[Event]:
    return parse(*split(stream, cuts))


# -- the WHATWG rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_each_line_ending(eol: str) -> None:
    stream = f"data: a{eol}data: b{eol}{eol}data: c{eol}{eol}".encode()
    assert parse(stream) == [Event("a\nb"), Event("c")]


def test_mixed_line_endings() -> None:
    assert parse(b"data: a\rdata: b\r\n\ndata: c\n\r") == [Event("a\nb"), Event("c")]


def test_cr_and_lf_in_different_chunks_are_one_line_end() -> None:
    # Were the LF a second line end, "a" would be dispatched alone.
    assert parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [Event("a\nb")]


def test_cr_then_empty_chunk_then_lf() -> None:
    assert parse(b"data: a\r", b"", b"\ndata: b\r\n\r\n") == [Event("a\nb")]


@pytest.mark.parametrize(
    ("line", "data"),
    [("data:x", "x"), ("data: x", "x"), ("data:  x", " x"), ("data: ", ""), ("data:", "")],
)
def test_one_optional_space_after_colon(line: str, data: str) -> None:
    assert parse(f"{line}\n\n".encode()) == [Event(data)]


def test_field_without_colon_has_empty_value() -> None:
    assert parse(b"data\ndata\n\n") == [Event("\n")]


def test_value_may_contain_colons() -> None:
    assert parse(b"data: a:b: c\n\n") == [Event("a:b: c")]


def test_comments_are_ignored() -> None:
    assert parse(b": keep-alive\n\n:another\ndata: x\n: inside\n\n") == [Event("x")]


def test_event_without_data_is_not_dispatched() -> None:
    assert parse(b"event: ping\nid: 7\nretry: 5\n\n") == []


def test_event_type_is_reset_after_dispatch() -> None:
    stream = b"event: result\ndata: 1\n\ndata: 2\n\n"
    assert parse(stream) == [Event("1", event="result"), Event("2")]


def test_empty_event_type_is_none() -> None:
    assert parse(b"event:\ndata: x\n\n") == [Event("x")]


def test_last_event_id_persists_across_events() -> None:
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"
    assert parse(stream) == [Event("a", id="1"), Event("b", id="1"), Event("c")]


def test_id_with_nul_is_ignored() -> None:
    assert parse(b"id: 1\nid: 2\x003\ndata: a\n\n") == [Event("a", id="1")]


@pytest.mark.parametrize(
    ("value", "retry"), [("1000", 1000), ("0", 0), ("1e3", None), ("-1", None), ("١٢", None)]
)
def test_retry_takes_ascii_digits_only(value: str, retry: int | None) -> None:
    assert parse(f"retry: {value}\ndata: x\n\n".encode()) == [Event("x", retry=retry)]


def test_retry_belongs_to_its_event() -> None:
    assert parse(b"retry: 10\ndata: a\n\ndata: b\n\n") == [Event("a", retry=10), Event("b")]


def test_unknown_fields_are_ignored() -> None:
    assert parse(b"foo: bar\nData: no\ndata: x\n\n") == [Event("x")]


def test_leading_bom_is_dropped_even_when_split() -> None:
    assert parse(b"\xef\xbb", b"\xbfdata: x\n\n") == [Event("x")]


def test_only_the_first_bom_is_dropped() -> None:
    # The second BOM becomes part of the field name, which is then unknown.
    assert parse(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [Event("y")]


def test_multibyte_character_split_at_every_byte() -> None:
    stream = "data: 你好😀\n\n".encode()
    for cut in range(len(stream) + 1):
        assert parse(stream[:cut], stream[cut:]) == [Event("你好😀")]


def test_invalid_utf8_is_replaced() -> None:
    assert parse(b"data: a\xffb\n\n") == [Event("a\ufffdb")]


def test_truncated_utf8_at_end_of_stream_is_replaced() -> None:
    assert parse(b"data: a\xe4\xbd") == [Event("a\ufffd")]


def test_flush_dispatches_a_final_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b") == [Event("a")]
    assert decoder.flush() == [Event("b")]


def test_flush_with_terminated_last_line() -> None:
    assert parse(b"data: b\n") == [Event("b")]


def test_flush_with_nothing_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [Event("a")]
    assert decoder.flush() == []


def test_event_json_and_immutability() -> None:
    event = Event('{"a": [1, "二"]}')
    assert event.json() == {"a": [1, "二"]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "x"  # type: ignore[misc]


# -- vendor framings ----------------------------------------------------------------------------


def test_qianfan_seed_stream() -> None:
    events = parse(QIANFAN_STREAM)
    assert [event.data for event in events] == [line[len("data: ") :] for line in QIANFAN_LINES]
    assert [event.json()["sentence_id"] for event in events] == [0, 1, 8]
    assert events[-1].json()["is_end"] is True
    assert events[0].json()["result"] == "以下是一些适合自驾游的路线推荐:\n\n1."


def test_qianfan_seed_stream_split_at_every_byte_offset() -> None:
    expected = parse(QIANFAN_STREAM)
    for cut in range(len(QIANFAN_STREAM) + 1):
        assert feed_split(QIANFAN_STREAM, [cut]) == expected


def test_qianfan_seed_stream_one_byte_at_a_time() -> None:
    chunks = [QIANFAN_STREAM[i : i + 1] for i in range(len(QIANFAN_STREAM))]
    assert parse(*chunks) == parse(QIANFAN_STREAM)


def test_qianfan_stream_closed_without_final_blank_line() -> None:
    assert parse(QIANFAN_STREAM.rstrip(b"\n")) == parse(QIANFAN_STREAM)


def test_qianfan_bare_json_error_line_is_its_own_event() -> None:
    error = '{"error_code":110,"error_msg":"Access token invalid or no longer valid"}'
    stream = f"data: a\n{error}\ndata: b\n\n".encode()
    # Dispatched at once, and the pending event keeps both of its data lines.
    assert parse(stream) == [Event(error), Event("a\nb")]
    assert parse(stream)[0].json()["error_code"] == 110


def test_qianfan_bare_json_error_at_end_of_stream() -> None:
    error = b'{"error_code":336100,"error_msg":"try again later"}'
    assert parse(QIANFAN_LINES[0].encode() + b"\n\n" + error)[-1] == Event(error.decode())


def test_dashscope_framing() -> None:
    events = parse(DASHSCOPE_STREAM)
    assert [(event.id, event.event) for event in events] == [("1", "result"), ("2", "result")]
    assert "".join(e.json()["output"]["choices"][0]["message"]["content"] for e in events) == "你好"
    for cut in range(len(DASHSCOPE_STREAM) + 1):
        assert feed_split(DASHSCOPE_STREAM, [cut]) == events


def test_openai_done_is_an_ordinary_event() -> None:
    stream = b'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n'
    events = parse(stream)
    assert events[0].json()["choices"][0]["delta"]["content"] == "Hi"
    assert events[1] == Event("[DONE]")


def test_iter_sse() -> None:
    chunks = [QIANFAN_STREAM[:100], QIANFAN_STREAM[100:101], QIANFAN_STREAM[101:]]
    assert list(iter_sse(chunks)) == parse(QIANFAN_STREAM)


def test_aiter_sse() -> None:
    assert asyncio.run(collect_async([DASHSCOPE_STREAM[:7], DASHSCOPE_STREAM[7:]])) == parse(
        DASHSCOPE_STREAM
    )


async def _agen(chunks: Sequence[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


async def collect_async(chunks: Sequence[bytes]) -> list[Event]:
    return [event async for event in aiter_sse(_agen(chunks))]


# -- property tests -----------------------------------------------------------------------------

_LINE_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
_NAME = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n\0"),
    min_size=1,
    max_size=6,
)


@st.composite
def _events(draw: st.DrawFn) -> tuple[str, ...] | Event:
    if draw(st.integers(0, 9)) == 0:  # a Qianfan bare JSON line between events
        return ("bare", "{" + draw(_LINE_TEXT))
    data = "\n".join(draw(st.lists(_LINE_TEXT, min_size=1, max_size=3)))
    event = draw(st.none() | _NAME)
    id_ = draw(st.none() | _NAME)
    retry = draw(st.none() | st.integers(0, 10**6))
    return Event(data, event, id_, retry)


@st.composite
def _streams(draw: st.DrawFn) -> tuple[bytes, list[Event]]:
    """Serialise random events with random framing; return the bytes and the expected events."""
    items = draw(st.lists(_events(), max_size=6))
    lines: list[str] = []
    expected: list[Event] = []
    last_id: str | None = None
    for item in items:
        if isinstance(item, tuple):
            lines.append(item[1])
            expected.append(Event(item[1]))
            continue
        if draw(st.booleans()):
            lines.append(":" + draw(_LINE_TEXT))
        for name, value in (("id", item.id), ("event", item.event), ("retry", item.retry)):
            if value is not None:
                lines.append(_field(draw, name, str(value)))
        lines += [_field(draw, "data", part) for part in item.data.split("\n")]
        lines.append("")
        last_id = item.id or last_id
        expected.append(dataclasses.replace(item, id=last_id))
    if lines and lines[-1] == "" and draw(st.booleans()):
        lines.pop()  # the stream may end without the last blank line
    return _join(draw, lines, bom=draw(st.booleans())), expected


def _field(draw: st.DrawFn, name: str, value: str) -> str:
    spaced = value.startswith(" ") or draw(st.booleans())
    return f"{name}: {value}" if spaced else f"{name}:{value}"


def _join(draw: st.DrawFn, lines: list[str], *, bom: bool) -> bytes:
    out = ["\ufeff"] if bom else []
    previous = ""
    for line in lines:
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        if previous == "\r" and not line and eol != "\r":
            eol = "\r"  # CR then an empty LF-ended line would read as one CRLF
        out += [line, eol]
        previous = eol
    return "".join(out).encode()


@settings(max_examples=300, deadline=None)
@given(stream=_streams(), data=st.data())
def test_any_chunking_gives_the_serialised_events(
    stream: tuple[bytes, list[Event]], data: st.DataObject
) -> None:
    raw, expected = stream
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=12))
    assert parse(raw) == expected
    assert feed_split(raw, cuts) == expected


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200), data=st.data())
def test_arbitrary_bytes_parse_the_same_however_chunked(raw: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=12))
    assert feed_split(raw, cuts) == parse(raw)


@settings(max_examples=100, deadline=None)
@given(stream=_streams(), data=st.data())
def test_async_equals_sync(stream: tuple[bytes, list[Event]], data: st.DataObject) -> None:
    raw, _ = stream
    chunks = split(raw, data.draw(st.lists(st.integers(0, len(raw)), max_size=8)))
    assert asyncio.run(collect_async(chunks)) == list(iter_sse(chunks))
