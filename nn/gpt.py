"""A microgpt-sized GPT on scalar Values: the transformer the lectures end with, one node per number.

:class:`MicroGPT` is a decoder-only transformer in the shape of Karpathy's microgpt: token and
position embeddings, ``n_layer`` blocks of RMSNorm → causal multi-head self-attention → residual,
RMSNorm → MLP (ReLU, 4× wide) → residual, then a linear head giving the next token's logits. The
defaults (16-wide embeddings, 4 heads, 1 block, 16 positions) make about 4k parameters for a
27-token vocabulary. Every matrix-vector product is one ``dot`` node per output.

A token enters as its one-hot row, and its embedding is the product of the (n_embd × vocab)
embedding matrix with that row: the same number as looking the column up, but written as graph
operations, so :meth:`MicroGPT.compiled_loss` can trace a training step once per sequence length
and replay it with numpy for any tokens of that length (a lookup by a Python index would be
frozen into the trace).

>>> gpt = MicroGPT(vocab_size=27, seed=0)
>>> len(gpt.parameters())
4192
>>> tokens = [0, 5, 3]
>>> round(gpt.loss(tokens[:-1], tokens[1:]).data, 4) > 0
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import autograd
from autograd import Value, logsumexp, mean, softmax
from autograd.functional import dot_values

from .excerpt import excerpt
from .module import Module, register
from .numpy_support import numpy_or_none
from .parameter import Parameter
from .seeding import Seed, rng_from

if TYPE_CHECKING:
    import numpy as np

    from autograd.compiled import CompiledGraph
else:
    np = numpy_or_none()  # None without numpy: the compiled training step needs it, the scalar model does not

__all__ = ["MicroGPT", "GPTTrainer", "char_documents", "one_hot_rows"]


class _Matrix(Module):
    """A weight matrix W (rows × cols) of Parameters stored row by row: ``W(x)`` is W·x, one dot node per row."""

    def __init__(self, rows: int, cols: int, std: float, rng: np.random.Generator, label: str) -> None:
        self.rows, self.cols = rows, cols
        drawn = rng.normal(0.0, std, rows * cols)
        values = drawn.tolist() if hasattr(drawn, "tolist") else drawn
        self.w = [Parameter(v, label=f"{label}_{i // cols},{i % cols}") for i, v in enumerate(values)]

    def row(self, i: int) -> list[Parameter]:
        return self.w[i * self.cols : (i + 1) * self.cols]

    def forward(self, x: list[Value]) -> list[Value]:
        return [dot_values(self.row(i), x) for i in range(self.rows)]


class _Block(Module):
    """One transformer block's weights: attention (Wq, Wk, Wv, Wo) and the MLP (fc1, fc2)."""

    def __init__(self, n_embd: int, std: float, rng: np.random.Generator, index: int) -> None:
        self.wq, self.wk, self.wv, self.wo = (
            _Matrix(n_embd, n_embd, std, rng, f"{name}{index}") for name in ("Wq", "Wk", "Wv", "Wo")
        )
        self.fc1 = _Matrix(4 * n_embd, n_embd, std, rng, f"fc1_{index}")
        self.fc2 = _Matrix(n_embd, 4 * n_embd, std, rng, f"fc2_{index}")


