"""Loss functions, per sample, built only from graph ops (no branching on data).

Each loss takes one sample's prediction (a Value or a list of Values) and its
target (numbers, or Values such as the placeholders of a compiled trace) and
returns a Value. Because nothing branches on the data, the same function works
eagerly and inside :func:`autograd.compile`. :func:`mean_loss` averages a
mini-batch with a single ``mean`` node: J = (1/m) Σᵢ L(ŷᵢ, yᵢ).

>>> from autograd import Value
>>> mse(Value(3.0), 1.0).data
2.0
>>> round(cross_entropy([Value(2.0), Value(0.0)], 0).data, 6)
0.126928
>>> hinge(Value(0.5), -1).data
1.5
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd import Value, dot, logsumexp, mean

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
    "decision_threshold",
    "check_targets",
    "LOSSES",
]

Prediction = Value | Sequence[Value]
Loss = Callable[[Any, Any], Value]


def _outputs(pred: Any, where: str) -> list[Value]:
    if isinstance(pred, Value):
        return [pred]
    if isinstance(pred, (list, tuple)) and pred and all(isinstance(p, Value) for p in pred):
        return list(pred)
    raise TypeError(f"{where}: the prediction must be a Value or a list of Values, got {type(pred).__name__}")


def _targets(target: Any, n: int, where: str) -> list[Any]:
    if isinstance(target, np.ndarray):
        target = target.reshape(-1).tolist()
    elif not isinstance(target, (list, tuple)):
        target = [target]
    if len(target) != n:
        raise ValueError(f"{where}: {n} prediction(s) but {len(target)} target(s)")
    for t in target:
        if not isinstance(t, Value) and (isinstance(t, bool) or not isinstance(t, numbers.Real)):
            raise TypeError(f"{where}: targets must be numbers or Values, got {type(t).__name__} {t!r}")
    return target


def mse(pred: Prediction, target: Any) -> Value:
    """Squared error with the slides' ½: L = ½ Σₖ (ŷₖ − yₖ)², so δŷ = ŷ − y.

    Averaged over a batch by :func:`mean_loss` this is J = (1/2m) Σᵢ ‖ŷᵢ − yᵢ‖².
    """
    ys = _outputs(pred, "mse")
    ts = _targets(target, len(ys), "mse")
    if len(ys) == 1:
        d = ys[0] - ts[0]
        return d * d * 0.5
    ds = [y - t for y, t in zip(ys, ts)]
    return dot(ds, ds) * 0.5


def clamp(x: Value, low: float, high: float) -> Value:
    """min(max(x, low), high) without branching: x + relu(low − x) − relu(x − high).

    Exact inside [low, high]; the derivative is 1 there and 0 outside, as torch.clamp.
    """
    return x + (low - x).relu() - (x - high).relu()


def binary_cross_entropy(prob: Value, target: Any, eps: float = 1e-12, from_logits: bool = False) -> Value:
    """Log loss from a probability p = ŷ: L = −[y log p + (1 − y) log(1 − p)].

    p is clamped into [eps, 1 − eps] first, so p = 0 or 1 (a saturated sigmoid)
    gives a large finite loss instead of log 0. With ``from_logits=True`` the
    prediction is a logit z and :func:`binary_cross_entropy_with_logits` is used.
    """
    if from_logits:
        return binary_cross_entropy_with_logits(prob, target)
    (p,) = _outputs(prob, "binary_cross_entropy")
    (y,) = _targets(target, 1, "binary_cross_entropy")
    p = clamp(p, eps, 1.0 - eps)
    return -(y * p.log() + (1 - y) * (1 - p).log())


def binary_cross_entropy_with_logits(logit: Value, target: Any) -> Value:
    """Log loss from a logit z (p = σ(z)), stable for any z: L = softplus(z) − y·z.

    Since −log σ(z) = softplus(−z) = softplus(z) − z, this equals
    −[y log σ(z) + (1 − y) log(1 − σ(z))] and δz = σ(z) − y, with no overflow.
    """
    (z,) = _outputs(logit, "binary_cross_entropy_with_logits")
    (y,) = _targets(target, 1, "binary_cross_entropy_with_logits")
    return z.softplus() - y * z


def cross_entropy(logits: Sequence[Value], target: Any) -> Value:
    """Softmax cross-entropy from logits z: L = logsumexp(z) − z_target = −log softmax(z)_target.

    ``target`` is a class index (an int) or a probability vector such as a
    one-hot list (then L = logsumexp(z) − Σₖ tₖzₖ, one ``dot`` node). The
    logsumexp node is shifted by max z, so large logits do not overflow;
    δzₖ = softmax(z)ₖ − tₖ.
    """
    zs = _outputs(logits, "cross_entropy")
    if len(zs) < 2:
        raise ValueError(f"cross_entropy: needs at least 2 logits (one per class), got {len(zs)}")
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        if not 0 <= target < len(zs):
            raise ValueError(f"cross_entropy: class index {target} is out of range for {len(zs)} classes")
        return logsumexp(zs) - zs[int(target)]
    ts = _targets(target, len(zs), "cross_entropy")
    if not any(isinstance(t, Value) for t in ts) and abs(math.fsum(ts) - 1.0) > 1e-9:
        raise ValueError(f"cross_entropy: a target vector must sum to 1 (one-hot or probabilities), got {ts}")
    return logsumexp(zs) - dot(ts, zs)


def hinge(score: Value, target: Any) -> Value:
    """micrograd's max-margin loss: L = relu(1 − y·s) for a label y ∈ {−1, +1} and a score s."""
    (s,) = _outputs(score, "hinge")
    (y,) = _targets(target, 1, "hinge")
    if not isinstance(y, Value) and y not in (-1, 1):
        raise ValueError(f"hinge: the target must be -1 or +1, got {y!r} (turn 0/1 labels into 2*y - 1)")
    return (1 - y * s).relu()


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
    """J = (1/m) Σᵢ loss(ŷᵢ, yᵢ) over a mini-batch, as one ``mean`` node."""
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


def decision_threshold(loss: Loss, y: np.ndarray) -> float:
    """Where a single output splits the two classes: 0 for scores and logits (hinge,
    BCE with logits), 0.5 for probabilities (BCE), else midway between the two label values."""
    if loss in (hinge, binary_cross_entropy_with_logits):
        return 0.0
    if loss is binary_cross_entropy:
        return 0.5
    y = np.asarray(y, dtype=float)
    return float((y.min() + y.max()) / 2) if y.size else 0.0


def check_targets(loss: Loss, y: np.ndarray, n_outputs: int) -> None:
    """Fail early, naming the loss, when the labels ``y`` cannot be its targets."""
    y = np.asarray(y)
    if loss is hinge and not np.isin(y, (-1, 1)).all():
        raise ValueError(f"hinge: labels must be -1 or +1, got values {np.unique(y)[:5]} (use 2*y - 1 for 0/1 labels)")
    if loss in (binary_cross_entropy, binary_cross_entropy_with_logits) and not ((y >= 0) & (y <= 1)).all():
        raise ValueError(f"{loss.__name__}: labels must lie in [0, 1], got values {np.unique(y)[:5]}")
    if loss is cross_entropy:
        if y.ndim == 1 and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_outputs):
            raise ValueError(f"cross_entropy: labels must be class indices 0..{n_outputs - 1}, got {np.unique(y)[:5]}")
        if y.ndim == 2 and y.shape[1] != n_outputs:
            raise ValueError(f"cross_entropy: one-hot labels need {n_outputs} columns, got {y.shape[1]}")
