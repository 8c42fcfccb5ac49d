"""Test-suite settings: in CI (``CI`` set), hypothesis draws the same examples every run; shared fixtures."""

import os
import struct
from collections.abc import Callable

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
