"""softmax and log_softmax at every input scale, against PyTorch (float64) and finite differences.

They subtract max x before anything else: xᵢ − logsumexp(x) loses what the sum adds to the max once |x| passes
about 1e16 (``softmax([1e308, 1e308])`` was [1, 1]); ties, ±1e308 and huge next to small entries are checked in
every mode: scalar, create_graph (second order), compiled and without numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import autograd
from autograd import Value
from autograd.errors import NonFiniteError

EXTREME = {
    "ties at 1e308": [1e308, 1e308],
    "ties at -1e308": [-1e308, -1e308, -1e308],
    "ties at 1e17 beside 0": [1e17, 1e17, 0.0],
    "huge and small": [1e20, 1.0, -3.0, 1e20 + 2**14],
    "mixed signs": [5e307, -5e307, 1.0, 5e307],
    "1e308 ties, one far below": [1e308, 1e308, -1e308],
    "1.5e308, 0, -1.5e308": [1.5e308, 0.0, -1.5e308],
    "one entry": [3e300],
}


def random_rows() -> dict[str, list[float]]:
    rng = np.random.default_rng(7)
    rows = {}
    for scale in (1.0, 1e3, 1e12, 1e16, 1e20, 1e300):
        row = rng.normal(size=5) * scale
        row[3] = row[1]  # a tie, wherever it falls
        rows[f"random × {scale:g}"] = row.tolist()
    return rows


CASES = {**EXTREME, **random_rows()}


def torch_reference(fn: str, xs: list[float], g: list[float]) -> tuple[list[float], list[float]]:
    """(outputs, δx of Σ gᵢ·outᵢ) by PyTorch in float64."""
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = getattr(torch, fn)(t, 0)
    (grad,) = torch.autograd.grad((out * torch.tensor(g, dtype=torch.float64)).sum(), t)
    return out.tolist(), grad.tolist()


def upstream(n: int) -> list[float]:
    return np.random.default_rng(n).normal(size=n).tolist()


def close(got: list[float], want: list[float]) -> bool:
    return all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(got, want, strict=True))


FAR_BELOW = ("1e308 ties, one far below", "1.5e308, 0, -1.5e308")  # log-probabilities below the float range


@pytest.mark.parametrize(
    ("fn", "name"), [("softmax", n) for n in CASES] + [("log_softmax", n) for n in CASES if n not in FAR_BELOW]
)
def test_values_and_gradients_match_pytorch(fn: str, name: str) -> None:
    xs = [Value(x) for x in CASES[name]]
    g = upstream(len(xs))
    outs = getattr(autograd, fn)(xs)
    autograd.sum([o * gi for o, gi in zip(outs, g)]).backward()
    want, want_grad = torch_reference(fn, CASES[name], g)
    assert close([o.data for o in outs], want), ([o.data for o in outs], want)
    assert close([x.grad for x in xs], want_grad), ([x.grad for x in xs], want_grad)
    if fn == "softmax":
        assert math.isclose(sum(o.data for o in outs), 1.0, rel_tol=1e-15)


def test_ties_at_1e308_are_halves_as_in_pytorch() -> None:
    assert [p.data for p in autograd.softmax([1e308, 1e308])] == [0.5, 0.5]
    assert [o.data for o in autograd.log_softmax([1e308, 1e308])] == [-math.log(2)] * 2
    with pytest.raises(NonFiniteError, match="-inf"):  # PyTorch's [0, -inf]: deltagrad stops at the first inf
        autograd.log_softmax([1e308, -1e308])


@pytest.mark.parametrize("name", ["ties at 1e308", "huge and small", "random × 1e+20", "random × 1"])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_second_order_matches_pytorch(fn: str, name: str) -> None:
    """create_graph: the Hessian of Σ gᵢ·outᵢ, row by row, against torch.autograd.functional.hessian."""
    row, g = CASES[name], upstream(len(CASES[name]))
    xs = [Value(x) for x in row]
    f = autograd.sum([o * gi for o, gi in zip(getattr(autograd, fn)(xs), g)])
    first = autograd.grad(f, xs, create_graph=True)
    ours = [[d.data for d in autograd.grad(fi, xs, allow_unused=True)] for fi in first]
    gt = torch.tensor(g, dtype=torch.float64)
    want = torch.autograd.functional.hessian(
        lambda t: (getattr(torch, fn)(t, 0) * gt).sum(), torch.tensor(row, dtype=torch.float64)
    )
    for got_row, want_row in zip(ours, want.tolist()):
        assert all(math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-14) for a, b in zip(got_row, want_row)), ours


@pytest.mark.parametrize("row", [[0.3, -1.2, 2.0, 0.3], [2.0, 2.0, 2.0], [40.0, -40.0, 39.5]])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_gradients_match_finite_differences(fn: str, row: list[float]) -> None:
    g = upstream(len(row))

    def f(values: list[float]) -> float:
        return sum(o.data * gi for o, gi in zip(getattr(autograd, fn)(values), g))

    xs = [Value(x) for x in row]
    autograd.sum([o * gi for o, gi in zip(getattr(autograd, fn)(xs), g)]).backward()
    h = 1e-6
    for i, x in enumerate(xs):
        up, down = list(row), list(row)
        up[i] += h
        down[i] -= h
        assert math.isclose(x.grad, (f(up) - f(down)) / (2 * h), rel_tol=1e-6, abs_tol=1e-8)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_compiled_replays_extreme_rows_like_pytorch(fn: str) -> None:
    """Traced on ordinary numbers, replayed on ties at ±1e308 and huge next to small: the fused kernel's rows."""
    graph = autograd.compile(lambda x: getattr(autograd, fn)(x), 4)
    assert f"{fn}×1 (rows of 4)" in graph.describe() and "sub" not in graph.describe()
    rows = [[1e308, 1e308, 1e308, 1e308], [1e20, 1.0, -3.0, 1e20 + 2**14], [5e307, -5e307, 1.0, 5e307]]
    rows += [[-1e308, -1e308, 0.5, 0.25]] if fn == "softmax" else [[-1e300, -1e300, -1e300, -1e300]]
    X = np.array(rows)
    seed = np.random.default_rng(3).normal(size=X.shape)
    out = graph.forward(X)
    dX = graph.backward(seed, input_grads=True)
    t = torch.tensor(X, requires_grad=True)
    want = getattr(torch, fn)(t, 1)
    (want_grad,) = torch.autograd.grad((want * torch.tensor(seed)).sum(), t)
    np.testing.assert_allclose(out, want.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dX, want_grad.numpy(), rtol=1e-12, atol=1e-15)


def test_compiled_graph_of_shifted_logits_read_elsewhere_is_replayed_node_by_node() -> None:
    """A shifted logit read by something else too cannot fold into the kernel: the shift is replayed, same numbers."""

    def fn(x: list[Value]) -> list[Value]:
        shift = Value(0.5)
        ys = [v - shift for v in x]
        s = autograd.logsumexp(ys)
        return [*((y - s).exp() for y in ys), ys[0] * 2.0]

    graph = autograd.compile(fn, 3)
    assert "softmax×1 (rows of 3)" in graph.describe() and "sub" in graph.describe()
    X = np.array([[0.1, 0.2, 0.3], [2.0, -1.0, 0.0]])
    y = X - 0.5
    p = np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(graph.forward(X), np.concatenate([p, y[:, :1] * 2.0], axis=1), rtol=1e-13)
