"""The scalar engine needs nothing but Python: everything but ``compile`` works where ``import numpy`` fails.

The check runs in a fresh interpreter whose import system refuses numpy (a meta-path finder that raises
ImportError for it), so nothing imported earlier in the test session can hide a numpy import.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys

    class NoNumpy:
        def find_spec(self, name, path=None, target=None):
            if name == "numpy" or name.startswith("numpy."):
                raise ImportError(f"import of {name} refused by the test", name=name)
            return None

    sys.meta_path.insert(0, NoNumpy())

    import math
    import autograd
    from autograd import OPS, Value, check_backward, check_op, grad, gradcheck, hessian, register_op, value_and_grad
    from autograd.maths import F

    # every scalar op of the table, first and second order, from its declared test domain
    for name, op in OPS.items():
        param = op.test_params[0] if op.test_params else None
        points = [region[0][0] * 0.4 + region[0][1] * 0.6 for region in op.domain]
        leaves = [Value(x) for x in points]
        operands = [leaves] if op.arity == 0 else leaves
        out = getattr(F, name)(*operands, *([param] if op.param else []))
        assert out.op == name, name
        out.backward(create_graph=True)
        assert all(math.isfinite(v.grad) for v in leaves), name
        second = [v.grad_value for v in leaves if v.grad_value is not None and v.grad_value.inputs]
        for g in second:
            g.backward()

    # backward and its options
    x = Value(0.3)
    y = (x * x).tanh()
    y.backward(gradient=2.0, retain_graph=True)
    y.backward(Value(1.0))
    x.zero_grad(set_to_none=True)
    y.backward(create_graph=True)
    assert abs(x.grad - 2 * 0.3 * (1 - math.tanh(0.09) ** 2)) < 1e-12

    # the functional API
    assert abs(grad(lambda v: v.sin())(0.5) - math.cos(0.5)) < 1e-12
    assert abs(grad(grad(lambda v: v.sin()))(0.5) + math.sin(0.5)) < 1e-12
    value, g = value_and_grad(lambda a, b: a * b)(2.0, 3.0)
    assert float(value) == 6.0 and g == 3.0
    h = hessian(lambda a, b: a * a * b)(1.0, 2.0)
    assert h == [[4.0, 2.0], [2.0, 0.0]], h  # a list of rows without numpy
    assert autograd.grad(Value(2.0) * x, [x])[0].data == 2.0  # PyTorch's form: Values

    # checkers and registration
    assert gradcheck(lambda a, b: (a * b).exp(), [0.3, -0.2])
    cube = register_op("cube", forward=lambda v: v**3, derivative=lambda v, out: 3 * v * v)
    assert grad(grad(cube))(2.0) == 12.0
    assert check_op((lambda v: v * v, lambda v, out: 2 * v), lambda v: v * v).passed
    assert check_op((math.tanh, lambda v, out: 1 - out * out), "tanh").passed
    assert check_backward(lambda out: out.backward()).passed

    try:
        autograd.compile(lambda xs: xs[0] * 2.0, 1)
    except ImportError as e:
        assert "numpy" in str(e), e
    else:
        raise AssertionError("compile worked without numpy")
    assert "numpy" not in sys.modules
    print("ok")
    """
)


def test_the_scalar_engine_runs_with_numpy_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
