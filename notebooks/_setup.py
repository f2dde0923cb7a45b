"""What the notebooks share: where to send requests, and a few small display helpers.

``start()`` decides per vendor: credentials in the environment mean the live service (the
classes read them themselves, so the settings are empty); no credentials mean the built-in
emulator (``cnllm.emulator``), started once per kernel on a loopback port, with the
constructor arguments that point each vendor's classes at it. It prints which it uses.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import struct
import sys
import unicodedata
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cnllm.demo import providers
from cnllm.emulator import Emulator

VENDORS = ("qianfan", "dashscope", "koala", "clueai")
NAMES = {"qianfan": "Qianfan", "dashscope": "DashScope", "koala": "Koala", "clueai": "ClueAI"}
REPO_ROOT = Path(__file__).resolve().parent.parent

_emulator: Emulator | None = None


def start(*vendors: str, **emulator_options: Any) -> dict[str, dict[str, Any]]:
    """Constructor arguments per vendor: ``{}`` for the live service, else the emulator's.

    ``emulator_options`` go to ``Emulator(...)`` (e.g. ``clueai_train_seconds=1.0``).
    """
    settings: dict[str, dict[str, Any]] = {}
    for name in vendors or VENDORS:
        provider = providers.load(name)
        if provider.is_live():
            print(f"{provider.name}: credentials found in the environment, using the live service.")
            settings[name] = {}
            continue
        needed = " or ".join("/".join(group) for group in provider.live_when)
        url = emulator(**emulator_options).base_url
        print(f"{provider.name}: no credentials ({needed}), using the built-in emulator.")
        settings[name] = provider.notebook_settings(url)
    if any(settings.values()):
        print("The emulator runs in this kernel on loopback; its answers are simulated.")
    return settings


def emulator(**options: Any) -> Emulator:
    """The kernel's emulator, started on first use; options update a running one."""
    global _emulator
    if _emulator is None:
        _emulator = Emulator(**options).start()
        atexit.register(_emulator.stop)
    else:
        _emulator.config.options.update(options)
    return _emulator


def running_emulator() -> Emulator | None:
    """The emulator ``start()`` started, or None when every vendor is live."""
    return _emulator


# -- display ------------------------------------------------------------------------------------


def short(text: Any, width: int = 60) -> str:
    """One line of at most ``width`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def describe_error(error: BaseException) -> str:
    """The exception as a user sees it, without the request id (it differs on every call)."""
    details = [
        f"{label}={value}"
        for label, value in (
            ("vendor", getattr(error, "vendor", None)),
            ("code", getattr(error, "code", None)),
            ("status", getattr(error, "status_code", None)),
            ("retryable", getattr(error, "retryable", None)),
        )
        if value is not None
    ]
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{type(error).__name__}: {message}{suffix}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A Markdown table, displayed as a table in Jupyter (no pandas needed)."""
    from IPython.display import Markdown

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    lines = [line(headers), line(["---"] * len(headers)), *(line(row) for row in rows)]
    return Markdown("\n".join(lines))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) or 1.0)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    """Left-justify to a display width (CJK characters take two columns)."""
    return text + " " * max(width - _width(text), 0)


def bar_chart(
    series: Mapping[str, Mapping[int, float]], *, label: str = "concurrency", width: int = 40
) -> str:
    """Horizontal bars, one group per x value and one bar per series, on a common scale."""
    peak = max(value for values in series.values() for value in values.values()) or 1.0
    name_width = max(_width(name) for name in series)
    xs = sorted({x for values in series.values() for x in values})
    lines = [f"{label:>11}  {pad('client', name_width)}  requests per second"]
    for x in xs:
        for index, (name, values) in enumerate(series.items()):
            value = values.get(x, 0.0)
            bar = "█" * max(round(value / peak * width), 1)
            head = f"{x:>11}" if index == 0 else " " * 11
            lines.append(f"{head}  {pad(name, name_width)}  {pad(bar, width)} {roughly(value)}")
    return "\n".join(lines)


def roughly(value: float) -> str:
    """Two significant figures: run-to-run noise stays out of the printed number."""
    if value <= 0:
        return "0"
    magnitude = math.floor(math.log10(value))
    return f"{round(value, 1 - magnitude):.{max(1 - magnitude, 0)}f}"


# -- images -------------------------------------------------------------------------------------


def sample_png(size: int = 48) -> bytes:
    """A small PNG (a blue-to-orange diagonal gradient), written with zlib and struct only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    start, end = (30, 90, 200), (250, 160, 40)
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            t = (x + y) / (2 * (size - 1))
            rows.extend(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


# -- benchmarks ---------------------------------------------------------------------------------


def use_repository() -> None:
    """Make ``benchmarks`` (a folder of the repository, not of the package) importable."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: a subprocess started inside keeps it silent."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def environment_kept() -> Iterator[None]:
    """Restore os.environ afterwards (the benchmark's langchain-community probe sets keys)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
