"""Neurons, layers and multi-layer perceptrons, labelled like the lecture slides.

A neuron computes z = wᵀx + b as ONE node (:func:`autograd.dot` with a bias)
and then a = g(z) as one more node (none for ``"linear"``). The lecture counts
the input as layer 1, so the first :class:`Layer` holds W^[1], b^[1] and its
neurons output z^[2]_i and a^[2]_i (i is 1-based). Parameters are labelled
``w^[l]_ij`` (neuron i, input j; written ``w^[l]_i,j`` once an index has two
digits) and ``b^[l]_i``; model inputs given as numbers become leaves ``x1..xn``.

>>> net = MLP(2, [3, 1], seed=0)
>>> out = net([1.0, -1.0])
>>> out.label, out.op
('z^[3]_1', 'dot')
>>> sorted({v.label for v in out.walk() if v.is_leaf})[:4]
['b^[1]_1', 'b^[1]_2', 'b^[1]_3', 'b^[2]_1']
>>> net.parameters()[0].name, net.parameters()[0].label
('layers.0.neurons.0.w.0', 'w^[1]_11')
"""

from __future__ import annotations

import functools
import math
import numbers
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value, collector
from autograd.functional import dot_values

from . import init as initializers
from .activations import activation as _activation
from .module import HeldList, Module, register
from .numpy_support import numpy_or_none
from .parameter import Parameter
from .seeding import Seed, rng_from

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Neuron", "Layer", "MLP", "as_inputs"]


def as_inputs(x: Any, n: int, where: str) -> list[Value]:
    """One sample as ``n`` Values: numbers become leaves labelled ``x1..xn``, Values pass through."""
    if hasattr(x, "ndim") and hasattr(x, "tolist"):  # a numpy array (no numpy import for the scalar path)
        if x.ndim > 1:
            raise ValueError(f"{where}: expected one sample (a 1-D array of {n}), got an array of shape {x.shape}")
        x = x.reshape(-1).tolist()
    elif isinstance(x, (Value, numbers.Real)):
        x = [x]
    elif not isinstance(x, (list, tuple)):
        raise TypeError(f"{where}: expected a list of numbers or Values or a 1-D array, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{where}: expects {n} input(s), got {len(x)}")
    out = []
    for j, v in enumerate(x, 1):
        if not isinstance(v, Value):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{where}: input {j} must be a number or a Value, got {type(v).__name__} {v!r}")
            v = Value(float(v), label=f"x{j}")
        out.append(v)
    return out


