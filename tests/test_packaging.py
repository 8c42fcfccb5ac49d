"""Packaging: the wheel ships the licence and py.typed; the sdist carries what it needs to run its own checks.

Both are built here from a copy of the source tree, with the installed setuptools (no network).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "viz")
CACHES = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", ".hypothesis", ".pytest_cache")
NOT_SOURCE = {".git", ".venv", "build", "dist", "data", "node_modules"}  # at the top level of the checkout


def _not_source(folder: str, names: list[str]) -> set[str]:
    return CACHES(folder, names) | (NOT_SOURCE & set(names) if Path(folder) == ROOT else set())


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[set[str], set[str], str]:
    """(sdist file names below its top folder, wheel file names, the wheel's METADATA)."""
    tmp = tmp_path_factory.mktemp("dist")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_not_source)
    build = "from setuptools import build_meta as b; b.build_sdist('../out'); b.build_wheel('../out')"
    run = subprocess.run([sys.executable, "-c", build], cwd=src, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    (sdist,) = (tmp / "out").glob("*.tar.gz")
    (wheel,) = (tmp / "out").glob("*.whl")
    with tarfile.open(sdist) as tar:
        sdist_files = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as whl:
        wheel_files = set(whl.namelist())
        metadata = whl.read(next(n for n in wheel_files if n.endswith(".dist-info/METADATA"))).decode()
    return sdist_files, wheel_files, metadata


def test_the_licence_is_mit_with_its_metadata(dists) -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c)" in text and "deltagrad contributors" in text
    _, wheel, metadata = dists
    assert "License-Expression: MIT" in metadata.splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel)


@pytest.mark.parametrize("package", PACKAGES)
def test_the_wheel_ships_py_typed_for_each_package(dists, package) -> None:
    _, wheel, _ = dists
    assert f"{package}/py.typed" in wheel
    assert not any(n.startswith(("tests/", "notebooks/", "benchmarks/")) for n in wheel)


def test_the_sdist_can_run_its_own_checks(dists) -> None:
    """Every test, notebook, benchmark and the Makefile and CI entry point: the sdist's `make test` has its inputs."""
    sdist, _, _ = dists
    needed = {"LICENSE", "Makefile", "pyproject.toml", "README.md", ".ci/run"}
    for folder in ("tests", "notebooks", "benchmarks", *PACKAGES):
        needed |= {
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file()
            and not any(part in ("__pycache__", ".ipynb_checkpoints") for part in p.parts)
            and p.suffix not in (".pyc",)
        }
    assert needed - sdist == set()
    assert any(n.startswith("notebooks/") and n.endswith(".ipynb") for n in sdist)
