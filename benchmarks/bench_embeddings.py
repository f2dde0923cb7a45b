"""Embedding throughput: 2,000 short texts at 50 ms emulator latency, measured in one run.

Run from the repository root::

    python -m benchmarks.bench_embeddings [--quick] [--peer-python PATH]

Rows (each a ratio taken in this run, against the same emulator in its own process):

- ours vs langchain-community's DashScopeEmbeddings / QianfanEmbeddingsEndpoint (target: ours
  at least 4x faster). The peers need langchain-community plus the dashscope / qianfan SDKs;
  they run in a subprocess of ``--peer-python`` (default: this interpreter), pointed at the
  emulator through the SDKs' environment variables as benchmarks/run.py does for
  QianfanChatEndpoint. A missing peer makes its row say "skipped".
- ours vs the floor: 8 threads of bare ``requests`` sending the same batches (nothing can
  beat it by much on 2 CPUs), and vs the same bare requests one after another (what a
  sequential client costs at best).
- KoalaEmbeddings and the LlamaIndex classes (``get_text_embedding_batch`` sync and async)
  against the same two bare baselines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from benchmarks.run import RemoteEmulator, Row, log, markdown, section
from cnllm.dashscope import models as ds_models
from cnllm.dashscope import protocol as ds_protocol
from cnllm.qianfan import models as qf_models
from cnllm.qianfan import protocol as qf_protocol

PARTS = ("dashscope", "qianfan", "koala", "llamaindex")
LATENCY = 0.050
TEXTS = 2000
TARGET = 4.0  # ours at least this many times faster than the peer
KEY, AK, SK = "bench-key", "bench-ak", "bench-sk"
DASHSCOPE_MODEL, QIANFAN_MODEL, KOALA_MODEL = "text-embedding-v2", "Embedding-V1", None


def texts(n: int = TEXTS) -> list[str]:
    return [f"第{i}条：劳动合同纠纷的仲裁时效 case {i}" for i in range(n)]


def best_of(fn: Callable[[], object], repeats: int) -> float:
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


# -- bare requests baselines ------------------------------------------------------------------

Post = Callable[[requests.Session, list[str]], object]


def bare(post: Post, batch: int, threads: int) -> Callable[[], object]:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(threads, 1))
    session.mount("http://", adapter)
    data = texts()
    chunks = [data[i : i + batch] for i in range(0, len(data), batch)]

    def run() -> object:
        if threads <= 1:
            return [post(session, chunk) for chunk in chunks]
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda chunk: post(session, chunk), chunks))

    return run


def dashscope_post(emu: RemoteEmulator) -> Post:
    url = f"{emu.base_url}/api/v1{ds_protocol.EMBEDDING_PATH}"
    headers = {"Authorization": f"Bearer {KEY}"}
    info = ds_models.resolve("embeddings", DASHSCOPE_MODEL)

    def post(session: requests.Session, chunk: list[str]) -> object:
        body = ds_protocol.embedding_body(info, chunk, text_type="document", dimension=None)
        return session.post(url, json=body, headers=headers, timeout=30).json()

    return post


def qianfan_post(emu: RemoteEmulator) -> Post:
    info = qf_models.resolve("embeddings", QIANFAN_MODEL, None)
    token = requests.post(
        f"{emu.base_url}/oauth/2.0/token",
        params={"grant_type": "client_credentials", "client_id": AK, "client_secret": SK},
        timeout=30,
    ).json()["access_token"]
    url = qf_protocol.model_url(emu.base_url, info)

    def post(session: requests.Session, chunk: list[str]) -> object:
        body = qf_protocol.embedding_body(info, chunk, None)
        return session.post(url, json=body, params={"access_token": token}, timeout=30).json()

    return post


def koala_post(emu: RemoteEmulator, model: str) -> Post:
    url = f"{emu.base_url}/v1/embeddings"

    def post(session: requests.Session, chunk: list[str]) -> object:
        return session.post(url, json={"model": model, "input": chunk}, timeout=30).json()

    return post


# -- the peers, in their own interpreter --------------------------------------------------------

PEER_CODE = r"""
import json, logging, os, sys, time, warnings
kind, base, n, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
warnings.simplefilter("ignore")
logging.getLogger("qianfan").setLevel(logging.ERROR)
texts = [f"第{i}条：劳动合同纠纷的仲裁时效 case {i}" for i in range(n)]
if kind == "dashscope":
    os.environ["DASHSCOPE_HTTP_BASE_URL"] = base + "/api/v1"
    from langchain_community.embeddings import DashScopeEmbeddings
    peer = DashScopeEmbeddings(model="text-embedding-v2", dashscope_api_key="bench-key")
    versions = ["langchain-community", "dashscope"]
