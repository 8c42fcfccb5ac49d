"""fit / predict / accuracy / evaluate reject bad inputs up front, the same way in scalar and compiled mode.

Non-finite features and labels are a NonFiniteError naming the row and column; labels that are not
numbers, or not one per row, are a plain error naming the function (issue 15, items 2, 3 and 9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nn
from autograd.errors import NonFiniteError

Call = Callable[[nn.Module, np.ndarray, Any, bool], Any]

CALLS: dict[str, Call] = {
    "fit": lambda model, X, y, compiled: nn.fit(model, X, y, epochs=2, progress=False, compiled=compiled),
    "predict": lambda model, X, y, compiled: nn.predict(model, X, compiled=compiled),
    "accuracy": lambda model, X, y, compiled: nn.accuracy(model, X, y, compiled=compiled),
    "evaluate": lambda model, X, y, compiled: nn.evaluate(model, X, y, compiled=compiled),
}
LABELLED = ["fit", "accuracy", "evaluate"]


@pytest.fixture
def model() -> nn.MLP:
    return nn.MLP(3, [4, 1], activation="tanh", seed=0)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])


def snapshot(model: nn.Module) -> list[float]:
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_feature_is_named_by_row_and_column(
    model: nn.MLP, data: tuple[np.ndarray, np.ndarray], name: str, compiled: bool, bad: float
) -> None:
    X, y = data
    X[4, 2] = bad
    before = snapshot(model)
    with pytest.raises(NonFiniteError, match=rf"{name}: X\[4, 2\] \(row 4, column 2\) is {bad!r}"):
        CALLS[name](model, X, y, compiled)
    assert snapshot(model) == before  # nothing trained on it


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
@pytest.mark.parametrize("name", LABELLED)
def test_a_non_finite_label_is_named_by_row(
    model: nn.MLP, data: tuple[np.ndarray, np.ndarray], name: str, compiled: bool
) -> None:
    X, y = data
    y = y.astype(float)
    y[3] = float("nan")
    with pytest.raises(NonFiniteError, match=r"y\[3\] is nan"):
        CALLS[name](model, X, y, compiled)


def test_non_finite_errors_are_still_value_errors(model: nn.MLP, data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    X[0, 0] = float("nan")
    with pytest.raises(ValueError):
        nn.fit(model, X, y, epochs=1, progress=False)
    with pytest.raises(ArithmeticError):
        nn.predict(model, X, compiled=True)


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
@pytest.mark.parametrize("name", LABELLED)
def test_string_labels_are_a_plain_type_error(
    model: nn.MLP, data: tuple[np.ndarray, np.ndarray], name: str, compiled: bool
) -> None:
    X, _ = data
    y = np.array(["cat", "dog", "dog", "cat", "dog", "cat"])
    with pytest.raises(TypeError, match=f"{name}: labels must be numbers.*'cat'"):
        CALLS[name](model, X, y, compiled)


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
@pytest.mark.parametrize("name", LABELLED)
def test_one_label_per_row(model: nn.MLP, data: tuple[np.ndarray, np.ndarray], name: str, compiled: bool) -> None:
    X, y = data
    with pytest.raises(ValueError, match=rf"{name}: X has 6 rows but y has shape \(5,\)"):
        CALLS[name](model, X, y[:5], compiled)


@pytest.mark.parametrize("compiled", [False, True], ids=["scalar", "compiled"])
def test_one_hot_rows_must_sum_to_one(compiled: bool) -> None:
    X = np.array([[0.5, -1.0], [1.5, 0.25]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    model = nn.MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match="cross_entropy: target row 1 sums to 2.0, not 1"):
        nn.fit(model, X, y, loss="cross_entropy", epochs=1, progress=False, compiled=compiled)
    with pytest.raises(ValueError, match="cross_entropy: target row 1 sums to 2.0, not 1"):
        nn.evaluate(model, X, y, loss="cross_entropy", compiled=compiled)


def test_epochs_may_be_a_numpy_integer(model: nn.MLP, data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    history = nn.fit(model, X, y, epochs=np.int64(5), progress=False)
    assert history.epochs == 5


@pytest.mark.parametrize("epochs", [2.5, -1, True, "5"])
def test_epochs_must_be_a_count(model: nn.MLP, data: tuple[np.ndarray, np.ndarray], epochs: Any) -> None:
    X, y = data
    with pytest.raises(ValueError, match="fit: epochs must be an int >= 0"):
        nn.fit(model, X, y, epochs=epochs, progress=False)


def test_validation_data_is_checked_too(model: nn.MLP, data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    X_val = X.copy()
    X_val[1, 0] = float("inf")
    with pytest.raises(NonFiniteError, match=r"fit: X_val: X\[1, 0\]"):
        nn.fit(model, X, y, X_val=X_val, y_val=y, epochs=1, progress=False)
