"""The one incremental Server-Sent-Events parser (WHATWG "event stream" rules).

Transports feed raw network bytes in whatever pieces they arrive; the decoder keeps the
partial line, the partial UTF-8 character and a trailing CR between calls, so any split of
the byte stream yields the same events.

Vendor tolerance: Baidu Qianfan sends mid-stream errors as a bare JSON line with no
``data:`` prefix, so a line starting with ``{`` is dispatched at once as its own event.
``[DONE]`` gets no special treatment: callers decide what ends their stream.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


class SSEDecoder:
    """Turns a byte stream into events; one instance per stream."""

    def __init__(self) -> None:
        # utf-8-sig drops a BOM only at the very start, even one split across chunks.
        self._text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial: list[str] = []  # pieces of the current, unterminated line
        self._skip_lf = False  # the last chunk ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None  # per spec it survives dispatch

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        for line in self._split(self._text.decode(chunk)):
            self._process(line, events)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: finish the last line and dispatch a pending event."""
        events: list[ServerSentEvent] = []
        for line in self._split(self._text.decode(b"", final=True)):
            self._process(line, events)
        last = "".join(self._partial)
        if last:
            self._process(last, events)
        self._dispatch(events)
        self._text.reset()
        self._partial = []
        self._skip_lf = False
        return events

    def _split(self, text: str) -> list[str]:
        """Complete lines in ``text`` (with what was buffered before); keeps the rest."""
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            text = text[1:] if text[0] == "\n" else text
        lines: list[str] = []
        start = 0
        for match in _LINE_END.finditer(text):
            self._partial.append(text[start : match.start()])
            lines.append("".join(self._partial))
            self._partial = []
            start = match.end()
        if start == len(text) and text.endswith("\r"):
            self._skip_lf = True
        if start < len(text):
            self._partial.append(text[start:])
        return lines

    def _process(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(events)
        elif line[0] == ":":
            return  # comment / keep-alive
        elif line[0] == "{":
            events.append(ServerSentEvent(data=line))  # Qianfan bare JSON error line
        else:
            name, _, value = line.partition(":")
            self._field(name, value[1:] if value.startswith(" ") else value)

    def _field(self, name: str, value: str) -> None:
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id":
            if "\0" not in value:
                self._last_id = value or None
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._data:
            data = "\n".join(self._data)
            events.append(ServerSentEvent(data, self._event, self._last_id, self._retry))
        self._data = []
        self._event = None
        self._retry = None


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
