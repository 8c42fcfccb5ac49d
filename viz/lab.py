"""The live lab: Jupyter widgets that show deltagrad's own numbers and send back the learner's actions.

Python holds the truth. The engine computes every number (data, δ, the
backward frames, the decision boundary, the optimiser's state); a widget
(anywidget: state in traitlets, one ES module, ``static/lab.js``) only draws
them and sends back what the learner does: step, play, reset, pick the probe
sample, type a new value for a parameter or a leaf.

* :func:`explore` ``(fn, **leaves)``: the graph of an expression with a slider
  per leaf and backward stepped node by node (:func:`viz.backward_steps`).
* :class:`Lab` ``(model, X, y, loss=..., optimizer=..., batch_size=...)``: a
  network training live, with the loss graph of one probe sample, the data and
  decision boundary (or, for 1-D regression, the fitted curve), each hidden
  neuron's thumbnail, loss and accuracy curves and the optimiser's table.
* :class:`GraphView` (from :mod:`viz.widget`): a DOT graph drawn in the browser;
  ``draw_graph``'s notebook display uses it when the Graphviz ``dot`` program is missing.

Graphs are laid out in the browser by Graphviz compiled to WebAssembly
(``static/viz.js``, @viz-js/viz, vendored by ``make viz-js``), sent once per
kernel (:mod:`viz.widget`). ``save_html`` writes one page that replays the
recorded frames with the same module, without a kernel (:mod:`viz.page`).

Without a browser attached (a notebook run by nbmake, a script) the widgets
work all the same: their state is plain Python, and the methods that the
buttons call (:meth:`Lab.step`, :meth:`Lab.set_parameter`, :meth:`Explorer.set`)
can be called directly.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

try:
    import traitlets
except ModuleNotFoundError:  # no `lab` extra (traitlets comes with anywidget): viz.widget's error names it
    from . import widget  # noqa: F401

    raise

import autograd
import nn
from autograd import Value
from autograd.value import walk
from nn import losses as nn_losses
from nn.numpy_support import numpy_or_none
from nn.seeding import rng_from

from .derivation import backward_terms, derivations, display_names
from .dot import Drawing, draw_graph, node_name
from .layer_view import LAYER_VIEW_NODES, blocks_of, draw_layer_view
from .neurons import NeuronMaps
from .options import DEFAULT_MAX_NODES, DrawOptions
from .page import STATIC
from .steps import MAX_FRAMES, backward_steps
from .widget import GraphView, GraphvizWasm, LabWidget

if TYPE_CHECKING:
    import numpy as np
else:
    np = numpy_or_none()  # None in a browser's Python: the lab then trains on the scalar engine (ScalarSteps)

__all__ = ["MAX_CLASSES", "explore", "Explorer", "Lab", "ScalarSteps", "GraphView", "GraphvizWasm", "STATIC"]


def _finite(x: float, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what}: expected a number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what}: the value must be finite, got {x!r}")
    return x


def _selected_name(root: Value, node: Any) -> str:
    """The display name (:func:`viz.display_names`) of the node of ``root``'s graph drawn as ``node`` (a DOT name)."""
    names = display_names(root)
    for v, name in names.items():
        if node_name(v) == node:
            return name
    raise ValueError(f"derive: no node {node!r} in the graph shown")


def _derivation_of(root: Value, selected: str) -> dict[str, Any]:
    """The derivation (:meth:`viz.Derivation.to_dict`) of the node named ``selected``, or {} when none has it now."""
    if not selected:
        return {}
    for d in derivations(root).values():
        if d.name == selected:
            return d.to_dict()
    return {}


# ---------------------------------------------------------------------------- explore
def _leaf_spec(name: str, spec: Any) -> dict[str, Any]:
    """A leaf's slider: ``value`` or ``(value, low, high)``; the default range is value ± 2·max(1, |value|)."""
    if isinstance(spec, tuple) and len(spec) == 3:
        value, low, high = (_finite(s, f"explore: leaf {name!r}") for s in spec)
        if not low <= value <= high:
            raise ValueError(f"explore: leaf {name!r} needs low <= value <= high, got {spec!r}")
    else:
        value = _finite(spec, f"explore: leaf {name!r}")
        reach = 2.0 * max(1.0, abs(value))
        low, high = value - reach, value + reach
    # a round step (a power of ten, about 1/400 of the range) and ends on multiples of it: every multiple of the
    # step in range is a stop of the slider, so moved to 1 it lands on 1 (a step of 0.03 from -9 stopped at 0.99)
    step = 10.0 ** math.floor(math.log10((high - low) / 400)) if high > low else 1.0
    digits = max(0, -math.floor(math.log10(step)))
    low, high = round(math.floor(low / step) * step, digits), round(math.ceil(high / step) * step, digits)
    return {"name": name, "value": value, "min": low, "max": high, "step": step}


