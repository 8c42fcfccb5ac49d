"""A network's health at a glance: what each layer's units do on a batch, and what backward hands them.

The diagnostics of the initialisation lecture, measured on the real graph:

* per layer, the activations a = g(z) over the batch (mean, std, the values themselves for histograms);
* **saturation**: tanh units with |a| > ``saturation`` (default 0.97), sigmoid units with
  max(a, 1 − a) > ``saturation``; there g'(z) is nearly 0 and δ stops flowing back;
* **dead units**: ReLU units whose a is 0 for every sample of the batch (they pass no gradient and
  never recover);
* with targets: the loss's gradient, per layer ‖∂L/∂W‖ over the layer's weights and biases and
  the activations' δ = ∂L/∂a (vanishing gradients shrink it layer after layer);
* with a learning rate: the **update-to-data ratio** std(lr·∂L/∂W) / std(W) of an SGD step, healthy
  around 1e-3 (log₁₀ ≈ −3).

:func:`health` measures a model once; :class:`HealthMonitor` is a :func:`nn.fit` callback that
measures after every ``every`` epochs. Drawing them is ``viz.plot_health``'s job (``nn`` draws nothing).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograd import Value, no_grad

from . import losses
from .deltas import layer_deltas
from .layers import Layer
from .module import Module
from .numpy_support import require_numpy
from .optim import Optimizer

if TYPE_CHECKING:
    import numpy as np

__all__ = ["health", "Health", "LayerHealth", "HealthMonitor", "SATURATION"]

SATURATION = 0.97
"""A tanh unit with |a| above this (a sigmoid with max(a, 1 − a) above it) counts as saturated: g'(z) < 0.06."""


@dataclass(frozen=True)
class LayerHealth:
    """One layer on one batch. ``activations`` and ``deltas`` are (samples × units) arrays."""

    index: int  # 1, 2, ...: the layer's number (its units are a^[index + 1] in the slides' numbering)
    activation: str
    activations: np.ndarray  # a = g(z)
    preactivations: np.ndarray  # z
    saturated: int  # entries of ``activations`` in g's flat tails (tanh, sigmoid; 0 for other g)
    dead_units: int  # units whose a is 0 for every sample (relu; 0 for other g)
    deltas: np.ndarray | None = field(default=None, repr=False)  # ∂L/∂a, with targets
    grad_norm: float | None = None  # ‖∂L/∂(W, b)‖₂ of the layer, with targets
    weight_norm: float = 0.0  # ‖W‖₂ (weights only)
    update_ratio: float | None = None  # std(lr·∂L/∂W) / std(W), with targets and a learning rate

    @property
    def units(self) -> int:
        """How many units (neurons) the layer has."""
        return int(self.activations.shape[1])

    @property
    def saturated_fraction(self) -> float:
        """Saturated entries over all entries (samples × units)."""
        return self.saturated / self.activations.size if self.activations.size else 0.0

    @property
    def dead_fraction(self) -> float:
        """Dead units over units."""
        return self.dead_units / self.units if self.units else 0.0

    @property
    def mean(self) -> float:
        """The mean activation over the batch and the units."""
        return float(self.activations.mean())

    @property
    def std(self) -> float:
        """The standard deviation of the activations over the batch and the units."""
        return float(self.activations.std())

    @property
    def delta_rms(self) -> float | None:
        """Root mean square of ∂L/∂a over the batch: how much gradient reaches this layer."""
        return None if self.deltas is None else float((self.deltas**2).mean() ** 0.5)

    def summary(self) -> dict[str, Any]:
        """The layer's figures as plain numbers (no arrays): what a table or a widget shows."""
        return {
            "layer": self.index,
            "activation": self.activation,
            "units": self.units,
            "mean": self.mean,
            "std": self.std,
            "saturated": self.saturated,
            "saturated_fraction": self.saturated_fraction,
            "dead_units": self.dead_units,
            "dead_fraction": self.dead_fraction,
            "grad_norm": self.grad_norm,
            "delta_rms": self.delta_rms,
            "weight_norm": self.weight_norm,
            "update_ratio": self.update_ratio,
        }


