"""Losses against torch (float64): values, gradients, stability at extreme inputs; the L2 convention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value

torch = pytest.importorskip("torch")
F = torch.nn.functional
finite = st.floats(-30.0, 30.0, allow_nan=False)


def _t(xs) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=1, max_size=4), st.data())
def test_mse_is_half_squared_error_with_grad_y_hat_minus_y(preds, data) -> None:
    targets = data.draw(st.lists(finite, min_size=len(preds), max_size=len(preds)))
    ys = [Value(p) for p in preds]
    loss = nn.mse(ys[0] if len(ys) == 1 else ys, targets[0] if len(ys) == 1 else targets)
    loss.backward()
    tp = _t(preds)
    expected = 0.5 * F.mse_loss(tp, torch.tensor(targets, dtype=torch.float64), reduction="sum")
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose([y.grad for y in ys], tp.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([y.grad for y in ys], np.subtract(preds, targets), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(-800.0, 800.0), st.sampled_from([0.0, 1.0, 0.3]))
def test_bce_with_logits_matches_torch_and_never_overflows(z, y) -> None:
    v = Value(z)
    loss = nn.binary_cross_entropy_with_logits(v, y)
    loss.backward()
    tz = _t(z)
    expected = F.binary_cross_entropy_with_logits(tz, torch.tensor(y, dtype=torch.float64))
    expected.backward()
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    assert v.grad == pytest.approx(tz.grad.item(), rel=1e-12, abs=1e-15)
    assert nn.binary_cross_entropy(Value(z), y, from_logits=True).data == loss.data


@settings(max_examples=40, deadline=None)
@given(st.floats(1e-6, 1 - 1e-6), st.sampled_from([0.0, 1.0, 0.7]))
def test_bce_from_probabilities_matches_torch(p, y) -> None:
    v = Value(p)
    loss = nn.binary_cross_entropy(v, y)
    loss.backward()
    tp = _t(p)
    expected = F.binary_cross_entropy(tp, torch.tensor(y, dtype=torch.float64))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-9)
    assert v.grad == pytest.approx(tp.grad.item(), rel=1e-9)


def test_bce_from_probabilities_clamps_saturated_inputs() -> None:
    for p, y in ((0.0, 1.0), (1.0, 0.0)):
        loss = nn.binary_cross_entropy(Value(p), y)
        assert loss.data == pytest.approx(-math.log(1e-12), rel=1e-6)
    assert nn.binary_cross_entropy(Value(1.0), 1.0).data == pytest.approx(0.0, abs=1e-11)
    p = Value(0.0)
    nn.binary_cross_entropy(p, 1.0).backward()
    assert p.grad == 0.0  # clamped, as torch.clamp
    x = Value(0.5)
    c = nn.losses.clamp(x, 0.0, 1.0)
    c.backward()
    assert c.data == 0.5 and x.grad == 1.0
    assert [nn.losses.clamp(Value(v), -1.0, 2.0).data for v in (-5.0, 0.3, 7.0)] == [-1.0, 0.3, 2.0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-500.0, 500.0), min_size=2, max_size=6), st.data())
def test_cross_entropy_matches_torch_for_index_and_one_hot_targets(logits, data) -> None:
    k = data.draw(st.integers(0, len(logits) - 1))
    zs = [Value(z) for z in logits]
    loss = nn.cross_entropy(zs, k)
    loss.backward()
    tz = _t(logits)
    expected = F.cross_entropy(tz[None], torch.tensor([k]))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose([z.grad for z in zs], tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    hot = [0.0] * len(logits)
    hot[k] = 1.0
    zs2 = [Value(z) for z in logits]
    loss2 = nn.cross_entropy(zs2, hot)
    loss2.backward()
    assert loss2.data == loss.data
    assert [z.grad for z in zs2] == [z.grad for z in zs]


def test_cross_entropy_with_soft_targets_and_errors() -> None:
    logits, target = [1.0, -2.0, 0.5], [0.2, 0.3, 0.5]
    expected = F.cross_entropy(torch.tensor([logits], dtype=torch.float64), torch.tensor([target], dtype=torch.float64))
    assert nn.cross_entropy([Value(z) for z in logits], target).data == pytest.approx(expected.item(), rel=1e-12)
    with pytest.raises(ValueError, match="out of range for 3 classes"):
        nn.cross_entropy([Value(0.0)] * 3, 3)
    with pytest.raises(ValueError, match="sum to 1"):
        nn.cross_entropy([Value(0.0)] * 3, [1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="3 prediction"):
        nn.cross_entropy([Value(0.0)] * 3, [1.0, 0.0])
    with pytest.raises(ValueError, match="at least 2 logits"):
        nn.cross_entropy(Value(1.0), 0)
    with pytest.raises(TypeError, match="prediction must be a Value"):
        nn.cross_entropy([1.0, 2.0], 0)


def test_hinge_is_micrograds_max_margin() -> None:
    for s, y in ((0.3, 1), (0.3, -1), (2.0, 1), (-2.0, 1)):
        v = Value(s)
        loss = nn.hinge(v, y)
        loss.backward()
        assert loss.data == max(0.0, 1 - y * s)
        assert v.grad == (-y if 1 - y * s > 0 else 0.0)
    with pytest.raises(ValueError, match="-1 or \\+1.*2\\*y - 1"):
        nn.hinge(Value(0.0), 0)


@pytest.mark.parametrize(
    ("loss", "labels"),
    [
        (nn.hinge, [1.0, -1.0]),
        (nn.binary_cross_entropy_with_logits, [0.0, 1.0]),
        (lambda s, y: nn.binary_cross_entropy(s.sigmoid(), y), [0.0, 1.0]),
        (nn.mse, [0.0, 1.0, -2.5]),
        (lambda s, y: nn.cross_entropy([s, -s, 0.5 * s], y), None),
    ],
)
def test_losses_work_on_placeholder_targets_inside_a_compiled_trace(loss, labels) -> None:
    """Nothing branches on data, so one traced graph is right for every sample and target."""
    compile_graph = autograd.compile
    w = nn.Parameter(0.7)
    xs = [2.0, -1.0, 0.1, 3.0, 60.0, -60.0]
    if labels is None:
        targets = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        g = compile_graph(lambda v: loss(w * v[0], v[1:]), 4)
    else:
        targets = [labels[i % len(labels)] for i in range(len(xs))]
        g = compile_graph(lambda v: loss(w * v[0], v[1]), 2)
    rows = np.array([[x, *(t if isinstance(t, list) else [t])] for x, t in zip(xs, targets)])
    got = g.forward(rows)
    g.backward(np.full(len(xs), 1.0 / len(xs)))
    w_grad = w.grad
    w.grad = 0.0
    eager = nn.mean_loss(lambda x, t: loss(w * x, t), [Value(x) for x in xs], targets)
    eager.backward()
    expected = [loss(w * x, t).data for x, t in zip(xs, targets)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert w_grad == pytest.approx(w.grad, rel=1e-12, abs=1e-15)


def test_l2_penalty_is_half_lambda_sum_of_squares() -> None:
    params = [nn.Parameter(v) for v in (1.0, -2.0, 0.5)]
    pen = nn.l2_penalty(params, 0.1)
    assert pen.data == pytest.approx(0.5 * 0.1 * (1 + 4 + 0.25), rel=1e-15)
    pen.backward()
    assert [p.grad for p in params] == pytest.approx([0.1, -0.2, 0.05], rel=1e-15)
    with pytest.raises(ValueError, match="no parameters"):
        nn.l2_penalty([], 0.1)


def test_l2_penalty_plus_sgd_equals_sgd_weight_decay() -> None:
    """The slides' (1 − αλ)W − α ∂J/∂W either way: as an added loss term or as weight_decay."""
    X, y = nn.moons(16, seed=0)
    a = nn.MLP(2, [4, 1], seed=1)
    b = nn.MLP(2, [4, 1], seed=1)
    opt_a = nn.SGD(a.parameters(), lr=0.3, weight_decay=0.05)
    opt_b = nn.SGD(b.parameters(), lr=0.3)
    for _ in range(5):
        for model, opt, lam in ((a, opt_a, 0.0), (b, opt_b, 0.05)):
            opt.zero_grad()
            J = nn.mean_loss(nn.binary_cross_entropy_with_logits, [model(x) for x in X], y.tolist())
            if lam:
                J = J + nn.l2_penalty(model.parameters(), lam)
            J.backward()
            opt.step()
    np.testing.assert_allclose(list(a.state_dict().values()), list(b.state_dict().values()), rtol=1e-12, atol=1e-15)


def test_mean_loss_is_one_mean_node() -> None:
    preds = [Value(1.0), Value(2.0), Value(4.0)]
    J = nn.mean_loss(nn.mse, preds, [0.0, 0.0, 0.0])
    assert J.op == "mean" and len(J.inputs) == 3
    assert J.data == pytest.approx((0.5 + 2 + 8) / 3)
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        nn.mean_loss(nn.mse, preds, [0.0, 0.0])


def test_loss_lookup_by_name() -> None:
    assert nn.losses.get("cross_entropy") is nn.cross_entropy
    assert nn.losses.get(nn.hinge) is nn.hinge
    with pytest.raises(ValueError, match="unknown name 'nll'"):
        nn.losses.get("nll")
