"""Every benchmark row in one run, one table: ``python -m benchmarks``.

Run from the repository root::

    python -m benchmarks                  # full run, about 3-4 minutes on 2 CPUs
    python -m benchmarks --quick          # fewer samples and smaller jobs, under a minute
    python -m benchmarks --only batch,rate --json out.json
    python -m benchmarks --peer-python /path/to/peer-venv/bin/python

One emulator process serves every row (each group sets the latency it needs); the peers
(langchain-community) run in ``--peer-python``. The table has one line per row: what was
measured against what baseline, the target, the ratio (or difference) and PASS/FAIL. Nothing
asserts; it exits 0. benchmarks/README.md says what each row means.
"""

from __future__ import annotations

import sys

from benchmarks import bench_embeddings, bench_import, bench_rerank, bench_transport, run
from benchmarks._common import Group, cli

GROUPS: dict[str, Group] = {
    "invoke": run.GROUPS["invoke"],  # (a)
    "batch": bench_transport.GROUPS["batch"],  # (b) warm, against a bare aiohttp gather
    "tokens": run.GROUPS["tokens"],  # (b) cold, (c)
    "stream": run.GROUPS["stream"],  # (d)
    **bench_embeddings.GROUPS,
    "rate": bench_transport.GROUPS["rate"],
    "import": bench_import.GROUPS["import"],
    "rerank": bench_rerank.GROUPS["rerank"],
}


def main(argv: list[str] | None = None) -> int:
    return cli(GROUPS, argv, "python -m benchmarks", __doc__)


if __name__ == "__main__":
    sys.exit(main())
