"""Client overhead of ChatQianfan, rows (a)–(d), against the emulator in its own process.

Run from the repository root (``python -m benchmarks`` runs these rows with all the others)::

    python -m benchmarks.run [--quick] [--only invoke,tokens,stream] [--json out.json]

Every figure is a ratio or a difference taken within one run, against a baseline measured in
the same run on the same emulator, so the numbers travel between machines better than absolute
times. Nothing here asserts: the script prints PASS/FAIL against each target and exits 0.
Row (b) warm (abatch against a bare aiohttp gather) is in ``bench_transport``; see
benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import requests
from langchain_core.language_models import LanguageModelInput

from benchmarks._common import (
    Group,
    RemoteEmulator,
    Row,
    Settings,
    cli,
    log,
    markdown,
    ms,
    peer_json,
    section,
    summary,
    timed,
)
from cnllm.qianfan.auth import clear_token_cache
from langchain_cnllm import ChatQianfan

__all__ = ["RemoteEmulator", "Row", "Settings", "log", "markdown", "section"]  # re-exported

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
BATCH_TARGET = 1.5  # cold abatch wall time / ideal
STREAM_TARGET = 0.020  # seconds over the emulator's first-chunk delay


def our_chat(emu: RemoteEmulator) -> ChatQianfan:
    return ChatQianfan(model=MODEL, api_key=AK, secret_key=SK, base_url=emu.base_url)


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


# langchain-community's QianfanChatEndpoint, in the peer interpreter, pointed at the emulator
# through the SDK's environment variables (set before the SDK is imported).
PEER_CODE = r"""
import json, logging, os, sys, time, warnings
base, model, prompt = sys.argv[1:4]
warmup, n = int(sys.argv[4]), int(sys.argv[5])
os.environ.update(QIANFAN_AK="bench-ak", QIANFAN_SK="bench-sk", QIANFAN_BASE_URL=base,
                  QIANFAN_QPS_LIMIT="0", QIANFAN_RPM_LIMIT="0", QIANFAN_TPM_LIMIT="0",
                  QIANFAN_LLM_API_RETRY_COUNT="1")
warnings.simplefilter("ignore")
logging.getLogger("qianfan").setLevel(logging.ERROR)
import qianfan
from langchain_community.chat_models import QianfanChatEndpoint
qianfan.disable_log()
chat = QianfanChatEndpoint(model=model)
for _ in range(warmup):
    chat.invoke(prompt)
samples = []
for _ in range(n):
    start = time.perf_counter()
    chat.invoke(prompt)
    samples.append(time.perf_counter() - start)
from importlib import metadata
found = ", ".join(f"{v} {metadata.version(v)}" for v in ["langchain-community", "qianfan"])
print(json.dumps({"samples": samples, "versions": found}))
"""


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
    for caller in callers.values():
        for _ in range(settings.warmup_calls):
            caller()
    stats = {
        name: summary(values)
        for name, values in interleaved(callers, settings.sequential_calls).items()
    }
    n, warmup = settings.sequential_calls, settings.warmup_calls
    peer, note = peer_json(settings.peer_python, PEER_CODE, emu.base_url, MODEL, PROMPT, warmup, n)
    theirs = summary(peer["samples"]) if peer else None
    return [
        _invoke_row(stats["ours"], stats["bare"], n),
        _community_row(stats["ours"], theirs, peer["versions"] if peer else note),
    ]


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
    name = "(a) invoke vs langchain-community QianfanChatEndpoint (its own interpreter)"
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


# -- (b) cold abatch and (c) token single-flight -----------------------------------------------


def batch_prompts(settings: Settings) -> list[LanguageModelInput]:
    return [f"{PROMPT} {index}" for index in range(settings.batch_size)]


async def _abatch_wall(chat: ChatQianfan, prompts: list[LanguageModelInput]) -> float:
    start = time.perf_counter()
    results = await chat.abatch(prompts, config={"max_concurrency": len(prompts)})
    assert len(results) == len(prompts)
    return time.perf_counter() - start


async def _cold_abatch_runs(emu: RemoteEmulator, settings: Settings) -> dict[str, Any]:
    """Warm-up, then runs right after clear_token_cache(), counting token requests; one loop."""
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    await _abatch_wall(chat, prompts)  # warm-up: connections and token
    cold, tokens, chats = [], [], []
    for _ in range(settings.batch_repeats):
        clear_token_cache()
        emu.reset()
        cold.append(await _abatch_wall(chat, prompts))
        stats = emu.stats
        tokens.append(stats.token_requests)
        chats.append(stats.requests.get(CHAT_PATH, 0))
    await chat.client.aclose()
    return {"cold": cold, "token_requests": tokens, "chat_requests": chats}


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


def bench_tokens(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    emu.latency = BATCH_LATENCY
    runs = asyncio.run(_cold_abatch_runs(emu, settings))
    sync_tokens = _sync_batch_tokens(emu, settings)
    n = settings.batch_size
    return [
        _cold_row(f"(b) abatch {n}, cold (after clear_token_cache())", runs["cold"]),
        _token_row(f"(c) token requests, {n} concurrent first calls (abatch)", runs),
        _token_row(
            f"(c) token requests, {n} concurrent first calls (sync batch)",
            {"token_requests": sync_tokens, "chat_requests": None},
        ),
    ]


def _cold_row(name: str, walls: list[float]) -> Row:
    ideal = 2 * BATCH_LATENCY  # the emulator applies its latency to the token endpoint too
    wall = statistics.median(walls)
    return Row(
        f"{name}, {BATCH_LATENCY * 1000:.0f} ms latency",
        f"{ms(wall)} (median of {len(walls)})",
        f"{ideal * 1000:.0f} ms ideal (token + call)",
        f"{wall / ideal:.2f}x",
        f"≤ {BATCH_TARGET:.1f}x",
        wall / ideal <= BATCH_TARGET,
        {"walls_s": walls, "ideal_s": ideal},
    )


def _token_row(name: str, runs: dict[str, Any]) -> Row:
    tokens: list[int] = runs["token_requests"]
    return Row(
        name,
        f"{max(tokens)} (per run: {', '.join(str(count) for count in tokens)})",
        "—",
        str(max(tokens)),
        "= 1",
        all(count == 1 for count in tokens),
        {"token_requests": tokens, "chat_requests": runs["chat_requests"]},
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
    with emu.configured(latency=STREAM_LATENCY, chunk_interval=STREAM_CHUNK_INTERVAL):
        chat = our_chat(emu)
        for _ in range(2):
            _stream_once(chat)
        sync = [_stream_once(chat) for _ in range(settings.stream_runs)]
        async_ = asyncio.run(_astream_runs(chat, 2, settings.stream_runs))
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


GROUPS: dict[str, Group] = {"invoke": bench_invoke, "tokens": bench_tokens, "stream": bench_stream}


def main(argv: list[str] | None = None) -> int:
    return cli(GROUPS, argv, "python -m benchmarks.run", __doc__)


if __name__ == "__main__":
    sys.exit(main())
