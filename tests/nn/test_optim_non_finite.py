"""An optimiser step that would write inf or NaN raises NonFiniteError naming the parameter and changes nothing
(issue 23, item 3): neither a parameter nor the optimiser's state, in ``step()``, in ``fit`` (scalar and
compiled) and in ``CompiledTrainer``."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

import nn
from autograd import Value
from autograd.errors import NonFiniteError


def _named_pair() -> tuple[nn.Neuron, list[nn.Parameter]]:
    """A neuron's two parameters: 'w.0' (whose step overflows below) and 'b' (whose step would be finite)."""
    neuron = nn.Neuron(1, None, weights=[0.5], bias=0.25)
    return neuron, neuron.parameters()


def _state(optimizer: nn.Optimizer) -> dict:
    return copy.deepcopy(optimizer.state_dict()) | {
        k: copy.deepcopy(v) for k, v in vars(optimizer).items() if k in ("t", "m", "v", "velocity")
    }


def _assert_same_state(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        if isinstance(before[key], np.ndarray) or isinstance(after[key], np.ndarray):
            np.testing.assert_array_equal(before[key], after[key])
        else:
            assert before[key] == after[key], key


CASES = {
    # optimiser, the gradients of ('w.0', 'b') at each step, what overflows at the last step
    "SGD lr=1e308, grad 10": (lambda ps: nn.SGD(ps, lr=1e308), [(10.0, 0.0)], "value", "-inf"),
    "SGD weight decay": (lambda ps: nn.SGD(ps, lr=1e308, weight_decay=4.0), [(0.0, 0.0)], "value", "-inf"),
    "SGD momentum overflow": (
        lambda ps: nn.SGD(ps, lr=1e-300, momentum=0.9),
        [(1e308, 1.0), (1e308, 1.0)],
        "momentum buffer",
        "inf",
    ),
    "SGD nesterov": (lambda ps: nn.SGD(ps, lr=1e300, momentum=0.5, nesterov=True), [(1e10, 1.0)], "value", "-inf"),
    "Adam p = grad = 1e308, weight_decay=1": (
        lambda ps: nn.Adam(ps, lr=0.1, weight_decay=1.0),
        [(1e308, 0.0)],
        "first moment m",
        "inf",
    ),
    "Adam second moment": (lambda ps: nn.Adam(ps, lr=0.1), [(1e200, 1.0)], "second moment v", "inf"),
    "Adam lr=1e308": (lambda ps: nn.Adam(ps, lr=1e308), [(1.0, 1.0)], "value", "-inf"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_step_that_would_write_a_non_finite_value_raises_and_changes_nothing(case: str) -> None:
    make, grads, what, bad = CASES[case]
    neuron, (w, b) = _named_pair()
    if case.startswith("Adam p = grad"):
        w.data = 1e308
    optimizer = make([w, b])
    for gw, gb in grads[:-1]:  # the steps before the one that overflows are taken
        w.grad, b.grad = gw, gb
        optimizer.step()
    w.grad, b.grad = grads[-1]
    values, state = (w.data, b.data), _state(optimizer)
    with pytest.raises(NonFiniteError, match=rf"the new {what} of parameter 'w\.0' \(#0\) would be {bad} "):
        optimizer.step()
    assert (w.data, b.data) == values  # b's own step was finite: it is not taken either
    _assert_same_state(state, _state(optimizer))
    w.data, w.grad, b.grad = 0.5, 0.0, 0.0  # and the optimiser still works
    optimizer.lr = 1e-3
    optimizer.step()
    assert np.isfinite([w.data, b.data]).all()


def test_the_message_names_a_label_or_a_position_outside_a_model() -> None:
    x, y = Value(1.0, label="slope"), Value(2.0)
    x.grad = y.grad = 10.0
    with pytest.raises(NonFiniteError, match=r"parameter #0 would be -inf \(its value 2\.0, gradient 10\.0"):
        nn.SGD([y, x], lr=1e308).step()
    with pytest.raises(NonFiniteError, match=r"parameter 'slope' \(#0\)"):
        nn.SGD([x], lr=1e308).step()
    assert (x.data, y.data) == (1.0, 2.0)


def test_an_optimizer_with_its_own_rule_is_checked_too() -> None:
    class Doubling(nn.Optimizer):
        def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
            with np.errstate(over="ignore"):
                return data * 1e308

    w = Value(3.0, label="w")
    with pytest.raises(NonFiniteError, match=r"Doubling\.step: the new value of parameter 'w' \(#0\) would be inf"):
        Doubling([w], lr=0.1).step()
    assert w.data == 3.0


X, Y = nn.data.xor()


@pytest.mark.parametrize(("compiled", "dtype"), [(False, np.float64), (True, np.float64), (True, np.float32)])
def test_fit_with_an_overflowing_adam_raises_and_leaves_the_model_as_it_was(compiled: bool, dtype) -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    before = model.state_dict()
    with pytest.raises(NonFiniteError, match=r"Adam\.step: the new value of parameter 'layers\.\d\.neurons\.\d\.[wb]"):
        nn.fit(
            model,
            X,
            Y,
            loss="bce_with_logits",
            optimizer=nn.Adam(model.parameters(), lr=1e308),
            epochs=1,
            progress=False,
            compiled=compiled,
            dtype=dtype,
        )
    assert model.state_dict() == {k: float(dtype(v)) for k, v in before.items()}  # float32: its rounding only


def test_fit_stops_at_the_step_that_overflows_with_the_values_of_the_step_before() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    steps: list[dict[str, float]] = []
    optimizer = nn.Adam(model.parameters(), lr=1.0)
    schedule = nn.LambdaLR(optimizer, lambda epoch: 0.01 if epoch < 3 else 1e308)
    with pytest.raises(NonFiniteError):
        nn.fit(
            model,
            X,
            Y,
            loss="bce_with_logits",
            optimizer=optimizer,
            scheduler=schedule,
            epochs=5,
            progress=False,
            callbacks=[lambda e, logs: steps.append(model.state_dict())],
        )
    assert len(steps) == 3 and model.state_dict() == steps[-1]


def test_a_compiled_trainer_step_that_overflows_changes_nothing() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    trainer = nn.CompiledTrainer(model, "bce_with_logits", optimizer, X, Y)
    trainer.step(X, Y)
    trainer.sync()
    after_one, state = model.state_dict(), _state(optimizer)
    optimizer.lr = 1e308
    with pytest.raises(NonFiniteError, match=re.escape("Adam.step: the new value of parameter 'layers.")):
        trainer.step(X, Y)
    trainer.sync()
    assert model.state_dict() == after_one
    _assert_same_state(state | {"lr": 1e308}, _state(optimizer))
