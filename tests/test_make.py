"""The Makefile: `make demo` installs only what the demo uses, stages say what runs and how long, `make lab` takes ARGS.

Each test runs make in a copy of the checkout, against the venv running the tests (`VENV=sys.prefix`, its install
markers taken as done with `-o`), so nothing here installs anything: apt-get and sudo are replaced by fakes that
only log their arguments.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ("Makefile", "pyproject.toml", ".ci", "autograd", "nn", "viz")
TEST_TOOLCHAIN = ("chromium", "chromium-browser", "kpsewhich", "pdflatex", "pdftoppm")
FAKE = '#!/bin/sh\necho "$(basename "$0") $*" >> "{log}"\n'  # logs, installs nothing


def _env(**changes: str) -> dict[str, str]:
    """This environment without what a parent make passes down (under `make test`, MAKEFLAGS carries its options)."""
    inherited = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    return {**{k: v for k, v in os.environ.items() if k not in inherited}, **changes}


def _make() -> str:
    make = shutil.which("make")
    assert make, "make is needed to run make test (apt-get install make)"
    return make


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the Makefile, its tools and the packages (the demo imports the copy's)."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCE:
        source = ROOT / name
        (shutil.copytree(source, copy / name, ignore=ignore) if source.is_dir() else shutil.copy2(source, copy / name))
    (copy / "notebooks").mkdir()
    return copy


@pytest.fixture
def path_without_the_test_toolchain(tmp_path) -> tuple[str, Path]:
    """A PATH of every program on this one but Chromium, TeX and poppler, with apt-get and sudo logging fakes."""
    shadow, log = tmp_path / "bin", tmp_path / "apt.log"
    shadow.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not Path(folder).is_dir():
            continue
        for program in Path(folder).iterdir():
            hidden = program.name in TEST_TOOLCHAIN or program.name in ("apt-get", "sudo")
            if not hidden and not (shadow / program.name).exists() and os.access(program, os.X_OK):
                (shadow / program.name).symlink_to(program)
    for fake in ("apt-get", "sudo"):
        (shadow / fake).write_text(FAKE.format(log=log))
        (shadow / fake).chmod(0o755)
    return str(shadow), log


def _make_args(target: str, *extra: str) -> list[str]:
    prefix = Path(sys.prefix)
    done = [f"-o{prefix / '.installed-plot'}", f"-o{prefix / '.installed-lab'}", f"-o{prefix / 'bin' / 'python'}"]
    return [_make(), target, f"VENV={prefix}", f"PYTHON={sys.executable}", *done, *extra]


def test_a_dry_run_of_make_demo_installs_no_browser_tex_or_poppler(checkout) -> None:
    """`make -n` lists every command make would run from a fresh clone (no venv yet): none installs the toolchain."""
    env = _env()
    runs = {
        target: subprocess.run(
            [_make(), "-n", target, f"VENV={checkout / '.venv'}"],
            cwd=checkout,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        for target in ("demo", "test")
    }
    for run in runs.values():
        assert run.returncode == 0, run.stderr
    demo, test = runs["demo"].stdout, runs["test"].stdout
    assert "pip install -e '.[plot]'" in demo and "python -m viz.demo" in demo
    assert _apt_packages(demo) == {"graphviz", "python3-venv"}
    assert not any(package in demo for package in ("chromium", "texlive", "tex", "poppler"))
    assert {"chromium", "texlive-latex-base", "texlive-pictures", "poppler-utils", "graphviz"} <= _apt_packages(test)


def _apt_packages(commands: str) -> set[str]:
    """The Debian packages the commands would apt-get install (each install is a stage named after them)."""
    return {name for names in re.findall(r'"apt-get install ([^"]+)"', commands) for name in names.split()}


def test_make_demo_runs_without_chromium_tex_or_poppler_and_installs_none(checkout, path_without_the_test_toolchain):
    path, log = path_without_the_test_toolchain
    env = _env(PATH=path)
    demo = subprocess.run(_make_args("demo"), cwd=checkout, capture_output=True, text=True, env=env, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert not log.exists(), log.read_text()  # not even Graphviz: dot is on this PATH
    lines = demo.stdout.splitlines()
    assert lines[0] == "==> demo (python -m viz.demo)"
    assert lines[-1].startswith("==> demo (python -m viz.demo): done in ") and "since make started" in lines[-1]
    assert "wrote build/demo/neuron.svg" in lines and (checkout / "build" / "demo" / "network.svg").is_file()
    # the same PATH makes `make test`'s system packages ask for the whole toolchain, so the fakes do catch apt-get
    deps = subprocess.run(_make_args("system-deps"), cwd=checkout, capture_output=True, text=True, env=env, timeout=60)
    assert deps.returncode == 0, deps.stdout + deps.stderr
    asked = log.read_text()
    assert "chromium" in asked and "texlive-pictures" in asked and "poppler-utils" in asked
    assert "==> apt-get install chromium" in deps.stdout.splitlines()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_lab_passes_args_to_jupyter_and_prints_the_url(checkout, tmp_path) -> None:
    pytest.importorskip(
        "jupyterlab", reason="jupyterlab is not installed (pip install '.[lab]'; make test installs it)"
    )
    port = _free_port()
    env = _env(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    args = _make_args("lab", f"ARGS=--no-browser --port {port} --ServerApp.port_retries=0")
    lab = subprocess.Popen(
        args, cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in lab.stdout or ()], daemon=True).start()
    try:
        url, seen = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and lab.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith("==> JupyterLab is serving: open "):
                url = line.split(" open ", 1)[1].strip()
        assert url is not None, "".join(seen)
        assert url.startswith((f"http://localhost:{port}/lab?token=", f"http://127.0.0.1:{port}/lab?token="))
        token = url.split("token=", 1)[1]
        status = f"http://127.0.0.1:{port}/api/status?token={token}"
        with urllib.request.urlopen(status, timeout=10) as response:  # the server on port N answers, with that token
            assert response.status == 200 and "started" in json.loads(response.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def test_stages_are_recorded_and_the_summary_counts_tests_and_names_failures(tmp_path) -> None:
    stage, reports = [sys.executable, str(ROOT / ".ci" / "stage.py")], tmp_path / "reports"
    env = {**os.environ, "DELTAGRAD_MAKE_START": str(time.time() - 75)}
    (tmp_path / "test_two.py").write_text("import pytest\ndef test_a(): pass\ndef test_b(): pytest.skip('no')\n")
    runs = [
        ["lint", "--", sys.executable, "-c", "print('clean')"],
        ["unit tests", "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
        + ["--rootdir", str(tmp_path), f"--junitxml={reports / 'tests.xml'}"],
        ["types", "--", sys.executable, "-c", "raise SystemExit(3)"],
    ]
    for args in runs:
        run = subprocess.run([*stage, "run", "--record", str(reports), *args], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr  # recorded: make goes on to the next check
        assert run.stdout.startswith(f"==> {args[0]}\n") and "since make started)" in run.stdout.splitlines()[-1]
    assert "==> types: FAILED (exit status 3) in " in run.stdout
    summary = subprocess.run([*stage, "summary", str(reports)], capture_output=True, text=True, env=env)
    assert summary.returncode == 1, summary.stdout
    lines = summary.stdout.splitlines()
    assert re.fullmatch(r"==> make test FAILED in (\d+) min \d\d s", lines[0]), lines[0]  # 75 s ago and more
    assert [line.split()[0] for line in lines[1:4]] == ["lint", "unit", "types"]
    assert lines[3].endswith("FAILED (exit status 3)") and lines[1].endswith("ok")
    assert "unit tests and doctests" in lines[4] and lines[4].endswith("1 passed, 1 skipped")
    assert lines[5].endswith("not run") and lines[6].endswith("not run") and lines[7] == "    failed: types"
    passing = subprocess.run([*stage, "run", "ok", "--", "true"], capture_output=True, text=True, env=env)
    assert passing.returncode == 0 and passing.stdout.splitlines()[-1].startswith("==> ok: done in ")