@dataclass(frozen=True)
class Health:
    """Every layer's :class:`LayerHealth` on one batch, and the batch's mean loss (with targets)."""

    layers: tuple[LayerHealth, ...]
    loss: float | None = None
    saturation: float = SATURATION

    def __iter__(self) -> Iterator[LayerHealth]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> LayerHealth:
        return self.layers[i]

    def summary(self) -> list[dict[str, Any]]:
        """One dict of plain numbers per layer (:meth:`LayerHealth.summary`)."""
        return [layer.summary() for layer in self.layers]

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        def f(x: float | None, fmt: str) -> str:
            return "–" if x is None else format(x, fmt)

        head = ["layer", "g", "units", "mean a", "std a", "saturated", "dead units", "‖∂L/∂W‖", "rms δa"]
        head.append("log₁₀ update/data")
        rows = []
        for h in self.layers:
            ratio = None if not h.update_ratio else math.log10(h.update_ratio)
            rows.append(
                [
                    str(h.index),
                    h.activation,
                    str(h.units),
                    f(h.mean, ".3f"),
                    f(h.std, ".3f"),
                    f"{h.saturated_fraction:.1%}",
                    f"{h.dead_units}/{h.units}",
                    f(h.grad_norm, ".3g"),
                    f(h.delta_rms, ".3g"),
                    f(ratio, ".2f"),
                ]
            )
        return head, rows

    def __str__(self) -> str:
        head, rows = self._rows()
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [head, *rows]]
        if self.loss is not None:
            lines.append(f"loss {self.loss:.4g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Health({len(self.layers)} layers, loss={self.loss})"

    def _repr_html_(self) -> str:
        import html

        head, rows = self._rows()
        th = "".join(f"<th>{html.escape(c)}</th>" for c in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        loss = "" if self.loss is None else f"<caption>loss {self.loss:.4g}</caption>"
        return f"<table>{loss}<tr>{th}</tr>{body}</table>"


def _layers_of(model: Module) -> list[Layer]:
    if isinstance(model, Layer):
        return [model]
    layers = getattr(model, "layers", None)
    if not isinstance(layers, Sequence) or not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(
            f"health: expected an nn.MLP or nn.Layer (a model whose .layers are nn.Layer), got {type(model).__name__}"
        )
    return list(layers)


def _targets(np: Any, y: np.ndarray) -> list[Any]:
    """Per-sample targets as fit takes them: rows as lists, whole numbers as ints (class indices), else floats."""
    if y.ndim == 2:
        return y.astype(float).tolist()
    if np.all(y == np.round(y)):
        return y.astype(int).tolist()
    return y.astype(float).tolist()


def _saturated(np: Any, activation: str, a: np.ndarray, saturation: float) -> int:
    if activation == "tanh":
        return int(np.count_nonzero(np.abs(a) > saturation))
    if activation == "sigmoid":
        return int(np.count_nonzero(np.maximum(a, 1.0 - a) > saturation))
    return 0


def health(
    model: Module,
    X: Any,
    y: Any = None,
    loss: str | losses.Loss = "mse",
    lr: float | Optimizer | None = None,
    saturation: float = SATURATION,
    compiled: bool = False,
) -> Health:
    """The health of each layer of ``model`` on the batch ``X`` (and targets ``y``), without changing the model.

    Forward: per layer the activations a = g(z), saturated entries (tanh
    |a| > ``saturation``; sigmoid max(a, 1 − a) > ``saturation``) and dead
    units (ReLU units with a = 0 on every sample). With ``y``: the mean
    ``loss`` J = (1/m) Σᵢ loss(ŷᵢ, yᵢ) is differentiated once; each layer gets
    ‖∂J/∂(W, b)‖₂ and the activations' δ = ∂J/∂a. With ``lr`` (a number or an
    optimiser, whose ``lr`` is read): the update-to-data ratio
    std(lr·∂J/∂W) / std(W) of a plain SGD step. The model's ``.grad`` fields
    are left as they were.

    ``compiled=True`` (with ``y``; an :class:`nn.MLP` or :class:`nn.Layer`)
    reads the same activations and gradients from the compiled mode
    (:func:`nn.layer_deltas` with ``compiled=True``: each layer one matrix
    product) instead of one scalar graph per sample: the same figures, for a
    few milliseconds on a batch of hundreds (what the live lab's health panel
    uses on every redraw).

    >>> import nn
    >>> model = nn.MLP(2, [8, 1], activation="tanh", init=nn.init.normal(10.0), seed=0)
    >>> X, y = nn.data.moons(50, seed=0)
    >>> h = nn.health(model, X, y, loss="bce_with_logits", lr=0.1)
    >>> h[0].saturated_fraction > 0.5  # weights far too large: most tanh units sit at ±1
    True
    """
    np = require_numpy("nn.health")  # arrays of every layer's activations: the diagnostics are numpy's
    layers = _layers_of(model)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != layers[0].nin:
        raise ValueError(f"health: X must be (samples × {layers[0].nin}) for this model, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("health: X has an inf or NaN")
    if not 0.0 < saturation < 1.0:
        raise ValueError(f"health: saturation must be between 0 and 1, got {saturation!r}")
    rate = None if lr is None else float(lr.lr if isinstance(lr, Optimizer) else lr)
    if compiled:
        if y is None:
            raise ValueError("health: compiled=True differentiates the loss: give the targets y")
        return _health_compiled(np, model, X, y, loss, rate, saturation)
    a_nodes: list[list[list[Value]]] = [[] for _ in layers]
    z_nodes: list[list[list[Value]]] = [[] for _ in layers]
    outputs: list[Any] = []
    for x in X:
        out: list[Value] = [Value(float(v)) for v in x]
        for k, layer in enumerate(layers):
            result = layer(out)
            out = [result] if isinstance(result, Value) else list(result)
            a_nodes[k].append(out)
            z_nodes[k].append(out if layer.activation == "linear" else [a.inputs[0] for a in out])
        outputs.append(out[0] if len(out) == 1 else out)

    J: Value | None = None
    params = [p for layer in layers for p in layer.parameters()]
    saved = [p.grad for p in params]
    if y is not None:
        targets = np.asarray(y)
        if len(targets) != len(X):
            raise ValueError(f"health: {len(X)} samples in X but {len(targets)} targets in y")
        J = losses.mean_loss(losses.get(loss), outputs, _targets(np, targets))
        for p in params:
            p.grad = 0.0
        J.backward()
    try:
        found = []
        for k, layer in enumerate(layers):
            W = np.array([[w.data for w in n.w] for n in layer.neurons])
            a = np.array([[v.data for v in row] for row in a_nodes[k]])
            z = np.array([[v.data for v in row] for row in z_nodes[k]])
            grads = None
            if J is not None:
                deltas = np.array([[v.grad for v in row] for row in a_nodes[k]])
                gW = np.array([[w.grad for w in n.w] for n in layer.neurons])
                grads = (deltas, gW, np.array([n.b.grad for n in layer.neurons]))
            found.append(_layer_health(np, k + 1, layer.activation, W, a, z, grads, rate, saturation))
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return Health(tuple(found), None if J is None else J.data, saturation)


def _layer_health(
    np: Any,
    index: int,
    activation: str,
    W: np.ndarray,
    a: np.ndarray,
    z: np.ndarray,
    grads: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    rate: float | None,
    saturation: float,
) -> LayerHealth:
    """One layer's figures from its weights W, activations a, pre-activations z and, with targets, the
    gradients (∂J/∂a, ∂J/∂W, ∂J/∂b): ‖∂J/∂(W, b)‖₂ and std(lr·∂J/∂W) / std(W)."""
    dead = int(np.count_nonzero(np.all(a == 0.0, axis=0))) if activation == "relu" else 0
    deltas = grad_norm = ratio = None
    if grads is not None:
        deltas, gW, gb = grads
        grad_norm = float(np.sqrt(np.sum(gW**2) + np.sum(gb**2)))
        if rate is not None and W.std() > 0:
            ratio = float((rate * gW).std() / W.std())
    saturated = _saturated(np, activation, a, saturation)
    return LayerHealth(index, activation, a, z, saturated, dead, deltas, grad_norm, float(np.linalg.norm(W)), ratio)


def _health_compiled(
    np: Any, model: Module, X: np.ndarray, y: Any, loss: str | losses.Loss, rate: float | None, saturation: float
) -> Health:
    """:func:`health` with ``compiled=True``: the layers' arrays from :func:`nn.layer_deltas` (compiled mode), and
    the mean loss J from the compiled forward of the same batch."""
    found = []
    for d in layer_deltas(model, X, y, loss=loss, compiled=True):
        grads = (d.dA, d.dW.T, d.db)  # LayerDeltas' W is (inputs × units); a Health's rows are the units
        found.append(_layer_health(np, d.layer, d.activation, d.W.T, d.A, d.Z, grads, rate, saturation))
    outputs = [[Value(v) for v in row] for row in found[-1].activations.tolist()]
    predictions = [o[0] if len(o) == 1 else o for o in outputs]
    with no_grad():  # the loss of the outputs alone: no graph through the network
        J = losses.mean_loss(losses.get(loss), predictions, _targets(np, np.asarray(y)))
    return Health(tuple(found), J.data, saturation)


class HealthMonitor:
    """A :func:`nn.fit` callback: :func:`health` of ``model`` on ``X, y`` after every ``every`` epochs.

    ``records`` holds (epoch, :class:`Health`) pairs; ``lr`` defaults to the
    optimiser's current rate when given one.

    >>> import nn
    >>> X, y = nn.data.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    >>> monitor = nn.HealthMonitor(model, X, y, loss="mse", lr=0.1, every=5)
    >>> _ = nn.fit(model, X, y, epochs=10, callbacks=[monitor], progress=False)
    >>> [epoch for epoch, _ in monitor.records]
    [0, 5]
    """

    def __init__(
        self,
        model: Module,
        X: Any,
        y: Any = None,
        loss: str | losses.Loss = "mse",
        lr: float | Optimizer | None = None,
        every: int = 1,
        saturation: float = SATURATION,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"HealthMonitor: every must be an int >= 1, got {every!r}")
        _layers_of(model)
        self.model, self.X, self.y, self.loss, self.lr = model, X, y, loss, lr
        self.every, self.saturation = every, saturation
        self.records: list[tuple[int, Health]] = []

    def __call__(self, epoch: int, logs: dict[str, Any]) -> bool:
        if epoch % self.every == 0:
            h = health(self.model, self.X, self.y, self.loss, self.lr, self.saturation)
            self.records.append((epoch, h))
        return False
