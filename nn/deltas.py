"""A dense network's δ's as matrices: the scalar graph's δ of every node, read per layer for a batch.

For a layer with inputs X (m × n, one row per sample), weights W (n × k, W[j, i] the weight from input j
to neuron i: the lectures' convention, so Z = X·W + b), bias b (k) and activation A = g(Z), the batch's
mean loss J = (1/m) Σₛ L(ŷₛ, yₛ) has

    δW = Xᵀ·δZ       each weight is read by every sample: the batch sum of its per-sample δ's
    δb = Σ_rows δZ   the bias is broadcast to every row
    δX = δZ·Wᵀ       each input is read by every neuron of the layer
    δZ = g′(Z) ⊙ δA  a pointwise activation

:func:`layer_deltas` reads δZ, δW, δb and δX off the scalar engine's own graph (one Value per number, no
matrix product anywhere), so these formulas can be checked on its numbers; with ``compiled=True`` the
same quantities come from the compiled mode, which computes them as the matrix products above.

>>> import nn
>>> model = nn.MLP(3, [4, 2], seed=0)
>>> first, last = nn.layer_deltas(model, [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], [0, 1], loss="cross_entropy")
>>> first.X.shape, first.W.shape, first.dZ.shape, last.dW.shape
((2, 3), (3, 4), (2, 4), (4, 2))
>>> bool(abs(first.dW - first.X.T @ first.dZ).max() < 1e-12)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import autograd
from autograd import Value

from . import losses, samples
from .layers import MLP, Layer, Neuron
from .losses import Loss
from .module import Module
from .numpy_support import numpy_or_none, require_numpy

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike
else:
    np = numpy_or_none()  # nn imports without numpy; layer_deltas itself needs it (require_numpy)

__all__ = ["LayerDeltas", "layer_deltas"]


@dataclass(frozen=True)
class LayerDeltas:
    """One dense layer over a batch of m samples: its values and their δ (∂J/∂·) as arrays.

    ``X`` (m × n) the layer's inputs, ``W`` (n × k) its weights (``W[j, i]`` from input j to neuron i),
    ``b`` (k) its biases, ``Z = X·W + b`` (m × k), ``A = g(Z)`` (m × k); ``dX``, ``dW``, ``db``, ``dZ``,
    ``dA`` their δ for the batch's mean loss (``dW`` and ``db`` summed over the batch, as each
    Parameter's ``.grad`` after ``backward``). ``layer`` counts from 1, ``name`` is the layer's name in
    the model (``"layers.0"``), ``activation`` the name of g.
    """

    layer: int
    name: str
    activation: str
    X: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    dX: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    dZ: np.ndarray
    dA: np.ndarray


@dataclass
class _Trace:
    """One layer's Values for a batch, one row per sample: its inputs, pre-activations and outputs."""

    inputs: list[list[Value]]
    zs: list[list[Value]]
    outs: list[list[Value]]


def _dense_layers(model: Module) -> list[Layer]:
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    raise TypeError(
        f"layer_deltas: expects a stack of dense layers, an nn.MLP or an nn.Layer, got {type(model).__name__}"
    )


def _pre_activation(a: Value, neuron: Neuron) -> Value:
    """The neuron's z = Σ wⱼxⱼ + b (its ``dot`` node) under its output a = g(z)."""
    v = a
    while not (v.op == "dot" and v.inputs[0] is neuron.w[0]):
        if len(v.inputs) != 1:
            raise RuntimeError(f"layer_deltas: cannot find the pre-activation z under the output {a!r} of {neuron!r}")
        v = v.inputs[0]
    return v


def _forward(layers: list[Layer], rows: list[list[Value]]) -> list[_Trace]:
    """The layers applied one after another to every row, keeping each layer's X, Z and A."""
    traces = []
    for layer in layers:
        outs = []
        for xs in rows:
            out = layer(xs)
            outs.append([out] if isinstance(out, Value) else list(out))
        zs = [[_pre_activation(a, n) for a, n in zip(row, layer.neurons)] for row in outs]
        traces.append(_Trace(rows, zs, outs))
        rows = outs
    return traces


def _prediction(outs: list[Value]) -> Value | list[Value]:
    return outs[0] if len(outs) == 1 else outs


def _matrix(rows: list[list[Any]], value: Any) -> np.ndarray:
    return np.array([[value(v) for v in row] for row in rows], dtype=float)


