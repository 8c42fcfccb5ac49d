"""Matplotlib pictures: training curves, decision boundaries, gradient descent on a surface.

Each function draws into ``ax`` when given (else a new figure) and returns the
Axes (``plot_history``: the Figure, which has one Axes per metric).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import autograd
import nn
from autograd import Value, no_grad
from nn.numpy_support import numpy_or_none

if TYPE_CHECKING:
    import numpy as np
else:
    np = numpy_or_none()  # None in a Python without numpy (a browser's): the plots then say what they need

__all__ = ["plot_history", "plot_decision_boundary", "plot_descent", "history_series"]

_SPLITS = ("val_", "test_", "train_")


def pyplot() -> Any:
    """matplotlib.pyplot, imported on use: the rest of viz needs no matplotlib (nor numpy)."""
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            "viz's plots need matplotlib: pip install matplotlib (or deltagrad[plot])", name=e.name
        ) from e
    return plt


def _is_series(x: Any) -> bool:
    if isinstance(x, (str, bytes, Mapping)) or not (isinstance(x, Sequence) or hasattr(x, "tolist")) or len(x) == 0:
        return False
    return all(isinstance(v, (numbers.Real, Value)) and not isinstance(v, bool) for v in x)


def history_series(history: Any) -> dict[str, list[float]]:
    """The per-epoch series in ``history``: a dict of lists, or an object holding them.

    Accepts ``{"loss": [...], "accuracy": [...], "val_loss": [...]}``, an
    object with a ``history`` dict (Keras style), with ``to_dict()``/``as_dict()``,
    a dataclass, or any object whose attributes are lists of numbers.

    >>> history_series({"loss": [1.0, 0.5], "note": "x"})
    {'loss': [1.0, 0.5]}
    """
    if isinstance(history, Mapping):
        items = dict(history)
    elif isinstance(getattr(history, "history", None), Mapping):
        items = dict(history.history)
    elif callable(getattr(history, "to_dict", None)) or callable(getattr(history, "as_dict", None)):
        items = dict((getattr(history, "to_dict", None) or history.as_dict)())
    elif dataclasses.is_dataclass(history):
        items = {f.name: getattr(history, f.name) for f in dataclasses.fields(history)}
    elif hasattr(history, "__dict__") or hasattr(history, "__slots__"):
        names = set(getattr(history, "__dict__", {})) | set(getattr(type(history), "__slots__", ()))
        items = {n: getattr(history, n) for n in sorted(names) if hasattr(history, n)}
    else:
        raise TypeError(f"plot_history: expected a dict of lists or a History object, got {type(history).__name__}")
    series = {
        k: [float(v) for v in vs]
        for k, vs in items.items()
        if isinstance(k, str) and not k.startswith("_") and k not in ("epoch", "epochs") and _is_series(vs)
    }
    if not series:
        raise ValueError(f"plot_history: found no lists of numbers (such as 'loss') in {type(history).__name__}")
    return series


def _metric(key: str) -> str:
    for prefix in _SPLITS:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def plot_history(history: Any, metrics: Sequence[str] | None = None, figsize: tuple[float, float] | None = None):
    """Loss and accuracy curves per epoch: one panel per metric, train and validation together.

    ``history`` is a dict of lists (``loss``, ``accuracy``, ``val_loss``, ...)
    or an object holding them (``nn``'s History). ``metrics`` picks panels by
    name (default: all, losses first). Returns the matplotlib Figure.
    """
    series = history_series(history)
    panels: dict[str, list[str]] = {}
    for key in series:
        panels.setdefault(_metric(key), []).append(key)
    names = list(metrics) if metrics is not None else sorted(panels, key=lambda m: ("loss" not in m, m))
    missing = [m for m in names if m not in panels]
    if missing:
        raise ValueError(f"plot_history: no series for {missing}; the history has {sorted(series)}")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(names), figsize=figsize or (4.5 * len(names), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], names):
        for key in panels[metric]:
            ys = series[key]
            ax.plot(range(1, len(ys) + 1), ys, marker="o" if len(ys) <= 30 else None, markersize=3, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def _scores(model: Callable[[Any], Any], points: np.ndarray, compiled: bool) -> np.ndarray:
    """The model's outputs at each point, shape (n,) or (n, k), without recording graphs.

    ``compiled`` traces the model once with :func:`autograd.compile` and runs
    all points as one numpy batch; otherwise each point is one call under ``no_grad``.
    """
    if compiled:
        scores = np.asarray(autograd.compile(model, points.shape[1]).forward(points), dtype=float)
    else:
        rows: list[float | list[float]] = []
        with no_grad():
            for p in points:
                out = model(p)
                if isinstance(out, (Value, numbers.Real)):
                    rows.append(float(out))
                elif isinstance(out, (Sequence, np.ndarray)) and len(out) > 0:
                    rows.append([float(v) for v in out])
                else:
                    raise TypeError(
                        f"plot_decision_boundary: model must return a Value or a list of Values, not {out!r}"
                    )
        scores = np.array(rows, dtype=float)
    return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores


def plot_decision_boundary(
    model: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    ax: Any = None,
    resolution: int = 80,
    threshold: float | None = None,
    margin: float = 0.5,
    compiled: bool | None = None,
):
    """The regions a 2-D classifier assigns to each class, with the data on top.

    ``model(point)`` takes one 1-D array ``[x1, x2]`` and returns a Value (a
    score: class 1 where it exceeds ``threshold``, by default halfway between
    the two label values, so 0 for ±1 labels and 0.5 for 0/1 labels) or a
    list of Values (one score per class: the largest wins). It is evaluated
    under ``no_grad`` on a ``resolution`` × ``resolution`` grid, point by point,
    or, with ``compiled`` (the default for ``nn`` modules, whose forward has no
    Python branches on data), traced once by :func:`autograd.compile` (which
    passes the point as a list) and run as one numpy batch. Returns the Axes.
    """
    plt = pyplot()
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: X has {len(X)} rows but y has {len(y)} labels")
    if resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be at least 2, got {resolution}")
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    if compiled is None:
        compiled = isinstance(model, nn.Module)
    scores = _scores(model, np.column_stack([gx.ravel(), gy.ravel()]), compiled)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    classes = np.unique(y)
    if scores.ndim == 1:
        if threshold is None:
            threshold = float(classes.min() + classes.max()) / 2 if len(classes) > 1 else 0.0
        zz = scores.reshape(gx.shape)
        ax.contourf(gx, gy, (zz > threshold).astype(float), levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
        if zz.min() < threshold < zz.max():
            ax.contour(gx, gy, zz, levels=[threshold], colors="k", linewidths=1.2)
    else:
        k = scores.shape[1]
        zz = scores.argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, zz, levels=np.arange(k + 1) - 0.5, cmap="tab10" if k <= 10 else "viridis", alpha=0.3)
    cmap = "coolwarm" if len(classes) <= 2 else "tab10"
    ax.scatter(X[:, 0], X[:, 1], c=np.searchsorted(classes, y), cmap=cmap, edgecolors="k", s=25)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    return ax


def _surface(f: Callable[[Any, Any], Any], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """f on every grid point: called on floats, or on Values (under no_grad) if f needs Value methods."""

    def on_floats(a: float, b: float) -> float:
        return float(f(a, b))

    def on_values(a: float, b: float) -> float:
        return float(f(Value(a), Value(b)))

    evaluate = on_floats
    try:
        on_floats(float(xs.flat[0]), float(ys.flat[0]))
    except (AttributeError, TypeError):
        evaluate = on_values
    with no_grad():
        return np.array([evaluate(float(a), float(b)) for a, b in zip(xs.ravel(), ys.ravel())]).reshape(xs.shape)


def plot_descent(
    f: Callable[[Any, Any], Any],
    path: Any,
    ax: Any = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    resolution: int = 120,
    levels: int = 30,
):
    """Gradient descent drawn on the contour map of f(x, y): the path with its start and end.

    ``f`` takes two floats or two Values (for example written with Value
    methods such as ``x.cos()``); ``path`` is the sequence of (x, y) points
    visited, floats or Values. The plotted area covers the path with a margin
    unless ``xlim``/``ylim`` are given; the legend sits in one row under the
    axes, never over the path. Returns the Axes.
    """
    plt = pyplot()
    pts = np.array([[float(a), float(b)] for a, b in path], dtype=float) if len(path) else np.empty((0, 2))
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise ValueError("plot_descent: path must be a non-empty sequence of (x, y) points")
    if xlim is None or ylim is None:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum((hi - lo) * 0.25, 0.5)
        xlim = xlim or (lo[0] - pad[0], hi[0] + pad[0])
        ylim = ylim or (lo[1] - pad[1], hi[1] + pad[1])
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    zz = _surface(f, gx, gy)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    filled = ax.contourf(gx, gy, zz, levels=levels, cmap="viridis", alpha=0.85)
    ax.contour(gx, gy, zz, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label="f(x, y)")
    ax.plot(pts[:, 0], pts[:, 1], "-o", color="tab:red", markersize=3, linewidth=1.2, label="descent path")
    ax.plot(*pts[0], "s", color="white", markeredgecolor="k", markersize=7, label="start")
    ax.plot(*pts[-1], "*", color="gold", markeredgecolor="k", markersize=12, label="end")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)  # off the path
    return ax
