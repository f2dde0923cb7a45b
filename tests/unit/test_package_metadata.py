"""The package looks released: LICENSE in the sdist and the wheel, an SPDX license, classifiers,
keywords, and a README that reads well on a package index (no repository-relative links)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = """
import sys
from setuptools import build_meta
out = sys.argv[1]
names = [build_meta.build_sdist(out), build_meta.build_wheel(out)]
print("BUILT", *names)
"""


def test_sdist_and_wheel_carry_the_license_and_metadata(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    built = next(line for line in done.stdout.splitlines() if line.startswith("BUILT "))
    sdist_name, wheel_name = built.split()[1:]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    with tarfile.open(tmp_path / sdist_name) as sdist:
        top = sdist_name.removesuffix(".tar.gz")
        assert sdist.extractfile(f"{top}/LICENSE").read().decode() == license_text  # type: ignore[union-attr]
        pkg_info = sdist.extractfile(f"{top}/PKG-INFO").read().decode()  # type: ignore[union-attr]
    with zipfile.ZipFile(tmp_path / wheel_name) as wheel:
        info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(info).decode()
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())
    for text in (pkg_info, metadata):
        assert "License-Expression: MIT" in text
        assert "Classifier: Typing :: Typed" in text
        assert "Classifier: Programming Language :: Python :: 3.10" in text
        assert "Keywords: " in text and "qianfan" in text
    assert (
        "DeprecationWarning" not in done.stderr
        and "SetuptoolsDeprecationWarning" not in done.stderr
    )


def test_the_readme_has_no_link_that_only_resolves_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [t for t in targets if not t.startswith(("https://", "http://", "#"))]
    assert local == [], f"repository-relative links break on a package index page: {local}"
