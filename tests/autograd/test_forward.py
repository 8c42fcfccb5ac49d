"""Forward mode (autograd.forward): jvp and jacobian's shapes, composition, user ops and errors.

Random graphs over the whole op table are checked against torch in test_fuzz.py; this file checks the
API around them.
"""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import pytest

import autograd
from autograd import Value, grad, jacobian, jvp

torch = pytest.importorskip("torch")


def test_jvp_takes_jax_arguments_and_returns_primal_and_tangent() -> None:
    out, tangent = jvp(lambda x, y: x * y + x.sin(), (2.0, 3.0), (1.0, 0.5))
    assert out == pytest.approx(6.0 + math.sin(2.0))
    assert tangent == pytest.approx((3.0 + math.cos(2.0)) * 1.0 + 2.0 * 0.5)
    assert isinstance(out, float) and isinstance(tangent, float)


def test_jvp_of_lists_keeps_the_structure_of_the_output() -> None:
    def f(xs: list[Value], c: Value) -> list[Value]:
        return [xs[0] * xs[1] * c, autograd.logsumexp(xs), c.exp()]

    xs, ts = [0.5, -1.0], [1.0, 2.0]
    outs, tangents = jvp(f, (xs, 2.0), (ts, -1.0))
    expected_out, expected_tangent = torch.func.jvp(
        lambda x, c: torch.stack([x[0] * x[1] * c, torch.logsumexp(x, 0), c.exp()]),
        (torch.tensor(xs, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)),
        (torch.tensor(ts, dtype=torch.float64), torch.tensor(-1.0, dtype=torch.float64)),
    )
    assert outs == pytest.approx(expected_out.tolist(), rel=1e-12)
    assert tangents == pytest.approx(expected_tangent.tolist(), rel=1e-12)


def test_an_output_that_does_not_depend_on_the_input_has_tangent_zero() -> None:
    assert jvp(lambda x: [x * 2, 5.0, Value(1.0) + 1], (1.0,), (1.0,)) == ([2.0, 5.0, 2.0], [2.0, 0.0, 0.0])


def test_jvp_composes_with_grad_both_ways() -> None:
    f = lambda x, y: x * x * y + (x * y).sin()  # noqa: E731
    x, y = 0.7, -1.3
    # forward over reverse: the Hessian times a vector
    _, Ht = jvp(grad(f, (0, 1)), (x, y), (1.0, 0.0))
    point = torch.tensor([x, y], dtype=torch.float64)
    H = torch.autograd.functional.hessian(lambda t: t[0] * t[0] * t[1] + (t[0] * t[1]).sin(), point)
    assert list(Ht) == pytest.approx(H[:, 0].tolist(), rel=1e-12)
    # reverse over forward: the gradient of a directional derivative
    d = grad(lambda a, b: jvp(f, (a, b), (1.0, 0.0))[1], (0, 1))(x, y)
    assert list(d) == pytest.approx(H[0].tolist(), rel=1e-12)
    # a closure over an outer argument
    assert grad(lambda a: jvp(lambda b: a * b * b, (2.0,), (1.0,))[1])(3.0) == pytest.approx(4.0)
    # third order, forward over forward over reverse
    assert jvp(lambda x: jvp(grad(lambda u: u**4), (x,), (1.0,))[1], (2.0,), (1.0,))[1] == pytest.approx(48.0)


def test_jvp_with_values_returns_values_in_a_graph() -> None:
    x = Value(1.5)
    out, tangent = jvp(lambda u: u.tanh(), (x,), (1.0,))
    assert out.data == pytest.approx(math.tanh(1.5)) and isinstance(tangent, Value)
    tangent.backward()  # d/dx (1 - tanh² x) = -2 tanh x (1 - tanh² x)
    assert x.grad == pytest.approx(-2 * math.tanh(1.5) * (1 - math.tanh(1.5) ** 2))


