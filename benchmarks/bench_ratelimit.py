"""The rate budget through the real classes (issue 15 §2), in one run.

Run from the repository root::

    python -m benchmarks.bench_ratelimit [--texts 3000]

3,000 texts (120 requests of 25) through an emulator (its own process, 50 ms latency) that
allows 20 requests per second and answers Koala's throttling error beyond, embedded by what
users call: LangChain ``KoalaEmbeddings.embed_documents`` / ``aembed_documents`` and LlamaIndex
``KoalaEmbedding.get_text_embedding_batch`` / ``aget_text_embedding_batch``, each with the
budget set (``requests_per_second=20``) and with none set (adaptive only), every class at its
defaults otherwise (``max_retries=2``, its own ``max_concurrency``). Targets: 0 failures,
vectors in order, ≤ 1.5x the ideal time (requests / 20 s), ≤ 25% of requests throttled.
Prints; asserts nothing; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from benchmarks.run import RemoteEmulator, section

RATE, PER_REQUEST, LATENCY = 20, 25, 0.050
TARGET_WALL, TARGET_THROTTLED = 1.5, 0.25


def _texts(n: int) -> list[str]:
    return [f"第 {index} 段文字" for index in range(n)]


def _langchain(emu: RemoteEmulator, limit: float | None) -> Any:
    from langchain_cnllm import KoalaEmbeddings

    return KoalaEmbeddings(
        base_url=f"{emu.base_url}/v1", batch_size=PER_REQUEST, requests_per_second=limit
    )


def _llamaindex(emu: RemoteEmulator, limit: float | None) -> Any:
    from llamaindex_cnllm import KoalaEmbedding

    return KoalaEmbedding(
        base_url=f"{emu.base_url}/v1", embed_batch_size=PER_REQUEST, requests_per_second=limit
    )


def _embed(model: Any, mode: str, texts: list[str]) -> list[list[float]]:
    if hasattr(model, "embed_documents"):
        if mode == "sync":
            return model.embed_documents(texts)  # type: ignore[no-any-return]
        return asyncio.run(_closing(model, model.aembed_documents(texts)))
    if mode == "sync":
        return model.get_text_embedding_batch(texts)  # type: ignore[no-any-return]
    return asyncio.run(_closing(model, model.aget_text_embedding_batch(texts)))


async def _closing(model: Any, work: Any) -> Any:
    try:
        return await work
    finally:
        await model.client.aclose()


def _reference(model: Any, texts: list[str]) -> list[list[float]]:
    """The vectors one at a time, unthrottled: what "in order" is checked against."""
    return [model.client.embed(model_name(model), [text]).vectors[0] for text in texts]


def model_name(model: Any) -> str:
    return str(getattr(model, "model", None) or model.model_name)


def run_one(
    emu: RemoteEmulator,
    build: Callable[[RemoteEmulator, float | None], Any],
    mode: str,
    limit: float | None,
    texts: list[str],
) -> dict[str, Any]:
    from cnllm.ratelimit import clear_shared_limiters

    clear_shared_limiters()  # every run starts from a fresh budget
    model = build(emu, limit)
    requests.post(f"{emu.base_url}/_emulator/reset", json={}, timeout=10)
    time.sleep(1.1)  # the server's bucket refills
    start = time.perf_counter()
    failure = ""
    try:
        vectors = _embed(model, mode, texts)
    except Exception as error:  # a failure is a result here
        vectors, failure = [], f"{type(error).__name__}: {str(error)[:80]}"
    wall = time.perf_counter() - start
    stats = requests.get(f"{emu.base_url}/_emulator/stats", timeout=10).json()
    model.client.close()
    return {
        "wall": wall,
        "vectors": vectors,
        "failure": failure,
        "throttled": stats["counters"].get("throttled", 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ratelimit")
    parser.add_argument("--texts", type=int, default=3000)
    args = parser.parse_args(argv)
    texts = _texts(args.texts)
    calls = -(-len(texts) // PER_REQUEST)
    ideal = calls / RATE
    with RemoteEmulator(latency=LATENCY) as emu:
        sample = _langchain(emu, None)
        expected = {0: _reference(sample, texts[:3]), -1: _reference(sample, texts[-3:])}
        requests.post(f"{emu.base_url}/_emulator/config", json={"rate_limit": RATE}, timeout=10)
        print(
            f"\n{len(texts)} texts in {calls} requests of {PER_REQUEST}; server allows "
            f"{RATE}/s (ideal {ideal:.1f} s), latency {LATENCY * 1000:.0f} ms"
        )
        for name, build in (("KoalaEmbeddings", _langchain), ("KoalaEmbedding (LI)", _llamaindex)):
            for limit in (RATE, None):
                for mode in ("sync", "async"):
                    label = f"{name}, {mode}, {'limit 20/s' if limit else 'no limit set'}"
                    with section(label):
                        run = run_one(emu, build, mode, limit, texts)
                    _report(label, run, calls, ideal, expected)
        requests.post(f"{emu.base_url}/_emulator/config", json={"rate_limit": 0}, timeout=10)
    return 0


def _report(
    label: str, run: dict[str, Any], calls: int, ideal: float, expected: dict[int, Any]
) -> None:
    vectors = run["vectors"]
    in_order = bool(vectors) and vectors[:3] == expected[0] and vectors[-3:] == expected[-1]
    sent = calls + run["throttled"]
    share, ratio = run["throttled"] / sent, run["wall"] / ideal
    ok = not run["failure"] and in_order and ratio <= TARGET_WALL and share <= TARGET_THROTTLED
    print(
        f"  {label:<42} {run['wall']:6.2f} s ({ratio:.2f}x ideal), throttled "
        f"{run['throttled']}/{sent} ({share:.0%}), in order: {in_order}, "
        f"{run['failure'] or '0 failures'}: {'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    sys.exit(main())