class Explorer(LabWidget):
    """An expression's graph, live: a slider (and a number box) per leaf, and backward node by node.

    Made by :func:`explore`. Every change recomputes forward and backward in
    Python; ``frames`` are :func:`viz.backward_steps`'s pictures (DOT and the
    chain-rule caption), ``frame`` the one shown (-1: the finished graph);
    ``frame_derivations`` every node's derivation at every frame
    (:meth:`viz.steps.BackwardSteps.explanations`), so while stepping the
    selected node shows the terms δ(reader)·∂reader/∂node arrived so far.
    """

    leaves: traitlets.List[Any] = traitlets.List().tag(sync=True)
    dot = traitlets.Unicode("").tag(sync=True)
    frames: traitlets.List[Any] = traitlets.List().tag(sync=True)
    frame = traitlets.Int(-1).tag(sync=True)
    output = traitlets.Float(0.0).tag(sync=True)
    grads = traitlets.Dict().tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    derivation = traitlets.Dict().tag(sync=True)
    frame_derivations = traitlets.Dict().tag(sync=True)

    def __init__(self, fn: Callable[..., Value], leaves: Mapping[str, Any]) -> None:
        if not callable(fn):
            raise TypeError(f"explore: fn must be callable, got {type(fn).__name__}")
        if not leaves:
            raise ValueError("explore: give each leaf a starting value, e.g. explore(fn, x=2.0, w=-3.0)")
        try:
            inspect.signature(fn).bind(**{name: 0.0 for name in leaves})
        except TypeError as e:
            raise TypeError(f"explore: fn does not accept the leaves {sorted(leaves)}: {e}") from None
        except ValueError:  # builtins without a signature: let the call decide
            pass
        self._fn = fn
        super().__init__(view="explore", leaves=[_leaf_spec(name, spec) for name, spec in leaves.items()])
        self._recompute()

    @property
    def values(self) -> dict[str, float]:
        """The leaves' current values by name."""
        return {leaf["name"]: leaf["value"] for leaf in self.leaves}

    def set(self, **values: float) -> None:
        """Give leaves new values (widening their slider if needed); forward and backward run again."""
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise ValueError(f"explore: no leaf named {', '.join(map(repr, unknown))}; leaves: {list(self.values)}")
        leaves = []
        for leaf in self.leaves:
            leaf = dict(leaf)
            if leaf["name"] in values:
                v = _finite(values[leaf["name"]], f"explore: leaf {leaf['name']!r}")
                step = leaf["step"]  # the ends stay on multiples of the step: the slider's stops do not shift
                low, high = math.floor(v / step) * step, math.ceil(v / step) * step
                leaf.update(value=v, min=min(leaf["min"], low), max=max(leaf["max"], high))
            leaves.append(leaf)
        self.leaves = leaves
        self._recompute()

    def _recompute(self) -> None:
        leaves = {name: Value(v, label=name) for name, v in self.values.items()}
        out = self._fn(**leaves)
        if not isinstance(out, Value):
            raise TypeError(f"explore: fn must return a Value, got {type(out).__name__}")
        out.backward()
        dot = draw_graph(out, show_local_grads=True, legend=False, rankdir="LR", width=None).source
        steps = backward_steps(out, show_local_grads=True) if len(out.walk()) <= MAX_FRAMES else None
        frames = [{"dot": f.graph.source, "caption": f.caption} for f in steps] if steps else []
        self._out = out
        with self.hold_sync():
            self.output, self.grads = out.data, {name: v.grad for name, v in leaves.items()}
            self.dot, self.frames, self.frame = dot, frames, -1
            self.frame_derivations = steps.explanations() if steps else {}
            self.derivation = _derivation_of(out, self.selected)

    def derive(self, node: str) -> dict[str, Any]:
        """Select the node drawn as ``node`` (its DOT name, :func:`viz.node_name`): :attr:`derivation` then holds
        how its δ came to be (:func:`viz.derivation`), kept for that node as the leaves change; returns it."""
        self.selected = _selected_name(self._out, node)
        self.derivation = _derivation_of(self._out, self.selected)
        return dict(self.derivation)

    def _act(self, message: dict[str, Any]) -> None:
        if message["action"] == "set_leaf":
            self.set(**{str(message["name"]): message["value"]})
        elif message["action"] == "derive":
            self.derive(str(message["node"]))
        else:
            super()._act(message)

    def _replay(self) -> dict[str, Any]:
        return {"view": "explore", "frames": [self._snapshot()]}

    def __repr__(self) -> str:
        leaves = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        grads = ", ".join(f"∂out/∂{k}={g:.4f}" for k, g in self.grads.items())
        return f"<explore({leaves}): out={self.output:.4f}; {grads}>"


def explore(fn: Callable[..., Value], **leaves: Any) -> Explorer:
    """The graph of ``fn(**leaves)`` with data and δ on every node, live in the notebook.

    Each keyword names a leaf and gives its starting value, or ``(value, low, high)``
    for its slider's range. Moving a slider (or typing in its box) recomputes
    forward and backward at once; "step backward" walks δ node by node with the
    chain-rule caption of each step.

    >>> ex = explore(lambda x, w, b: (x * w + b).tanh(), x=2.0, w=-3.0, b=6.88)
    >>> round(ex.output, 4), round(ex.grads["w"], 4)
    (0.7064, 1.0019)
    >>> ex.set(w=-2.0); round(ex.output, 4)
    0.9937
    """
    return Explorer(fn, leaves)


# ---------------------------------------------------------------------------- the lab
def _sample_target(y: Any, i: int) -> Any:
    """One sample's target as the per-sample losses take it: a row as a list, a whole number as an int
    (a class index for cross-entropy), else a float."""
    t = y[i]
    if hasattr(t, "tolist"):
        t = t.tolist()
    if isinstance(t, (list, tuple)):
        return [float(v) for v in t]
    return int(t) if float(t).is_integer() else float(t)


def _argmax(row: list[float]) -> int:
    """The index of the first largest entry (numpy's argmax)."""
    return max(range(len(row)), key=row.__getitem__)


def _spaced(start: float, stop: float, n: int) -> list[float]:
    """``n`` evenly spaced numbers from ``start`` to ``stop`` (both included)."""
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def _plane_rows(extent: list[float], n: int) -> list[list[float]]:
    """The n × n grid over ``extent`` [x₀, x₁, y₀, y₁] as input rows, row by row from the top (y₁) down."""
    x0, x1, y0, y1 = extent
    return [[a, b] for b in _spaced(y1, y0, n) for a in _spaced(x0, x1, n)]


