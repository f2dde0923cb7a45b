"""`python -m benchmarks --quick --tiny` runs every benchmark row and reports a number for each.

Timings are never asserted (performance is not a test); this only proves that the one entry
point still runs end to end and that no row went missing or came out without a figure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Every row the full run reports, by the start of its name (and how many of each).
EXPECTED = {
    "(a) invoke, ": 1,
    "(a) invoke vs langchain-community": 1,
    "(b) abatch 16, warm": 1,
    "(b) sync batch": 1,
    "(b) abatch 16, cold": 1,
    "(c) token requests": 2,
    "(d) stream": 1,
    "(d) astream": 1,
    "embeddings: DashScopeEmbeddings": 4,
    "rate budget": 4,
    "import cost": 7,
    "rerank": 2,
}
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def test_every_row_is_produced_with_a_number(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "benchmarks", "--quick", "--tiny", "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text(encoding="utf-8"))["results"]
    names = [row["benchmark"] for row in rows]
    for prefix, count in EXPECTED.items():
        assert sum(name.startswith(prefix) for name in names) == count, (prefix, names)
    assert len(rows) == sum(EXPECTED.values())
    for row in rows:
        # A peer (langchain-community) missing from the peer interpreter is the only excuse.
        if "skipped:" in row["baseline"]:
            assert "langchain-community" in row["benchmark"], row
            continue
        assert NUMBER.search(row["figure"]), row
        assert row["status"] in {"PASS", "FAIL", "—"}, row
    assert "| row | measured | target | ratio | PASS/FAIL |" in done.stdout
