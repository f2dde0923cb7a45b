"""Splitting a large rerank call: concurrent requests against one-at-a-time, one run.

Run from the repository root (``python -m benchmarks`` runs these rows with all the others)::

    python -m benchmarks.bench_rerank [--quick]

320 documents to QianfanRerank (64 per request: 5 requests) with the emulator answering after
200 ms. The wall time with ``max_concurrency=1`` against the default (4), sync (threads) and
async (tasks); the ratio is the figure (ideal: 5 round trips against 2, 2.5x). Nothing asserts.
"""

from __future__ import annotations

import asyncio
import sys

from langchain_core.documents import Document

from benchmarks._common import Group, RemoteEmulator, Row, Settings, cli, timed
from langchain_cnllm import QianfanRerank

LATENCY = 0.200
QUERY = "上海天气"


def bench_rerank(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    documents = [
        Document(page_content=f"第{i}号文件：上海交通与天气的记录。")
        for i in range(settings.rerank_documents)
    ]
    emu.latency = LATENCY
    common = {"api_key": "bench-key", "base_url": f"{emu.base_url}/v2", "top_n": 3}
    one = QianfanRerank(max_concurrency=1, **common)
    four = QianfanRerank(**common)
    four.compress_documents(documents, QUERY)  # warm the connection pools

    def sync(reranker: QianfanRerank) -> float:
        return timed(lambda: reranker.compress_documents(documents, QUERY))

    def async_(reranker: QianfanRerank) -> float:
        return timed(lambda: asyncio.run(reranker.acompress_documents(documents, QUERY)))

    rows = []
    for path, wall in (("sync", sync), ("async", async_)):
        sequential, concurrent = wall(one), wall(four)
        rows.append(
            Row(
                f"rerank {len(documents)} documents ({-(-len(documents) // 64)} requests), "
                f"{path}, {LATENCY * 1000:.0f} ms latency",
                f"max_concurrency=4: {concurrent:.2f} s",
                f"max_concurrency=1: {sequential:.2f} s",
                f"{sequential / concurrent:.2f}x faster",
                "— (figure)",
                None,
                {"sequential_s": sequential, "concurrent_s": concurrent},
            )
        )
    return rows


GROUPS: dict[str, Group] = {"rerank": bench_rerank}


def main(argv: list[str] | None = None) -> int:
    return cli(GROUPS, argv, "python -m benchmarks.bench_rerank", __doc__)


if __name__ == "__main__":
    sys.exit(main())