class ScalarSteps:
    """:class:`nn.CompiledTrainer`'s ``step``/``evaluate``/``sync`` on the scalar engine: the lab's trainer where
    numpy is missing (a browser's Python). A step is one mini-batch's mean loss, ``backward()`` and the
    optimiser's step, as in :func:`nn.fit`."""

    def __init__(self, model: nn.Module, loss: Callable[..., Value], optimizer: nn.Optimizer) -> None:
        self.model, self.loss, self.optimizer = model, loss, optimizer

    def step(self, X: Any, y: Any) -> None:
        """Train on the mini-batch ``X, y``."""
        self.optimizer.zero_grad()
        outputs = [self.model(list(x)) for x in X]
        nn_losses.mean_loss(self.loss, outputs, [_sample_target(y, i) for i in range(len(y))]).backward()
        self.optimizer.step()

    def sync(self) -> None:
        """Nothing to copy back: the scalar engine trains the model's own Values."""

    def evaluate(self, X: Any, y: Any) -> tuple[list[Any], list[float]]:
        """Every sample's output (a float, or a list for several outputs) and loss, without recording graphs."""
        outputs, per_sample = [], []
        with autograd.no_grad():
            for i, x in enumerate(X):
                out = self.model(list(x))
                per_sample.append(self.loss(out, _sample_target(y, i)).data)
                outputs.append(out.data if isinstance(out, Value) else [v.data for v in out])
        return outputs, per_sample


def _zero_line_parameters(model: nn.Module, n_features: int) -> list[tuple[Value, Value, Value | None]]:
    """(w₁, w₂, b) of each neuron that reads the inputs directly: its zero line is w₁x₁ + w₂x₂ + b = 0.

    Found in the traced graph (``dot`` nodes over the input leaves), not from parameter names.
    """
    if n_features != 2:
        return []
    xs = [Value(0.0), Value(0.0)]
    out = model(xs)
    lines: list[tuple[Value, Value, Value | None]] = []
    for v in walk([out] if isinstance(out, Value) else list(out)):
        if v.op == "dot" and v.param == 2 and list(v.inputs[2:4]) == xs:
            w1, w2 = v.inputs[0], v.inputs[1]
            b = v.inputs[4] if len(v.inputs) > 4 else None
            if isinstance(w1, nn.Parameter) and isinstance(w2, nn.Parameter):
                lines.append((w1, w2, b))
    return lines[::-1]  # walk is reverse creation order: the first neuron first


MAX_CLASSES = 8
"""A lab's data may hold up to this many classes (softmax cross-entropy over as many outputs)."""

CURVE_POINTS = 121
"""Regression's fitted curve is the model's output at this many evenly spaced x (a neuron's thumbnail: half)."""

MAX_THUMBNAIL_RESOLUTION = 16
"""A hidden neuron's thumbnail samples the data panel's plane on a grid half as fine as the decision boundary's,
of at most this many × this many points (a thumbnail is drawn some 20 to 40 pixels wide)."""


