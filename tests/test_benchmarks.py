"""Smoke test: every benchmark's ``main()`` runs end to end at tiny sizes, so the benchmarks cannot rot.

The figures at these sizes mean nothing; what is checked is that each report is printed whole, with the
peers' versions read from the installed distributions (never hard-coded).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nn
from benchmarks.__main__ import available

# Per benchmark: module attributes replaced for the run (sizes, repeats; for bench_core the size defaults of its
# graph builders). A new benchmark must add its tiny sizes here (its smoke test fails until it does).
TINY: dict[str, dict[str, Any]] = {
    "core": {
        "MIXED_REPEATS": 1,
        "MLP_REPEATS": 1,
        "CHAIN_NODES": 2_000,
        "CLOSURE_REPEATS": 1,
        "mixed_plan": lambda m: functools.partial(m.mixed_plan, 200, 10),
        "mlp_data": lambda m: functools.partial(m.mlp_data, 8),
        "tanh_layer": lambda m: functools.partial(m.tanh_layer, n=20),
        "attribute_bytes": lambda m: functools.partial(m.attribute_bytes, 200),
    },
    "baseline": {"ROUNDS": 1, "MIXED_OPS": 200, "MIXED_REPEATS": 1, "MLP_SAMPLES": 8, "MLP_REPEATS": 1},
    "digits": {"EPOCHS": 1},
    "lab": {  # its Chromium replay is left out: Playwright's sync API cannot start inside the browser tests' session
        "POINTS": 40,
        "RESOLUTION": 8,
        "REDRAWS": 2,
        "REPEATS": 1,
        "NODE_LAYOUTS": 1,
        "replay_rate": lambda m: lambda: None,
    },  # fmt: skip
    "mnist": {"N_TRAIN": 300, "N_TEST": 100, "ROUNDS": 1, "HIDDEN": (8,), "DIGITS_EPOCHS": 1},
    "microgpt": {"STEPS": 2},
    "viz": {"REPEATS": 1, "CASES": lambda m: dict(list(m.CASES.items())[:2])},
    "reliability": {
        "REPEATS": 1,
        "SHAPE": (12, 6, 3),
        "BATCH": 8,
        "mixed_plan": lambda m: functools.partial(m.mixed_plan, 200, 10),
    },
}


def write_learnable_mnist(folder: Path, idx_bytes: Callable[[np.ndarray], bytes]) -> None:
    """The four MNIST IDX files, tiny: noise images whose label is a bright band of rows (so they can be learned)."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 600), ("test", 200)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 100, (n, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels):
            image[2 + 2 * label : 4 + 2 * label] = 255
        prefix = "t10k" if split == "test" else split
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))


@pytest.mark.parametrize("name", available())
def test_benchmark_main_runs_at_tiny_sizes(name: str, monkeypatch, capsys, tmp_path, idx_bytes) -> None:
    assert name in TINY, f"add bench_{name}'s tiny sizes to TINY in tests/test_benchmarks.py"
    module = import_module(f"benchmarks.bench_{name}")
    for attribute, value in TINY[name].items():
        assert hasattr(module, attribute), f"bench_{name} has no {attribute} any more: update TINY"
        monkeypatch.setattr(module, attribute, value(module) if callable(value) else value)
    X, y = nn.digits()
    monkeypatch.setattr(nn, "digits", lambda: (X[:200], y[:200]))  # bench_digits trains on nn.digits()
    monkeypatch.setattr(import_module("benchmarks.bench_digits"), "EPOCHS", 1)  # bench_mnist trains it too
    if name == "mnist":  # its real-MNIST path, on IDX files given as the user gives them
        write_learnable_mnist(tmp_path, idx_bytes)
        module.main(argv=["--mnist", str(tmp_path), "--epochs", "4"])
    elif "argv" in inspect.signature(module.main).parameters:
        module.main(argv=[])  # not pytest's command line
    else:
        module.main()
    out = capsys.readouterr().out
    assert "not installed" not in out
    if name == "core":
        for peer in ("micrograd", "torch"):
            assert f"{peer} {metadata.version(peer)}" in out  # the installed version labels the rows
        assert "Issues 2 and 11 bars" in out and "bench_core took" in out
    if name == "baseline":  # it needs the project's git history (an sdist has none, and says so)
        if (Path(module.__file__).parents[1] / ".git").exists():
            assert "baseline = autograd and nn at 189960c" in out and "memory per node" in out
        else:
            assert "revision 189960c is not available here" in out
    if name == "digits":
        assert "digits MLP(64,[32,10]) scalar" in out and "test accuracy" in out
    if name == "lab":
        assert "redraws/s by CPU time" in out and "compiled boundary vs the scalar engine's" in out
    if name == "mnist":
        assert "synthetic MNIST-shaped data" in out and "digits 8×8" in out and "deltagrad f64 / torch f64" in out
        found = re.search(r"784-256-10 compiled, 4 epochs on 600 samples: [\d.]+ s, test accuracy ([\d.]+)%", out)
        assert found is not None and float(found[1]) >= 90.0  # the files were read and learned
    if name == "viz":
        assert "draw / layout" in out and "notebook 02 loss" in out
    if name == "microgpt":
        assert "speed-up" in out and "largest loss difference" in out
