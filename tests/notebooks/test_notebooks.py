"""Every notebook in notebooks/ runs top to bottom against the emulator, offline.

Each notebook runs in a fresh kernel of this interpreter (so it sees the same installed
packages), with the working directory set to notebooks/, the repository first on PYTHONPATH,
no vendor credentials in the environment (so every vendor is emulated) and a socket guard in
the kernel that refuses anything but loopback. A cell that raises fails the test, and so does
a stored notebook whose outputs no longer match a fresh run (outside the cells tagged
``varies``, whose figures are timings).

Re-execute the notebooks and store their outputs (after changing one, or the emulator):

    python tests/notebooks/test_notebooks.py            # every notebook
    python tests/notebooks/test_notebooks.py 04_clueai  # names containing this
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("llama_index.core", reason="the notebooks need the llamaindex extra")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 120  # seconds per cell; a whole notebook takes a few seconds to about thirty
KERNEL = "cnllm-notebooks"
VARIES = "varies"  # tag: a cell whose output differs between runs (timings)
# Unset for the run, so that every vendor uses the emulator.
CREDENTIAL_PREFIXES = ("QIANFAN_", "DASHSCOPE_", "KOALA_", "CLUEAI_")
# Run in the kernel before the notebook: any connection beyond loopback raises.
SOCKET_GUARD = (
    "from pytest_socket import socket_allow_hosts as _allow; "
    "_allow(['127.0.0.1', 'localhost', '::1'], allow_unix_socket=True); del _allow"
)


@contextmanager
def kernel_environment() -> Iterator[KernelManager]:
    """A kernel manager for this interpreter, with a clean, offline environment."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="cnllm-nb-") as scratch:
        root = Path(scratch)
        spec = root / "kernels" / KERNEL
        spec.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        argv.append(f"--IPKernelApp.exec_lines={SOCKET_GUARD}")
        kernel = {"argv": argv, "display_name": "cnllm notebooks", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
        for name in list(os.environ):
            if name.startswith(CREDENTIAL_PREFIXES):
                del os.environ[name]
        path = os.pathsep.join(p for p in (str(REPO), saved.get("PYTHONPATH", "")) if p)
        os.environ.update(
            PYTHONPATH=path,
            IPYTHONDIR=str(root / "ipython"),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            MPLBACKEND="agg",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        specs = KernelSpecManager(kernel_dirs=[str(root / "kernels")])
        manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
        try:
            yield manager
        finally:
            if manager.has_kernel:  # a client given a kernel manager leaves the kernel running
                manager.shutdown_kernel()  # graceful: atexit hooks run
            os.environ.clear()
            os.environ.update(saved)


def execute(path: Path) -> Any:
    """The notebook at ``path``, executed in a fresh kernel; raises on the first cell error."""
    notebook = nbformat.read(path, as_version=4)
    with kernel_environment() as manager:
        client = nbclient.NotebookClient(
            notebook,
            km=manager,
            timeout=TIMEOUT,
            startup_timeout=60,
            record_timing=False,
            coalesce_streams=True,
            allow_errors=False,
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )
        client.execute()
    notebook.metadata.pop("widgets", None)
    notebook.metadata.get("language_info", {}).pop("version", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return notebook


def errors(notebook: Any) -> list[str]:
    return [
        f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
        for index, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def texts(notebook: Any) -> list[tuple[int, str]]:
    """What each cell showed, as text, for comparing runs (tagged ``varies`` cells left out)."""
    shown = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or VARIES in cell.metadata.get("tags", []):
            continue
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                # stderr is left out: warnings from a newer dependency are not the notebook's
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                data = output.data
                parts.append(str(data.get("text/markdown") or data.get("text/plain", "")))
                parts.append(f"<{' '.join(sorted(data))}>")
        shown.append((index, re.sub(r"\s+\n", "\n", "".join(parts))))
    return shown


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_notebook_runs_and_its_stored_outputs_are_current(path: Path) -> None:
    stored = nbformat.read(path, as_version=4)
    tags = {tag for cell in stored.cells for tag in cell.metadata.get("tags", [])}
    assert not tags & {"skip-execution", "raises-exception"}, "every cell must run, cleanly"
    assert not errors(stored), "a stored notebook shows an error"
    assert all(cell.execution_count for cell in stored.cells if cell.cell_type == "code"), (
        f"{path.name} is stored unexecuted: python {Path(__file__).relative_to(REPO)}"
    )

    fresh = execute(path)

    assert not errors(fresh)
    assert texts(fresh) == texts(stored), (
        f"{path.name}: its stored outputs differ from a fresh run; re-run "
        f"python {Path(__file__).relative_to(REPO)} {path.stem} and review the diff"
    )


def test_there_are_notebooks() -> None:
    assert len(PATHS) >= 6


def main(argv: list[str]) -> int:
    """Execute the notebooks (those whose names contain an argument) and store the outputs."""
    chosen = [path for path in PATHS if not argv or any(arg in path.stem for arg in argv)]
    for path in chosen:
        print(f"executing {path.relative_to(REPO)}", flush=True)
        nbformat.write(execute(path), path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
