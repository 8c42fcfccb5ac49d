"""Training loops: :func:`fit`, and inference helpers :func:`predict`, :func:`accuracy`, :func:`evaluate`.

One training step on a mini-batch of m samples is the lecture's loop:
forward every sample, J = (1/m) Σᵢ L(ŷᵢ, yᵢ) (one ``mean`` node), ``J.backward()``
(δ of every node), ``optimizer.step()`` (w ← w − α δw). With ``compiled=True``
the forward graph of one sample is traced once by :func:`autograd.compile` and
replayed over whole mini-batches with numpy; the gradients are the same.

Labels: for one output, 0/1 (or −1/+1 for ``hinge``); for several outputs,
class indices (or one-hot rows). Inference runs under :func:`autograd.no_grad`.
"""

from __future__ import annotations

import importlib.util
import numbers
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import autograd
from autograd import Value, no_grad

from . import losses, samples
from .data import batches
from .losses import Loss, LossSpec
from .module import Module
from .numpy_support import numpy_or_none, require_numpy
from .optim import SGD, LRScheduler, Optimizer
from .seeding import Seed, rng_from

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

    from autograd.compiled import CompiledGraph
    from autograd.explain import Explanation
else:
    np = numpy_or_none()  # None without numpy: the scalar path then works on lists (the _list_* helpers)

__all__ = ["History", "fit", "predict", "accuracy", "evaluate"]

Callback = Callable[[int, dict[str, float]], Any]


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run (empty accuracy lists for regression targets)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.loss)


# ---------------------------------------------------------------------------- accuracy on lists (no numpy)
def _list_is_classification(y: list[Any], n_outputs: int) -> bool:
    rows = bool(y) and isinstance(y[0], (list, tuple))
    whole = all(float(v) == round(v) for label in y for v in (label if isinstance(label, (list, tuple)) else [label]))
    if n_outputs > 1:
        return rows or whole
    return not rows and len(set(y)) <= 2 and whole


def _list_accuracy(outputs: list[Any], y: list[Any], threshold: float) -> float:
    if outputs and isinstance(outputs[0], list):
        argmax = lambda row: max(range(len(row)), key=row.__getitem__)  # the first largest, as numpy's argmax
        truth = [argmax(t) if isinstance(t, (list, tuple)) else t for t in y]
        return sum(argmax(o) == t for o, t in zip(outputs, truth)) / len(outputs)
    return sum((o > threshold) == (t > 0) for o, t in zip(outputs, y)) / len(outputs)


# ---------------------------------------------------------------------------- inference
def _outputs_array(outs: list[Value | list[Value]]) -> np.ndarray:
    if np is None:
        return [o.data if isinstance(o, Value) else [v.data for v in o] for o in outs]  # type: ignore[return-value]
    return np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in outs])


_TRACES: weakref.WeakKeyDictionary[Module, dict[tuple[int, str], tuple[int, CompiledGraph]]]
_TRACES = weakref.WeakKeyDictionary()


def _traced_model(model: Module, n_features: int, dtype: Any) -> CompiledGraph:
    """``model`` traced by :func:`autograd.compile`, cached per model, input width and dtype.

    The trace is reused while the model's structure is unchanged (see
    :attr:`Module.structure_version`); the parameters' values are read at every call anyway.
    """
    traces = _TRACES.setdefault(model, {})
    key = (n_features, np.dtype(dtype).str)
    cached = traces.get(key)
    if cached is not None and cached[0] == model.structure_version:
        return cached[1]
    # forward, not model(...): a call makes each output keep its model alive (Module.__call__), and the trace keeps
    # its nodes, so the cache's value would keep its key alive
    fn = model.forward if type(model).__call__ is Module.__call__ else model
    graph = autograd.compile(fn, n_features, dtype=dtype)
    traces[key] = (model.structure_version, graph)
    return graph


def predict(model: Module, X: ArrayLike, compiled: bool = False, dtype: Any = "float64") -> np.ndarray:
    """The model's outputs for every row of ``X``: shape (n,) for one output, else (n, k).

    With ``compiled=True`` the model is traced by :func:`autograd.compile` (once per
    model: the trace is cached until the model's structure changes) and evaluated on
    all rows at once with numpy, in ``dtype`` (float64, the scalar engine's numbers,
    or float32).
    """
    X = samples.features(X, "predict")
    if compiled:
        require_numpy("predict(compiled=True)")
        return _traced_model(model, X.shape[1], dtype).forward(X)
    if np is not None and np.dtype(dtype) != np.float64:
        raise ValueError(
            f"predict: dtype={np.dtype(dtype)} needs compiled=True (the scalar engine computes in float64)"
        )
    with no_grad():
        return _outputs_array([model(x) for x in X])