def _finite(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise ValueError(f"{what} must be a finite number, got {x!r}")
    return float(x)


def _positive_int(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def _nonlin_activation(activation: str | None, nonlin: bool | None, where: str) -> str:
    """The activation's name; micrograd's ``nonlin=False`` means linear, ``nonlin=True`` keeps ``activation``."""
    if nonlin is not None and not isinstance(nonlin, bool):
        raise TypeError(f"{where}: nonlin must be True or False (micrograd's keyword), got {nonlin!r}")
    return "linear" if activation is None or nonlin is False else activation


@functools.lru_cache(maxsize=16)
def _indices(n: int) -> tuple[str, ...]:
    """``"1"`` .. ``str(n)``: shared by a layer's neurons (784-256-10 would format 203,530 of them)."""
    return tuple(map(str, range(1, n + 1)))


def _weight_labels(layer: int, unit: int, nin: int) -> list[str]:
    """``w^[layer]_{unit}{j}`` for j = 1..nin, written ``{unit},{j}`` once an index has two digits."""
    tight, loose = f"w^[{layer}]_{unit}", f"w^[{layer}]_{unit},"
    js = _indices(nin)
    if unit >= 10:
        return [loose + j for j in js]
    return [tight + j for j in js[:9]] + [loose + j for j in js[9:]]


def _weights_matrix(W: Any, shape: tuple[int, int], where: str) -> Any:
    """``W`` as a float array of ``shape`` (without numpy: a list of rows), checked finite once for the whole layer."""
    np = numpy_or_none()
    if np is None:
        flat = [_finite(w, f"{where}: each initial weight") for w in _flatten(W)]
        if len(flat) != shape[0] * shape[1]:
            raise ValueError(f"{where}: expected {shape[1]} weights per neuron, got {len(flat) // max(shape[0], 1)}")
        return [flat[i * shape[1] : (i + 1) * shape[1]] for i in range(shape[0])]
    W = np.asarray(W, dtype=float)
    if W.size != shape[0] * shape[1]:
        raise ValueError(f"{where}: expected {shape[1]} weights per neuron, got {W.size // max(shape[0], 1)}")
    if not np.isfinite(W).all():
        bad = float(W[~np.isfinite(W)][0])
        raise ValueError(f"{where}: the initial weights must be finite, got {bad!r}")
    return W.reshape(shape)


def _as_list(row: Any) -> list[float]:
    """A row of weights as Python floats (a numpy row's ``tolist``)."""
    return row.tolist() if hasattr(row, "tolist") else list(row)


def _flatten(W: Any) -> list[Any]:
    """The numbers of a (nested) list in row order."""
    if isinstance(W, (list, tuple)):
        return [w for row in W for w in _flatten(row)]
    return [W]


@register
class Neuron(Module):
    """One unit: z = Σⱼ wⱼxⱼ + b (one ``dot`` node), then a = g(z).

    micrograd's ``nonlin=False`` makes it linear (``nonlin=True`` keeps ``activation``).
    ``weights`` (and ``bias``, default 0) set the initial values directly;
    otherwise ``init`` draws them. ``layer`` and ``unit`` only set the labels
    (W^[layer], node a^[layer+1]_unit).

    >>> n = Neuron(2, "tanh", weights=[0.5, -1.0], bias=0.25)
    >>> a = n([2.0, 1.0])
    >>> round(a.data, 6), a.label, a.inputs[0].label
    (0.244919, 'a^[2]_1', 'z^[2]_1')
    >>> [name for name, _ in n.named_parameters()]
    ['w.0', 'w.1', 'b']
    """

    nin: int
    activation: str
    layer: int
    unit: int
    w: list[Parameter]
    b: Parameter
    _g: Callable[[Value], Value]
    _z_label: str
    _a_label: str

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        init: initializers.InitLike = "he",
        seed: Seed = None,
        *,
        weights: Sequence[float] | np.ndarray | None = None,
        bias: float = 0.0,
        layer: int = 1,
        unit: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        nin = _positive_int(nin, "Neuron: nin")
        activation = _nonlin_activation(activation, nonlin, "Neuron")
        if weights is None:
            weights = initializers.get(init)(nin, 1, rng_from(seed))[0]
        flat = _flatten(weights.tolist() if hasattr(weights, "tolist") else weights)
        if len(flat) != nin:
            raise ValueError(f"Neuron: expected {nin} weights, got {len(flat)}")
        weights = flat
        with collector.paused():
            self._build(nin, activation, _weights_matrix(weights, (1, nin), "Neuron")[0], bias, layer, unit)

    def _build(self, nin: int, activation: str | None, weights: np.ndarray, bias: float, layer: int, unit: int) -> None:
        """Set up the neuron from checked weights; its parameters are named when first read (``Parameter.name``).

        Attributes are set with ``object.__setattr__``: :class:`Module` would rename every
        parameter below at each level of a model (4 passes over 203,530 Parameters for
        784-256-10; bench_mnist, section 3).
        """
        setattr_ = object.__setattr__
        setattr_(self, "nin", nin)
        setattr_(self, "activation", "linear" if activation is None else activation)
        setattr_(self, "_g", _activation(self.activation))
        setattr_(self, "layer", _positive_int(layer, "Neuron: layer"))
        setattr_(self, "unit", _positive_int(unit, "Neuron: unit"))
        weight_labels = _weight_labels(self.layer, self.unit, nin)
        setattr_(self, "w", HeldList(Parameter._owned(_as_list(weights), weight_labels, self), self))
        bias = _finite(bias, "Neuron: bias")
        setattr_(self, "b", Parameter._owned([bias], [f"b^[{self.layer}]_{self.unit}"], self)[0])
        setattr_(self, "_z_label", f"z^[{self.layer + 1}]_{self.unit}")
        setattr_(self, "_a_label", f"a^[{self.layer + 1}]_{self.unit}")

    nout = 1

    def forward(self, x: Any) -> Value:
        """a = g(wᵀx + b) for one sample ``x``."""
        return self._forward(as_inputs(x, self.nin, "Neuron"))

    def _forward(self, xs: list[Value]) -> Value:
        z = dot_values(self.w, xs, self.b)  # xs: checked once per model or layer call, by as_inputs
        z.label = self._z_label
        a = self._g(z)
        if a is not z:
            a.label = self._a_label
        return a

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this neuron: ``nin``, ``activation``, ``layer``, ``unit``."""
        return {"nin": self.nin, "activation": self.activation, "layer": self.layer, "unit": self.unit}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """nin + 1: the weights w₁..w_nin and the bias b."""
        return _positive_int(config["nin"], "Neuron: nin") + 1

    def __repr__(self) -> str:
        return f"Neuron({self.nin} inputs, {self.activation}, {self.nin + 1} parameters)"


@register
class Layer(Module):
    """``nout`` neurons reading the same inputs: a = g(Wx + b), W of shape (nout, nin).

    Returns a Value when ``nout`` is 1, else a list of Values. micrograd's
    ``nonlin=False`` makes the layer linear.

    >>> layer = Layer(3, 2, "sigmoid", seed=0)
    >>> [a.label for a in layer([1.0, 2.0, 3.0])]
    ['a^[2]_1', 'a^[2]_2']
    """

    nin: int
    nout: int
    activation: str
    layer: int
    neurons: list[Neuron]

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        init: initializers.InitLike = "he",
        seed: Seed = None,
        *,
        layer: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        with collector.paused():
            self._build(nin, nout, _nonlin_activation(activation, nonlin, "Layer"), init, rng_from(seed), layer)

    def _build(
        self, nin: int, nout: int, activation: str | None, init: Any, rng: np.random.Generator, layer: int
    ) -> None:
        """Set up the layer and its neurons (see :meth:`Neuron._build`)."""
        setattr_ = object.__setattr__
        setattr_(self, "nin", _positive_int(nin, "Layer: nin"))
        setattr_(self, "nout", _positive_int(nout, "Layer: nout"))
        setattr_(self, "activation", "linear" if activation is None else activation)
        setattr_(self, "layer", _positive_int(layer, "Layer: layer"))
        W = _weights_matrix(initializers.get(init)(self.nin, self.nout, rng), (self.nout, self.nin), "Layer")
        neurons = []
        for i in range(self.nout):
            neuron = Neuron.__new__(Neuron)
            neuron._build(self.nin, self.activation, W[i], 0.0, self.layer, i + 1)
            setattr_(neuron, "_parent", weakref.ref(self))
            neurons.append(neuron)
        setattr_(self, "neurons", HeldList(neurons, self))

    def forward(self, x: Any) -> Value | list[Value]:
        """aᵢ = g(wᵢᵀx + bᵢ) of every neuron i for one sample ``x``: a list, or a Value for a one-neuron layer."""
        out = self._forward(as_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, xs: list[Value]) -> list[Value]:
        return [n._forward(xs) for n in self.neurons]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer: ``nin``, ``nout``, ``activation``, ``layer``."""
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation, "layer": self.layer}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """(nin + 1)·nout: each of the nout neurons has nin weights and a bias."""
        return (_positive_int(config["nin"], "Layer: nin") + 1) * _positive_int(config["nout"], "Layer: nout")

    def __repr__(self) -> str:
        return f"Layer({self.nin} → {self.nout}, {self.activation}, {(self.nin + 1) * self.nout} parameters)"


@register
class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``sizes`` on ``nin`` inputs.

    Hidden layers use ``activation``; the last uses ``output_activation``
    (``None``: linear, giving scores or logits for the loss). Weights are
    drawn by ``init`` from ``seed``, so equal seeds give equal models.

    >>> MLP(2, [16, 16, 1], seed=0)
    MLP(
      (0): Layer(2 → 16, relu, 48 parameters)
      (1): Layer(16 → 16, relu, 272 parameters)
      (2): Layer(16 → 1, linear, 17 parameters)
    ) with 337 parameters
    """

    layers: list[Layer]

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str | None = "relu",
        output_activation: str | None = None,
        init: initializers.InitLike = "he",
        seed: Seed = None,
    ) -> None:
        self.nin = _positive_int(nin, "MLP: nin")
        if isinstance(sizes, numbers.Integral) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"MLP: sizes must be a non-empty list of layer sizes, got {sizes!r}")
        self.sizes = [_positive_int(s, "MLP: each layer size") for s in sizes]
        self.activation = "linear" if activation is None else activation
        self.output_activation = output_activation
        rng = rng_from(seed)
        last = len(self.sizes) - 1
        fan_ins = [self.nin, *self.sizes]
        layers = []
        with collector.paused():
            for k, size in enumerate(self.sizes):
                layer = Layer.__new__(Layer)
                layer._build(fan_ins[k], size, self.activation if k < last else output_activation, init, rng, k + 1)
                object.__setattr__(layer, "_parent", weakref.ref(self))
                layers.append(layer)
        object.__setattr__(self, "layers", HeldList(layers, self))  # parameters named on first read: Neuron._build

    @property
    def nout(self) -> int:
        """The number of outputs: the last layer's size."""
        return self.sizes[-1]

    def forward(self, x: Any) -> Value | list[Value]:
        """The network's output for one sample: a Value for one output, else a list."""
        out = as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this network: ``nin``, ``sizes``, the two activations."""
        return {
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """Σ over layers of (fan_in + 1)·size, for widths nin, sizes[0], sizes[1], ..."""
        sizes = config["sizes"]
        if not isinstance(sizes, Sequence) or isinstance(sizes, str):
            raise ValueError(f"MLP: sizes must be a non-empty list of layer sizes, got {sizes!r}")
        widths = [_positive_int(config["nin"], "MLP: nin")] + [_positive_int(m, "MLP: each layer size") for m in sizes]
        return sum((n + 1) * m for n, m in zip(widths, widths[1:]))

    def __repr__(self) -> str:
        lines = [f"  ({k}): {layer!r}" for k, layer in enumerate(self.layers)]
        return "MLP(\n" + "\n".join(lines) + f"\n) with {len(self.parameters())} parameters"