def _weights(layer: Layer, value: Any) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) with W[j, i] = value(weight j of neuron i)."""
    W = np.array([[value(w) for w in n.w] for n in layer.neurons], dtype=float).T
    return W, np.array([value(n.b) for n in layer.neurons], dtype=float)


def _name(layer: Layer, model: Module) -> str:
    return next((name for name, module in model.named_modules() if module is layer), "")


def layer_deltas(
    model: Module, X: ArrayLike, y: ArrayLike, loss: str | Loss = "mse", compiled: bool = False
) -> list[LayerDeltas]:
    """Each dense layer's X, W, b, Z, A and their δ for the mean loss of the batch ``X, y``, as arrays.

    ``model`` is an :class:`nn.MLP` (or one :class:`nn.Layer`); ``X, y`` and ``loss`` are given as to
    :func:`nn.fit`, whose loss J = (1/m) Σₛ loss(ŷₛ, yₛ) this differentiates. By default every number
    comes from the scalar engine: the batch is run sample by sample as Values and one backward pass
    through J gives each node's δ (δW is then each weight's δ, which the graph sums over the samples
    that read it). With ``compiled=True`` the model and loss are traced by :func:`autograd.compile`, as
    ``fit(..., compiled=True)`` does, and the values and δ are read from its replay, where each layer
    is one matrix product (δW = Xᵀ·δZ, δb = Σ_rows δZ, δX = δZ·Wᵀ computed as such). No Parameter's
    ``.data`` or ``.grad`` changes.

    Returns one :class:`LayerDeltas` per layer, first layer first.
    """
    require_numpy("nn.layer_deltas")
    layers = _dense_layers(model)
    X = samples.features(X, "layer_deltas", n_inputs=layers[0].nin)
    y = samples.labels(y, len(X), "layer_deltas")
    loss_fn = losses.get(loss)
    names = [_name(layer, model) for layer in layers]
    if compiled:
        return _compiled(layers, names, X, y, loss_fn)
    with autograd.enable_grad():
        rows = [[Value(float(v), label=f"x{j + 1}") for j, v in enumerate(row)] for row in X.tolist()]
        traces = _forward(layers, rows)
        J = losses.mean_loss(loss_fn, [_prediction(outs) for outs in traces[-1].outs], samples.sample_targets(y))
    nodes: list[Value] = []
    for layer, trace in zip(layers, traces):
        for group in (trace.inputs, trace.zs, trace.outs):
            nodes += [v for row in group for v in row]
        nodes += [w for n in layer.neurons for w in n.w] + [n.b for n in layer.neurons]
    found = autograd.grad(J, nodes, allow_unused=True)
    delta = {id(v): 0.0 if d is None else d.data for v, d in zip(nodes, found)}
    result = []
    for k, (layer, trace) in enumerate(zip(layers, traces)):
        W, b = _weights(layer, lambda v: v.data)
        dW, db = _weights(layer, lambda v: delta[id(v)])
        result.append(
            LayerDeltas(
                layer=k + 1,
                name=names[k],
                activation=layer.activation,
                X=_matrix(trace.inputs, lambda v: v.data),
                W=W,
                b=b,
                Z=_matrix(trace.zs, lambda v: v.data),
                A=_matrix(trace.outs, lambda v: v.data),
                dX=_matrix(trace.inputs, lambda v: delta[id(v)]),
                dW=dW,
                db=db,
                dZ=_matrix(trace.zs, lambda v: delta[id(v)]),
                dA=_matrix(trace.outs, lambda v: delta[id(v)]),
            )
        )
    return result


def _target_matrix(y: np.ndarray, layers: list[Layer], loss_fn: Loss, X: np.ndarray) -> np.ndarray:
    """The targets as the compiled graph's input columns (as :func:`nn.fit` gives them): one-hot rows for
    class indices of a class loss."""
    if y.ndim == 2:
        return samples.target_matrix(y, None, layers[-1].nout)
    with autograd.enable_grad():  # _forward finds each z in the recorded graph
        (trace,) = _forward(layers, [[Value(v) for v in X[0].tolist()]])[-1:]
        spec = losses.describe(loss_fn, _prediction(trace.outs[0]), samples.sample_targets(y[:1])[0])
    return samples.target_matrix(y, spec, layers[-1].nout)


def _compiled(layers: list[Layer], names: list[str], X: np.ndarray, y: np.ndarray, loss_fn: Loss) -> list[LayerDeltas]:
    """:func:`layer_deltas` read from the compiled mode: one traced sample, replayed over the batch."""
    T = _target_matrix(y, layers, loss_fn, X)
    n_features, n_outputs = X.shape[1], layers[-1].nout
    traced: list[_Trace] = []

    def sample(inputs: list[Value]) -> list[Value]:
        xs, ts = inputs[:n_features], inputs[n_features:]
        traced[:] = _forward(layers, [xs])
        outs = traced[-1].outs[0]
        return [*outs, loss_fn(_prediction(outs), ts[0] if len(ts) == 1 else ts)]

    graph = autograd.compile(sample, n_features + T.shape[1])
    m = len(X)
    graph.forward((X, T))
    seed = np.zeros((m, n_outputs + 1))
    seed[:, -1] = 1.0 / m  # δ of each sample's loss in J = (1/m) Σ loss: nothing flows in from the outputs
    parameter_grads, _ = graph.gradients(seed, input_grads=True)
    position = {id(p): i for i, p in enumerate(graph.parameters)}
    result = []
    for k, (layer, trace) in enumerate(zip(layers, traced)):
        xs, zs, outs = trace.inputs[0], trace.zs[0], trace.outs[0]
        W, b = _weights(layer, lambda v: v.data)
        dW, db = _weights(layer, lambda v: parameter_grads[position[id(v)]] if id(v) in position else 0.0)
        result.append(
            LayerDeltas(
                layer=k + 1,
                name=names[k],
                activation=layer.activation,
                X=graph.node_values(xs),
                W=W,
                b=b,
                Z=graph.node_values(zs),
                A=graph.node_values(outs),
                dX=graph.node_deltas(xs),
                dW=dW,
                db=db,
                dZ=graph.node_deltas(zs),
                dA=graph.node_deltas(outs),
            )
        )
    return result
