"""Every op of the live table ``autograd.OPS`` is drawn by viz with its symbol and its local derivatives."""

from __future__ import annotations

import pytest

import viz
from autograd import Value, local_grads, op_of
from autograd.testing import OpCase, op_cases
from viz.text import escape_label, format_number


@pytest.mark.parametrize("case", op_cases(), ids=str)
def test_every_op_is_drawn_with_its_symbol_and_its_local_derivatives(case: OpCase) -> None:
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(case.points()[0])]
    out = case.apply(xs)
    out.backward()
    source = viz.draw_graph(out, show_local_grads=True, group="none", max_nodes=None).source
    assert escape_label(op_of(out).symbol) in source
    for d in local_grads(out):
        assert f"∂={escape_label(format_number(d))}" in source, (case.name, d)
