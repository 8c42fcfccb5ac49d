"""Loss functions for one sample or a batch, built only from graph ops (no branching on data).

Shapes follow PyTorch's ``torch.nn.functional``, with lists of Values in place of tensors:

- ``mse``, ``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` and ``hinge`` are
  **elementwise**. The prediction is a Value, a list of Values, or a list of lists of Values
  (a batch of multi-output samples); the target has the same shape. ``reduction="mean"`` (the
  default) averages over every element, ``"sum"`` adds them up, ``"none"`` returns the losses in
  the prediction's shape. So ``hinge(scores, ys)`` on lists is the mean over the batch, and a
  flat list means the same whether it holds one output of many samples or many outputs of one.
- ``cross_entropy`` has a **class axis**: a flat list of Values is ONE sample's logits (its
  target a class index or one probability per class); a list of lists is a batch, one row of
  logits per sample (targets: a list of indices or of probability rows), averaged over samples.

The rule for multi-output models is therefore the tensors' rule: the loss of a sample with k
outputs is the mean of its k elementwise losses (``mse``: ½·mean (ŷₖ − yₖ)²), and a batch's loss is
the mean over samples, so calling a loss per sample and averaging with :func:`mean_loss` (what
:func:`nn.fit` does) gives the same J as one batch call. A wrong shape or a target of the wrong
kind raises an error that says what was expected.

Because nothing branches on the data, the same function works eagerly and inside
:func:`autograd.compile`, where targets may be placeholder Values.

>>> from autograd import Value
>>> mse(Value(3.0), 1.0).data
2.0
>>> round(cross_entropy([Value(2.0), Value(0.0)], 0).data, 6)
0.126928
>>> hinge([Value(0.5), Value(2.0)], [-1, 1]).data  # a batch: mean of 1.5 and 0
0.75
>>> [v.data for v in hinge([Value(0.5), Value(2.0)], [-1, 1], reduction="none")]
[1.5, 0.0]

Each loss is described as data, a :class:`LossSpec` (the kind of target, the decision
threshold of one output), which it reports while it runs: :func:`describe` calls a loss once
and reads it, so wrappers such as ``lambda p, t: nn.cross_entropy(p, t)`` keep the description.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Literal, overload

from autograd import Value, dot, logsumexp, mean, no_grad
from autograd import sum as value_sum

__all__ = [
    "mse",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l2_penalty",
    "mean_loss",
    "clamp",
    "get",
    "LossSpec",
    "describe",
    "decision_threshold",
    "check_targets",
    "LOSSES",
    "Loss",
    "Reduction",
]

Reduction = Literal["mean", "sum", "none"]
#: A loss's result with ``reduction="none"``: the prediction's shape.
Losses = Value | list[Value] | list[list[Value]]
Loss = Callable[[Any, Any], Value]
_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------- losses as data
@dataclass(frozen=True)
class LossSpec:
    """What a loss expects, as data that :func:`nn.fit` reads to check labels and score accuracy.

    - ``target``: ``"real"`` (any number), ``"probability"`` (in [0, 1]; labels 0/1), ``"sign"``
      (−1 or +1) or ``"class"`` (a class index, or one probability per class).
    - ``prediction``: ``"real"``, ``"probability"``, ``"logit"``, ``"score"`` or ``"logits"``
      (one per class).
    - ``threshold``: where one output splits two classes (0 for scores and logits, 0.5 for
      probabilities), or None when there is none (regression: midway between the labels; classes: argmax).
    """

    name: str
    target: Literal["real", "probability", "sign", "class"]
    prediction: Literal["real", "probability", "logit", "score", "logits"]
    threshold: float | None


_MSE = LossSpec("mse", "real", "real", None)
_BCE = LossSpec("binary_cross_entropy", "probability", "probability", 0.5)
_BCE_LOGITS = LossSpec("binary_cross_entropy_with_logits", "probability", "logit", 0.0)
_CROSS_ENTROPY = LossSpec("cross_entropy", "class", "logits", None)
_HINGE = LossSpec("hinge", "sign", "score", 0.0)

_reports: ContextVar[list[tuple[LossSpec, Any]] | None] = ContextVar("deltagrad_loss_reports", default=None)


def _report(spec: LossSpec, prediction: Any) -> None:
    """Tell a running :func:`describe` which built-in loss is computing, and on what prediction."""
    seen = _reports.get()
    if seen is not None:
        seen.append((spec, prediction))


def _leaves(x: Any) -> list[int]:
    """The identities of the Values in a (nested) prediction."""
    return (
        [id(x)]
        if isinstance(x, Value)
        else [i for item in x for i in _leaves(item)]
        if isinstance(x, (list, tuple))
        else []
    )


def describe(loss: str | Loss, prediction: Any, target: Any) -> LossSpec | None:
    """The :class:`LossSpec` of ``loss``, found by calling it once (under no_grad) on one sample.

    Each built-in loss reports its spec while it runs, so a wrapper (a lambda, ``functools.partial``,
    a loss plus :func:`l2_penalty`) is described as the loss it calls. A wrapper that transforms the
    prediction first (``lambda s, t: binary_cross_entropy(s.sigmoid(), t)``) keeps the kind of target
    but not the threshold, which was about the transformed value (pass ``threshold=`` to ``fit``).
    None when the loss calls no built-in loss, or several different ones.

    >>> from autograd import Value
    >>> describe(lambda p, t: hinge(p, t) + 0.1, Value(0.3), 1).threshold
    0.0
    """
    fn = get(loss)
    seen: list[tuple[LossSpec, Any]] = []
    token = _reports.set(seen)
    try:
        with no_grad():
            fn(prediction, target)
    finally:
        _reports.reset(token)
    if len({spec for spec, _ in seen}) != 1:
        return None
    spec, used = seen[0]
    if _leaves(used) != _leaves(prediction):
        return replace(spec, prediction="real", threshold=None)
    return spec


# ---------------------------------------------------------------------------- shapes
def _is_number(t: Any) -> bool:
    return isinstance(t, numbers.Real) and not isinstance(t, bool)


def _as_list(x: Any) -> Any:
    """numpy arrays and scalars as (nested) lists and Python numbers; everything else unchanged."""
    if hasattr(x, "tolist") and hasattr(x, "ndim"):  # a numpy array or scalar, seen without importing numpy
        return x.tolist()
    return x


def _shape(x: Any) -> tuple[int, ...] | None:
    """The shape of a prediction (Values) or target (numbers or Values): (), (n,) or (m, k); None if neither."""
    if isinstance(x, Value) or _is_number(x):
        return ()
    if isinstance(x, (list, tuple)) and x:
        if all(isinstance(v, Value) or _is_number(v) for v in x):
            return (len(x),)
        if all(isinstance(r, (list, tuple)) and r for r in x):
            rows = {_shape(r) for r in x}
            if len(rows) == 1 and (row := rows.pop()) is not None and len(row) == 1:
                return (len(x), row[0])
    return None


def _describe_shape(x: Any, what: str) -> str:
    shape = _shape(x)
    if shape == ():
        return "a Value" if isinstance(x, Value) else f"the number {x!r}"
    if shape is not None and len(shape) == 1:
        return f"a list of {shape[0]} {what}"
    if shape is not None:
        return f"a list of {shape[0]} lists of {shape[1]} {what}"
    if isinstance(x, (list, tuple)) and x and all(isinstance(r, (list, tuple)) for r in x):
        return "a list of lists of unequal lengths or of other items"
    if isinstance(x, (list, tuple)):
        return f"a list holding {', '.join(sorted({type(v).__name__ for v in x}))}" if x else "an empty list"
    return f"a {type(x).__name__} {x!r}"


def _prediction_shape(pred: Any, where: str) -> tuple[int, ...]:
    shape = _shape(pred)
    if shape is None or not all(isinstance(v, Value) for v in _flat(pred, shape)):
        raise TypeError(
            f"{where}: the prediction must be a Value, a list of Values, or a list of equal-length lists of Values; "
            f"got {_describe_shape(pred, 'items')}"
        )
    return shape


def _flat(x: Any, shape: tuple[int, ...]) -> list[Any]:
    if shape == ():
        return [x]
    if len(shape) == 1:
        return list(x)
    return [v for row in x for v in row]


def _check_target_items(ts: list[Any], where: str) -> None:
    for t in ts:
        if not isinstance(t, Value) and not _is_number(t):
            raise TypeError(f"{where}: targets must be numbers or Values, got {type(t).__name__} {t!r}")


def _elementwise(pred: Any, target: Any, where: str) -> tuple[list[Value], list[Any], tuple[int, ...]]:
    """Prediction and target of one shape, flattened: (predictions, targets, shape)."""
    shape = _prediction_shape(pred, where)
    target = _as_list(target)
    if _shape(target) != shape:
        raise ValueError(
            f"{where}: the prediction is {_describe_shape(pred, 'Values')}, so the target must have the same shape "
            f"(one target per prediction); got {_describe_shape(target, 'numbers')}"
        )
    ts = _flat(target, shape)
    _check_target_items(ts, where)
    return _flat(pred, shape), ts, shape


def _reduce(losses: list[Value], shape: tuple[int, ...], reduction: str, where: str) -> Any:
    """Mean, sum, or the losses in the prediction's shape."""
    if reduction == "mean":
        return losses[0] if len(losses) == 1 else mean(losses)
    if reduction == "sum":
        return losses[0] if len(losses) == 1 else value_sum(losses)
    if reduction == "none":
        if shape == ():
            return losses[0]
        if len(shape) == 1:
            return losses
        return [losses[i : i + shape[1]] for i in range(0, len(losses), shape[1])]
    raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_reduction(reduction: str, where: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ---------------------------------------------------------------------------- the losses
@overload
def mse(pred: Any, target: Any, *, reduction: Literal["mean", "sum"] = ...) -> Value: ...
@overload
def mse(pred: Any, target: Any, *, reduction: Literal["none"]) -> Losses: ...
def mse(pred: Any, target: Any, *, reduction: Reduction = "mean") -> Losses:
    """Squared error with the slides' ½, elementwise: L = ½ (ŷ − y)², so δŷ = ŷ − y for one output.

    Over n elements (a batch, or a sample's outputs) the mean is J = (1/2n) Σ (ŷ − y)²: half of
    ``torch.nn.functional.mse_loss``, whose gradient lacks the ½'s convenience. ``"sum"`` gives ½ Σ (ŷ − y)².
    """
    _report(_MSE, pred)
    _check_reduction(reduction, "mse")
    ys, ts, shape = _elementwise(pred, target, "mse")
    ds = [y - t for y, t in zip(ys, ts)]
    if reduction == "none" or len(ds) == 1:
        return _reduce([d * d * 0.5 for d in ds], shape, reduction, "mse")
    return dot(ds, ds) * (0.5 / len(ds) if reduction == "mean" else 0.5)  # one dot node


def clamp(x: Value, low: float, high: float) -> Value:
    """min(max(x, low), high) without branching: x + relu(low − x) − relu(x − high).

    Exact inside [low, high]; the derivative is 1 there and 0 outside, as torch.clamp.
    """
    return x + (low - x).relu() - (x - high).relu()


def _check_unit_interval(xs: list[Any], where: str, what: str, hint: str = "") -> None:
    for x in xs:
        v = x.data if isinstance(x, Value) else x
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{where}: {what} must lie in [0, 1], got {v!r}{hint}")


@overload
def binary_cross_entropy(
    prob: Any, target: Any, eps: float = ..., from_logits: bool = ..., *, reduction: Literal["mean", "sum"] = ...
) -> Value: ...
@overload
def binary_cross_entropy(
    prob: Any, target: Any, eps: float = ..., from_logits: bool = ..., *, reduction: Literal["none"]
) -> Losses: ...
def binary_cross_entropy(
    prob: Any, target: Any, eps: float = 1e-12, from_logits: bool = False, *, reduction: Reduction = "mean"
) -> Losses:
    """Log loss from a probability p = ŷ, elementwise: L = −[y log p + (1 − y) log(1 − p)].

    As ``torch.nn.functional.binary_cross_entropy``: p must lie in [0, 1] (an error names a p
    outside it), and p = 0 or 1 (a saturated sigmoid) gives a large finite loss: p is clamped into
    [eps, 1 − eps]. With ``from_logits=True`` the prediction is a logit z and
    :func:`binary_cross_entropy_with_logits` is used.
    """
    if from_logits:
        return binary_cross_entropy_with_logits(prob, target, reduction=reduction)
    _report(_BCE, prob)
    _check_reduction(reduction, "binary_cross_entropy")
    ps, ys, shape = _elementwise(prob, target, "binary_cross_entropy")
    logit_hint = " (for a logit or score use binary_cross_entropy_with_logits, or from_logits=True)"
    _check_unit_interval(ps, "binary_cross_entropy", "a prediction (a probability)", logit_hint)
    _check_unit_interval([y for y in ys if not isinstance(y, Value)], "binary_cross_entropy", "a target")
    cut = [clamp(p, eps, 1.0 - eps) for p in ps]
    losses = [-(y * p.log() + (1 - y) * (1 - p).log()) for p, y in zip(cut, ys)]
    return _reduce(losses, shape, reduction, "binary_cross_entropy")


@overload
def binary_cross_entropy_with_logits(logit: Any, target: Any, *, reduction: Literal["mean", "sum"] = ...) -> Value: ...
@overload
def binary_cross_entropy_with_logits(logit: Any, target: Any, *, reduction: Literal["none"]) -> Losses: ...
def binary_cross_entropy_with_logits(logit: Any, target: Any, *, reduction: Reduction = "mean") -> Losses:
    """Log loss from a logit z (p = σ(z)), elementwise and stable for any z: L = softplus(z) − y·z.

    Since −log σ(z) = softplus(−z) = softplus(z) − z, this equals
    −[y log σ(z) + (1 − y) log(1 − σ(z))] and δz = σ(z) − y, with no overflow.
    """
    where = "binary_cross_entropy_with_logits"
    _report(_BCE_LOGITS, logit)
    _check_reduction(reduction, where)
    zs, ys, shape = _elementwise(logit, target, where)
    _check_unit_interval([y for y in ys if not isinstance(y, Value)], where, "a target")
    return _reduce([z.softplus() - y * z for z, y in zip(zs, ys)], shape, reduction, where)


def _class_target(target: Any, n_classes: int, where: str) -> int | list[Any]:
    """One sample's target for ``n_classes`` logits: a class index, or one probability per class."""
    target = _as_list(target)
    expected = f"a class index (an int in 0..{n_classes - 1}) or one probability per class (a list of {n_classes})"
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        index = int(target)
        if not 0 <= index < n_classes:
            raise ValueError(
                f"{where}: targets must be class indices 0..{n_classes - 1} for {n_classes} logits, got {index}"
            )
        return index
    if _shape(target) == (n_classes,):
        _check_target_items(target, where)
        if not any(isinstance(t, Value) for t in target) and abs(math.fsum(target) - 1.0) > 1e-9:
            raise ValueError(f"{where}: a target vector must sum to 1 (one-hot or probabilities), got {target}")
        return list(target)
    raise TypeError(
        f"{where}: the target of one sample's {n_classes} logits is {expected}; "
        f"got {_describe_shape(target, 'numbers')}"
    )


@overload
def cross_entropy(logits: Any, target: Any, *, reduction: Literal["mean", "sum"] = ...) -> Value: ...
@overload
def cross_entropy(logits: Any, target: Any, *, reduction: Literal["none"]) -> Losses: ...
def cross_entropy(logits: Any, target: Any, *, reduction: Reduction = "mean") -> Losses:
    """Softmax cross-entropy from logits z: L = logsumexp(z) − z_target = −log softmax(z)_target.

    One sample: ``logits`` is a list of k ≥ 2 Values and ``target`` a class index (an int) or a
    probability vector such as a one-hot list (then L = logsumexp(z) − Σₖ tₖzₖ, one ``dot`` node).
    A batch: ``logits`` is a list of such lists and ``target`` a list of indices or of vectors;
    the losses are averaged over samples (``reduction``), as ``torch.nn.functional.cross_entropy``
    on an (N, C) input. The logsumexp node is shifted by max z, so large logits do not overflow;
    δzₖ = softmax(z)ₖ − tₖ.
    """
    where = "cross_entropy"
    _report(_CROSS_ENTROPY, logits)
    _check_reduction(reduction, where)
    shape = _prediction_shape(logits, where)
    if len(shape) == 0 or shape[-1] < 2:
        raise ValueError(
            f"{where}: needs at least 2 logits (one per class) per sample: a list of Values for one "
            f"sample, a list of lists for a batch; got {_describe_shape(logits, 'Values')}"
        )
    rows = [list(logits)] if len(shape) == 1 else [list(r) for r in logits]
    if len(shape) == 1:
        targets = [target]
    else:
        targets = _as_list(target)
        if not isinstance(targets, (list, tuple)) or len(targets) != shape[0]:
            raise ValueError(
                f"{where}: a batch of {shape[0]} rows of logits needs {shape[0]} targets (class "
                f"indices or probability rows); got {_describe_shape(targets, 'numbers')}"
            )
    out = []
    for zs, t in zip(rows, targets):
        t = _class_target(t, len(zs), where)
        out.append(logsumexp(zs) - (zs[t] if isinstance(t, int) else dot(t, zs)))
    return _reduce(out, shape[:1] if len(shape) == 2 else (), reduction, where)


@overload
def hinge(score: Any, target: Any, *, reduction: Literal["mean", "sum"] = ...) -> Value: ...
@overload
def hinge(score: Any, target: Any, *, reduction: Literal["none"]) -> Losses: ...
def hinge(score: Any, target: Any, *, reduction: Reduction = "mean") -> Losses:
    """micrograd's max-margin loss, elementwise: L = relu(1 − y·s) for a label y ∈ {−1, +1} and a score s.

    The batch mean equals ``2 * torch.nn.functional.multi_margin_loss`` on rows (0, s) with class (y + 1)/2.
    """
    _report(_HINGE, score)
    _check_reduction(reduction, "hinge")
    ss, ys, shape = _elementwise(score, target, "hinge")
    for y in ys:
        if not isinstance(y, Value) and y not in (-1, 1):
            raise ValueError(f"hinge: labels must be -1 or +1, got {y!r} (turn 0/1 labels into 2*y - 1)")
    return _reduce([(1 - y * s).relu() for s, y in zip(ss, ys)], shape, reduction, "hinge")


def l2_penalty(params: Iterable[Value], lam: float) -> Value:
    """The L2 (weight decay) term (λ/2) Σ w², one ``dot`` node: δw = λw.

    The ½ makes it match ``SGD(weight_decay=λ)``: a gradient step on
    J + (λ/2)‖W‖² is W − α(∂J/∂W + λW) = (1 − αλ)W − α ∂J/∂W, the slides' update.
    """
    ps = list(params)
    if not ps:
        raise ValueError("l2_penalty: no parameters given")
    return dot(ps, ps) * (0.5 * float(lam))


def mean_loss(loss: Loss, preds: Sequence[Any], targets: Sequence[Any]) -> Value:
    """J = (1/m) Σᵢ loss(ŷᵢ, yᵢ) over a mini-batch, one sample per call, as one ``mean`` node.

    For the built-in losses this equals the batch call ``loss(preds, targets)``.
    """
    if len(preds) != len(targets):
        raise ValueError(f"mean_loss: {len(preds)} predictions but {len(targets)} targets")
    return mean([loss(p, t) for p, t in zip(preds, targets)])


LOSSES: dict[str, Loss] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def get(loss: str | Loss) -> Loss:
    """A loss function from its name (see :data:`LOSSES`) or a callable ``loss(pred, target)``."""
    if isinstance(loss, str):
        try:
            return LOSSES[loss]
        except KeyError:
            raise ValueError(f"loss: unknown name {loss!r}; choose one of {', '.join(LOSSES)}") from None
    if callable(loss):
        return loss
    raise TypeError(f"loss: expected a name or a callable loss(pred, target), got {type(loss).__name__}")


def decision_threshold(spec: LossSpec | None, y: Any) -> float:
    """Where a single output splits the two classes: the spec's threshold (0 for scores and logits,
    0.5 for probabilities), else midway between the two label values."""
    if spec is not None and spec.threshold is not None:
        return spec.threshold
    values = [float(v) for v in _flat_labels(y)]
    return (min(values) + max(values)) / 2 if values else 0.0


def _flat_labels(y: Any) -> list[Any]:
    """Every label of ``y`` (a number, a list, or a list of rows; numpy arrays too), in order."""
    y = _as_list(y)
    if not isinstance(y, (list, tuple)):
        return [y]
    return [v for item in y for v in _flat_labels(item)]


def check_targets(spec: LossSpec | None, y: Any, n_outputs: int) -> None:
    """Fail early, naming the loss, when the labels ``y`` cannot be its targets (see :class:`LossSpec`)."""
    if spec is None:
        return
    y = _as_list(y)
    rows = [r for r in y if isinstance(r, (list, tuple))] if isinstance(y, (list, tuple)) else []
    one_hot = bool(rows) and len(rows) == len(y)
    values = _flat_labels(y)
    seen = sorted(set(values))[:5]
    if spec.target == "sign" and any(v not in (-1, 1) for v in values):
        raise ValueError(f"{spec.name}: labels must be -1 or +1, got values {seen} (use 2*y - 1 for 0/1 labels)")
    if spec.target == "probability" and not all(0 <= v <= 1 for v in values):
        raise ValueError(f"{spec.name}: labels must lie in [0, 1], got values {seen}")
    if spec.target == "class":
        if not one_hot and any(v != round(v) or not 0 <= v < n_outputs for v in values):
            raise ValueError(f"{spec.name}: labels must be class indices 0..{n_outputs - 1}, got {seen}")
        if one_hot and len(rows[0]) != n_outputs:
            raise ValueError(f"{spec.name}: one-hot labels need {n_outputs} columns, got {len(rows[0])}")
        for row, r in enumerate(rows if one_hot else []):
            if abs(sum(r) - 1.0) > 1e-9:
                raise ValueError(
                    f"{spec.name}: target row {row} sums to {float(sum(r))!r}, not 1 (one-hot or probabilities)"
                )