def _rmsnorm(x: list[Value]) -> list[Value]:
    """x / √(mean(x²) + 1e-5)."""
    scale = (mean([xi * xi for xi in x]) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def one_hot_rows(tokens: Sequence[int], vocab_size: int) -> list[list[float]]:
    """Each token index as a one-hot row of ``vocab_size`` floats."""
    rows = [[0.0] * vocab_size for _ in tokens]
    for row, t in zip(rows, tokens):
        if not 0 <= t < vocab_size:
            raise ValueError(f"one_hot_rows: token {t} is out of range for a vocabulary of {vocab_size}")
        row[t] = 1.0
    return rows


@register
class MicroGPT(Module):
    """A GPT of ``n_layer`` blocks on ``vocab_size`` tokens and contexts of up to ``block_size`` positions.

    ``forward(rows)`` takes one-hot rows (numbers or Values), one per position, and
    returns each position's logits over the next token; :meth:`loss` is the mean
    next-token cross-entropy of a sequence, logsumexp(z) − z_target at each position.
    ``save(path)`` writes it as JSON and :func:`nn.load` rebuilds it, as for every model.
    """

    def __init__(
        self,
        vocab_size: int,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        seed: Seed = None,
        std: float = 0.08,
    ) -> None:
        MicroGPT.parameter_count(
            {"vocab_size": vocab_size, "n_embd": n_embd, "n_head": n_head, "n_layer": n_layer, "block_size": block_size}
        )  # checks the sizes
        if not (isinstance(std, (int, float)) and not isinstance(std, bool) and 0.0 <= std < math.inf):
            raise ValueError(f"MicroGPT: std must be a finite number >= 0, got {std!r}")
        self.std = float(std)
        self.vocab_size, self.n_embd, self.n_head = vocab_size, n_embd, n_head
        self.n_layer, self.block_size = n_layer, block_size
        rng = rng_from(seed)
        self.wte = _Matrix(n_embd, vocab_size, std, rng, "wte")  # column v: token v's embedding
        self.wpe = _Matrix(block_size, n_embd, std, rng, "wpe")  # row t: position t's embedding
        self.blocks = [_Block(n_embd, std, rng, i) for i in range(n_layer)]
        self.lm_head = _Matrix(vocab_size, n_embd, std, rng, "lm_head")
        self._graphs: dict[tuple[int, str], CompiledGraph] = {}

    def config(self) -> dict[str, Any]:
        """The architecture's constructor arguments (not ``seed`` and ``std``, which only draw the first weights):
        what :meth:`save` writes and :func:`nn.load` reads."""
        return {
            "vocab_size": self.vocab_size,
            "n_embd": self.n_embd,
            "n_head": self.n_head,
            "n_layer": self.n_layer,
            "block_size": self.block_size,
        }

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """V·E (token embeddings) + T·E (positions) + 12·E² per block + V·E (the head), for vocabulary V,
        width E and T positions; a ValueError names a size that is not a positive int (n_layer may be 0)."""
        sizes = {name: config[name] for name in ("vocab_size", "n_embd", "n_head", "n_layer", "block_size")}
        for name, n in sizes.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < (0 if name == "n_layer" else 1):
                kind = "non-negative" if name == "n_layer" else "positive"
                raise ValueError(f"MicroGPT: {name} must be a {kind} int, got {excerpt(n)}")
        if sizes["n_embd"] % sizes["n_head"]:
            raise ValueError(f"MicroGPT: n_embd ({sizes['n_embd']}) must be a multiple of n_head ({sizes['n_head']})")
        v, e = sizes["vocab_size"], sizes["n_embd"]
        return 2 * v * e + sizes["block_size"] * e + 12 * e * e * sizes["n_layer"]

    def attention_head(self, q: list[Value], keys: list[list[Value]], values: list[list[Value]]) -> list[Value]:
        """One head at one position: softmax(q·kₛ/√d) over the positions s so far, then Σₛ weightₛ·vₛ."""
        scale = 1.0 / math.sqrt(len(q))
        weights = softmax([dot_values(q, k) * scale for k in keys])
        return [dot_values(weights, [v[j] for v in values]) for j in range(len(q))]

    def forward(self, rows: Sequence[Sequence[Any]]) -> list[list[Value]]:
        """The logits of the token after each position, for one-hot ``rows`` (one per position)."""
        if not 1 <= len(rows) <= self.block_size:
            raise ValueError(f"MicroGPT: a sequence has 1 to {self.block_size} positions, got {len(rows)}")
        hd = self.n_embd // self.n_head
        xs = []
        for t, row in enumerate(rows):
            token = [r if isinstance(r, Value) else autograd.Constant(float(r)) for r in row]
            xs.append(_rmsnorm([e + p for e, p in zip(self.wte(token), self.wpe.row(t))]))
        for block in self.blocks:
            keys: list[list[Value]] = []
            values: list[list[Value]] = []
            out = []
            for x in xs:
                h = _rmsnorm(x)
                q = block.wq(h)
                keys.append(block.wk(h))
                values.append(block.wv(h))
                heads = [
                    self.attention_head(
                        q[i * hd : (i + 1) * hd],
                        [k[i * hd : (i + 1) * hd] for k in keys],
                        [v[i * hd : (i + 1) * hd] for v in values],
                    )
                    for i in range(self.n_head)
                ]
                x = [a + r for a, r in zip(block.wo([y for head in heads for y in head]), x)]
                m = block.fc2([u.relu() for u in block.fc1(_rmsnorm(x))])
                out.append([a + r for a, r in zip(m, x)])
            xs = out
        return [self.lm_head(x) for x in xs]

    def loss(self, tokens: Sequence[Any], targets: Sequence[Any]) -> Value:
        """Mean over positions of −log softmax(logits)[target]; tokens and targets as indices or one-hot rows."""
        if len(tokens) != len(targets):
            raise ValueError(f"MicroGPT.loss: {len(tokens)} tokens but {len(targets)} targets")
        rows, target_rows = (self._rows(s) for s in (tokens, targets))
        losses = []
        for logits, target in zip(self.forward(rows), target_rows):
            losses.append(logsumexp(logits) - autograd.dot(target, logits))
        return mean(losses)

    def _rows(self, seq: Sequence[Any]) -> Sequence[Sequence[Any]]:
        if all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in seq):
            return one_hot_rows([int(t) for t in seq], self.vocab_size)
        return seq

    def compiled_loss(self, n: int, dtype: Any = "float64") -> CompiledGraph:
        """:meth:`loss` of a sequence of ``n`` tokens, traced once per length by :func:`autograd.compile`.

        The graph's inputs are the n one-hot token rows then the n one-hot target
        rows, flattened (see :meth:`compiled_inputs`); its output is the loss.
        """
        key = (n, np.dtype(dtype).str)
        if key not in self._graphs:
            v = self.vocab_size

            def step(x: list[Value]) -> Value:
                tokens = [x[i * v : (i + 1) * v] for i in range(n)]
                targets = [x[(n + i) * v : (n + i + 1) * v] for i in range(n)]
                return self.loss(tokens, targets)

            self._graphs[key] = autograd.compile(step, 2 * n * v, dtype=dtype)
        return self._graphs[key]

    def compiled_inputs(self, tokens: Sequence[int], targets: Sequence[int]) -> np.ndarray:
        """One row of :meth:`compiled_loss`'s inputs: the one-hot tokens then the one-hot targets."""
        return np.array(one_hot_rows([*tokens, *targets], self.vocab_size)).reshape(1, -1)


