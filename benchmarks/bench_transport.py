"""The async transport against a bare aiohttp gather, and the rate budget, in one run.

Run from the repository root (``python -m benchmarks`` runs these rows with all the others)::

    python -m benchmarks.bench_transport [--quick] [--only batch,rate]

``batch`` (issue 10 §2): ``ChatQianfan.abatch`` of 64 prompts and a bare
``aiohttp.ClientSession`` gather of the same 64 POSTs, against the emulator in its own process
at 200 ms latency, interleaved, warm (token and connections). Target: ours / bare ≤ 1.15x
(median walls). Also a figure: the sync ``batch`` (a thread pool over requests) against the
ideal.

``rate`` (issue 15 §2): 3,000 texts (120 Koala embedding requests of 25) through an emulator
that allows 20 requests per second (its throttling error beyond), sync (16 threads) and async
(all at once), with the rate budget configured at 20/s and with none configured (adaptive
only). Targets: 0 failures, vectors in order, ≤ 1.5x the ideal 6 s, ≤ 25% of requests
throttled. Prints; asserts nothing; exits 0.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp

from benchmarks._common import Group, RemoteEmulator, Row, Settings, cli, ms, timed
from benchmarks.run import BARE_BODY, BATCH_LATENCY, bare_chat_url, batch_prompts, our_chat

TARGET = 1.15
RATE, PER_REQUEST, RATE_LATENCY = 20, 25, 0.050
EMBED_MODEL = "text2vec-large-chinese"


# -- abatch against a bare aiohttp gather -------------------------------------------------------


async def bare_gather_wall(session: aiohttp.ClientSession, url: str, n: int) -> float:
    """n POSTs of the chat body gathered through one bare aiohttp session: the floor."""

    async def one() -> None:
        async with session.post(url, json=BARE_BODY) as response:
            response.raise_for_status()
            await response.json()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - start


async def _walls(emu: RemoteEmulator, settings: Settings) -> dict[str, list[float]]:
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    url = bare_chat_url(emu)
    config = {"max_concurrency": len(prompts)}

    async def ours() -> float:
        start = time.perf_counter()
        results = await chat.abatch(prompts, config=config)  # type: ignore[arg-type]
        assert len(results) == len(prompts)
        return time.perf_counter() - start

    walls: dict[str, list[float]] = {"ours": [], "bare": []}
    async with aiohttp.ClientSession() as session:
        await ours()  # warm-up: token and connections, both sides
        await bare_gather_wall(session, url, len(prompts))
        for _ in range(settings.batch_repeats):  # interleaved: both see the same machine load
            walls["ours"].append(await ours())
            walls["bare"].append(await bare_gather_wall(session, url, len(prompts)))
    await chat.client.aclose()
    return walls


def _sync_walls(emu: RemoteEmulator, settings: Settings) -> list[float]:
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    chat.batch(prompts[:8])  # warm-up
    config = {"max_concurrency": len(prompts)}
    walls = [
        timed(lambda: chat.batch(prompts, config=config))  # type: ignore[arg-type]
        for _ in range(settings.batch_repeats)
    ]
    chat.client.close()
    return walls


def bench_batch(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    emu.latency = BATCH_LATENCY
    walls = asyncio.run(_walls(emu, settings))
    sync = statistics.median(_sync_walls(emu, settings))
    ours, bare = statistics.median(walls["ours"]), statistics.median(walls["bare"])
    n, runs = settings.batch_size, len(walls["ours"])
    latency = f"{BATCH_LATENCY * 1000:.0f} ms latency"
    return [
        Row(
            f"(b) abatch {n}, warm, {latency}",
            f"{ms(ours)} ({ours / BATCH_LATENCY:.2f}x ideal; median of {runs})",
            f"bare aiohttp gather {ms(bare)} ({bare / BATCH_LATENCY:.2f}x ideal)",
            f"{ours / bare:.3f}x",
            f"≤ {TARGET:.2f}x",
            ours / bare <= TARGET,
            {"ours_s": walls["ours"], "bare_s": walls["bare"]},
        ),
        Row(
            f"(b) sync batch {n} (thread pool), warm, {latency}",
            f"{ms(sync)}",
            f"{BATCH_LATENCY * 1000:.0f} ms ideal",
            f"{sync / BATCH_LATENCY:.2f}x ideal",
            "— (figure)",
            None,
            {"sync_s": sync},
        ),
    ]


# -- the rate budget ------------------------------------------------------------------------------


def _embed_requests(base_url: str, texts: int) -> list[Any]:
    from cnllm.transport import HttpRequest

    url = f"{base_url}/v1/embeddings"
    data = [f"第 {index} 段文字" for index in range(texts)]
    batches = [data[at : at + PER_REQUEST] for at in range(0, texts, PER_REQUEST)]
    return [HttpRequest("POST", url, json={"model": EMBED_MODEL, "input": b}) for b in batches]


def _safe(call: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(request: Any) -> Any:
        try:
            return call(request)
        except Exception:
            return None

    return run


def _send_all(transport: Any, batch: list[Any], mode: str) -> list[Any]:
    """Every request through the transport (None for a failure): 16 threads, or all at once."""
    if mode == "sync":
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(_safe(transport.request), batch))

    async def everything() -> list[Any]:
        async def one(request: Any) -> Any:
            try:
                return await transport.arequest(request)
            except Exception:
                return None

        try:
            return await asyncio.gather(*(one(request) for request in batch))
        finally:
            await transport.aclose()

    return asyncio.run(everything())


def bench_rate(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    """Through what users call (``KoalaEmbeddings.embed_documents`` / ``aembed_documents`` at
    the class's defaults, its ``max_concurrency`` included), with the budget set and without."""
    from benchmarks import bench_ratelimit as real

    texts = real._texts(settings.rate_texts)
    calls = -(-len(texts) // PER_REQUEST)
    ideal = calls / RATE
    with emu.configured(latency=RATE_LATENCY):
        sample = real._langchain(emu, None)
        expected = {0: real._reference(sample, texts[:3]), -1: real._reference(sample, texts[-3:])}
    rows = []
    with emu.configured(rate_limit=RATE, latency=RATE_LATENCY):
        for limit in (RATE, None):
            for mode in ("sync", "async"):
                run = real.run_one(emu, real._langchain, mode, limit, texts)
                vectors = run.pop("vectors")
                in_order = vectors[:3] == expected[0] and vectors[-3:] == expected[-1]
                sent = calls + run["throttled"]
                ratio, share = run["wall"] / ideal, run["throttled"] / sent
                failures = 1 if run["failure"] else 0
                ok = not failures and in_order and ratio <= 1.5 and share <= 0.25
                budget = f"budget {RATE}/s" if limit else "no budget set (adaptive)"
                rows.append(
                    Row(
                        f"rate budget, KoalaEmbeddings, {len(texts):,} texts at {RATE} rps, "
                        f"{mode}, {budget}",
                        f"{run['wall']:.2f} s, {run['failure'] or '0 failures'}, in order: "
                        f"{in_order}, throttled {run['throttled']}/{sent} ({share:.0%})",
                        f"{ideal:.1f} s ideal",
                        f"{ratio:.2f}x ideal",
                        "≤ 1.5x ideal, ≤ 25% throttled, 0 failures",
                        ok,
                        {**run, "in_order": in_order, "sent": sent},
                    )
                )
    return rows


GROUPS: dict[str, Group] = {"batch": bench_batch, "rate": bench_rate}


def main(argv: list[str] | None = None) -> int:
    return cli(GROUPS, argv, "python -m benchmarks.bench_transport", __doc__)


if __name__ == "__main__":
    sys.exit(main())
