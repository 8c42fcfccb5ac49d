"""Test-suite settings: in CI (``CI`` set), hypothesis draws the same examples every run; shared fixtures."""

import os
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8 or big-endian int32) as the bytes of an IDX file: magic, sizes, data."""
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}[array.dtype]
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def idx_bytes() -> Callable[[np.ndarray], bytes]:
    """Writes tiny IDX files for the MNIST reader and the benchmark that trains on them (never downloaded)."""
    return _idx_bytes


def _trained_784_64_10(batch: int) -> Any:
    """What fit(..., compiled=True) runs for a 784-64-10 relu network and cross-entropy, after one batch of m."""
    nn = pytest.importorskip("nn")
    model = nn.MLP(784, [64, 10], seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.random((batch, 784)), rng.integers(0, 10, batch)
    trainer = nn.CompiledTrainer(model, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), X[:1], y[:1])
    trainer.step(X, y)
    return trainer


@pytest.fixture(scope="session")
def trained_784_64_10() -> Callable[[int], Any]:
    """Builds an ``nn.CompiledTrainer`` for a 784-64-10 network after one step on a random batch of the given size
    (explain() and the lowered drawing read its shapes)."""
    return _trained_784_64_10
