"""The async transport against a bare aiohttp gather, in one run (issue 10 §2).

Run from the repository root::

    python -m benchmarks.bench_transport [--repeats N]

``ChatQianfan.abatch`` of 64 prompts and a bare ``aiohttp.ClientSession`` gather of the same 64
POSTs, against the emulator in its own process at 200 ms latency, interleaved, warm (token and
connections). Target: ours / bare ≤ 1.15x (median walls). Also printed: the sync ``batch`` (a
thread pool over requests) against the ideal. Prints; asserts nothing; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import aiohttp

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_transport")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