def char_documents(text: str) -> tuple[list[str], list[list[int]]]:
    """The sorted characters of ``text`` and each non-empty line as token indices, framed by the
    boundary token BOS (index ``len(chars)``): the vocabulary has ``len(chars) + 1`` tokens.

    >>> chars, docs = char_documents("ab\\nba\\n")
    >>> chars, docs
    (['a', 'b'], [[2, 0, 1, 2], [2, 1, 0, 2]])
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    chars = sorted(set("".join(lines)))
    index = {c: i for i, c in enumerate(chars)}
    bos = len(chars)
    return chars, [[bos, *(index[c] for c in line), bos] for line in lines]


class GPTTrainer:
    """Training steps of a :class:`MicroGPT` on one sequence at a time, scalar or compiled.

    A step is microgpt's: the mean next-token loss of ``tokens`` (predicting
    ``targets``), its gradient, one optimiser step. Scalar steps build the graph
    on Values and call ``backward``; compiled steps replay the graph traced once
    per sequence length (:meth:`MicroGPT.compiled_loss`), keeping the parameters in
    an array between steps and updating them with the optimiser's array rule.
    :meth:`sync` writes them back into the Parameters.
    """

    def __init__(self, model: MicroGPT, optimizer: Any, compiled: bool = False) -> None:
        self.model, self.optimizer, self.compiled = model, optimizer, compiled
        self._position = {id(p): i for i, p in enumerate(optimizer.params)}
        self._slots: dict[int, np.ndarray] = {}
        self._data: np.ndarray | None = None

    def step(self, tokens: Sequence[int], targets: Sequence[int]) -> float:
        """One training step; returns the loss before it."""
        if not self.compiled:
            self.optimizer.zero_grad()
            value = self.model.loss(tokens, targets)
            value.backward()
            self.optimizer.step()
            return value.data
        graph = self.model.compiled_loss(len(tokens))
        slots = self._slots.get(len(tokens))
        if slots is None:
            slots = np.array([self._position[id(p)] for p in graph.parameters], dtype=np.intp)
            self._slots[len(tokens)] = slots
        if self._data is None:
            self._data = np.array([p.data for p in self.optimizer.params])
        loss = float(graph.forward(self.model.compiled_inputs(tokens, targets), self._data[slots])[0])
        grad = np.zeros_like(self._data)
        grad[slots] = graph.parameter_gradients()
        self._grad = grad
        self._data = self.optimizer.update(self._data, grad)
        return loss

    def sync(self) -> None:
        """Write the compiled steps' parameters and last gradients into the Parameters."""
        if self._data is not None:
            for p, x, g in zip(self.optimizer.params, self._data.tolist(), self._grad.tolist()):
                p.data, p.grad = x, g
            self._data = None
