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
@given(st.floats(-30.0, 30.0), finite)
def test_mse_of_one_output_is_half_squared_error_with_grad_y_hat_minus_y(pred, target) -> None:
    y = Value(pred)
    loss = nn.mse(y, target)
    loss.backward()
    assert loss.data == pytest.approx(0.5 * (pred - target) ** 2, rel=1e-12, abs=1e-12)
    assert y.grad == pytest.approx(pred - target, rel=1e-12, abs=1e-12)


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
    # δz = softmax(z) − onehot: exp(z − logsumexp(z)) carries logsumexp's rounding, |z|·2⁻⁵² ≤ 1.2e-13 here
    np.testing.assert_allclose([z.grad for z in zs], tz.grad.numpy(), rtol=1e-10, atol=2e-13)
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
    with pytest.raises(ValueError, match="class indices 0..2 for 3 logits, got 3"):
        nn.cross_entropy([Value(0.0)] * 3, 3)
    with pytest.raises(ValueError, match="sum to 1"):
        nn.cross_entropy([Value(0.0)] * 3, [1.0, 1.0, 0.0])
    with pytest.raises(TypeError, match="one probability per class \\(a list of 3\\); got a list of 2 numbers"):
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


# ---------------------------------------------------------------------------- batch form against torch
def _values(a: np.ndarray) -> Value | list:
    """Values in the nested-list shape of ``a``: a Value, a list, or a list of lists."""
    return Value(float(a)) if a.ndim == 0 else [_values(row) for row in a]


def _flat(x) -> list[Value]:
    return [x] if isinstance(x, Value) else [v for item in x for v in _flat(item)]


def _check_against_torch(got, ours: Value | list, expected: torch.Tensor, leaf: torch.Tensor, rng) -> None:
    """Values and gradients of a loss (any reduction) equal torch's; 'none' is compared elementwise and
    its gradient checked through a random weighted sum of the elements."""
    got_flat = _flat(got)
    np.testing.assert_allclose([v.data for v in got_flat], expected.detach().numpy().ravel(), rtol=1e-12, atol=1e-12)
    weights = rng.normal(size=len(got_flat))
    (expected.reshape(-1) * torch.tensor(weights)).sum().backward()
    autograd.dot(got_flat, weights.tolist()).backward()
    np.testing.assert_allclose([v.grad for v in _flat(ours)], leaf.grad.numpy().ravel(), rtol=1e-10, atol=1e-14)


