"""Client overhead of ChatQianfan, measured against an in-process Qianfan emulator.

Run from the repository root::

    python -m benchmarks.run [--quick] [--json out.json]

Every figure is a ratio or a difference taken within one run, against a baseline measured in
the same run on the same emulator, so the numbers travel between machines better than absolute
times. Nothing here asserts: the script prints PASS/FAIL against each target and exits 0.
See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import httpx
import requests
from langchain_core.language_models import LanguageModelInput

from cnllm.qianfan.auth import clear_token_cache
from cnllm.transport import ASYNC_SHARDS, POOL_SIZE
from langchain_cnllm import ChatQianfan

MODEL = "Qianfan-Chinese-Llama-2-13B"
CHAT_PATH = "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/qianfan_chinese_llama_2_13b"
TOKEN_PATH = "/oauth/2.0/token"
PROMPT = "你好"
AK, SK = "bench-ak", "bench-sk"

INVOKE_LATENCY = 0.010  # (a)
BATCH_LATENCY = 0.200  # (b), (c)
STREAM_LATENCY = 0.100  # (d): the first chunk leaves the emulator after this
STREAM_CHUNK_INTERVAL = 0.050

INVOKE_TARGET = 1.10  # ours / bare requests, median per call
BATCH_TARGET = 1.5  # wall time / ideal
STREAM_TARGET = 0.020  # seconds over the emulator's first-chunk delay


@dataclass(frozen=True)
class Settings:
    quick: bool
    sequential_calls: int
    warmup_calls: int
    batch_size: int
    batch_repeats: int
    stream_runs: int
    import_runs: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, 50, 10, 64, 2, 8, 3)
        return cls(False, 200, 20, 64, 3, 20, 5)


@dataclass
class Row:
    """One line of the table, and its numbers for --json."""

    benchmark: str
    ours: str
    baseline: str
    figure: str
    target: str
    passed: bool | None  # None: a figure with no target
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.passed is None:
            return "—"
        return "PASS" if self.passed else "FAIL"


# -- small helpers ----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(samples),
        "mean_s": statistics.fmean(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "n": len(samples),
    }


def our_chat(emu: RemoteEmulator) -> ChatQianfan:
    return ChatQianfan(model=MODEL, api_key=AK, secret_key=SK, base_url=emu.base_url)


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    log(f"-- {title}")
    gc.collect()
    start = time.perf_counter()
    yield
    log(f"   done in {time.perf_counter() - start:.1f} s")


# -- (a) sequential invoke vs bare requests and langchain-community ----------------------------


BARE_BODY = {"messages": [{"role": "user", "content": PROMPT}]}


def bare_chat_url(emu: RemoteEmulator) -> str:
    """The chat URL with ``?access_token=``, for a token fetched once, by hand."""
    params = {"grant_type": "client_credentials", "client_id": AK, "client_secret": SK}
    reply = requests.post(f"{emu.base_url}{TOKEN_PATH}", params=params, timeout=10)
    return f"{emu.base_url}{CHAT_PATH}?access_token={reply.json()['access_token']}"


def bare_caller(emu: RemoteEmulator) -> Callable[[], object]:
    """requests.Session().post of the same request, with a token fetched once."""
    url = bare_chat_url(emu)
    session = requests.Session()

    def call() -> object:
        response = session.post(url, json=BARE_BODY, timeout=10)
        response.raise_for_status()
        return response.json()["result"]

    return call


def _only_errors(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def community_caller(emu: RemoteEmulator) -> tuple[Callable[[], object] | None, str]:
    """langchain-community's QianfanChatEndpoint on the same emulator, or why it is skipped."""
    os.environ.update(
        QIANFAN_AK=AK,
        QIANFAN_SK=SK,
        QIANFAN_BASE_URL=emu.base_url,
        QIANFAN_QPS_LIMIT="0",  # client-side rate limiting off (0 is the SDK default)
        QIANFAN_RPM_LIMIT="0",
        QIANFAN_TPM_LIMIT="0",
        QIANFAN_LLM_API_RETRY_COUNT="1",  # one attempt: no retries
    )
    # The SDK logs at INFO to its own handler, and warns about redis at import time.
    logging.getLogger("qianfan").addFilter(_only_errors)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import qianfan
            from langchain_community.chat_models import QianfanChatEndpoint
    except ImportError as exc:
        return None, (
            f"skipped: {exc.name or 'langchain-community/qianfan'} is not installed "
            "(pip install langchain-community qianfan)"
        )
    qianfan.disable_log()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chat = QianfanChatEndpoint(model=MODEL)
    versions = (
        f"langchain-community {metadata.version('langchain-community')}, "
        f"qianfan {metadata.version('qianfan')}"
    )

    def call() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return chat.invoke(PROMPT)

    return call, versions


