"""Splitting a large rerank call: concurrent requests against one-at-a-time, one run.

Run from the repository root::

    python -m benchmarks.bench_rerank

320 documents to QianfanRerank (64 per request: 5 requests) with the emulator answering after
200 ms. Printed: the wall time with ``max_concurrency=1`` and with the default (4), sync
(threads) and async (tasks), and their ratio. Nothing asserts; the ratio is the figure.
"""

from __future__ import annotations

import asyncio
import time

from langchain_core.documents import Document

from cnllm.emulator import Emulator
from langchain_cnllm import QianfanRerank

LATENCY = 0.200
DOCUMENTS = [Document(page_content=f"第{i}号文件：上海交通与天气的记录。") for i in range(320)]
QUERY = "上海天气"


def _timed_sync(reranker: QianfanRerank) -> float:
    started = time.perf_counter()
    reranker.compress_documents(DOCUMENTS, QUERY)
    return time.perf_counter() - started


async def _timed_async(reranker: QianfanRerank) -> float:
    started = time.perf_counter()
    await reranker.acompress_documents(DOCUMENTS, QUERY)
    return time.perf_counter() - started


def main() -> None:
    with Emulator(latency=LATENCY) as emulator:
        settings = {"api_key": "bench-key", "base_url": f"{emulator.base_url}/v2", "top_n": 3}
        one = QianfanRerank(max_concurrency=1, **settings)
        four = QianfanRerank(**settings)
        _timed_sync(four)  # warm the connection pools
        rows = [
            ("sync", _timed_sync(one), _timed_sync(four)),
            ("async", asyncio.run(_timed_async(one)), asyncio.run(_timed_async(four))),
        ]
    latency = f"{LATENCY * 1000:.0f} ms"
    print(f"rerank of {len(DOCUMENTS)} documents = 5 requests, emulator latency {latency}")
    print("| path | max_concurrency=1 | max_concurrency=4 | ratio |")
    print("|---|---|---|---|")
    for name, sequential, concurrent in rows:
        print(
            f"| {name} | {sequential:.2f} s | {concurrent:.2f} s | {sequential / concurrent:.1f}x |"
        )


if __name__ == "__main__":
    main()