class Lab(LabWidget):
    """A network training live: probe graph, data and boundary, curves and the optimiser's state.

    ``model`` (an :class:`nn.Module`) is trained on ``X, y`` with ``loss`` (a name
    from :data:`nn.losses.LOSSES` or a callable) by ``optimizer`` (default
    ``SGD(lr=0.1)``) on mini-batches of ``batch_size`` (None: the full batch),
    shuffled from ``seed``. A step is one mini-batch, as in :func:`nn.fit`, run by
    :class:`nn.CompiledTrainer`; the whole-dataset loss and accuracy and the
    decision boundary (on a ``resolution`` × ``resolution`` grid, for 2-D inputs)
    come from the compiled mode too (without numpy, in a browser's Python: all from
    the scalar engine, :class:`ScalarSteps`). The probe sample's loss graph is the scalar
    engine's own graph, with every node's δ (the Parameters' ``.grad`` keep the
    last mini-batch's gradient, which the optimiser used).

    With one input feature and a loss of real targets (``"mse"``, the default) the
    lab is in regression mode: the data panel draws the points (x, y) and the
    fitted curve y = model(x) (:attr:`curve`), there is no accuracy, and a click
    adds the point (x, y) where it lands or removes the point clicked. For an
    :class:`nn.MLP`, :attr:`thumbnails` shows each first- and second-hidden-layer
    neuron's activation over the plane (2-D inputs) or along x (regression).

    Buttons call :meth:`step`, :meth:`reset`, :meth:`set_parameter` and set
    :attr:`probe`, :attr:`lr`; a click on the data probes, adds a point of the
    chosen class (:meth:`add_point`) or removes one (:meth:`remove_point`); a
    click on a value shows its δ derivation (:meth:`derive`). The same calls work
    from Python, with or without a browser; :attr:`data` is the data trained on now.
    """

    dot = traitlets.Unicode("").tag(sync=True)
    node_deltas = traitlets.Dict().tag(sync=True)
    parameter_nodes = traitlets.Dict().tag(sync=True)
    probe_caption = traitlets.Unicode("").tag(sync=True)
    probe_loss = traitlets.Float(0.0).tag(sync=True)
    points: traitlets.List[Any] = traitlets.List().tag(sync=True)
    boundary = traitlets.Dict().tag(sync=True)
    zero_lines: traitlets.List[Any] = traitlets.List().tag(sync=True)
    history = traitlets.Dict().tag(sync=True)
    parameters: traitlets.List[Any] = traitlets.List().tag(sync=True)
    optimizer_columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    steps = traitlets.Int(0).tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)
    loss_value = traitlets.Float(0.0).tag(sync=True)
    accuracy_value = traitlets.Float(-1.0).tag(sync=True)
    probe = traitlets.Int(0).tag(sync=True)
    lr = traitlets.Float(0.1).tag(sync=True)
    speed = traitlets.Float(10.0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    derivation = traitlets.Dict().tag(sync=True)
    classes = traitlets.Int(0).tag(sync=True)
    """How many classes the model tells apart now (0: regression); adding a point of a new class raises it."""
    curve = traitlets.Dict().tag(sync=True)
    """Regression mode (X of 1 feature, a loss of real targets such as mse): the fitted curve, the model's output
    ``y`` at :data:`CURVE_POINTS` points ``x`` across the data panel's axes ``extent`` [x₀, x₁, y₀, y₁]; else empty."""
    thumbnails = traitlets.Dict().tag(sync=True)
    """Each shown hidden neuron's activation over the data panel's plane (2-D inputs, an MLP): ``kind`` "plane",
    ``n``, ``extent`` (the decision boundary's); in regression ``kind`` "line": at ``n`` points across ``extent``
    [x₀, x₁]. Per layer (the first two hidden ones) its ``layer`` (numbered
    as the slides: the first hidden layer is 2), ``activation``, ``size``, and for its first
    :data:`viz.neurons.MAX_THUMBNAILS` neurons their ``labels`` and ``values``: a^[l]_i at the n × n grid's points,
    row by row from the top (or the line's n points). Empty when there is nothing to show."""
    health: traitlets.List[Any] = traitlets.List().tag(sync=True)
    """Per layer, the network's health on the whole dataset after the last step (see :meth:`_health_rows`)."""
    blocks: traitlets.List[Any] = traitlets.List().tag(sync=True)
    """The probe graph's blocks when it is drawn by layer (:mod:`viz.layer_view`; [] when drawn node by node): per
    block its DOT ``name``, ``index``, ``kind``, number of ``values``, for the probe sample the mean |δ| of its
    parameters (``parameters_delta``) and of its outputs (``outputs_delta``), and a layer's ``cluster`` (its frame's
    DOT name once expanded)."""
    expanded: traitlets.List[Any] = traitlets.List(traitlets.Int()).tag(sync=True)
    """The blocks (by index: 0 the input, k + 1 for ``model.layers[k]``, the last the loss) drawn node by node in
    the layer view; a click on a block adds or removes it."""

    def __init__(
        self,
        model: nn.Module,
        X: Any,
        y: Any,
        loss: Any = "mse",
        optimizer: nn.Optimizer | None = None,
        batch_size: int | None = None,
        seed: int = 0,
        probe: int = 0,
        resolution: int = 40,
        max_frames: int = 200,
    ) -> None:
        listed = X.tolist() if hasattr(X, "tolist") else X
        if isinstance(listed, (list, tuple)) and listed and all(isinstance(r, numbers.Real) for r in listed):
            given = f"an array of shape {tuple(X.shape)}" if hasattr(X, "shape") else f"a list of {len(listed)} numbers"
            raise ValueError(
                f"Lab: X must be (samples × features), got {given}; one feature is a column: "
                "X.reshape(-1, 1), or [[x] for x in X]"
            )
        try:
            rows = [[float(v) for v in r] for r in listed]
            targets = y.tolist() if hasattr(y, "tolist") else list(y)
        except TypeError as e:
            raise ValueError(f"Lab: X must be (samples × features) with one label per row: {e}") from None
        if not rows or len(rows) != len(targets) or any(len(r) != len(rows[0]) or not r for r in rows):
            raise ValueError(
                f"Lab: X must be (samples × features) with one label per row, got {len(rows)} rows "
                f"and {len(targets)} labels"
            )
        if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
            raise ValueError(f"Lab: batch_size must be None or an int >= 1, got {batch_size!r}")
        if not isinstance(resolution, int) or not 2 <= resolution <= 200:
            raise ValueError(f"Lab: resolution must be an int between 2 and 200, got {resolution!r}")
        self.batch_size, self.seed, self.max_frames, self._resolution = batch_size, seed, max_frames, resolution
        self._original = ([list(r) for r in rows], list(targets))
        self._regression = False  # decided from the loss by _set_model
        self._set_data(rows, targets)
        self._set_model(
            model, nn_losses.get(loss), nn.SGD(model.parameters(), lr=0.1) if optimizer is None else optimizer
        )
        self._frames: list[dict[str, Any]] = []
        self._ready = False
        super().__init__(
            view="lab",
            points=self._points(),
            lr=self.optimizer.lr,
            probe=self._check_probe(probe),
            classes=self._class_count(),
        )
        self._restart_batches()
        self._ready = True
        self._refresh()

    def _set_data(self, rows: list[list[float]], targets: list[Any]) -> None:
        """The training data: Python lists for the panels, arrays (with numpy) for training; the plane's grid."""
        self._rows, self._targets = rows, targets  # the panels read Python lists, with numpy or without
        self.X, self.y = (np.asarray(rows), np.asarray(targets)) if np is not None else (rows, targets)
        self._grid = self._make_grid(self._resolution)
        flat = [v for t in targets for v in (t if isinstance(t, list) else [t])]
        rows_of_targets = isinstance(targets[0], list)
        self._classify = (
            not self._regression
            and all(float(v).is_integer() for v in flat)
            and (rows_of_targets or len(set(flat)) <= 10)
        )

    def _set_model(self, model: nn.Module, loss: Callable[..., Value], optimizer: nn.Optimizer) -> None:
        """The network, its loss and optimiser, and what is traced or read from them."""
        self.model, self.loss, self.optimizer = model, loss, optimizer
        rows, targets = self._rows, self._targets
        self._params = list(self.optimizer.params)
        self._names = {id(p): name for name, p in model.named_parameters()}
        self._initial = (model.state_dict(), self.optimizer.state_dict())
        self._trainer: Any = (
            ScalarSteps(model, self.loss, self.optimizer)
            if np is None
            else nn.CompiledTrainer(model, self.loss, self.optimizer, self.X[:1], self.y[:1])
        )
        with autograd.no_grad():
            spec = nn_losses.describe(self.loss, model(rows[0]), _sample_target(targets, 0))
        # regression mode: one feature and a loss of real targets (mse); the data panel draws y over x
        self._regression = len(rows[0]) == 1 and (spec.target == "real" if spec is not None else not self._classify)
        if self._regression:
            self._check_regression(spec)
            self._classify = False
        self._threshold = nn_losses.decision_threshold(spec, targets)
        self._predict = None if np is None else autograd.compile(model, len(rows[0]))
        self._lines = _zero_line_parameters(model, len(rows[0]))
        self._neuron_maps = NeuronMaps(model)
        self._updates = [0.0] * len(self._params)

    def _check_regression(self, spec: nn_losses.LossSpec | None) -> None:
        """Regression draws one output over x (the loss has checked that y's shape matches the model's outputs)."""
        with autograd.no_grad():
            out = self.model(self._rows[0])
        if not isinstance(out, Value):
            loss = f"loss {spec.name!r}" if spec is not None else "a loss of real targets"
            raise ValueError(
                f"Lab: regression (X of 1 feature, {loss}) draws the model's one output over x; model gives "
                f"{len(out)} outputs (and y rows of {len(out)}): one output and y of shape (samples,) are drawn"
            )

    # ------------------------------------------------------------- the learner's own data
    @property
    def data(self) -> tuple[Any, Any]:
        """The training data now, ``(X, y)``: copies (numpy arrays, or lists without numpy)."""
        rows, targets = [list(r) for r in self._rows], list(self._targets)
        return (np.asarray(rows), np.asarray(targets)) if np is not None else (rows, targets)

    def _class_count(self) -> int:
        """How many classes the model tells apart: its outputs (2 for one output scored against a threshold);
        0 for regression."""
        if not self._classify:
            return 0
        return max(2, int(getattr(self.model, "nout", 1)))

    def add_point(self, x: Any, label: Any) -> int:
        """Add the sample ``x`` with ``label`` (a class index, or the target y, a float, in regression); returns its
        index. For one feature ``x`` may be a number.

        A class the model cannot output yet (a third class for a one-output
        binary model, or class k for a k-output one) switches an :class:`nn.MLP`
        to softmax cross-entropy over up to :data:`MAX_CLASSES` classes: a new
        output layer on the same hidden sizes, a fresh start (same seed,
        optimiser type and learning rate). Training continues from the
        current weights otherwise.
        """
        x = x.tolist() if hasattr(x, "tolist") else x
        given: list[Any] = [x] if isinstance(x, numbers.Real) else list(x)  # one feature: a number will do
        row = [_finite(v, "Lab.add_point: x") for v in given]
        if len(row) != len(self._rows[0]):
            raise ValueError(f"Lab.add_point: x must have {len(self._rows[0])} features, got {len(row)}")
        target = _finite(label, "Lab.add_point: label")
        if self._classify:
            if not target.is_integer() or not 0 <= target < MAX_CLASSES:
                raise ValueError(f"Lab.add_point: label must be a class 0..{MAX_CLASSES - 1}, got {label!r}")
            if isinstance(self._targets[0], list):
                raise ValueError("Lab.add_point: this lab's labels are one-hot rows; give it class indices instead")
        value: Any = int(target) if self._classify else target
        rows, targets = [*self._rows, row], [*self._targets, value]
        grow = self._classify and value >= self._class_count()
        if grow and not isinstance(self.model, nn.MLP):
            raise ValueError(
                f"Lab.add_point: class {value} needs a model with more outputs; only an nn.MLP is rebuilt for it"
            )
        self._set_data(rows, targets)
        if grow:
            self._more_classes(value + 1)
        else:
            self._data_changed()
        return len(rows) - 1

    def remove_point(self, index: int) -> None:
        """Remove sample ``index`` (at least one sample stays)."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(self._rows):
            raise ValueError(f"Lab.remove_point: index must be a sample index in [0, {len(self._rows)}), got {index!r}")
        if len(self._rows) == 1:
            raise ValueError("Lab.remove_point: the last sample stays (a lab trains on at least one)")
        i = int(index)
        self._set_data(self._rows[:i] + self._rows[i + 1 :], self._targets[:i] + self._targets[i + 1 :])
        self._data_changed(self.probe - 1 if self.probe > i else self.probe)  # the probe stays on its sample

    def reset_data(self) -> None:
        """Back to the data the lab was made with (the model keeps its weights)."""
        rows, targets = self._original
        self._set_data([list(r) for r in rows], list(targets))
        self._data_changed()

    def _more_classes(self, k: int) -> None:
        """An MLP with ``k`` outputs on the same hidden layers, trained with softmax cross-entropy from the start."""
        old = self.model
        assert isinstance(old, nn.MLP)
        model = nn.MLP(old.nin, [*old.sizes[:-1], k], activation=old.activation, seed=self.seed)
        optimizer = type(self.optimizer)(model.parameters(), lr=self.optimizer.lr)
        self._set_model(model, nn_losses.get("cross_entropy"), optimizer)
        self._restart_batches()
        with self.hold_sync():
            self.steps, self.epoch, self.history, self.playing = 0, 0, {}, False
        self._frames.clear()
        self._data_changed()

    def _data_changed(self, probe: int | None = None) -> None:
        """New data, same model: batches start again from it, every panel is redrawn once."""
        self._ready = False  # the probe's own observer would redraw before the points are new
        try:
            self.probe = min(self.probe if probe is None else probe, len(self._rows) - 1)
        finally:
            self._ready = True
        self._restart_batches()
        self.points, self.classes = self._points(), self._class_count()
        self._refresh()

    # ------------------------------------------------------------- actions
    def step(self, n: int = 1) -> None:
        """Train on ``n`` mini-batches, one at a time, redrawing every panel after each."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"Lab.step: n must be an int >= 0, got {n!r}")
        for _ in range(n):
            Xb, yb = self._next_batch()
            before = [p.data for p in self._params]
            self._trainer.step(Xb, yb)
            self._trainer.sync()
            self._updates = [p.data - b for p, b in zip(self._params, before)]
            self.steps += 1
            self._refresh()

    def reset(self) -> None:
        """Back to the starting parameters and optimiser state; history and batches start again."""
        state, optimizer_state = self._initial
        self.model.load_state_dict(state)
        self.optimizer.load_state_dict(optimizer_state)
        for p in self._params:
            p.grad = 0.0
        self._updates = [0.0] * len(self._params)
        self._restart_batches()
        with self.hold_sync():
            self.steps, self.epoch, self.history, self.playing = 0, 0, {}, False
            self.lr = self.optimizer.lr
        self._frames.clear()
        self._refresh()

    def set_parameter(self, key: int | str | Value, value: float) -> None:
        """Give one parameter (by index in the optimiser's list, dotted name, or the Value) a new value.

        Forward, backward and every panel update at once; the optimiser's state is kept.
        """
        p = self._parameter(key)
        p.data = _finite(value, f"Lab.set_parameter({self._names.get(id(p), key)!r})")
        self._refresh()

    def derive(self, node: str) -> dict[str, Any]:
        """Select the probe graph's node drawn as ``node`` (its DOT name): :attr:`derivation` then holds how its δ
        came to be (:func:`viz.derivation`), recomputed for that node after every step; returns it."""
        self.selected = _selected_name(self._probe_root, node)
        self.derivation = _derivation_of(self._probe_root, self.selected)
        return dict(self.derivation)

    def _parameter(self, key: int | str | Value) -> Value:
        if isinstance(key, Value):
            if not any(p is key for p in self._params):
                raise ValueError("Lab.set_parameter: that Value is not one of the optimiser's parameters")
            return key
        if isinstance(key, str):
            for p in self._params:
                if self._names.get(id(p)) == key:
                    return p
            raise ValueError(f"Lab.set_parameter: no parameter named {key!r}")
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(self._params):
            raise ValueError(f"Lab.set_parameter: index must be an int in [0, {len(self._params)}), got {key!r}")
        return self._params[key]

    def _act(self, message: dict[str, Any]) -> None:
        action = message["action"]
        if action == "step":
            self.step(int(message.get("n", 1)))
        elif action == "reset":
            self.reset()
        elif action == "set_parameter":
            self.set_parameter(int(message["index"]), message["value"])
        elif action == "derive":
            self.derive(str(message["node"]))
        elif action == "add_point":
            self.add_point(message["x"], message["label"])
        elif action == "remove_point":
            self.remove_point(int(message["index"]))
        elif action == "reset_data":
            self.reset_data()
        else:
            super()._act(message)

    @traitlets.validate("probe")
    def _validate_probe(self, proposal: Any) -> int:
        return self._check_probe(proposal["value"])

    def _check_probe(self, i: Any) -> int:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= int(i) < len(self.y):
            raise ValueError(f"Lab: probe must be a sample index in [0, {len(self.y)}), got {i!r}")
        return int(i)

    @traitlets.observe("probe")
    def _probe_changed(self, _: Any) -> None:
        if self._ready:
            self._refresh()

    @traitlets.validate("lr")
    def _validate_lr(self, proposal: Any) -> float:
        lr = _finite(proposal["value"], "Lab: lr")
        if lr < 0:
            raise ValueError(f"Lab: lr must be >= 0, got {lr}")
        return lr

    @traitlets.observe("lr")
    def _lr_changed(self, change: Any) -> None:
        self.optimizer.lr = change["new"]

    # ------------------------------------------------------------- batches
    def _restart_batches(self) -> None:
        self._rng = rng_from(self.seed)
        self._batches: Iterator[tuple[Any, Any]] = iter(())
        self._epoch_started = False

    def _next_batch(self) -> tuple[Any, Any]:
        batch = next(self._batches, None)
        if batch is None:
            if self._epoch_started:
                self.epoch += 1
            self._batches = nn.batches(self.X, self.y, self.batch_size, shuffle=True, seed=self._rng)
            self._epoch_started = True
            batch = next(self._batches)
        return batch

    # ------------------------------------------------------------- panels
    def _points(self) -> list[list[float]]:
        """Each sample as drawn: [x₁, x₂, label] (x₂ = 0 for 1-D inputs); in regression [x, y, y]."""
        if self._regression:
            return [[r[0], float(t), float(t)] for r, t in zip(self._rows, self._targets)]
        labels = [_argmax(t) if isinstance(t, list) else t for t in self._targets]
        return [[r[0], r[1] if len(r) > 1 else 0.0, float(t)] for r, t in zip(self._rows, labels)]

    def _make_grid(self, resolution: int) -> dict[str, Any] | None:
        if len(self._rows[0]) != 2:
            return None
        lo = [min(r[k] for r in self._rows) for k in (0, 1)]
        hi = [max(r[k] for r in self._rows) for k in (0, 1)]
        pad = [0.1 * max(h - low, 1e-9) for low, h in zip(lo, hi)]
        lo, hi = [low - p for low, p in zip(lo, pad)], [h + p for h, p in zip(hi, pad)]
        extent = [lo[0], hi[0], lo[1], hi[1]]
        return {"extent": extent, "n": resolution, "rows": _plane_rows(extent, resolution)}

    def _boundary(self) -> dict[str, Any]:
        """The model's decision on the grid: signed score minus the threshold (one output) or the class."""
        if self._grid is None:
            return {}
        rows = self._grid["rows"]
        out = nn.predict(self.model, rows) if self._predict is None else self._predict.forward(np.asarray(rows))
        out = out.tolist() if hasattr(out, "tolist") else out
        if out and isinstance(out[0], list):
            values, kind = [float(_argmax(o)) for o in out], "class"
        else:
            values, kind = [round(o - self._threshold, 4) for o in out], "score"
        extent = [float(e) for e in self._grid["extent"]]
        return {"n": self._grid["n"], "extent": extent, "kind": kind, "values": values}

    def _line_extent(self) -> list[float]:
        """Regression's axes [x₀, x₁, y₀, y₁]: the data's x and y ranges, widened by a tenth (y: a sixth) each side."""
        xs, ys = [r[0] for r in self._rows], [p[1] for p in self._points()]
        (x0, x1), (y0, y1) = (min(xs), max(xs)), (min(ys), max(ys))
        dx, dy = (0.1 * (x1 - x0) if x1 > x0 else 1.0), (0.16 * (y1 - y0) if y1 > y0 else 1.0)
        return [x0 - dx, x1 + dx, y0 - dy, y1 + dy]

    def _curve(self) -> dict[str, Any]:
        """Regression's fitted curve: the model's output at :data:`CURVE_POINTS` evenly spaced x across the axes."""
        if not self._regression:
            return {}
        extent = self._line_extent()
        xs = _spaced(extent[0], extent[1], CURVE_POINTS)
        column = [[x] for x in xs]
        out = nn.predict(self.model, column) if self._predict is None else self._predict.forward(np.asarray(column))
        out = out.tolist() if hasattr(out, "tolist") else out
        return {"extent": extent, "x": [round(x, 6) for x in xs], "y": [round(float(v), 4) for v in out]}

    def _thumbnails(self) -> dict[str, Any]:
        """The shown hidden neurons' activations on a coarse grid over the decision boundary's extent (2-D), or
        along regression's x axis (1-D)."""
        if not self._neuron_maps.shown:
            return {}
        if self._regression:
            kind, n, extent = "line", CURVE_POINTS // 2, self._line_extent()[:2]
            maps = self._neuron_maps([[x] for x in _spaced(extent[0], extent[1], n)])
        elif self._grid is not None:
            n = min(MAX_THUMBNAIL_RESOLUTION, max(2, self._resolution // 2))
            kind, extent = "plane", self._grid["extent"]
            maps = self._neuron_maps(_plane_rows(extent, n))
        else:
            return {}
        layers = []
        for (layer, _), units in zip(self._neuron_maps.shown, maps):
            layers.append(
                {
                    "layer": layer.layer + 1,
                    "activation": layer.activation,
                    "size": layer.nout,
                    "labels": [f"a^[{n.layer + 1}]_{n.unit}" for n in layer.neurons[: len(units)]],
                    "values": [[round(v, 4) for v in unit] for unit in units],
                }
            )
        return {"kind": kind, "n": n, "extent": [float(e) for e in extent], "layers": layers}

    def _probe_graph(self) -> tuple[Value, dict[Value, float], list[Value]]:
        """The probe sample's loss L(model(x), y) as a scalar graph, with every node's δ = ∂L/∂node; and x."""
        x = [Value(v, label=f"x_{k}") for k, v in enumerate(self._rows[self.probe], start=1)]
        L = self.loss(self.model(x), _sample_target(self._targets, self.probe))
        L.label = "L"
        return L, backward_terms(L)[1], x

    def _draw_probe(self) -> None:
        """The probe graph's DOT and what the browser needs to colour and click it: node by node, or by layer
        (:mod:`viz.layer_view`) when it has more than :data:`viz.layer_view.LAYER_VIEW_NODES` values."""
        L, deltas, x = self._probe_graph()
        self._probe_root = L
        options = DrawOptions("LR", False, True, DEFAULT_MAX_NODES, 4, False)
        blocks = blocks_of(L, x, self.model) if len(L.walk()) > LAYER_VIEW_NODES else None
        if blocks is None:
            dot, shown = Drawing([L], options, deltas=deltas).build().source, []
        else:
            expanded = [i for i in self.expanded if i < len(blocks)]
            dot = draw_layer_view(L, blocks, deltas, expanded, options, self.health)
            shown = [
                {
                    "name": b.name,
                    "index": b.index,
                    "kind": b.kind,
                    "values": len(b.values),
                    "parameters_delta": b.mean_abs_delta(deltas, True),
                    "outputs_delta": b.mean_abs_delta(deltas, False),
                    "cluster": b.cluster,
                }
                for b in blocks
            ]
        with self.hold_sync():
            self.dot, self.blocks = dot, shown
            self.node_deltas = {node_name(v): d for v, d in deltas.items()}
            self.parameter_nodes = {node_name(p): i for i, p in enumerate(self._params)}
            self.probe_loss = L.data
            self.derivation = _derivation_of(L, self.selected)

    @traitlets.observe("expanded")
    def _expanded_changed(self, _: Any) -> None:
        if self._ready:
            self._draw_probe()

    def _refresh(self) -> None:
        """Recompute every panel from the engine's current state, and record the frame."""
        # one message to the page: it never draws the new probe graph under the old caption
        with self.hold_sync():
            self.health = self._health_rows()  # the layer view's blocks show it
            self._draw_probe()
            L = self._probe_root
            outputs, per_sample = self._trainer.evaluate(self.X, self.y)
            outputs = outputs.tolist() if hasattr(outputs, "tolist") else outputs
            loss_value = float(per_sample.mean()) if hasattr(per_sample, "mean") else sum(per_sample) / len(per_sample)
            accuracy = self._accuracy(outputs) if self._classify else -1.0
            history = {k: list(v) for k, v in self.history.items()}
            if not history or self.steps > history["step"][-1]:
                for k, v in (("step", self.steps), ("loss", loss_value), ("accuracy", accuracy)):
                    history.setdefault(k, []).append(v)
            else:  # an edit or a new probe at the same step: the latest point changes
                history["loss"][-1], history["accuracy"][-1] = loss_value, accuracy
            x = ", ".join(f"{v:.3g}" for v in self._rows[self.probe])
            self.probe_caption = f"sample {self.probe}: x = ({x}), y = {self.points[self.probe][2]:g}, L = {L.data:.4f}"
            self.boundary = self._boundary()
            self.thumbnails = self._thumbnails()
            self.curve = self._curve()
            self.zero_lines = [[w1.data, w2.data, 0.0 if b is None else b.data] for w1, w2, b in self._lines]
            self.history = history
            self.loss_value, self.accuracy_value = loss_value, accuracy
            self.parameters, self.optimizer_columns = self._parameter_table()
        self._frames.append(self._snapshot())
        if len(self._frames) > self.max_frames:
            del self._frames[1]  # keep the first frame: a replay starts where the run started

    def _health_rows(self) -> list[dict[str, Any]]:
        """The health panel's figures: one dict per layer of an :class:`nn.MLP` (or :class:`nn.Layer`), else [].

        From :func:`nn.health` on the whole dataset (``compiled=True``: one
        matrix product per layer, a few milliseconds), for the loss J trained
        on: ``mean`` and ``std`` of the activations a = g(z),
        ``saturated_fraction`` (tanh |a| > 0.97, sigmoid max(a, 1 − a) > 0.97),
        ``dead_fraction`` (ReLU units with a = 0 on every sample) and
        ``grad_norm`` ‖∂J/∂(W, b)‖₂. ``update_ratio`` is the last step's own
        update-to-data ratio std(ΔW) / std(W) over the layer's weights (ΔW:
        what the optimiser changed, whatever its rule; healthy around 1e-3);
        None before the first step. Needs numpy ([] without it).
        """
        if np is None or not isinstance(self.model, (nn.MLP, nn.Layer)):
            return []
        found = nn.health(self.model, self.X, self.y, loss=self.loss, compiled=True)
        layers = list(self.model.layers) if isinstance(self.model, nn.MLP) else [self.model]
        update = {id(p): u for p, u in zip(self._params, self._updates)}
        rows = []
        for h, layer in zip(found, layers):
            weights = [w for n in layer.neurons for w in n.w]
            W = np.array([w.data for w in weights])
            dW = np.array([update.get(id(w), 0.0) for w in weights])
            moved = self.steps > 0 and W.std() > 0 and dW.std() > 0
            rows.append(
                {
                    "layer": h.index,
                    "activation": h.activation,
                    "units": h.units,
                    "mean": h.mean,
                    "std": h.std,
                    "saturated_fraction": h.saturated_fraction,
                    "dead_fraction": h.dead_fraction,
                    "grad_norm": h.grad_norm,
                    "update_ratio": float(dW.std() / W.std()) if moved else None,
                }
            )
        return rows

    def _accuracy(self, outputs: list[Any]) -> float:
        """Fraction of samples classified right: argmax of several outputs, else output > the loss's threshold."""
        if isinstance(outputs[0], list):
            truth = [_argmax(t) if isinstance(t, list) else t for t in self._targets]
            return sum(_argmax(o) == t for o, t in zip(outputs, truth)) / len(outputs)
        return sum((o > self._threshold) == (t > 0) for o, t in zip(outputs, self._targets)) / len(outputs)

    def _parameter_table(self) -> tuple[list[dict[str, Any]], list[str]]:
        state = self.optimizer.state_dict()
        buffers = {k: v for k, v in state.items() if isinstance(v, list) and len(v) == len(self._params)}
        rows = []
        for i, p in enumerate(self._params):
            row = {
                "name": self._names.get(id(p), p.label or f"parameter {i}"),
                "value": p.data,
                "grad": p.grad,
                "update": float(self._updates[i]),
            }
            row.update({k: float(v[i]) for k, v in buffers.items()})
            rows.append(row)
        return rows, list(buffers)

    def _replay(self) -> dict[str, Any]:
        frames = self._frames
        backward: list[dict[str, Any]] = []
        L, _, _ = self._probe_graph()
        if len(L.walk()) <= MAX_FRAMES:
            # natural size, as the live graph is drawn (the page scales it; no narrow-width warning on save)
            backward = [{"dot": f.graph.source, "caption": f.caption} for f in backward_steps(L, width=None)]
        return {"view": "lab", "frames": frames, "backward": backward}

    def __repr__(self) -> str:
        accuracy = f", accuracy {self.accuracy_value:.1%}" if self.accuracy_value >= 0 else ""
        return (
            f"<Lab: {type(self.model).__name__} on {len(self.y)} samples, step {self.steps} (epoch {self.epoch}), "
            f"loss {self.loss_value:.4f}{accuracy}; probe sample {self.probe}, L = {self.probe_loss:.4f}>"
        )

    @property
    def frames(self) -> list[dict[str, Any]]:
        """The recorded states (one per redraw, at most ``max_frames``) that :meth:`save_html` replays."""
        return list(self._frames)
