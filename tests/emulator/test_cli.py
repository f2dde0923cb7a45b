"""``python -m cnllm.emulator`` starts, prints its URL, serves, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from cnllm.emulator.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        pytest.fail("the emulator printed nothing")
    return lines[0].strip()


def test_cli_serves_until_terminated() -> None:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, "-m", "cnllm.emulator", "--port", "0", "--latency", "0.01",
               "--strict", "--qianfan-ak", "AK", "--qianfan-sk", "SK"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        base_url = _first_line(process, timeout=10)
        assert base_url.startswith("http://127.0.0.1:")
        token_url = f"{base_url}/oauth/2.0/token?grant_type=client_credentials"
        good = requests.post(f"{token_url}&client_id=AK&client_secret=SK", timeout=5)
        bad = requests.post(f"{token_url}&client_id=AK&client_secret=nope", timeout=5)
        assert "access_token" in good.json() and bad.status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_cli_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_emulator_refuses_a_non_loopback_host() -> None:
    from cnllm.emulator import Emulator

    with pytest.raises(ValueError):
        Emulator(host="10.0.0.1")
