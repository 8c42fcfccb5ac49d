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
    needed = {"LICENSE", "Makefile", "pyproject.toml", "README.md"}
    for folder in ("tests", "notebooks", "benchmarks", ".ci", *PACKAGES):
        needed |= {
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file()
            and not any(part in ("__pycache__", ".ipynb_checkpoints") for part in p.parts)
            and p.suffix not in (".pyc",)
        }
    assert needed - sdist == set()
    assert any(n.startswith("notebooks/") and n.endswith(".ipynb") for n in sdist)


def _core_closure(requirements: list[str]) -> set[str]:
    """The distributions a plain ``pip install`` of these requirements brings, read from what is installed here."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # another platform's or an extra's requirement
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            todo.extend(Requirement(r) for r in requires(name) or [])
        except PackageNotFoundError:  # pragma: no cover - every core dependency is installed for the tests
            raise AssertionError(f"{name} is a core requirement but is not installed in the test environment") from None
    return seen


def test_the_core_requirements_do_not_pull_ipython_or_the_lab(dists) -> None:
    """A plain `pip install deltagrad` is the engine and the static pictures: the lab's Jupyter stack is an extra."""
    _, _, metadata = dists
    requires_dist = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    core = [r for r in requires_dist if "extra ==" not in r]
    assert {r.split(">")[0].split("=")[0].strip() for r in core} == {"numpy", "graphviz", "tqdm"}
    closure = _core_closure(core)
    assert closure.isdisjoint({"ipython", "anywidget", "ipywidgets", "jedi", "traitlets", "jupyterlab"}), closure
    assert any(r.startswith("anywidget") and 'extra == "lab"' in r for r in requires_dist), requires_dist