else:
    os.environ.update(QIANFAN_AK="bench-ak", QIANFAN_SK="bench-sk", QIANFAN_BASE_URL=base,
                      QIANFAN_QPS_LIMIT="0", QIANFAN_RPM_LIMIT="0", QIANFAN_TPM_LIMIT="0",
                      QIANFAN_LLM_API_RETRY_COUNT="1")
    import qianfan
    qianfan.disable_log()
    from langchain_community.embeddings import QianfanEmbeddingsEndpoint
    peer = QianfanEmbeddingsEndpoint(model="Embedding-V1")
    versions = ["langchain-community", "qianfan"]
peer.embed_documents(texts[:50])  # warm-up: token, connections
walls = []
for _ in range(repeats):
    start = time.perf_counter()
    vectors = peer.embed_documents(texts)
    walls.append(time.perf_counter() - start)
    assert len(vectors) == n
from importlib import metadata
print(json.dumps({"walls": walls, "versions": {v: metadata.version(v) for v in versions}}))
"""


def peer_wall(
    kind: str, emu: RemoteEmulator, python: str, repeats: int
) -> tuple[float | None, str]:
    command = [python, "-c", PEER_CODE, kind, emu.base_url, str(TEXTS), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return None, f"skipped: {reason[:120]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    return statistics.median(result["walls"]), versions


# -- rows -------------------------------------------------------------------------------------


def ratio_row(name: str, ours: float, label: str, theirs: float | None, note: str) -> Row:
    if theirs is None:
        return Row(name, f"{ours:.3f} s", note, "—", f"≥ {TARGET:.0f}x faster", None)
    speedup = theirs / ours
    return Row(
        name,
        f"{ours:.3f} s",
        f"{label} ({note}): {theirs:.3f} s",
        f"{speedup:.2f}x faster",
        f"≥ {TARGET:.0f}x faster",
        speedup >= TARGET,
        {"ours_s": ours, "theirs_s": theirs},
    )


def floor_rows(name: str, ours: float, floor: float, sequential: float) -> list[Row]:
    return [
        Row(
            f"{name} vs bare requests, 8 threads (floor)",
            f"{ours:.3f} s",
            f"{floor:.3f} s",
            f"{ours / floor:.2f}x the floor",
            "—",
            None,
        ),
        Row(
            f"{name} vs bare requests, one by one",
            f"{ours:.3f} s",
            f"{sequential:.3f} s",
            f"{sequential / ours:.2f}x faster",
            "—",
            None,
        ),
    ]


def measure(
    name: str, ours: Callable[[], object], post: Post, batch: int, repeats: int
) -> tuple[list[Row], dict[str, float]]:
    ours()  # warm-up: token, connections
    walls = {
        "ours": best_of(ours, repeats),
        "floor": best_of(bare(post, batch, 8), repeats),
        "sequential": best_of(bare(post, batch, 1), max(1, repeats - 1)),
    }
    log(f"  {name}: " + ", ".join(f"{k} {v:.3f} s" for k, v in walls.items()))
    return floor_rows(name, walls["ours"], walls["floor"], walls["sequential"]), walls


def run(quick: bool, peer_python: str, only: set[str]) -> list[Row]:
    from langchain_cnllm import DashScopeEmbeddings, KoalaEmbeddings, QianfanEmbeddings

    repeats = 1 if quick else 3
    data = texts()
    rows: list[Row] = []
    with RemoteEmulator(latency=LATENCY) as emu:
        ds_base = f"{emu.base_url}/api/v1"
        dashscope = DashScopeEmbeddings(
            model=DASHSCOPE_MODEL, dashscope_api_key=KEY, base_url=ds_base
        )
        qianfan = QianfanEmbeddings(
            model=QIANFAN_MODEL, api_key=AK, secret_key=SK, base_url=emu.base_url
        )
        koala = KoalaEmbeddings(base_url=f"{emu.base_url}/v1")
        if "dashscope" in only:
            rows += dashscope_rows(emu, dashscope, data, peer_python, repeats)
        if "qianfan" in only:
            rows += qianfan_rows(emu, qianfan, data, peer_python, repeats)
        if "koala" in only:
            rows += koala_rows(emu, koala, data, repeats)
        if "llamaindex" in only:
            rows += llamaindex_rows(emu, data, repeats)
    return rows


def dashscope_rows(
    emu: RemoteEmulator, dashscope: Any, data: list[str], peer_python: str, repeats: int
) -> list[Row]:
    rows: list[Row] = []
    with section("DashScopeEmbeddings"):
        found, walls = measure(
            "DashScopeEmbeddings.embed_documents",
            lambda: dashscope.embed_documents(data),
            dashscope_post(emu),
            25,
            repeats,
        )
        theirs, note = peer_wall("dashscope", emu, peer_python, repeats)
        rows.append(
            ratio_row(
                "DashScopeEmbeddings.embed_documents vs langchain-community",
                walls["ours"],
                "DashScopeEmbeddings",
                theirs,
                note,
            )
        )
        rows += found
    return rows


def qianfan_rows(
    emu: RemoteEmulator, qianfan: Any, data: list[str], peer_python: str, repeats: int
) -> list[Row]:
    rows: list[Row] = []
    with section("QianfanEmbeddings"):
        found, walls = measure(
            "QianfanEmbeddings.embed_documents",
            lambda: qianfan.embed_documents(data),
            qianfan_post(emu),
            16,
            repeats,
        )
        theirs, note = peer_wall("qianfan", emu, peer_python, repeats)
        rows.append(
            ratio_row(
                "QianfanEmbeddings.embed_documents vs langchain-community",
                walls["ours"],
                "QianfanEmbeddingsEndpoint",
                theirs,
                note,
            )
        )
        rows += found
    return rows


def koala_rows(emu: RemoteEmulator, koala: Any, data: list[str], repeats: int) -> list[Row]:
    rows: list[Row] = []
    with section("KoalaEmbeddings"):
        rows += measure(
            "KoalaEmbeddings.embed_documents",
            lambda: koala.embed_documents(data),
            koala_post(emu, koala.model),
            koala.batch_size,
            repeats,
        )[0]
    return rows


def llamaindex_rows(emu: RemoteEmulator, data: list[str], repeats: int) -> list[Row]:
    from llamaindex_cnllm import DashScopeEmbedding, KoalaEmbedding, QianfanEmbedding

    rows: list[Row] = []
    ds_base = f"{emu.base_url}/api/v1"
    with section("LlamaIndex"):
        li_ds = DashScopeEmbedding(api_key=KEY, base_url=ds_base)
        li_qf = QianfanEmbedding(api_key=AK, secret_key=SK, base_url=emu.base_url)
        li_ko = KoalaEmbedding(base_url=f"{emu.base_url}/v1")
        cases: list[tuple[str, Any, Post, int]] = [
            ("DashScopeEmbedding", li_ds, dashscope_post(emu), 25),
            ("QianfanEmbedding", li_qf, qianfan_post(emu), 16),
            ("KoalaEmbedding", li_ko, koala_post(emu, li_ko.model_name), 16),
        ]
        for name, model, post, batch in cases:
            sync_call, async_call = _llamaindex_calls(model, data)
            rows += measure(f"{name}.get_text_embedding_batch", sync_call, post, batch, repeats)[0]
            rows += measure(f"{name}.aget_text_embedding_batch", async_call, post, batch, repeats)[
                0
            ]
    return rows


def _llamaindex_calls(
    model: Any, data: list[str]
) -> tuple[Callable[[], object], Callable[[], object]]:
    def sync_call() -> object:
        return model.get_text_embedding_batch(data)

    def async_call() -> object:
        return asyncio.run(model.aget_text_embedding_batch(data))

    return sync_call, async_call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_embeddings", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("CNLLM_PEER_PYTHON", sys.executable),
        help="interpreter with langchain-community + dashscope/qianfan (default: this one)",
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all of {','.join(PARTS)})",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = run(args.quick, args.peer_python, set(args.only.split(",")))
    print(markdown(rows))
    log(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