def interleaved(callers: dict[str, Callable[[], object]], n: int) -> dict[str, list[float]]:
    """n timed calls of each caller, interleaved and in rotating order so drift hits all alike."""
    names = list(callers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(n):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed(callers[name]))
    return samples


def bench_invoke(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    emu.latency = INVOKE_LATENCY
    chat = our_chat(emu)
    callers: dict[str, Callable[[], object]] = {
        "ours": lambda: chat.invoke(PROMPT),
        "bare": bare_caller(emu),
    }
    theirs, note = community_caller(emu)
    if theirs is not None:
        callers["community"] = theirs
    for caller in callers.values():
        for _ in range(settings.warmup_calls):
            caller()
    samples = interleaved(callers, settings.sequential_calls)
    stats = {name: summary(values) for name, values in samples.items()}
    rows = [_invoke_row(stats["ours"], stats["bare"], settings.sequential_calls)]
    rows.append(_community_row(stats["ours"], stats.get("community"), note))
    return rows


def _med_mean(stat: dict[str, float]) -> str:
    return f"{ms(stat['median_s'])} (mean {ms(stat['mean_s'])})"


def _invoke_row(ours: dict[str, float], bare: dict[str, float], n: int) -> Row:
    ratio = ours["median_s"] / bare["median_s"]
    mean_ratio = ours["mean_s"] / bare["mean_s"]
    return Row(
        f"(a) invoke, {n} sequential calls, {INVOKE_LATENCY * 1000:.0f} ms latency",
        _med_mean(ours),
        f"bare requests.Session.post: {_med_mean(bare)}",
        f"{ratio:.3f}x (mean {mean_ratio:.3f}x)",
        f"≤ {INVOKE_TARGET:.2f}x (median)",
        ratio <= INVOKE_TARGET,
        {"ours": ours, "bare": bare, "ratio_median": ratio, "ratio_mean": mean_ratio},
    )


def _community_row(ours: dict[str, float], theirs: dict[str, float] | None, note: str) -> Row:
    name = "(a) invoke vs langchain-community QianfanChatEndpoint"
    if theirs is None:
        return Row(name, _med_mean(ours), note, "—", "< 1.00x", None, {"skipped": note})
    ratio = ours["median_s"] / theirs["median_s"]
    mean_ratio = ours["mean_s"] / theirs["mean_s"]
    return Row(
        name,
        _med_mean(ours),
        f"QianfanChatEndpoint ({note}): {_med_mean(theirs)}",
        f"{ratio:.3f}x (mean {mean_ratio:.3f}x)",
        "< 1.00x (median)",
        ratio < 1.0,
        {
            "ours": ours,
            "community": theirs,
            "ratio_median": ratio,
            "ratio_mean": mean_ratio,
            "versions": note,
        },
    )


# -- (b), (c) concurrent abatch and token single-flight ---------------------------------------


class _RemoteStats:
    def __init__(self, data: dict[str, Any]) -> None:
        self.token_requests: int = data["token_requests"]
        self.requests: dict[str, int] = data["requests"]


class RemoteEmulator:
    """The emulator in its own process, driven over its control endpoints.

    A real vendor is another machine; an in-process emulator would compete with the client for
    the GIL and charge the client for the server's work.
    """

    def __init__(self, latency: float) -> None:
        self._latency, self._chunk_interval = latency, 0.0
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> RemoteEmulator:
        command = [sys.executable, "-m", "cnllm.emulator", "--port", "0"]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        self._configure()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def _configure(self) -> None:
        config = {"latency": self._latency, "chunk_interval": self._chunk_interval}
        requests.post(f"{self.base_url}/_emulator/config", json=config, timeout=10)

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._latency = value
        self._configure()

    @property
    def chunk_interval(self) -> float:
        return self._chunk_interval

    @chunk_interval.setter
    def chunk_interval(self, value: float) -> None:
        self._chunk_interval = value
        self._configure()

    def reset(self) -> None:
        requests.post(f"{self.base_url}/_emulator/reset", timeout=10)

    @property
    def stats(self) -> _RemoteStats:
        return _RemoteStats(requests.get(f"{self.base_url}/_emulator/stats", timeout=10).json())


def batch_prompts(settings: Settings) -> list[LanguageModelInput]:
    return [f"{PROMPT} {index}" for index in range(settings.batch_size)]


async def _abatch_wall(chat: ChatQianfan, prompts: list[LanguageModelInput]) -> float:
    start = time.perf_counter()
    results = await chat.abatch(prompts, config={"max_concurrency": len(prompts)})
    wall = time.perf_counter() - start
    assert len(results) == len(prompts)
    return wall


async def _abatch_runs(emu: RemoteEmulator, settings: Settings) -> dict[str, Any]:
    """Warm-up, then cold-token runs (counting token requests), then warm runs; one loop."""
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    await _abatch_wall(chat, prompts)  # warm-up: connections and token
    cold, tokens, chats = [], [], []
    for _ in range(settings.batch_repeats):
        clear_token_cache()
        emu.reset()
        cold.append(await _abatch_wall(chat, prompts))
        tokens.append(emu.stats.token_requests)
        chats.append(emu.stats.requests.get(CHAT_PATH, 0))
    warm = [await _abatch_wall(chat, prompts) for _ in range(settings.batch_repeats)]
    await chat.client.aclose()
    return {"cold": cold, "warm": warm, "token_requests": tokens, "chat_requests": chats}


async def _bare_httpx_walls(url: str, settings: Settings, pools: int = 1) -> list[float]:
    """The same 64 posts through bare httpx.AsyncClients (one pool, or ``pools`` used in turn
    as cnllm.transport does): the floor this machine and emulator allow."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=POOL_SIZE)
    clients = [httpx.AsyncClient(limits=limits, timeout=60) for _ in range(pools)]

    async def one(index: int) -> None:
        client = clients[index % pools]
        (await client.post(url, json=BARE_BODY)).raise_for_status()

    async def batch() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(one(index) for index in range(settings.batch_size)))
        return time.perf_counter() - start

    try:
        await batch()  # warm-up: connections
        return [await batch() for _ in range(settings.batch_repeats)]
    finally:
        for client in clients:
            await client.aclose()


def _sync_batch_tokens(emu: RemoteEmulator, settings: Settings) -> list[int]:
    """The thread-pool path: chat.batch of first calls, counting token requests."""
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    counts = []
    for _ in range(settings.batch_repeats):
        clear_token_cache()
        emu.reset()
        chat.batch(prompts, config={"max_concurrency": len(prompts)})
        counts.append(emu.stats.token_requests)
    chat.client.close()
    return counts


def bench_batch(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    emu.latency = BATCH_LATENCY
    bare = asyncio.run(_bare_httpx_walls(bare_chat_url(emu), settings))
    floor = asyncio.run(_bare_httpx_walls(bare_chat_url(emu), settings, ASYNC_SHARDS))
    runs = asyncio.run(_abatch_runs(emu, settings))
    sync_tokens = _sync_batch_tokens(emu, settings)
    n = settings.batch_size
    return [
        _batch_row(f"(b) abatch {n}, warm (token cached)", runs["warm"], 1, bare, floor),
        _batch_row(f"(b) abatch {n}, cold (after clear_token_cache())", runs["cold"], 2, None),
        _token_row(
            f"(c) token requests, {n} concurrent first calls (abatch)",
            runs["token_requests"],
            runs["chat_requests"],
        ),
        _token_row(
            f"(c) token requests, {n} concurrent first calls (sync batch)", sync_tokens, None
        ),
    ]


def _batch_row(
    name: str,
    walls: list[float],
    round_trips: int,
    bare: list[float] | None,
    floor: list[float] | None = None,
) -> Row:
    ideal = round_trips * BATCH_LATENCY
    wall = statistics.median(walls)
    ratio = wall / ideal
    baseline = f"{ideal * 1000:.0f} ms ideal ({'call' if round_trips == 1 else 'token + call'})"
    data: dict[str, Any] = {"walls_s": walls, "ideal_s": ideal, "ratio": ratio}
    if bare is not None:
        bare_wall = statistics.median(bare)
        baseline += f"; bare httpx gather: {ms(bare_wall)} ({bare_wall / ideal:.2f}x)"
        data.update(bare_httpx_walls_s=bare, ours_over_bare_httpx=wall / bare_wall)
    if floor is not None:
        floor_wall = statistics.median(floor)
        baseline += (
            f"; bare httpx over {ASYNC_SHARDS} pools: {ms(floor_wall)} ({floor_wall / ideal:.2f}x)"
        )
        data.update(bare_sharded_walls_s=floor, ours_over_bare_sharded=wall / floor_wall)
    return Row(
        f"{name}, {BATCH_LATENCY * 1000:.0f} ms latency",
        f"{ms(wall)} (median of {len(walls)})",
        baseline,
        f"{ratio:.2f}x",
        f"≤ {BATCH_TARGET:.1f}x",
        ratio <= BATCH_TARGET,
        data,
    )


def _token_row(name: str, tokens: list[int], chats: list[int] | None) -> Row:
    runs = ", ".join(str(count) for count in tokens)
    return Row(
        name,
        f"{max(tokens)} (per run: {runs})",
        "—",
        str(max(tokens)),
        "= 1",
        all(count == 1 for count in tokens),
        {"token_requests": tokens, "chat_requests": chats},
    )


# -- (d) time to first chunk ------------------------------------------------------------------


def _stream_once(chat: ChatQianfan) -> float:
    start = time.perf_counter()
    chunks = iter(chat.stream(PROMPT))
    next(chunks)
    first = time.perf_counter() - start
    for _ in chunks:  # read to the end, so the connection goes back to the pool
        pass
    return first


async def _astream_once(chat: ChatQianfan) -> float:
    start = time.perf_counter()
    chunks = chat.astream(PROMPT)
    await chunks.__anext__()
    first = time.perf_counter() - start
    async for _ in chunks:
        pass
    return first


async def _astream_runs(chat: ChatQianfan, warmup: int, runs: int) -> list[float]:
    for _ in range(warmup):
        await _astream_once(chat)
    firsts = [await _astream_once(chat) for _ in range(runs)]
    await chat.client.aclose()
    return firsts


def bench_stream(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    emu.latency, emu.chunk_interval = STREAM_LATENCY, STREAM_CHUNK_INTERVAL
    chat = our_chat(emu)
    for _ in range(2):
        _stream_once(chat)
    sync = [_stream_once(chat) for _ in range(settings.stream_runs)]
    async_ = asyncio.run(_astream_runs(chat, 2, settings.stream_runs))
    emu.chunk_interval = 0.0
    return [_stream_row("stream", sync), _stream_row("astream", async_)]


def _stream_row(kind: str, firsts: list[float]) -> Row:
    median = statistics.median(firsts)
    extra = median - STREAM_LATENCY
    return Row(
        f"(d) {kind}: time to first chunk, median of {len(firsts)}",
        ms(median),
        f"{STREAM_LATENCY * 1000:.0f} ms first-chunk delay",
        f"{extra * 1000:+.2f} ms",
        f"≤ +{STREAM_TARGET * 1000:.0f} ms",
        extra <= STREAM_TARGET,
        {"first_chunk_s": summary(firsts), "over_delay_s": extra},
    )


# -- extra: import and construction time -------------------------------------------------------

IMPORT_OURS = f"import langchain_cnllm; langchain_cnllm.ChatQianfan(model={MODEL!r})"
# The plain package: langchain_core loads its submodules lazily, so this imports little.
IMPORT_PACKAGE = "import langchain_core.language_models"
# What any LangChain chat model integration pays for its base class.
IMPORT_BASE_CLASS = "from langchain_core.language_models import BaseChatModel"


def _python_wall(code: str) -> float:
    env = {**os.environ, "QIANFAN_AK": AK, "QIANFAN_SK": SK}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def bench_import(settings: Settings) -> list[Row]:
    codes = {"ours": IMPORT_OURS, "package": IMPORT_PACKAGE, "base_class": IMPORT_BASE_CLASS}
    walls: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(settings.import_runs):  # interleaved, like (a)
        for name, code in codes.items():
            walls[name].append(_python_wall(code))
    ours = min(walls["ours"])  # best of n: start-up noise only ever adds time
    return [
        _import_row(ours, walls, "package", IMPORT_PACKAGE),
        _import_row(ours, walls, "base_class", IMPORT_BASE_CLASS),
    ]


def _import_row(ours: float, walls: dict[str, list[float]], key: str, code: str) -> Row:
    base = min(walls[key])
    return Row(
        f"import + construct ChatQianfan, fresh process, best of {len(walls[key])}",
        ms(ours),
        f"`{code}`: {ms(base)}",
        f"{(ours - base) * 1000:+.1f} ms",
        "— (figure)",
        None,
        {
            "ours_s": walls["ours"],
            "baseline_s": walls[key],
            "baseline_code": code,
            "extra_s": ours - base,
        },
    )


# -- report -----------------------------------------------------------------------------------

HEADER = ("benchmark", "ours", "baseline", "ratio/figure", "target", "PASS/FAIL")


def markdown(rows: list[Row]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    lines = [line(HEADER), line(tuple("---" for _ in HEADER))]
    lines += [
        line((row.benchmark, row.ours, row.baseline, row.figure, row.target, row.status))
        for row in rows
    ]
    return "\n".join(lines)


def environment(settings: Settings) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "mode": "quick" if settings.quick else "full",
        "langchain-core": metadata.version("langchain-core"),
        "requests": metadata.version("requests"),
        "httpx": metadata.version("httpx"),
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
        json.dump(payload, out, ensure_ascii=False, indent=2)


def run(settings: Settings) -> list[Row]:
    rows: list[Row] = []
    with RemoteEmulator(latency=INVOKE_LATENCY) as emu:
        with section("(a) sequential invoke"):
            rows += bench_invoke(emu, settings)
        with section("(b)/(c) concurrent batches"):
            rows += bench_batch(emu, settings)
        with section("(d) time to first chunk"):
            rows += bench_stream(emu, settings)
    with section("import time"):
        rows += bench_import(settings)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples (about 30 s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    settings = Settings.make(args.quick)
    start = time.perf_counter()
    rows = run(settings)
    seconds = time.perf_counter() - start
    env = environment(settings)
    print(
        f"\nPython {env['python']} on {env['platform']}, {env['cpus']} CPUs; "
        f"{env['mode']} mode; {seconds:.0f} s\n"
    )
    print(markdown(rows))
    targets = [row for row in rows if row.passed is not None]
    passed = sum(1 for row in targets if row.passed)
    print(f"\n{passed}/{len(targets)} targets met.")
    if args.json:
        write_json(args.json, settings, rows, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
