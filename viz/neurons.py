"""What each hidden neuron computes over the lab's inputs: the data panel's per-neuron thumbnails.

For an :class:`nn.MLP` on 1 or 2 inputs, hidden neuron i of layer l outputs
a^[l]_i(x) = g(w^[l]_iᵀ a^[l-1](x) + b^[l]_i), with a^[1](x) = x. Drawn over the
input plane (2-D inputs: a heat map, as TensorFlow Playground draws its
neurons) or along the input line (1-D: a curve), it shows how each neuron
divides the inputs. :class:`NeuronMaps` evaluates the first :data:`MAX_THUMBNAILS`
neurons of the first and second hidden layers at a batch of inputs, reading the
model's structure through its public API (``model.layers``, ``layer.neurons``).

>>> import nn
>>> maps = NeuronMaps(nn.MLP(2, [3, 2, 1], activation="tanh", seed=0))
>>> [(layer.layer + 1, shown) for layer, shown in maps.shown]
[(2, 3), (3, 2)]
>>> [len(units) for units in maps([[0.0, 0.0], [1.0, -1.0]])]
[3, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import autograd
import nn
from autograd import Value
from nn.numpy_support import numpy_or_none

if TYPE_CHECKING:
    import numpy as np
else:
    np = numpy_or_none()  # None in a browser's Python: the neurons are then evaluated on the scalar engine

__all__ = ["MAX_THUMBNAILS", "HIDDEN_LAYERS_SHOWN", "hidden_layers", "NeuronMaps"]

MAX_THUMBNAILS = 16
"""At most this many neurons of each hidden layer get a thumbnail (the first ones, in the layer's order)."""

HIDDEN_LAYERS_SHOWN = 2
"""The hidden layers drawn neuron by neuron: the first and the second."""


def hidden_layers(model: Any) -> list[nn.Layer]:
    """The hidden layers of ``model`` whose neurons get thumbnails: the first :data:`HIDDEN_LAYERS_SHOWN` layers
    of an :class:`nn.MLP` but its output layer (``model.layers[:-1]``); none for any other model, whose forward
    need not be a chain of layers."""
    if not isinstance(model, nn.MLP):
        return []
    return list(model.layers[:-1][:HIDDEN_LAYERS_SHOWN])


def _as_list(out: Value | list[Value]) -> list[Value]:
    """A layer's output as a list (a one-neuron layer returns its Value alone)."""
    return [out] if isinstance(out, Value) else list(out)


class NeuronMaps:
    """The activations a^[l]_i(x) of the shown hidden neurons of ``model``, evaluated at a batch of inputs.

    Calling it with rows x (batch × ``model.nin``) returns, for each shown layer, for
    each of its first ``limit`` neurons, the list of a^[l]_i(x) over the rows: the same
    numbers the model computes in its forward pass (traced once and replayed by
    :func:`autograd.compile` over the batch; without numpy, the scalar engine under
    :func:`autograd.no_grad`). The parameters are read at each call, so the maps follow
    training. ``shown`` lists each shown layer with how many of its neurons are mapped.
    """

    def __init__(self, model: Any, limit: int = MAX_THUMBNAILS) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"NeuronMaps: limit must be an int >= 1, got {limit!r}")
        self.model = model
        layers = hidden_layers(model)
        self.shown: list[tuple[nn.Layer, int]] = [(layer, min(limit, layer.nout)) for layer in layers]
        self._compiled = autograd.compile(self._activations, model.nin) if layers and np is not None else None

    def _activations(self, xs: list[Value]) -> list[Value]:
        """The shown neurons' outputs for one sample, layer after layer, in one flat list."""
        shown: list[Value] = []
        out = xs
        for layer, count in self.shown:
            out = _as_list(layer(out))
            shown.extend(out[:count])
        return shown

    def __call__(self, rows: Sequence[Sequence[float]]) -> list[list[list[float]]]:
        """For each shown layer, for each shown neuron i, [a^[l]_i(x) for x in rows]."""
        if not self.shown or not rows:
            return [[] for _ in self.shown]
        if self._compiled is not None:
            table = self._compiled.forward(np.asarray(rows, dtype=float)).T.tolist()
        else:
            with autograd.no_grad():
                samples = [[a.data for a in self._activations([Value(float(v)) for v in r])] for r in rows]
            table = [list(column) for column in zip(*samples)]
        maps, start = [], 0
        for _, count in self.shown:
            maps.append(table[start : start + count])
            start += count
        return maps
