"""A network's health drawn: :func:`plot_health` of what :func:`nn.health` or an :class:`nn.HealthMonitor` measured.

One :class:`nn.Health` (one batch, one moment) gives four panels, as in the
initialisation lecture: the distribution of each layer's activations a, of
their gradients δ = ∂L/∂a (as log₁₀|δ|, so layers whose δ differ a hundredfold
share one axis), the saturated and dead fractions per layer, and
log₁₀ of the update-to-data ratio per layer against the usual 1e-3. A monitor's
records give the same figures over training: saturation and the update ratio
per layer against the epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import nn
from nn.numpy_support import numpy_or_none

from .plots import pyplot

if TYPE_CHECKING:
    import numpy as np
else:
    np = numpy_or_none()  # a Health holds numpy arrays: drawing one needs numpy, importing viz does not

__all__ = ["plot_health"]

HEALTHY_RATIO = 1e-3
"""The update-to-data ratio around which training moves at a healthy pace (Karpathy's rule of thumb)."""


def _missing(ax: Any, note: str) -> None:
    """A panel whose data were not given: no axes, only ``note`` saying what to pass, centred."""
    ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _density(ax: Any, values: np.ndarray, label: str) -> None:
    """A histogram drawn as a line (several layers in one Axes stay readable)."""
    values = values.ravel()
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=40, range=(low, high), density=True)
    ax.plot((edges[:-1] + edges[1:]) / 2, counts, label=label)


def _layer_label(h: nn.LayerHealth) -> str:
    return f"layer {h.index} ({h.activation})"


def _one(health: nn.Health, figsize: tuple[float, float] | None) -> Any:
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=figsize or (9.0, 6.2))
    (act, grad), (bad, ratio) = axes
    hidden = [h for h in health if h.activation != "linear"] or list(health)
    for h in hidden:
        _density(act, h.activations, f"{_layer_label(h)}: {h.saturated_fraction:.0%} saturated")
    act.set_title("activations a per layer")
    act.set_xlabel("a")
    act.legend(fontsize=7)
    if all(h.deltas is not None for h in health):
        for h in hidden:
            assert h.deltas is not None
            nonzero = np.abs(h.deltas[h.deltas != 0.0])  # a dead unit's δ is 0: no logarithm, nothing to show
            _density(grad, np.log10(nonzero), f"{_layer_label(h)}: rms {h.delta_rms:.2g}")
        grad.set_title("gradients: log₁₀|δ|, δ = ∂L/∂a, per layer")
        grad.set_xlabel("log₁₀|δ|  (further left: smaller gradients)")
        grad.legend(fontsize=7)
    else:
        _missing(grad, "pass targets y to see gradients")
    index = np.arange(len(health))
    bad.bar(index - 0.2, [h.saturated_fraction for h in health], 0.4, label="saturated (tanh, sigmoid)")
    bad.bar(index + 0.2, [h.dead_fraction for h in health], 0.4, label="dead units (relu)")
    bad.set_xticks(index, [str(h.index) for h in health])
    bad.set_ylim(0, 1)
    bad.set_xlabel("layer")
    bad.set_title("saturated activations, dead units")
    bad.legend(fontsize=7)
    ratios = [h.update_ratio for h in health]
    if all(r is not None and r > 0 for r in ratios):
        ratio.bar(index, [math.log10(r) for r in ratios if r is not None], 0.5)
        ratio.axhline(math.log10(HEALTHY_RATIO), color="k", ls="--", lw=1, label="1e-3")
        ratio.set_xticks(index, [str(h.index) for h in health])
        ratio.set_xlabel("layer")
        ratio.set_title("log₁₀ update / data (one SGD step)")
        ratio.legend(fontsize=7)
    else:
        _missing(ratio, "pass y and lr to see update ratios")
    fig.tight_layout()
    return fig


def _over_time(records: Sequence[tuple[int, nn.Health]], figsize: tuple[float, float] | None) -> Any:
    plt = pyplot()
    fig, (sat, ratio) = plt.subplots(1, 2, figsize=figsize or (9.0, 3.4))
    epochs = [e for e, _ in records]
    for k, layer in enumerate(records[0][1]):
        label = _layer_label(layer)
        sat.plot(epochs, [h[k].saturated_fraction + h[k].dead_fraction for _, h in records], label=label)
        values = [h[k].update_ratio for _, h in records]
        if all(v is not None and v > 0 for v in values):
            ratio.plot(epochs, [math.log10(v) for v in values if v is not None], label=label)
    sat.set_title("saturated or dead, per layer")
    sat.set_xlabel("epoch")
    sat.set_ylim(0, 1)
    sat.legend(fontsize=7)
    ratio.axhline(math.log10(HEALTHY_RATIO), color="k", ls="--", lw=1)
    ratio.set_title("log₁₀ update / data per layer")
    ratio.set_xlabel("epoch")
    ratio.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_health(health: Any, figsize: tuple[float, float] | None = None) -> Any:
    """Draw a network's health; returns the matplotlib Figure.

    ``health`` is an :class:`nn.Health` (:func:`nn.health`): per layer, the
    distribution of the activations a and of log₁₀|δ|, δ = ∂L/∂a (lines: one
    per layer), the saturated fraction (tanh, sigmoid entries in g's flat tails)
    and dead fraction (ReLU units off on every sample), and log₁₀ of the SGD
    update-to-data ratio std(lr·∂L/∂W)/std(W) with the healthy 1e-3 marked.
    An :class:`nn.HealthMonitor` (or its ``records``, (epoch, Health) pairs)
    draws saturation and the update ratio per layer over the epochs.
    """
    if isinstance(health, nn.Health):
        return _one(health, figsize)
    records = health.records if isinstance(health, nn.HealthMonitor) else health
    if (
        isinstance(records, Sequence)
        and not isinstance(records, (str, Mapping))
        and records
        and all(isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], nn.Health) for r in records)
    ):
        return _over_time(records, figsize)
    raise TypeError(
        "plot_health: expected an nn.Health (nn.health(model, X, ...)), an nn.HealthMonitor with records, "
        f"or a list of (epoch, Health) pairs, got {type(health).__name__}"
    )
