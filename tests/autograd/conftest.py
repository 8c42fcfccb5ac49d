"""Fixtures shared by the autograd tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autograd import OPS


@pytest.fixture
def restore_ops() -> Iterator[None]:
    """Ops a test registers (or replaces) in the live table are gone again after it, whatever the test order."""
    saved = dict(OPS)
    yield
    OPS.clear()
    OPS.update(saved)
