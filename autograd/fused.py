"""The softmax family over a sample's outputs, lowered whole by the compiled mode.

A traced graph spells these functions out of op-table nodes (see :mod:`autograd.functional` and
``nn.cross_entropy``); with S = logsumexp(z₁..z_k) and pᵢ = softmax(z)ᵢ = exp(zᵢ − S):

* **cross-entropy** L = S − Σᵢ tᵢzᵢ (``sub`` of S and a ``dot`` of the targets t with the same z):
  δzᵢ = δL·(pᵢ − tᵢ), δtᵢ = −δL·zᵢ;
* **log-softmax** oᵢ = zᵢ − S (k ``sub`` nodes sharing S): δzⱼ = δoⱼ − pⱼ·Σᵢ δoᵢ;
* **softmax** pᵢ = exp(zᵢ − S) (an ``exp`` on each of those): δzⱼ = pⱼ·(δpⱼ − Σᵢ δpᵢpᵢ).

``autograd.softmax`` and ``log_softmax`` feed S the shifted zᵢ = xᵢ − max x (a constant of the trace);
the kernels take the xᵢ themselves instead, shifting each row by its own max, so a replay does not lean
on the traced max.

Each is one row-wise kernel over a (batch × m × k) block, m the patterns replayed together, in
place of 3 to 2k+1 grouped operations (bench_mnist's cross-entropy: 6 of a 784-64-10 step's
12 numpy passes). The closed forms above are the chain rule through the table's own rules for
``logsumexp``, ``dot``, ``sub`` and ``exp`` (tests/autograd/test_compile.py composes those rules and
compares). :func:`find` recognises the patterns, only while those four ops hold their built-in
rules and only when the inner nodes (S, the dot, the inner subs) feed nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .ops import is_built_in
from .registry import OPS
from .value import Constant, Value

__all__ = ["Pattern", "find", "KERNELS"]

_READS = ("logsumexp", "dot", "sub", "exp")  # the ops whose rules the kernels stand in for


@dataclass(frozen=True)
class Pattern:
    """One occurrence: ``kind`` (a key of :data:`KERNELS`), the logits ``zs``, the targets ``ts``
    (cross-entropy only, else empty), and the nodes it computes, ``outs`` (L, or one per logit)."""

    kind: str
    zs: tuple[Value, ...]
    ts: tuple[Value, ...]
    outs: tuple[Value, ...]
    inner: tuple[Value, ...]  # the nodes it replaces that no one else reads


def find(computed: Sequence[Value], outputs: Sequence[Value]) -> list[Pattern]:
    """The patterns in ``computed`` (the traced nodes, inputs first); ``outputs`` are read by the caller."""
    if not all(is_built_in(OPS.get(name)) for name in _READS):
        return []  # a rule was replaced (register_op(..., replace=True)): replay node by node
    lses = [i for i, v in enumerate(computed) if v.op == "logsumexp"]
    if not lses:
        return []
    is_output = set(outputs)
    later = computed[lses[0] :]  # only these can read a logsumexp node
    readers = _readers(later, {computed[i] for i in lses})
    candidates: list[tuple[Value, Value, list[Value]]] = []  # (S, the loss or None, the nodes read once)
    for s in (computed[i] for i in lses if computed[i] not in is_output):
        users = readers.get(s, [])
        if len(users) == 1 and _is_cross_entropy(s, users[0], is_output):
            candidates.append((s, users[0], [users[0].inputs[1]]))
        else:
            subs = _log_softmax_subs(s, users, is_output)
            if subs is not None:
                candidates.append((s, s, subs))
    if not candidates:
        return []
    position = {v: i for i, v in enumerate(computed)}
    watched = {x for _, _, xs in candidates for x in xs}
    watched.update(y for s, loss, _ in candidates if loss is s for y in s.inputs if y in position)  # shifted logits
    readers = _readers(computed[min(position[x] for x in watched) :], watched)
    found: list[Pattern] = []
    for s, loss, xs in candidates:
        zs = s.inputs
        if loss is not s:  # cross-entropy: the dot is read by the loss alone
            d = xs[0]
            if readers.get(d) == [loss]:
                ts = d.inputs[: len(zs)] if d.inputs[len(zs) :] == zs else d.inputs[len(zs) :]
                found.append(Pattern("cross_entropy", zs, ts, (loss,), (s, d)))
            continue
        zs, shifts = _unshifted(s, xs, readers, is_output)
        exps = [readers.get(o, []) for o in xs]
        if all(len(e) == 1 and e[0].op == "exp" and o not in is_output for e, o in zip(exps, xs)):
            found.append(Pattern("softmax", zs, (), tuple(e[0] for e in exps), (*shifts, s, *xs)))
        else:
            found.append(Pattern("log_softmax", zs, (), tuple(xs), (*shifts, s)))
    return found


def _readers(nodes: Sequence[Value], watched: set[Value]) -> dict[Value, list[Value]]:
    """For each watched node, the nodes among ``nodes`` that read it (once per edge)."""
    readers: dict[Value, list[Value]] = {}
    for v in nodes:
        if not watched.isdisjoint(v.inputs):
            for x in v.inputs:
                if x in watched:
                    readers.setdefault(x, []).append(v)
    return readers


def _is_cross_entropy(s: Value, loss: Value, is_output: set[Value]) -> bool:
    """Is ``loss`` = S − dot(t, z) (or dot(z, t)) over the z of S, with no bias?"""
    if loss.op != "sub" or loss.inputs[0] is not s:
        return False
    d, zs = loss.inputs[1], s.inputs
    k = len(zs)
    return (
        d.op == "dot"
        and d.param == k
        and len(d.inputs) == 2 * k
        and d not in is_output
        and (d.inputs[k:] == zs or d.inputs[:k] == zs)
    )


def _log_softmax_subs(s: Value, users: list[Value], is_output: set[Value]) -> list[Value] | None:
    """The k nodes zᵢ − S, in the order of S's inputs, when they are all S's readers."""
    k = len(s.inputs)
    if len(users) != k or len(set(map(id, s.inputs))) != k:
        return None
    by_input = {}
    for o in users:
        if o.op != "sub" or o.inputs[1] is not s or o.inputs[0] is s:
            return None
        by_input[o.inputs[0]] = o
    if len(by_input) != k or not all(z in by_input for z in s.inputs):
        return None
    return [by_input[z] for z in s.inputs]


def _unshifted(
    s: Value, subs: list[Value], readers: dict[Value, list[Value]], is_output: set[Value]
) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
    """(the logits, the shift nodes replaced too): S's inputs as they are, or, when each is xᵢ − c for one
    constant c (``autograd.softmax`` subtracts max x first) read only by S and its own yᵢ − S, the distinct
    xᵢ, the shifts folded into the kernel, which shifts each row by its own max (softmax is shift-invariant)."""
    ys = s.inputs
    c = ys[0].inputs[1] if ys[0].op == "sub" else None
    if not isinstance(c, Constant) or not all(
        y.op == "sub" and y.inputs[1] is c and y not in is_output and readers.get(y) == [s, o] for y, o in zip(ys, subs)
    ):
        return ys, ()
    xs = tuple(y.inputs[0] for y in ys)
    return (xs, ys) if len(set(map(id, xs))) == len(xs) else (ys, ())


# ------------------------------------------------------------------ the kernels, over (batch × m × k) blocks
def _softmax_and_logsumexp(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, S) along the last axis, S kept as a length-1 axis: with m = max z and e = exp(z − m),
    p = e / Σe and S = m + log Σe (one exp for both)."""
    m = z.max(axis=-1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=-1, keepdims=True)
    e /= total
    return e, m + np.log(total)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """(z − m) − log Σ exp(z − m) along the last axis, m = max z: exact for huge z, where z − logsumexp(z)
    loses what the sum adds to the max (1e308 + log 2 is 1e308 in floats)."""
    y = z - z.max(axis=-1, keepdims=True)
    return y - np.log(np.exp(y).sum(axis=-1, keepdims=True))


