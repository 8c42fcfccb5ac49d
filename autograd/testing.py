"""The test cases an op's declaration implies, read from the live table :data:`autograd.OPS`.

Each declaration (``register_op(..., domain=..., test_params=..., torch=...)``) carries where its operands may
be drawn, which parameter values to try, and the PyTorch function it must agree with. :func:`op_cases` turns
every op of the table into test cases, one per parameter value. deltagrad's own per-op tests (first and higher
order, compiled, gradcheck, non-finite, fuzz) parametrize over them, so an op added to the table is tested with
no further edit; they serve for a user's registered op as well. Needs nothing but Python; ``strategy`` imports
hypothesis and ``torch_reference`` works on the torch module it is given.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .maths import F
from .registry import NARY, OPS, Op, Region

__all__ = ["OpCase", "op_cases", "region_points", "torch_reference"]


@dataclass(frozen=True)
class OpCase:
    """One op of the table with one parameter value: how to apply it on Values and on torch tensors."""

    op: Op
    param: Any

    @property
    def name(self) -> str:
        """The op's name, with the parameter value in brackets when it has one: ``powc[2.5]``."""
        return self.op.name if self.param is None else f"{self.op.name}[{self.param:g}]"

    def __str__(self) -> str:
        """:attr:`name` (the id of a parametrized test)."""
        return self.name

    @property
    def n_inputs(self) -> int:
        """How many inputs the case takes: one per declared operand region (an n-ary op: per input)."""
        return len(self.op.domain)

    def apply(self, xs: Sequence[Any]) -> Any:
        """The op on ``xs`` (Values, floats or arrays) through :data:`autograd.maths.F`."""
        operands = [list(xs)] if self.op.arity == NARY else list(xs)
        return getattr(F, self.op.name)(*operands, *([] if self.op.param is None else [self.param]))

    def torch_apply(self, torch: Any, ts: Sequence[Any]) -> Any:
        """The same on 0-dim torch tensors, by the declared PyTorch function."""
        return torch_reference(torch, self.op)(list(ts), self.param)

    def strategy(self) -> Any:
        """A hypothesis strategy of input tuples inside the op's declared domain."""
        from hypothesis import strategies as st

        def region(intervals: Region) -> Any:
            return st.one_of(*(st.floats(lo, hi, exclude_min=True, exclude_max=True) for lo, hi in intervals))

        return st.tuples(*map(region, self.op.domain))

    def points(self, per_interval: int = 3) -> list[tuple[float, ...]]:
        """Fixed input tuples inside the domain: a grid over each operand's intervals (the operands' grids
        zipped, the shorter ones repeated)."""
        columns = [region_points(region, per_interval) for region in self.op.domain]
        n = max(map(len, columns))
        return [tuple(column[i % len(column)] for column in columns) for i in range(n)]


def region_points(region: Region, per_interval: int) -> list[float]:
    """``per_interval`` evenly spaced points strictly inside each interval of ``region``."""
    return [lo + (hi - lo) * (k + 1) / (per_interval + 1) for lo, hi in region for k in range(per_interval)]


def torch_reference(torch: Any, op: Op) -> Any:
    """``f(tensors, param)`` computing ``op`` with the PyTorch function named by its declaration: elementwise ops
    take their operands (and the parameter); n-ary ops take the inputs stacked along dim 0 (an op with a
    parameter, dot, takes the weights, the inputs and the bias: Σ wᵢxᵢ (+ b))."""
    assert op.torch is not None, f"op {op.name!r} declares no torch reference"
    module_name, _, function_name = op.torch.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)

    def apply(ts: list[Any], param: Any) -> Any:
        if op.arity != NARY:
            return function(*ts) if param is None else function(*ts, param)
        stacked = torch.stack(ts)
        if param is None:
            return function(stacked, 0)
        n = int(param)
        out = function(stacked[:n], stacked[n : 2 * n])
        return out + stacked[2 * n :].sum() if len(ts) > 2 * n else out

    return apply


def op_cases(ops: Sequence[str] | None = None) -> list[OpCase]:
    """Every op of the live table (or of ``ops``), once per declared test parameter."""
    cases: list[OpCase] = []
    for name in sorted(OPS) if ops is None else ops:
        op = OPS[name]
        cases.extend(OpCase(op, param) for param in (op.test_params or (None,)))
    return cases
