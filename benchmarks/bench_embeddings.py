"""Embedding throughput: 2,000 short texts at 50 ms emulator latency, measured in one run.

Run from the repository root (``python -m benchmarks`` runs the ``embeddings`` group with all
the other rows)::

    python -m benchmarks.bench_embeddings [--quick] [--peer-python PATH] [--only GROUPS]

Groups (each row a ratio taken in this run, against the same emulator in its own process):

- ``embeddings``: DashScopeEmbeddings ``embed_documents`` and ``aembed_documents`` vs
  langchain-community's DashScopeEmbeddings (target: ours at least 4x faster), and vs the
  floor: 8 threads of bare ``requests`` sending the same batches (nothing can beat it by much
  on 2 CPUs). The peer needs langchain-community plus the dashscope SDK; it runs in a
  subprocess of ``--peer-python`` (default: this interpreter), pointed at the emulator through
  the SDK's environment variables as benchmarks/run.py does for QianfanChatEndpoint. A missing
  peer makes its row say "skipped".
- ``embeddings-qianfan``: QianfanEmbeddings vs langchain-community's QianfanEmbeddingsEndpoint,
  the floor, and bare requests one after another (what a sequential client costs at best).
- ``embeddings-koala``, ``embeddings-llamaindex``: KoalaEmbeddings and the LlamaIndex classes
  (``get_text_embedding_batch`` sync and async) against the same two bare baselines.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from benchmarks._common import (
    Group,
    RemoteEmulator,
    Row,
    Settings,
    cli,
    log,
    median_wall,
    peer_json,
    section,
)
from cnllm.dashscope import models as ds_models
from cnllm.dashscope import protocol as ds_protocol
from cnllm.qianfan import models as qf_models
from cnllm.qianfan import protocol as qf_protocol

LATENCY = 0.050
TARGET = 4.0  # ours at least this many times faster than the peer
KEY, AK, SK = "bench-key", "bench-ak", "bench-sk"
DASHSCOPE_MODEL, QIANFAN_MODEL, KOALA_MODEL = "text-embedding-v2", "Embedding-V1", None


def texts(n: int) -> list[str]:
    return [f"第{i}条：劳动合同纠纷的仲裁时效 case {i}" for i in range(n)]


# -- bare requests baselines ------------------------------------------------------------------

Post = Callable[[requests.Session, list[str]], object]


def bare(post: Post, batch: int, threads: int, data: list[str]) -> Callable[[], object]:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(threads, 1))
    session.mount("http://", adapter)
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
    kind: str, emu: RemoteEmulator, settings: Settings, n: int
) -> tuple[float | None, str]:
    """The peer's median wall for n texts, with its versions; or None and why it is skipped."""
    found, note = peer_json(
        settings.peer_python, PEER_CODE, kind, emu.base_url, n, settings.embed_repeats
    )
    if found is None:
        return None, note
    walls = sorted(found["walls"])
    versions = ", ".join(f"{k} {v}" for k, v in found["versions"].items())
    return walls[len(walls) // 2], versions


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


def _figure_row(name: str, ours: float, baseline: float, figure: str) -> Row:
    data = {"ours_s": ours, "baseline_s": baseline}
    return Row(name, f"{ours:.3f} s", f"{baseline:.3f} s", figure, "— (figure)", None, data)


def floor_row(name: str, ours: float, floor: float) -> Row:
    figure = f"{ours / floor:.2f}x the floor"
    return _figure_row(f"{name} vs bare requests, 8 threads (floor)", ours, floor, figure)


def sequential_row(name: str, ours: float, sequential: float) -> Row:
    figure = f"{sequential / ours:.2f}x faster"
    return _figure_row(f"{name} vs bare requests, one by one", ours, sequential, figure)


def measure(
    name: str, ours: Callable[[], object], post: Post, batch: int, settings: Settings
) -> tuple[list[Row], dict[str, float]]:
    """Ours, the 8-thread floor and bare requests one by one, on the same batches."""
    data, repeats = texts(settings.texts), settings.embed_repeats
    ours()  # warm-up: token, connections
    walls = {
        "ours": median_wall(ours, repeats),
        "floor": median_wall(bare(post, batch, 8, data), repeats),
        "sequential": median_wall(bare(post, batch, 1, data), max(1, repeats - 1)),
    }
    log(f"  {name}: " + ", ".join(f"{k} {v:.3f} s" for k, v in walls.items()))
    floor = floor_row(name, walls["ours"], walls["floor"])
    return [floor, sequential_row(name, walls["ours"], walls["sequential"])], walls


def bench_dashscope(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    """The issue 15 rows: sync and async against the peer and the bare 8-thread floor."""
    from langchain_cnllm import DashScopeEmbeddings

    emu.latency = LATENCY
    data, repeats = texts(settings.texts), settings.embed_repeats
    ours = DashScopeEmbeddings(
        model=DASHSCOPE_MODEL, dashscope_api_key=KEY, base_url=f"{emu.base_url}/api/v1"
    )
    ours.embed_documents(data[:50])  # warm-up: connections
    walls = {
        "embed_documents": median_wall(lambda: ours.embed_documents(data), repeats),
        "aembed_documents": median_wall(lambda: asyncio.run(ours.aembed_documents(data)), repeats),
    }
    floor = median_wall(bare(dashscope_post(emu), 25, 8, data), repeats)
    theirs, note = peer_wall("dashscope", emu, settings, len(data))
    rows = []
    for method, wall in walls.items():
        name = f"embeddings: DashScopeEmbeddings.{method}, {len(data):,} texts, 50 ms latency"
        rows.append(
            ratio_row(
                f"{name}, vs langchain-community (its own interpreter)",
                wall,
                "DashScopeEmbeddings",
                theirs,
                note,
            )
        )
        rows.append(floor_row(name, wall, floor))
    return rows


def bench_qianfan(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    from langchain_cnllm import QianfanEmbeddings

    emu.latency = LATENCY
    data = texts(settings.texts)
    qianfan = QianfanEmbeddings(
        model=QIANFAN_MODEL, api_key=AK, secret_key=SK, base_url=emu.base_url
    )
    name = "QianfanEmbeddings.embed_documents"
    found, walls = measure(
        name, lambda: qianfan.embed_documents(data), qianfan_post(emu), 16, settings
    )
    theirs, note = peer_wall("qianfan", emu, settings, len(data))
    peer = ratio_row(
        f"{name} vs langchain-community", walls["ours"], "QianfanEmbeddingsEndpoint", theirs, note
    )
    return [peer, *found]


def bench_koala(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    from langchain_cnllm import KoalaEmbeddings

    emu.latency = LATENCY
    data = texts(settings.texts)
    koala = KoalaEmbeddings(base_url=f"{emu.base_url}/v1")
    return measure(
        "KoalaEmbeddings.embed_documents",
        lambda: koala.embed_documents(data),
        koala_post(emu, koala.model),
        koala.batch_size,
        settings,
    )[0]


def bench_llamaindex(emu: RemoteEmulator, settings: Settings) -> list[Row]:
    from llamaindex_cnllm import DashScopeEmbedding, KoalaEmbedding, QianfanEmbedding

    emu.latency = LATENCY
    data = texts(settings.texts)
    li_ko = KoalaEmbedding(base_url=f"{emu.base_url}/v1")
    cases: list[tuple[str, Any, Post, int]] = [
        (
            "DashScopeEmbedding",
            DashScopeEmbedding(api_key=KEY, base_url=f"{emu.base_url}/api/v1"),
            dashscope_post(emu),
            25,
        ),
        (
            "QianfanEmbedding",
            QianfanEmbedding(api_key=AK, secret_key=SK, base_url=emu.base_url),
            qianfan_post(emu),
            16,
        ),
        ("KoalaEmbedding", li_ko, koala_post(emu, li_ko.model_name), 16),
    ]
    rows: list[Row] = []
    for name, model, post, batch in cases:
        with section(f"LlamaIndex {name}"):
            sync_call, async_call = _llamaindex_calls(model, data)
            rows += measure(f"{name}.get_text_embedding_batch", sync_call, post, batch, settings)[0]
            rows += measure(f"{name}.aget_text_embedding_batch", async_call, post, batch, settings)[
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


GROUPS: dict[str, Group] = {"embeddings": bench_dashscope}
MORE_GROUPS: dict[str, Group] = {
    "embeddings-qianfan": bench_qianfan,
    "embeddings-koala": bench_koala,
    "embeddings-llamaindex": bench_llamaindex,
}


def main(argv: list[str] | None = None) -> int:
    return cli({**GROUPS, **MORE_GROUPS}, argv, "python -m benchmarks.bench_embeddings", __doc__)


if __name__ == "__main__":
    sys.exit(main())
