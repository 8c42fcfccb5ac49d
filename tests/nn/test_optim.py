"""Optimisers and schedules: the slides' update exactly, and step-by-step agreement with torch.optim."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Value

START = [0.8, -1.3, 0.4]


def _loss(w):
    """A small non-quadratic problem: J(w) = (w0·w1 − 1)² + tanh(w2)·w0 + w1² (works on Values and tensors)."""
    tanh = w[2].tanh()
    return (w[0] * w[1] - 1.0) ** 2 + tanh * w[0] + w[1] * w[1]


def _trajectory(params, make, read, steps):
    """The parameters after each of ``steps`` optimiser steps on ``_loss`` (PyTorch's loop, either engine)."""
    opt = make(params)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()
        trajectory.append([read(p) for p in params])
    return np.array(trajectory)


def _ours(make, steps=25):
    return _trajectory([nn.Parameter(v) for v in START], make, lambda p: p.data, steps)


@pytest.fixture
def torch():
    """torch 2.13.0, the reference (test extra): only the tests comparing with it need it."""
    return pytest.importorskip("torch")


def _torch(torch, make, steps=25):
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    return _trajectory(params, make, lambda p: p.item(), steps)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1},
        {"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01},
        {"lr": 0.05, "weight_decay": 0.3},
    ],
)
def test_sgd_trajectory_matches_torch(kwargs, torch) -> None:
    ours = _ours(lambda ps: nn.SGD(ps, **kwargs))
    theirs = _torch(torch, lambda ps: torch.optim.SGD(ps, **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [{"lr": 0.05}, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}, {"lr": 0.05, "weight_decay": 0.1}],
)
def test_adam_trajectory_matches_torch(kwargs, torch) -> None:
    ours = _ours(lambda ps: nn.Adam(ps, **kwargs))
    theirs = _torch(torch, lambda ps: torch.optim.Adam(ps, **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_sgd_weight_decay_is_exactly_the_slides_update() -> None:
    rng = np.random.default_rng(0)
    params = [nn.Parameter(v) for v in rng.normal(size=20)]
    grads = rng.normal(size=20)
    for p, g in zip(params, grads):
        p.grad = float(g)
    before = [p.data for p in params]
    alpha, lam = 0.37, 0.013
    nn.SGD(params, lr=alpha, weight_decay=lam).step()
    assert [p.data for p in params] == [(1 - alpha * lam) * w - alpha * g for w, g in zip(before, grads.tolist())]


def test_plain_sgd_is_w_minus_lr_grad() -> None:
    w = Value(2.0)
    w.grad = 0.5
    nn.SGD([w], lr=0.1).step()
    assert w.data == 2.0 - 0.1 * 0.5


def test_schedules_match_torch(torch) -> None:
    lam = lambda e: 1.0 - 0.9 * e / 10  # noqa: E731
    for ours_cls, torch_cls, kwargs in (
        (nn.LambdaLR, torch.optim.lr_scheduler.LambdaLR, {"lr_lambda": lam}),
        (nn.StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 3, "gamma": 0.5}),
    ):
        opt = nn.SGD([Value(0.0)], lr=0.8)
        t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.8)
        schedule, t_schedule = ours_cls(opt, **kwargs), torch_cls(t_opt, **kwargs)
        for _ in range(9):
            assert opt.lr == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-15)
            t_opt.step()
            schedule.step()
            t_schedule.step()


def test_state_dict_round_trip_continues_the_same_trajectory() -> None:
    for make in (lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9), lambda ps: nn.Adam(ps, lr=0.05)):
        full = _ours(make, steps=10)
        params = [nn.Parameter(v) for v in START]
        opt = make(params)
        for _ in range(5):
            opt.zero_grad()
            _loss(params).backward()
            opt.step()
        state = opt.state_dict()
        copy = [nn.Parameter(p.data) for p in params]
        resumed = make(copy)
        resumed.load_state_dict(state)
        for _ in range(5):
            resumed.zero_grad()
            _loss(copy).backward()
            resumed.step()
        assert [p.data for p in copy] == full[-1].tolist()


def test_optimizer_validation() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -1.0"):
        nn.SGD([Value(0.0)], lr=-1.0)
    with pytest.raises(TypeError, match="must be Values"):
        nn.Adam([1.0])
    with pytest.raises(ValueError, match="betas"):
        nn.Adam([Value(0.0)], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD([Value(0.0)], lr=0.1, nesterov=True)
    w = Value(1.0)
    opt = nn.SGD([w, w], lr=0.1)
    assert len(opt.params) == 1  # a shared parameter is updated once
    w.grad = 3.0
    opt.zero_grad()
    assert w.grad == 0.0


@pytest.mark.parametrize("lr", [-0.1, float("nan"), float("inf")])
def test_learning_rate_set_later_is_checked_too(lr: float) -> None:
    opt = nn.Adam([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match=f"Adam: lr must be a finite number >= 0, got {lr}"):
        opt.lr = lr
    assert opt.lr == 0.1


@pytest.mark.parametrize("gamma", [-1.0, 0.0, float("nan"), float("inf")])
def test_step_lr_rejects_a_gamma_that_is_not_positive_and_finite(gamma: float) -> None:
    opt = nn.SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="StepLR: gamma must be"):
        nn.StepLR(opt, step_size=2, gamma=gamma)
    assert opt.lr == 0.1


def test_a_schedule_that_turns_the_learning_rate_negative_names_the_epoch() -> None:
    opt = nn.SGD([Value(0.0)], lr=0.1)
    schedule = nn.LambdaLR(opt, lambda epoch: 1.0 - epoch / 2)
    schedule.step()
    schedule.step()
    assert opt.lr == 0.0
    with pytest.raises(ValueError, match=r"LambdaLR: the schedule gives epoch 3 .*lr must be .* got -0\.05"):
        schedule.step()
    assert opt.lr == 0.0  # the last valid rate stays


def test_fit_with_a_callable_schedule_going_negative_raises() -> None:
    X, y = nn.xor()
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -0.1"):
        nn.fit(model, X, y, epochs=3, progress=False, scheduler=lambda epoch: 0.1 - 0.1 * epoch)