SHAPES = [(), (7,), (5, 3)]
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_mse_is_half_of_torch_mse_loss(shape, reduction) -> None:
    """mse keeps the slides' ½: nn.mse = ½ · F.mse_loss, elementwise, with torch's reductions."""
    rng = np.random.default_rng(len(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    ours = _values(pred)
    got = nn.mse(ours, target.tolist(), reduction=reduction)
    leaf = _t(pred)
    expected = 0.5 * F.mse_loss(leaf, torch.tensor(target), reduction=reduction)
    _check_against_torch(got, ours, expected, leaf, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_bce_matches_torch(shape, reduction) -> None:
    rng = np.random.default_rng(10 + len(shape))
    prob, target = rng.uniform(0.02, 0.98, size=shape), rng.uniform(0.0, 1.0, size=shape).round()
    ours = _values(prob)
    got = nn.binary_cross_entropy(ours, np.asarray(target), reduction=reduction)
    leaf = _t(prob)
    _check_against_torch(got, ours, F.binary_cross_entropy(leaf, torch.tensor(target), reduction=reduction), leaf, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_bce_with_logits_matches_torch(shape, reduction) -> None:
    rng = np.random.default_rng(20 + len(shape))
    logit, target = rng.normal(scale=30.0, size=shape), rng.uniform(0.0, 1.0, size=shape)
    ours = _values(logit)
    got = nn.binary_cross_entropy_with_logits(ours, target.tolist(), reduction=reduction)
    leaf = _t(logit)
    expected = F.binary_cross_entropy_with_logits(leaf, torch.tensor(target), reduction=reduction)
    _check_against_torch(got, ours, expected, leaf, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("targets", ["index", "probabilities"])
def test_batch_cross_entropy_matches_torch(targets, reduction) -> None:
    rng = np.random.default_rng(30)
    logits = rng.normal(scale=5.0, size=(6, 4))
    index = rng.integers(0, 4, size=6)
    if targets == "index":
        ours_target, torch_target = index, torch.tensor(index)
    else:
        probs = rng.dirichlet(np.ones(4), size=6)
        ours_target, torch_target = probs.tolist(), torch.tensor(probs)
    ours = _values(logits)
    got = nn.cross_entropy(ours, ours_target, reduction=reduction)
    leaf = _t(logits)
    _check_against_torch(got, ours, F.cross_entropy(leaf, torch_target, reduction=reduction), leaf, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_batch_hinge_matches_torch_multi_margin_loss(reduction) -> None:
    """relu(1 − y·s) = 2 · multi_margin_loss on the row (0, s) with class (y + 1)/2, margin 1."""
    rng = np.random.default_rng(40)
    scores = np.concatenate([rng.normal(scale=2.0, size=9), [1.0, -1.0 + 1e-3]])
    ys = rng.choice([-1, 1], size=len(scores))
    ours = _values(scores)
    got = nn.hinge(ours, ys.tolist(), reduction=reduction)
    leaf = _t(scores)
    rows = torch.stack([torch.zeros_like(leaf), leaf], dim=1)
    expected = 2 * F.multi_margin_loss(rows, torch.tensor((ys + 1) // 2), reduction=reduction)
    _check_against_torch(got, ours, expected, leaf, rng)
    assert nn.hinge(_values(scores), ys.tolist()).data == pytest.approx(np.maximum(0, 1 - ys * scores).mean())


@pytest.mark.parametrize(
    ("loss", "preds", "targets"),
    [
        (nn.mse, [[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]], [[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]),
        (nn.binary_cross_entropy, [[0.2, 0.9], [0.6, 0.4]], [[0.0, 1.0], [1.0, 1.0]]),
        (nn.binary_cross_entropy_with_logits, [[2.0, -1.0], [0.5, 3.0]], [[0.0, 1.0], [1.0, 1.0]]),
        (nn.hinge, [[0.3, -2.0], [1.5, 0.2]], [[1, -1], [-1, 1]]),
        (nn.cross_entropy, [[2.0, -1.0, 0.5], [0.5, 3.0, 1.0]], [2, 0]),
    ],
)
def test_one_call_per_sample_averaged_equals_one_batch_call(loss, preds, targets) -> None:
    """The rule for multi-output models: per-sample losses averaged (what fit does) = the batch call."""
    per_sample = nn.mean_loss(loss, [_values(np.array(p)) for p in preds], targets).data
    assert loss(_values(np.array(preds)), targets).data == pytest.approx(per_sample, rel=1e-12)


def test_batch_form_accepts_numpy_targets_and_keeps_the_graph_small() -> None:
    preds = [Value(v) for v in (1.0, 2.0, 4.0)]
    J = nn.mse(preds, np.zeros(3))
    assert J.op == "mul" and J.inputs[0].op == "dot"  # ½/n · dot(d, d)
    assert J.data == pytest.approx((0.5 + 2 + 8) / 3)
    assert nn.hinge(preds, np.array([1, 1, -1]), reduction="sum").op == "sum"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.hinge([Value(0.0)] * 3, [1, -1]), ValueError, "list of 3 Values, so the target must have the same"),
        (lambda: nn.mse([Value(0.0)] * 2, 1.0), ValueError, "got the number 1.0"),
        (lambda: nn.mse([[Value(0.0)] * 2] * 2, [1.0, 2.0]), ValueError, "list of 2 lists of 2 Values"),
        (lambda: nn.mse([[Value(0.0)] * 2, [Value(0.0)]], [[1.0, 2.0], [1.0]]), TypeError, "equal-length lists"),
        (lambda: nn.mse(Value(0.0), "1"), ValueError, "got a str '1'"),
        (lambda: nn.mse(Value(0.0), 1.0, reduction="avg"), ValueError, "reduction must be 'mean', 'sum' or 'none'"),
        (lambda: nn.binary_cross_entropy(Value(1.5), 1), ValueError, "must lie in \\[0, 1\\], got 1.5.*with_logits"),
        (lambda: nn.binary_cross_entropy(Value(0.5), 2.0), ValueError, "a target must lie in \\[0, 1\\], got 2.0"),
        (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], 1.0), TypeError, "class index \\(an int in 0..1\\)"),
        (lambda: nn.cross_entropy([[Value(1.0)] * 3] * 2, [1]), ValueError, "batch of 2 rows of logits needs 2"),
        (lambda: nn.cross_entropy([[Value(1.0)] * 3] * 2, [1, 5]), ValueError, "class indices 0..2"),
        (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], [True, False]), TypeError, "got a list holding bool"),
    ],
)
def test_every_wrong_shape_says_what_was_expected(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------- losses described as data
def test_describe_reads_the_spec_through_wrappers() -> None:
    import functools

    z = [Value(1.0), Value(0.0), Value(-1.0)]
    spec = nn.losses.describe(lambda p, t: nn.cross_entropy(p, t), z, 2)
    assert spec == nn.losses.describe("cross_entropy", z, 2)
    assert (spec.target, spec.threshold) == ("class", None)
    partial = functools.partial(nn.binary_cross_entropy, eps=1e-9)
    assert nn.losses.describe(partial, Value(0.3), 1).threshold == 0.5
    from_logits = nn.losses.describe(lambda s, t: nn.binary_cross_entropy(s, t, from_logits=True), Value(3.0), 1)
    assert (from_logits.prediction, from_logits.threshold) == ("logit", 0.0)
    assert nn.losses.describe(lambda s, t: nn.hinge(s, t) * 2.0, Value(0.3), 1).target == "sign"
    assert nn.losses.describe(lambda p, t: (p - t) * (p - t), Value(0.3), 1) is None
    assert nn.losses.describe(lambda p, t: nn.mse(p, t) + nn.hinge(p, 1), Value(0.3), 1) is None
    assert not z[0].inputs and z[0].grad == 0.0  # described under no_grad, nothing recorded


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_treats_a_wrapped_loss_as_the_loss_itself(compiled) -> None:
    """The issue's case: loss=lambda p, t: nn.cross_entropy(p, t) with class indices trains as "cross_entropy"."""
    X, y = nn.spiral(10, classes=3, seed=2)
    runs = []
    for loss in ("cross_entropy", lambda p, t: nn.cross_entropy(p, t)):
        model = nn.MLP(2, [5, 3], seed=3)
        history = nn.fit(model, X, y, loss=loss, epochs=3, batch_size=8, seed=0, progress=False, compiled=compiled)
        runs.append((history.loss, history.accuracy, [p.data for p in model.parameters()]))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12)
    assert runs[0][1] == runs[1][1]
    np.testing.assert_allclose(runs[0][2], runs[1][2], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="hinge: labels must be -1 or \\+1"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, loss=lambda s, t: nn.hinge(s, t) * 2.0, progress=False)


def test_fit_reads_the_decision_threshold_from_a_wrapped_loss() -> None:
    X, y = nn.moons(20, seed=1)
    X = X + np.array([0.0, 1.0])  # the start model's scores lie in (0.2, 0.93): cuts at 0 and 0.5 differ
    results = []
    for loss, threshold in (
        ("bce_with_logits", None),
        (lambda s, t: 2.0 * nn.binary_cross_entropy_with_logits(s, t), None),
        (lambda s, t: nn.binary_cross_entropy(s.sigmoid(), t), 0.0),
    ):
        model = nn.MLP(2, [4, 1], seed=1)
        results.append(nn.evaluate(model, X, y, loss=loss, threshold=threshold)["accuracy"])
    assert results[0] == results[1] == results[2]
    model = nn.MLP(2, [4, 1], seed=1)
    assert nn.evaluate(model, X, y, loss="bce_with_logits", threshold=0.5)["accuracy"] != results[0]
    spec = nn.losses.describe(lambda s, t: nn.binary_cross_entropy(s.sigmoid(), t), Value(0.0), 1)
    assert (spec.target, spec.threshold) == ("probability", None)  # the 0.5 was about σ(s), not s
