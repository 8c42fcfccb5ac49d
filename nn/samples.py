"""A batch of samples as training and inspection take it: checked inputs ``X``, labels ``y``, per-sample targets.

``X`` is an m × n matrix of finite numbers (one row per sample), ``y`` one finite label or target row per
row of ``X``. The loss of sample s is L(ŷₛ, yₛ) with yₛ a class index, a number, or a target row
(:func:`sample_targets`); the compiled mode feeds the targets as input columns instead (:func:`target_matrix`,
one-hot rows eᵧ for class indices of a class loss). :func:`nn.fit`, :func:`nn.evaluate` and
:func:`nn.layer_deltas` all read their batches through here, so they accept and reject the same data.
Without numpy, the checks work on lists (the ``_list_*`` helpers).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from autograd.errors import NonFiniteError

from .data import one_hot
from .losses import LossSpec
from .numpy_support import numpy_or_none

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike
else:
    np = numpy_or_none()  # None without numpy: the checks then work on lists (the _list_* helpers)

__all__ = ["features", "labels", "check_finite", "sample_targets", "target_matrix"]


def features(X: ArrayLike, where: str, n_inputs: int | None = None) -> np.ndarray:
    """``X`` as a float matrix (samples × features) of finite numbers, ``n_inputs`` columns wide when given;
    errors name the row and column."""
    if np is None:
        return _list_features(X, where, n_inputs)  # type: ignore[return-value]
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: X must be a matrix of numbers (samples × features): {e}") from None
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{where}: X must be 2-D (samples × features) with at least one row, got shape {X.shape}")
    _check_width(X.shape[1], n_inputs, where)
    check_finite(X, where, "X")
    return X


def _check_width(width: int, n_inputs: int | None, where: str) -> None:
    if n_inputs is not None and width != n_inputs:
        raise ValueError(f"{where}: the model takes {n_inputs} inputs, but X has {width} columns (features)")


def labels(y: ArrayLike, n: int, where: str) -> np.ndarray:
    """``y`` as a numeric array with one finite label (or target row) per row of X."""
    if np is None:
        return _list_labels(y, n, where)  # type: ignore[return-value]
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        example = y.flat[0] if y.size else None
        raise TypeError(
            f"{where}: labels must be numbers (class indices 0..k-1, 0/1, or target values), "
            f"got {y.dtype} labels such as {example!r}; encode classes as integers first"
        )
    if y.ndim not in (1, 2) or len(y) != n:
        raise ValueError(f"{where}: X has {n} rows but y has shape {y.shape}: one label per row is needed")
    check_finite(y, where, "y")
    return y


def check_finite(a: np.ndarray, where: str, name: str) -> None:
    """Raise :class:`autograd.errors.NonFiniteError` naming ``where`` and the first entry of ``a`` (called
    ``name``) that is ±inf or NaN; a matrix's entry is named by row and column. Integer arrays pass."""
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        at = (
            f"{name}[{index[0]}, {index[1]}] (row {index[0]}, column {index[1]})"
            if a.ndim == 2
            else f"{name}[{index[0]}]"
        )
        raise NonFiniteError.entry(where, at, a[index])


# ---------------------------------------------------------------------------- the same checks on lists (no numpy)
def _list_features(X: Any, where: str, n_inputs: int | None = None) -> list[list[float]]:
    """``X`` as a list of rows of finite floats, where numpy is missing; errors name the row and column."""
    if hasattr(X, "tolist"):
        X = X.tolist()
    if not isinstance(X, (list, tuple)) or not X or not all(isinstance(r, (list, tuple)) for r in X):
        raise ValueError(f"{where}: X must be a list of rows (samples × features) with at least one row")
    width = len(X[0])
    _check_width(width, n_inputs, where)
    rows = []
    for i, row in enumerate(X):
        if len(row) != width:
            raise ValueError(f"{where}: X's rows must have one length, row 0 has {width}, row {i} has {len(row)}")
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{where}: X must be a matrix of numbers, X[{i}][{j}] is {v!r}")
            if not math.isfinite(v):
                raise NonFiniteError.entry(where, f"X[{i}, {j}] (row {i}, column {j})", float(v))
        rows.append([float(v) for v in row])
    return rows


def _list_labels(y: Any, n: int, where: str) -> list[Any]:
    """``y`` as a list of finite labels (or target rows), one per row of X, where numpy is missing."""
    if hasattr(y, "tolist"):
        y = y.tolist()
    if not isinstance(y, (list, tuple)) or len(y) != n:
        raise ValueError(f"{where}: X has {n} rows but y is {y!r:.60}: one label per row is needed")
    for i, label in enumerate(y):
        for v in label if isinstance(label, (list, tuple)) else [label]:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(
                    f"{where}: labels must be numbers (class indices 0..k-1, 0/1, or target values), "
                    f"got {v!r}; encode classes as integers first"
                )
            if not math.isfinite(v):
                raise NonFiniteError.entry(where, f"y[{i}]", float(v))
    return list(y)


def _list_sample_targets(y: list[Any]) -> list[Any]:
    """:func:`sample_targets` on lists, where numpy is missing."""
    if y and isinstance(y[0], (list, tuple)):
        return [[float(v) for v in row] for row in y]
    if all(float(v) == round(v) for v in y):
        return [int(v) for v in y]
    return [float(v) for v in y]


def sample_targets(y: np.ndarray) -> list[Any]:
    """Per-sample targets: rows as lists of floats; whole-number labels as ints (class indices), else floats."""
    if np is None:
        return _list_sample_targets(y)
    if y.ndim == 2:
        return y.astype(float).tolist()
    if np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
        return y.astype(int).tolist()
    return y.astype(float).tolist()


def target_matrix(y: np.ndarray, spec: LossSpec | None, n_outputs: int) -> np.ndarray:
    """Targets as a float matrix for the compiled graph: one-hot rows for class indices of a class loss."""
    if y.ndim == 2:
        return y.astype(float)
    if spec is not None and spec.target == "class":
        return one_hot(y.astype(int), n_outputs)
    return y.astype(float)[:, None]