def _is_classification(y: np.ndarray, n_outputs: int) -> bool:
    if np is None:
        return _list_is_classification(y, n_outputs)
    if n_outputs > 1:
        return y.ndim == 2 or np.issubdtype(y.dtype, np.integer) or bool(np.all(y == np.round(y)))
    return y.ndim == 1 and len(np.unique(y)) <= 2 and bool(np.all(y == np.round(y)))


def _accuracy(outputs: np.ndarray, y: np.ndarray, threshold: float) -> float:
    """Fraction of rows whose predicted class equals the label (argmax, or output > threshold vs y > 0)."""
    if np is None:
        return _list_accuracy(outputs, y, threshold)
    if outputs.ndim == 2:
        truth = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(outputs.argmax(axis=1) == truth))
    return float(np.mean((outputs > threshold) == (y > 0)))


def accuracy(model: Module, X: ArrayLike, y: ArrayLike, threshold: float = 0.0, compiled: bool = False) -> float:
    """Classification accuracy of ``model`` on ``X, y`` (``compiled`` as in :func:`predict`).

    Several outputs: the class is the argmax (labels are indices or one-hot rows).
    One output: the class is positive when output > ``threshold`` (0 for scores and
    logits; pass 0.5 for probabilities), and a label is positive when y > 0.
    """
    X = samples.features(X, "accuracy")
    return _accuracy(predict(model, X, compiled), samples.labels(y, len(X), "accuracy"), threshold)


def evaluate(
    model: Module,
    X: ArrayLike,
    y: ArrayLike,
    loss: str | Loss = "mse",
    threshold: float | None = None,
    compiled: bool = False,
) -> dict[str, float]:
    """Mean ``loss`` and (for class labels) ``accuracy`` of ``model`` on ``X, y``, under no_grad.

    With ``compiled=True`` the model and loss are traced once and run on all rows with numpy.
    """
    loss = losses.get(loss)
    X = samples.features(X, "evaluate")
    y = samples.labels(y, len(X), "evaluate")
    n_out, spec = _describe(model, loss, X, y)
    losses.check_targets(spec, y, n_out)
    if compiled:
        require_numpy("evaluate(compiled=True)")
        outputs, per_sample = _CompiledLoss(model, loss, X, y)(X, y)
        result = {"loss": float(per_sample.mean())}
    else:
        with no_grad():
            outs = [model(x) for x in X]
            result = {"loss": losses.mean_loss(loss, outs, samples.sample_targets(y)).data}
        outputs = _outputs_array(outs)
    if _is_classification(y, n_out):
        t = losses.decision_threshold(spec, y) if threshold is None else threshold
        result["accuracy"] = _accuracy(outputs, y, t)
    return result


# ---------------------------------------------------------------------------- training
class _NoBar:
    """What fit uses for a progress bar where tqdm is not installed (a browser's Python): the epochs, no bar."""

    def __init__(self, iterable: Iterable[int], **options: Any) -> None:
        self.iterable = iterable

    def __iter__(self) -> Any:
        return iter(self.iterable)

    def set_postfix(self, values: dict[str, float]) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _progress_bar() -> Any:
    """tqdm.auto's bar (a widget in Jupyter) when ipywidgets is installed, else the text bar; without tqdm, none.

    tqdm.auto in Jupyter without ipywidgets warns "IProgress not found" and falls back to text:
    falling back here, quietly, is the same bar without the warning.
    """
    try:
        widgets = importlib.util.find_spec("ipywidgets") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["ipywidgets"] is None or has no spec
        widgets = False
    try:
        if widgets:
            from tqdm.auto import tqdm
        else:
            from tqdm.std import tqdm
    except ImportError:
        return _NoBar
    return tqdm


def _describe(model: Module, loss: Callable[..., Value], X: np.ndarray, y: np.ndarray) -> tuple[int, LossSpec | None]:
    """(number of outputs, what the loss expects), from the model and the loss on the first sample."""
    with no_grad():
        out = model(X[0])
    return (1 if isinstance(out, Value) else len(out)), losses.describe(loss, out, samples.sample_targets(y[:1])[0])