@pytest.mark.parametrize("mode", autograd.forward.MODES)
def test_jacobian_shapes_follow_the_function_and_the_argument(mode: str) -> None:
    assert jacobian(lambda x: x.sin(), mode=mode)(0.0) == pytest.approx(1.0)
    assert jacobian(lambda xs: xs[0] * xs[1], mode=mode)([2.0, 3.0]) == pytest.approx([3.0, 2.0])
    assert jacobian(lambda x: [x * 2, x * x], mode=mode)(3.0) == pytest.approx([2.0, 6.0])
    J = jacobian(lambda xs: [xs[0] * xs[1], xs[0] + xs[1], xs[1].exp()], mode=mode)([2.0, 0.0])
    assert J == [[0.0, 2.0], [1.0, 1.0], [0.0, 1.0]]
    Jx, Jy = jacobian(lambda x, ys: [x * ys[0], ys[1]], argnums=(0, 1), mode=mode)(2.0, [3.0, 4.0])
    assert (Jx, Jy) == ([3.0, 0.0], [[2.0, 0.0], [0.0, 1.0]])


def test_forward_and_reverse_jacobians_of_a_network_agree_with_torch() -> None:
    W = [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]]

    def layer(xs: list[Value]) -> list[Value]:
        return [autograd.dot(w, xs, 0.1).tanh() for w in W]

    xs = [0.2, -0.4, 0.9]
    expected = torch.autograd.functional.jacobian(
        lambda x: torch.tanh(torch.tensor(W, dtype=torch.float64) @ x + 0.1), torch.tensor(xs, dtype=torch.float64)
    )
    for mode in autograd.forward.MODES:
        J = jacobian(layer, mode=mode)(xs)
        assert [v for row in J for v in row] == pytest.approx(expected.flatten().tolist(), rel=1e-12)


def test_registered_ops_get_forward_mode(restore_ops: None) -> None:
    atan = autograd.register_op("atan_forward", forward=math.atan, derivative=lambda x, out: 1 / (1 + x * x))
    assert jvp(lambda x: atan(x * x), (2.0,), (1.0,))[1] == pytest.approx(4.0 / 17.0)
    # second order through its derivative written with Values: d²/dx² atan(x) = -2x / (1 + x²)²
    assert jvp(grad(lambda x: atan(x)), (2.0,), (1.0,))[1] == pytest.approx(-4.0 / 25.0)
    assert jacobian(jacobian(lambda x: atan(x), mode="forward"), mode="forward")(2.0) == pytest.approx(-4.0 / 25.0)


def test_a_micrograd_closure_op_has_first_order_forward_mode() -> None:
    def cube(x: Value) -> Value:
        out = Value(x.data**3, (x,), "cube")

        def _backward() -> None:
            x.grad += 3 * x.data**2 * out.grad

        out._backward = _backward
        return out

    assert jvp(lambda x: cube(x) * 2, (2.0,), (1.0,)) == (16.0, 24.0)
    with pytest.raises(NotImplementedError, match="cube"):
        jvp(grad(lambda x: cube(x)), (2.0,), (1.0,))


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple.*jvp\(f, \(x,\), \(t,\)\)"):
        jvp(lambda x: x, 1.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="jvp: 2 primal"):
        jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="tangent 0"):
        jvp(lambda xs: xs[0], ([1.0, 2.0],), ([1.0],))
    with pytest.raises(TypeError, match="jvp: tangents must be numbers"):
        jvp(lambda x: x, (1.0,), ("a",))
    with pytest.raises(ValueError, match="non-finite point"):
        jvp(lambda x: x, (math.nan,), (1.0,))
    with pytest.raises(TypeError, match="must return a Value"):
        jvp(lambda x: "x", (1.0,), (1.0,))
    with pytest.raises(ValueError, match="mode must be 'forward' or 'reverse', got 'sideways'"):
        jacobian(lambda x: x, mode="sideways")  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="argnums 3"):
        jacobian(lambda x: x, argnums=3)(1.0)


def test_a_derivative_undefined_on_the_way_names_the_op() -> None:
    # Value ** Value at a negative base: the exponent's derivative needs log(base)
    with pytest.raises(ValueError, match=r"forward mode through pow\(-2.0, 2.0\)"):
        jvp(lambda x, y: x**y, (-2.0, 2.0), (0.0, 1.0))


def test_forward_mode_imports_nothing_but_the_standard_library() -> None:
    """The scalar engine runs without numpy (a browser's Python): forward.py imports only stdlib and autograd."""
    tree = ast.parse(Path(autograd.forward.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
