"""What every benchmark module shares: settings, the emulator in its own process, timing, rows,
the peer interpreter and the one table printer / command line.

Each ``bench_*`` module (and ``run``) exposes ``GROUPS``, a mapping of group name to a function
``(emu, settings) -> list[Row]``; ``python -m benchmarks`` runs every group in one run against
one emulator process, and each module's own ``main`` runs just its groups through the same
:func:`cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from typing import Any

import requests

# The peers (langchain-community + vendor SDKs) live in their own interpreter: their
# dependencies (and pins) are not ours. Default: this interpreter (rows say "skipped" when the
# peer is not installed in it).
PEER_PYTHON_ENV = "CNLLM_PEER_PYTHON"


@dataclass(frozen=True)
class Settings:
    """Sample counts and sizes; ``make`` gives the full, ``--quick`` and ``--tiny`` sets."""

    quick: bool
    sequential_calls: int
    warmup_calls: int
    batch_size: int
    batch_repeats: int
    stream_runs: int
    import_runs: int
    texts: int = 2000  # embeddings
    embed_repeats: int = 3
    rate_texts: int = 3000  # rate budget: 25 texts a request
    rerank_documents: int = 320  # 64 a request
    peer_python: str = field(
        default_factory=lambda: os.environ.get(PEER_PYTHON_ENV, sys.executable)
    )

    @classmethod
    def make(cls, quick: bool, tiny: bool = False) -> Settings:
        if tiny:  # the smoke test: every row, numbers meaningless
            return cls(True, 5, 1, 16, 1, 2, 1, 100, 1, 100, 128)
        if quick:
            return cls(True, 50, 10, 64, 2, 8, 3, 500, 1, 600, 320)
        return cls(False, 200, 20, 64, 5, 20, 7, 2000, 3, 3000, 320)

    def with_peer(self, python: str | None) -> Settings:
        return self if not python else replace(self, peer_python=python)


@dataclass
class Row:
    """One line of the table, and its numbers for --json."""

    benchmark: str
    ours: str
    baseline: str
    figure: str
    target: str
    passed: bool | None  # None: a figure with no target (or a skipped peer)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.passed is None:
            return "—"
        return "PASS" if self.passed else "FAIL"

    @property
    def measured(self) -> str:
        return self.ours if self.baseline in ("", "—") else f"{self.ours} vs {self.baseline}"


# -- small helpers ----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_wall(fn: Callable[[], object], repeats: int) -> float:
    return statistics.median(timed(fn) for _ in range(max(1, repeats)))


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(samples),
        "mean_s": statistics.fmean(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "n": len(samples),
    }


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    log(f"-- {title}")
    gc.collect()
    start = time.perf_counter()
    yield
    log(f"   done in {time.perf_counter() - start:.1f} s")


# -- the emulator in its own process ------------------------------------------------------------


class _RemoteStats:
    def __init__(self, data: dict[str, Any]) -> None:
        self.token_requests: int = data["token_requests"]
        self.requests: dict[str, int] = data["requests"]
        self.counters: dict[str, int] = data.get("counters", {})


class RemoteEmulator:
    """The emulator in its own process, driven over its control endpoints.

    A real vendor is another machine; an in-process emulator would compete with the client for
    the GIL and charge the client for the server's work.
    """

    def __init__(self, latency: float) -> None:
        self._config: dict[str, float] = {"latency": latency, "chunk_interval": 0.0}
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> RemoteEmulator:
        command = [sys.executable, "-m", "cnllm.emulator", "--port", "0"]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        self.configure()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def configure(self, **values: float) -> None:
        """Set latency, chunk_interval or rate_limit (requests per second, 0: none)."""
        self._config.update(values)
        requests.post(f"{self.base_url}/_emulator/config", json=self._config, timeout=10)

    @contextlib.contextmanager
    def configured(self, **values: float) -> Iterator[RemoteEmulator]:
        """``configure(**values)`` for the block, then the previous values again."""
        before = {name: self._config.get(name, 0.0) for name in values}
        self.configure(**values)
        try:
            yield self
        finally:
            self.configure(**before)

    @property
    def latency(self) -> float:
        return self._config["latency"]

    @latency.setter
    def latency(self, value: float) -> None:
        self.configure(latency=value)

    def reset(self) -> None:
        requests.post(f"{self.base_url}/_emulator/reset", timeout=10)

    @property
    def stats(self) -> _RemoteStats:
        return _RemoteStats(requests.get(f"{self.base_url}/_emulator/stats", timeout=10).json())


# -- the peers, in their own interpreter --------------------------------------------------------


def peer_json(python: str, code: str, *args: object, timeout: float = 900) -> tuple[Any, str]:
    """Run ``code`` in the peer interpreter; (its last stdout line as JSON, "") or (None, why)."""
    command = [python, "-c", code, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        if reason.startswith("ModuleNotFoundError"):
            module = reason.split()[-1].strip("'\"")
            reason = f"{module} is not installed in {python} (see --peer-python)"
        return None, f"skipped: {reason[:160]}"
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def versions(names: list[str]) -> str:
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


# -- report -----------------------------------------------------------------------------------

HEADER = ("row", "measured", "target", "ratio", "PASS/FAIL")


def markdown(rows: list[Row]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    lines = [line(HEADER), line(tuple("---" for _ in HEADER))]
    lines += [
        line((row.benchmark, row.measured, row.target, row.figure, row.status)) for row in rows
    ]
    return "\n".join(lines)


def environment(settings: Settings) -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in load],
        "mode": "quick" if settings.quick else "full",
        "versions": versions(["langchain-core", "requests", "aiohttp"]),
    }


def write_json(path: str, settings: Settings, rows: list[Row], seconds: float) -> None:
    payload = {
        "environment": environment(settings),
        "settings": asdict(settings),
        "runtime_s": seconds,
        "results": [
            {**{k: v for k, v in asdict(row).items() if k != "passed"}, "status": row.status}
            for row in rows
        ],
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(payload, out, ensure_ascii=False, indent=2, default=str)


# -- the command line -----------------------------------------------------------------------------

Group = Callable[[RemoteEmulator, Settings], list[Row]]


def run_groups(groups: Mapping[str, Group], settings: Settings) -> list[Row]:
    """Every group in order, against one emulator process (each group sets its latency)."""
    rows: list[Row] = []
    with RemoteEmulator(latency=0.0) as emu:
        for name, group in groups.items():
            with section(name):
                rows += group(emu, settings)
    return rows


def cli(groups: Mapping[str, Group], argv: list[str] | None, prog: str, doc: str | None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, smaller jobs")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument(
        "--only", help=f"comma-separated groups to run (default: all of {','.join(groups)})"
    )
    parser.add_argument(
        "--peer-python",
        help=f"interpreter with langchain-community and the vendor SDKs (${PEER_PYTHON_ENV}, "
        "default: this one)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    chosen = dict(groups)
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in groups]
        if unknown:
            parser.error(f"--only: unknown {unknown}; choose from {', '.join(groups)}")
        chosen = {name: groups[name] for name in names}
    settings = Settings.make(args.quick, args.tiny).with_peer(args.peer_python)
    start = time.perf_counter()
    rows = run_groups(chosen, settings)
    seconds = time.perf_counter() - start
    env = environment(settings)
    print(
        f"\nPython {env['python']} on {env['platform']}, {env['cpus']} CPUs, load average "
        f"{env['load_average'][0]}; {env['mode']} mode; {seconds:.0f} s\n"
    )
    print(markdown(rows))
    targets = [row for row in rows if row.passed is not None]
    print(f"\n{sum(1 for row in targets if row.passed)}/{len(targets)} targets met.")
    if args.json:
        write_json(args.json, settings, rows, seconds)
    return 0