class _CrossEntropy:
    """L = S − Σᵢ tᵢzᵢ per row; δz = δL·(p − t), δt = −δL·z. Saves p for the backward."""

    def forward(self, z: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, Any]:
        p, lse = _softmax_and_logsumexp(z)
        return lse[..., 0] - np.einsum("bmk,bmk->bm", t, z), p

    def backward(
        self, z: np.ndarray, t: np.ndarray, out: np.ndarray, p: Any, g: np.ndarray, want_t: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        g = g[..., None]
        return g * (p - t), (-g * z if want_t else None)


class _LogSoftmax:
    """oᵢ = zᵢ − S; δzⱼ = δoⱼ − pⱼ·Σᵢ δoᵢ with p = exp(o)."""

    def forward(self, z: np.ndarray, t: np.ndarray | None) -> tuple[np.ndarray, Any]:
        return _log_softmax(z), None

    def backward(
        self, z: np.ndarray, t: Any, out: np.ndarray, saved: Any, g: np.ndarray, want_t: bool
    ) -> tuple[np.ndarray, None]:
        return g - np.exp(out) * g.sum(axis=-1, keepdims=True), None


class _Softmax:
    """pᵢ = exp(zᵢ − S); δzⱼ = pⱼ·(δpⱼ − Σᵢ δpᵢpᵢ)."""

    def forward(self, z: np.ndarray, t: np.ndarray | None) -> tuple[np.ndarray, Any]:
        return _softmax_and_logsumexp(z)[0], None

    def backward(
        self, z: np.ndarray, t: Any, out: np.ndarray, saved: Any, g: np.ndarray, want_t: bool
    ) -> tuple[np.ndarray, None]:
        return out * (g - (g * out).sum(axis=-1, keepdims=True)), None


KERNELS: dict[str, Any] = {"cross_entropy": _CrossEntropy(), "log_softmax": _LogSoftmax(), "softmax": _Softmax()}
"""Each pattern's kernel: ``forward(z, t) -> (out, saved)`` and ``backward(z, t, out, saved, δout, want_t) ->
(δz, δt or None)``, over (batch × m × k) blocks (cross-entropy's out and δout are (batch × m))."""
