"""The async transport against a bare aiohttp gather, in one run (issue 10 §2).

Run from the repository root::

    python -m benchmarks.bench_transport [--repeats N]

``ChatQianfan.abatch`` of 64 prompts and a bare ``aiohttp.ClientSession`` gather of the same 64
POSTs, against the emulator in its own process at 200 ms latency, interleaved, warm (token and
connections). Target: ours / bare ≤ 1.15x (median walls). Also printed: the sync ``batch`` (a
thread pool over requests) against the ideal.

``--rate`` adds issue 15 §2: 3,000 texts (120 Koala embedding requests of 25) through an
emulator that allows 20 requests per second (its throttling error beyond), sync (16 threads)
and async (all at once), with the rate budget configured at 20/s and with none configured
(adaptive only). Targets: 0 failures, vectors in order, ≤ 1.5x the ideal 6 s, ≤ 25% of
requests throttled. Prints; asserts nothing; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import requests

from benchmarks.run import (
    BARE_BODY,
    BATCH_LATENCY,
    RemoteEmulator,
    Settings,
    bare_chat_url,
    batch_prompts,
    ms,
    our_chat,
    section,
)

TARGET = 1.15
RATE, TEXTS, PER_REQUEST, RATE_LATENCY = 20, 3000, 25, 0.050
EMBED_MODEL = "text2vec-large-chinese"


async def _bare_wall(session: aiohttp.ClientSession, url: str, n: int) -> float:
    async def one() -> None:
        async with session.post(url, json=BARE_BODY) as response:
            response.raise_for_status()
            await response.json()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - start


async def _walls(emu: RemoteEmulator, settings: Settings, repeats: int) -> dict[str, list[float]]:
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
        await _bare_wall(session, url, len(prompts))
        for _ in range(repeats):  # interleaved: both see the same machine load
            walls["ours"].append(await ours())
            walls["bare"].append(await _bare_wall(session, url, len(prompts)))
    await chat.client.aclose()
    return walls


def _sync_walls(emu: RemoteEmulator, settings: Settings, repeats: int) -> list[float]:
    chat = our_chat(emu)
    prompts = batch_prompts(settings)
    chat.batch(prompts[:8])  # warm-up
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        chat.batch(prompts, config={"max_concurrency": len(prompts)})
        walls.append(time.perf_counter() - start)
    chat.client.close()
    return walls


def _embed_requests(base_url: str) -> list[Any]:
    from cnllm.transport import HttpRequest

    url = f"{base_url}/v1/embeddings"
    texts = [f"第 {index} 段文字" for index in range(TEXTS)]
    batches = [texts[at : at + PER_REQUEST] for at in range(0, TEXTS, PER_REQUEST)]
    return [HttpRequest("POST", url, json={"model": EMBED_MODEL, "input": b}) for b in batches]


def _rate_run(emu: RemoteEmulator, mode: str, configured: bool) -> dict[str, Any]:
    from cnllm.koala.protocol import check_response
    from cnllm.ratelimit import RateLimiter
    from cnllm.retry import RetryPolicy
    from cnllm.transport import Transport

    limiter = RateLimiter(requests_per_second=RATE if configured else None)
    transport = Transport(
        check=check_response, vendor="koala", limiter=limiter, retry=RetryPolicy(max_retries=8)
    )
    batch = _embed_requests(emu.base_url)
    emu.reset()
    start = time.perf_counter()
    failures = 0
    answers: list[Any] = []
    if mode == "sync":
        with ThreadPoolExecutor(16) as pool:
            for outcome in pool.map(_safe(transport.request), batch):
                failures += outcome is None
                answers.append(outcome)
    else:

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

        answers = asyncio.run(everything())
        failures = sum(answer is None for answer in answers)
    wall = time.perf_counter() - start
    in_order = failures == 0 and all(
        [item["index"] for item in answer.json()["data"]] == list(range(PER_REQUEST))
        for answer in answers
    )
    stats = requests.get(f"{emu.base_url}/_emulator/stats", timeout=10).json()
    throttled = stats["counters"].get("throttled", 0)
    sent = throttled + len(batch)
    transport.close()
    return {
        "wall": wall,
        "failures": failures,
        "in_order": in_order,
        "throttled": throttled,
        "sent": sent,
    }


def _safe(call: Any) -> Any:
    def run(request: Any) -> Any:
        try:
            return call(request)
        except Exception:
            return None

    return run


def bench_rate(emu: RemoteEmulator) -> None:
    requests.post(f"{emu.base_url}/_emulator/config", json={"rate_limit": RATE}, timeout=10)
    emu.latency = RATE_LATENCY
    ideal = TEXTS / PER_REQUEST / RATE
    print(
        f"\n{TEXTS} texts in {TEXTS // PER_REQUEST} requests, server allows {RATE}/s "
        f"(ideal {ideal:.1f} s), latency {RATE_LATENCY * 1000:.0f} ms"
    )
    for configured in (True, False):
        for mode in ("sync", "async"):
            with section(f"rate budget, {mode}, {'configured' if configured else 'adaptive'}"):
                run = _rate_run(emu, mode, configured)
            ratio, share = run["wall"] / ideal, run["throttled"] / run["sent"]
            ok = run["failures"] == 0 and run["in_order"] and ratio <= 1.5 and share <= 0.25
            label = f"{mode}, {'limit 20/s' if configured else 'no limit set'}"
            print(
                f"  {label:<22} {run['wall']:.2f} s ({ratio:.2f}x ideal), "
                f"{run['failures']} failures, in order: {run['in_order']}, "
                f"throttled {run['throttled']}/{run['sent']} ({share:.0%}): "
                f"{'PASS' if ok else 'FAIL'}"
            )
    requests.post(f"{emu.base_url}/_emulator/config", json={"rate_limit": 0}, timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_transport")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rate", action="store_true", help="also the rate-budget rows")
    parser.add_argument("--rate-only", action="store_true", help="only the rate-budget rows")
    args = parser.parse_args(argv)
    if args.rate_only:
        with RemoteEmulator(latency=RATE_LATENCY) as emu:
            bench_rate(emu)
        return 0
    settings = Settings.make(quick=True)
    n = settings.batch_size
    with RemoteEmulator(latency=BATCH_LATENCY) as emu:
        with section(f"abatch {n} vs bare aiohttp gather"):
            walls = asyncio.run(_walls(emu, settings, args.repeats))
        with section(f"sync batch {n}"):
            sync = _sync_walls(emu, settings, args.repeats)
    ours, bare = statistics.median(walls["ours"]), statistics.median(walls["bare"])
    ratio = ours / bare
    print(f"{n} concurrent calls, emulator latency {BATCH_LATENCY * 1000:.0f} ms")
    print(f"  abatch (ours, aiohttp):  {ms(ours)} median ({ours / BATCH_LATENCY:.2f}x ideal)")
    print(f"  bare aiohttp gather:     {ms(bare)} median ({bare / BATCH_LATENCY:.2f}x ideal)")
    print(f"  ours / bare:             {ratio:.3f}x (target <= {TARGET}x): ", end="")
    print("PASS" if ratio <= TARGET else "FAIL")
    sync_wall = statistics.median(sync)
    print(f"  sync batch (threads):    {ms(sync_wall)} median ({sync_wall / BATCH_LATENCY:.2f}x)")
    if args.rate:
        with RemoteEmulator(latency=RATE_LATENCY) as emu:
            bench_rate(emu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
