"""A small, valid PNG written with zlib and struct only (no imaging library)."""

from __future__ import annotations

import struct
import zlib

from ..text import stable_int

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    number = stable_int("png", seed)
    start = (number & 0xFF, (number >> 8) & 0xFF, (number >> 16) & 0xFF)
    end = ((number >> 24) & 0xFF, (number >> 32) & 0xFF, (number >> 40) & 0xFF)
    return start, end


def image(text: str, size: int = 64) -> bytes:
    """An RGB ``size``x``size`` diagonal gradient whose colours depend on ``text``."""
    start, end = _palette(text)
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type 0 (None) for every scanline
        for x in range(size):
            t = (x + y) / (2 * (size - 1) or 1)
            row.extend(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
