"""The math namespaces behind one Protocol: each implements all of it, and the op table uses nothing else."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import OPS, Value
from autograd.maths import FLOAT, NUMPY, VALUE, FloatMath, MathNamespace, NumpyMath, ValueMath
from autograd.ops import BINARY, NARY, UNARY, Op

PROTOCOL = {name for name, member in vars(MathNamespace).items() if inspect.isfunction(member)}


@pytest.mark.parametrize("namespace", [FloatMath, ValueMath, NumpyMath], ids=lambda c: c.__name__)
def test_every_namespace_implements_the_whole_protocol(namespace: type) -> None:
    missing = {name for name in PROTOCOL if not callable(getattr(namespace, name, None))}
    assert not missing, f"{namespace.__name__} lacks {sorted(missing)}"


class Recorder:
    """A namespace that delegates to FLOAT and records which functions a rule calls."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.used.add(name)
        return getattr(FLOAT, name)


def sample(op: Op) -> tuple[tuple[Any, ...], Any]:
    """Operands and parameter at which every rule of ``op`` is defined."""
    if op.arity == UNARY:
        return (0.7,), {"powc": 2.5, "leaky_relu": 0.1, "elu": 1.0}.get(op.name)
    if op.arity == BINARY:
        return (0.7, 1.3), None
    assert op.arity == NARY
    return ([0.3, -0.2, 0.5, 1.1, 0.4],), (2 if op.name == "dot" else None)


@pytest.mark.parametrize("name", sorted(OPS))
def test_the_table_uses_only_protocol_functions_and_every_namespace_agrees(name: str) -> None:
    op = OPS[name]
    operands, param = sample(op)
    recorder = Recorder()
    out = op.forward(recorder, *operands, param)
    expected = op.derivative(recorder, *operands, out, param)
    assert recorder.used <= PROTOCOL, f"{name} calls {sorted(recorder.used - PROTOCOL)}, not in MathNamespace"
    values = [[Value(x) for x in o] if isinstance(o, list) else Value(o) for o in operands]
    by_values = op.derivative(VALUE, *values, Value(out), param)
    assert np.ravel(np.array(by_values, dtype=object).tolist()).astype(float) == pytest.approx(np.ravel(expected))
    # n-ary ops run as reductions over blocks (test_compile); compile rejects Value ** Value (op pow) by name
    if op.arity != NARY and name != "pow":
        arrays = [np.full(3, x) for x in operands]
        assert np.allclose(op.forward(NUMPY, *arrays, param), out)


def test_compile_names_a_function_the_numpy_namespace_lacks(restore_ops: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table row calling F.sinh, which only FloatMath has: compile says so before any batch runs."""
    import math

    monkeypatch.setattr(FloatMath, "sinh", staticmethod(math.sinh), raising=False)
    op = Op("sinh", "sinh", UNARY, lambda F, x, p: F.sinh(x), lambda F, x, out, p: F.cosh(x), "sinh x")
    autograd.ops.register(op)
    node = Value._node(math.sinh(0.5), "sinh", (Value(0.5),))
    assert node.data == pytest.approx(0.5210953)
    with pytest.raises(
        NotImplementedError, match=r"op 'sinh'.*calls F\.sinh, which the numpy namespace NumpyMath lacks"
    ):
        autograd.compile(lambda xs: Value._node(math.sinh(xs[0].data), "sinh", (xs[0],)), n_inputs=1)


def test_operator_methods_have_their_own_names_and_the_table_docs() -> None:
    assert Value.__add__.__name__ == "__add__" and Value.__rtruediv__.__name__ == "__rtruediv__"
    assert Value.__mul__.__qualname__ == "Value.__mul__"
    assert Value.tanh.__name__ == "tanh" and Value.tanh.__doc__ == OPS["tanh"].doc + "."
    assert OPS["mul"].doc in (Value.__mul__.__doc__ or "")