class _CompiledLoss:
    """The model's outputs and per-sample loss, traced once; called on ``X, y`` it gives both for every row.

    The traced graph's inputs are a sample's features followed by its target (one-hot
    for class indices with cross-entropy), given to it as two column blocks, never
    joined; the Parameters' current values are used.
    """

    def __init__(self, model: Module, loss: str | Loss, X: ArrayLike, y: ArrayLike, dtype: Any = "float64") -> None:
        self.loss = losses.get(loss)
        X = np.asarray(X, dtype=float)
        n_features = self.n_features = X.shape[1]
        self.n_outputs, self.spec = _describe(model, self.loss, X, np.asarray(y))
        n_targets = self.inputs(X[:1], np.asarray(y)[:1])[1].shape[1]

        def traced(inputs: list[Value]) -> list[Value]:
            xs, ts = inputs[:n_features], inputs[n_features:]
            out = model(xs)
            outs = [out] if isinstance(out, Value) else list(out)
            return [*outs, self.loss(out, ts[0] if n_targets == 1 else ts)]

        self.graph = autograd.compile(traced, n_features + n_targets, dtype=dtype)

    def inputs(self, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The graph's input columns for a batch: (features, targets)."""
        return np.asarray(X), samples.target_matrix(np.asarray(y), self.spec, self.n_outputs)

    def split(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(outputs, per-sample losses) from the graph's output columns."""
        return (Y[:, 0] if self.n_outputs == 1 else Y[:, : self.n_outputs]), Y[:, -1]

    def __call__(
        self, X: ArrayLike, y: ArrayLike, parameters: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.split(self.graph.forward(self.inputs(X, y), parameters))


class CompiledTrainer:
    """Training steps on whole mini-batches: the model and loss traced once by :func:`autograd.compile`.

    This is what ``fit(..., compiled=True)`` runs. Between steps the trainer keeps
    the parameters in numpy arrays and updates them with the optimiser's own rule
    (:meth:`~nn.optim.Optimizer.update`), so a step costs a few numpy operations
    however many Parameters the model has. :meth:`sync` writes the values, and the
    last batch's gradients, back into the Parameters (``fit`` calls it when training
    ends, and after every epoch when it has callbacks, which may read the model);
    the next step reads the Parameters again, so changes made to them in between
    are seen. An optimiser without ``update`` is driven through
    ``zero_grad``/``step`` on the Values instead.

    ``X, y`` are an example batch, given as to :func:`fit` (labels as class indices,
    one-hot rows or numbers): their shapes fix the traced graph. ``dtype`` is the
    precision of the replay and of the parameter arrays (float64, or float32).
    """

    def __init__(
        self,
        model: Module,
        loss: str | Loss,
        optimizer: Optimizer,
        X: ArrayLike,
        y: ArrayLike,
        dtype: Any = "float64",
    ) -> None:
        self.model, self.optimizer = model, optimizer  # the model names the parameters (explain)
        self._loss = _CompiledLoss(model, loss, X, y, dtype)
        self.graph = self._loss.graph
        self.dtype = self.graph.dtype
        position = {id(p): i for i, p in enumerate(optimizer.params)}
        slots = np.array([position.get(id(p), -1) for p in self.graph.parameters], dtype=np.intp)
        self._trained = slots >= 0  # graph parameters the optimiser updates
        self._slots = slots[self._trained]
        # the optimiser updates exactly the graph's parameters, in its order: no gathers per step
        self._same_order = len(slots) == len(optimizer.params) and bool(np.array_equal(slots, np.arange(len(slots))))
        self._seeds: dict[int, np.ndarray] = {}
        self._arrays = type(optimizer).update is not Optimizer.update
        self._data: np.ndarray | None = None  # the optimiser's parameters while the trainer holds them
        self._grad: np.ndarray | None = None

    def explain(self, batch: int | None = None) -> Explanation:
        """What each training step computes, in matrix form: the traced graph's :meth:`~autograd.compiled.
        CompiledGraph.explain`, its inputs named X (features) and Y (targets), each matrix product named by
        its layer (``layers.0``). In Jupyter it shows as a table.
        """
        n_targets = self.graph.n_inputs - self._loss.n_features
        names = [getattr(p, "name", "") or "" for p in self.graph.parameters]
        return self.graph.explain(batch, [("X", self._loss.n_features), ("Y", n_targets)], names)

    def _seed(self, batch: int) -> np.ndarray:
        """δ of the graph's outputs for the batch mean of the loss: 1/m on each sample's loss, 0 on the outputs."""
        seed = self._seeds.get(batch)
        if seed is None:
            seed = np.zeros((batch, self._loss.n_outputs + 1), dtype=self.dtype)
            seed[:, -1] = 1.0 / batch
            self._seeds = {batch: seed}
        return seed

    def step(self, X: ArrayLike, y: ArrayLike, *, checked: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """One gradient step on the mean loss of the batch; returns (outputs, per-sample losses) before it.

        ``checked=True``: the rows come from data already tested for inf and NaN (as :func:`fit` tests
        its dataset once), so the batch is not tested again.
        """
        XY, split = self._loss.inputs(X, y), self._loss.split
        seed = self._seed(len(XY[0]))
        if not self._arrays:
            self.optimizer.zero_grad()
            result = split(self.graph.forward(XY, inputs_checked=checked))
            self.graph.backward(seed)
            self.optimizer.step()
            return result
        if self._data is None:
            params = self.optimizer.params
            self._data = np.fromiter((p.data for p in params), dtype=self.dtype, count=len(params))
            n = len(self.graph.parameters)
            if not self._same_order:
                self._values = np.fromiter((p.data for p in self.graph.parameters), self.dtype, n)
            self._frozen_grad = np.zeros(np.count_nonzero(~self._trained), dtype=self.dtype)
        result = split(self.graph.forward(XY, self._graph_values(), inputs_checked=checked))
        if self._same_order:
            self._grad = self.graph.parameter_gradients(seed)
        else:
            graph_grad = self.graph.parameter_gradients(seed)
            self._grad = np.zeros_like(self._data)
            self._grad[self._slots] = graph_grad[self._trained]
            self._frozen_grad += graph_grad[~self._trained]  # never zeroed by the optimiser: they accumulate
        # all or nothing: a new value that is not finite raises, naming the parameter, and _data stays as it was
        self._data = self.optimizer.checked(self.optimizer.update(self._data, self._grad), self._data, self._grad)
        return result

    def _graph_values(self) -> np.ndarray | None:
        """The graph's parameter values while the trainer holds them (None: the Parameters' own)."""
        if self._data is None or self._same_order:
            return self._data
        self._values[self._trained] = self._data[self._slots]
        return self._values

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(outputs, per-sample losses) for ``X, y`` with the current parameters (no :meth:`sync` needed)."""
        return self._loss(X, y, self._graph_values())

    def sync(self) -> None:
        """Write the parameters and gradients back into the Values, as the scalar path leaves them.

        The optimiser's parameters get their values and the last batch's gradient; parameters of
        the model that the optimiser does not update get the gradients accumulated since the last sync.
        """
        if self._data is None or self._grad is None:
            return
        for p, x, g in zip(self.optimizer.params, self._data.tolist(), self._grad.tolist()):
            p.data, p.grad = x, g
            if p.grad_value is not None:
                p.grad_value = None
        frozen = (p for p, trained in zip(self.graph.parameters, self._trained) if not trained)
        for p, g in zip(frozen, self._frozen_grad.tolist()):
            p.grad += g
        self._data = None


def fit(
    model: Module,
    X: ArrayLike,
    y: ArrayLike,
    loss: str | Loss = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 10,
    batch_size: int | None = None,
    X_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
    compiled: bool = False,
    scheduler: LRScheduler | Callable[[int], float] | None = None,
    shuffle: bool = True,
    seed: Seed = None,
    threshold: float | None = None,
    dtype: Any = "float64",
) -> History:
    """Train ``model`` on ``X, y`` by mini-batch gradient descent; returns a :class:`History`.

    - ``loss``: a name from :data:`nn.losses.LOSSES` or a per-sample callable ``loss(pred, target)``
      (``pred`` is one sample's output: a Value, or a list for several outputs). What a callable
      expects (hinge's −1/+1 labels, class indices, the decision threshold) is read from the
      built-in loss it calls (:func:`nn.losses.describe`), so wrappers such as
      ``lambda p, t: nn.cross_entropy(p, t) + nn.l2_penalty(ps, 1e-3)`` train as the loss itself.
    - ``optimizer``: defaults to ``SGD(model.parameters(), lr=0.1)``.
    - ``batch_size``: ``None`` for full-batch gradient descent; batches are reshuffled
      each epoch from ``seed`` when ``shuffle``.
    - ``scheduler``: an :class:`~nn.optim.LRScheduler` (stepped after each epoch) or a
      callable ``epoch -> lr`` (applied before each epoch).
    - ``callbacks``: each is called as ``callback(epoch, logs)`` after every epoch, with
      ``logs`` holding ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr`` as
      available; returning True stops training.
    - ``progress``: show a tqdm bar over epochs.
    - ``compiled``: trace the model once with :func:`autograd.compile` and train on whole
      batches with numpy (same gradients as the scalar path).
    - ``dtype``: the compiled path's precision, ``numpy.float64`` (the default) or
      ``numpy.float32`` (faster; the data are converted once, not per batch).

    The epoch's ``loss`` and ``accuracy`` are averaged over the batches as they
    were seen (before each step's update), as Keras reports them.
    """
    loss = losses.get(loss)
    X = samples.features(X, "fit")
    y = samples.labels(y, len(X), "fit")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    epochs = int(epochs)
    validate = X_val is not None or y_val is not None
    if validate:
        if X_val is None or y_val is None:
            raise ValueError("fit: pass both X_val and y_val, or neither")
        X_val = samples.features(X_val, "fit: X_val")
        y_val = samples.labels(y_val, len(X_val), "fit: y_val")
    n_out, spec = _describe(model, loss, X, y)
    losses.check_targets(spec, y, n_out)
    classify = _is_classification(y, n_out)
    cut = losses.decision_threshold(spec, y) if threshold is None else threshold
    optimizer = SGD(model.parameters(), lr=0.1) if optimizer is None else optimizer
    rng = rng_from(seed)
    if compiled:
        require_numpy("fit(compiled=True)")
    if not compiled and np is not None and np.dtype(dtype) != np.float64:
        raise ValueError(f"fit: dtype={np.dtype(dtype)} needs compiled=True (the scalar engine computes in float64)")
    trainer = CompiledTrainer(model, loss, optimizer, X[:1], y[:1], dtype) if compiled else None
    X_batches = X
    if trainer is not None:
        with np.errstate(over="ignore"):
            X_batches = X.astype(trainer.dtype, copy=False)
        if X_batches.dtype != X.dtype:
            samples.check_finite(X_batches, f"fit (X in {X_batches.dtype})", "X")  # beyond float32's range: inf

    callbacks = list(callbacks)
    history = History()
    start = time.perf_counter()
    bar = _progress_bar()(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=False)
    try:
        for epoch in bar:
            if callable(scheduler) and not hasattr(scheduler, "step"):
                optimizer.lr = float(scheduler(epoch))
            total, outputs, labels = 0.0, [], []
            for Xb, yb in batches(X_batches, y, batch_size, shuffle, rng):
                if trainer is None:
                    optimizer.zero_grad()
                    outs = [model(x) for x in Xb]
                    J = losses.mean_loss(loss, outs, samples.sample_targets(yb))
                    J.backward()
                    optimizer.step()
                    batch_loss, batch_out = J.data, _outputs_array(outs)
                else:
                    batch_out, per_sample = trainer.step(Xb, yb, checked=True)  # X and y were tested above
                    batch_loss = float(per_sample.mean())
                total += batch_loss * len(yb)
                outputs.append(batch_out)
                labels.append(yb)
            logs = {"loss": total / len(y), "lr": optimizer.lr}
            if classify:
                if np is None:
                    logs["accuracy"] = _accuracy(sum(outputs, []), sum(labels, []), cut)
                else:
                    logs["accuracy"] = _accuracy(np.concatenate(outputs), np.concatenate(labels), cut)
            if validate:
                if trainer is None:
                    logs.update({f"val_{k}": v for k, v in evaluate(model, X_val, y_val, loss, cut).items()})
                else:
                    val_out, val_losses = trainer.evaluate(X_val, y_val)
                    logs["val_loss"] = float(val_losses.mean())
                    if classify:
                        logs["val_accuracy"] = _accuracy(val_out, y_val, cut)
            for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
                if key in logs:
                    getattr(history, key).append(logs[key])
            bar.set_postfix({k: round(v, 4) for k, v in logs.items() if k != "lr"})
            if hasattr(scheduler, "step"):
                scheduler.step()
            if trainer is not None and callbacks:  # a callback may read the model: give it the current values
                trainer.sync()
            stop = [cb(epoch, logs) for cb in callbacks]
            if any(s is True for s in stop):
                break
    finally:
        if trainer is not None:  # once per fit (and per epoch with callbacks): 203,530 Values for 784-256-10
            trainer.sync()
    bar.close()
    history.seconds = time.perf_counter() - start
    return history
