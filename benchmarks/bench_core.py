"""The core engine against micrograd 0.1.0 and PyTorch 0-dim tensors: speed and memory per node (issue 2's bars).

Measured in one run, with the garbage collector on (see :mod:`benchmarks._harness` for the conventions):

1. forward+backward of a 10,000-op mixed add/mul graph, the same graph for every engine;
2. one SGD training step of an MLP(2, [16, 16, 1]) on 100 samples (hinge loss), equivalent code per engine;
3. memory per node of the graph of 1 (tracemalloc, and the resident set of a fresh process for context);
4. backward through a 1,000,000-node chain, which micrograd's recursive topological sort cannot do;
5. the cost of a user-op node (micrograd's ``Value(t, (x,), 'tanh')`` with a ``_backward`` closure) against the
   built-in op, and of a user attribute (``p.m = 0.0``) per node.

Run: ``python -m benchmarks core`` or ``python -m benchmarks.bench_core``.
"""

from __future__ import annotations

import math
import operator
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from ._harness import (
    clock,
    environment,
    gc_disabled,
    median,
    ratio,
    recursion_limit,
    rss_bytes,
    settle,
    table,
    time_calls,
    time_interleaved,
    traced_bytes,
    verdict,
    version,
)

SEED = 0
MIXED_OPS, MIXED_LEAVES, MIXED_WINDOW = 10_000, 100, 8
MIXED_REPEATS = 25
MLP_SIZES, MLP_SAMPLES, MLP_LR, MLP_REPEATS = (2, 16, 16, 1), 100, 0.05, 9
CHAIN_NODES = 1_000_000
MICROGRAD_RECURSION = 50_000  # micrograd's backward recurses once per level of depth
SPEED_BAR, MEMORY_BAR = 2.0, 2.5  # memory: issue 11's bar (issue 2 asked 1.5x)
CLOSURE_NODES, CLOSURE_REPEATS = 5_000, 15


# --------------------------------------------------------------------------- engines
@dataclass(frozen=True)
class Engine:
    """What the graph benchmarks need from an engine: make a leaf, run backward, read a grad, count nodes."""

    name: str
    leaf: Callable[[float], Any]
    backward: Callable[[Any], None]
    grad: Callable[[Any], float]
    count_nodes: Callable[[Any], int]


def _count(root: Any, children: Callable[[Any], Any]) -> int:
    """Nodes reachable from ``root``, walked with an explicit stack."""
    seen, stack = {id(root)}, [root]
    while stack:
        for child in children(stack.pop()):
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def deltagrad_engine() -> Engine:
    from autograd import Value

    return Engine("deltagrad", Value, lambda out: out.backward(), lambda v: v.grad, lambda out: len(out.walk()))


def micrograd_engine() -> Engine:
    from micrograd.engine import Value

    def backward(out: Value) -> None:
        with recursion_limit(MICROGRAD_RECURSION):
            out.backward()

    return Engine("micrograd", Value, backward, lambda v: v.grad, lambda out: _count(out, lambda v: v._prev))


def torch_engine() -> Engine:
    import torch

    torch.set_num_threads(1)

    def leaf(x: float) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def count(out: torch.Tensor) -> int:
        return _count(out.grad_fn, lambda fn: (f for f, _ in fn.next_functions))

    return Engine("torch 0-dim", leaf, lambda out: out.backward(), lambda t: t.grad.item(), count)


ENGINES = {"deltagrad": deltagrad_engine, "micrograd": micrograd_engine, "torch": torch_engine}
LABELS = {
    "deltagrad": "deltagrad",
    "micrograd": f"micrograd {version('micrograd')}",
    "torch": f"torch {version('torch')} 0-dim",
}


# --------------------------------------------------------------------------- 1. the mixed add/mul graph
Step = tuple[Callable[[Any, Any], Any], int, int]  # (op, i, j): node = op(node[i], node[j])


class GraphPlan(NamedTuple):
    """A graph as data: leaf values, then steps ``(op, i, j)`` meaning node = op(node[i], node[j])."""

    leaves: list[float]
    steps: list[Step]

    @property
    def n_nodes(self) -> int:
        return len(self.leaves) + len(self.steps)


def mixed_plan(
    n_ops: int = MIXED_OPS, n_leaves: int = MIXED_LEAVES, window: int = MIXED_WINDOW, seed: int = SEED
) -> GraphPlan:
    """A random add/mul graph in which every node is reachable from the last one.

    Step k combines the previous node (so the nodes form one chain through the whole graph) with either a leaf or
    one of the ``window`` nodes before it (fan-out: nodes used more than once). The op and operand are redrawn until
    the result lies in 0.1 <= |v| <= 1, so values and gradients stay finite and nonzero at any size.
    """
    rng = random.Random(seed)
    leaves = [rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.0) for _ in range(n_leaves)]
    values = list(leaves)
    steps: list[Step] = []
    for _ in range(n_ops):
        a = len(values) - 1
        while True:
            recent = rng.random() < 0.5 and a > n_leaves
            b = rng.randrange(max(n_leaves, a - window), a) if recent else rng.randrange(n_leaves)
            op = rng.choice((operator.add, operator.mul))
            v = op(values[a], values[b])
            if 0.1 <= abs(v) <= 1.0:
                break
        steps.append((op, a, b))
        values.append(v)
    return GraphPlan(leaves, steps)


def build(plan: GraphPlan, leaf: Callable[[float], Any]) -> tuple[Any, list[Any]]:
    """The plan's graph with the given engine: ``(output node, leaves)``."""
    nodes = [leaf(x) for x in plan.leaves]
    leaves = nodes[:]
    append = nodes.append
    for op, a, b in plan.steps:
        append(op(nodes[a], nodes[b]))
    return nodes[-1], leaves


def forward_backward(engine: Engine, plan: GraphPlan) -> Any:
    out, _ = build(plan, engine.leaf)
    engine.backward(out)
    return out


def check_leaf_grads(engines: list[Engine], plan: GraphPlan) -> float:
    """Build and differentiate the graph with each engine; the largest relative gap from the first engine's grads."""
    reference = None
    worst = 0.0
    for engine in engines:
        out, leaves = build(plan, engine.leaf)
        engine.backward(out)
        grads = [engine.grad(x) for x in leaves]
        if not all(math.isfinite(g) and g != 0.0 for g in grads):
            raise AssertionError(f"{engine.name}: a leaf gradient is zero or not finite")
        if reference is None:
            reference = grads
        worst = max([worst, *(abs(g - r) / abs(r) for g, r in zip(grads, reference))])
    return worst


# --------------------------------------------------------------------------- 2. the MLP training step
MLPInit = list[list[tuple[list[float], float]]]  # layer -> neuron -> (weights, bias)


class Trainer(NamedTuple):
    """``loss()`` builds the loss graph over all samples and returns it; ``step()`` does one SGD step."""

    loss: Callable[[], Any]
    step: Callable[[], float]


def mlp_data(n: int = MLP_SAMPLES, seed: int = SEED) -> tuple[list[list[float]], list[float]]:
    """``n`` points in [-1, 1]², labelled +1 inside the circle of radius √½ and -1 outside."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n)]
    return xs, [1.0 if x0 * x0 + x1 * x1 < 0.5 else -1.0 for x0, x1 in xs]


def mlp_init(sizes: tuple[int, ...] = MLP_SIZES, seed: int = SEED) -> MLPInit:
    """Initial parameters as floats, micrograd's scheme: w ~ U(-1, 1), b = 0. Layer → neuron → (w, b)."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1.0, 1.0) for _ in range(n_in)], 0.0) for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]


def scalar_mlp(layers: list[list[tuple[list[Any], Any]]], x: list[Any]) -> Any:
    """micrograd.nn's forward written out: each neuron ``sum(wᵢ·xᵢ, b)`` as a chain, ReLU except the last layer."""
    last = len(layers) - 1
    for i, layer in enumerate(layers):
        x = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
        if i != last:
            x = [a.relu() for a in x]
    return x[0]


def hinge_loss(scores: list[Any], ys: list[float]) -> Any:
    """micrograd's demo loss: mean of max(0, 1 - y·score), summed as a chain."""
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    return sum(losses) * (1.0 / len(losses))


def deltagrad_trainer(init: MLPInit, xs: list[list[float]], ys: list[float], dot_neurons: bool = True) -> Trainer:
    """deltagrad as nn uses it: each neuron's pre-activation is one ``dot`` node, the loss one ``mean`` node.

    With ``dot_neurons=False``: micrograd's exact code (sum chains), to compare per node on the same graph.
    """
    from autograd import Value, dot, mean

    layers = [[([Value(w) for w in ws], Value(b)) for ws, b in layer] for layer in init]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    inputs = [[Value(v) for v in row] for row in xs]
    last = len(layers) - 1

    def forward(x: list[Value]) -> Value:
        for i, layer in enumerate(layers):
            x = [dot(w, x, bias=b) for w, b in layer]
            if i != last:
                x = [z.relu() for z in x]
        return x[0]

    def loss() -> Value:
        if not dot_neurons:
            return hinge_loss([scalar_mlp(layers, x) for x in inputs], ys)
        return mean([(1 + -y * forward(x)).relu() for x, y in zip(inputs, ys)])

    def step() -> float:
        out = loss()
        for p in params:
            p.grad = 0.0
        out.backward()
        for p in params:
            p.data -= MLP_LR * p.grad
        return out.data

    return Trainer(loss, step)


def micrograd_trainer(init: MLPInit, xs: list[list[float]], ys: list[float]) -> Trainer:
    """micrograd.nn.MLP, trained as in micrograd's demo notebook."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(MLP_SIZES[0], list(MLP_SIZES[1:]))
    for layer, layer_init in zip(model.layers, init):
        for neuron, (ws, b) in zip(layer.neurons, layer_init):
            for p, w in zip(neuron.w, ws):
                p.data = w
            neuron.b.data = b
    inputs = [[Value(v) for v in row] for row in xs]

    def loss() -> Value:
        return hinge_loss([model(x) for x in inputs], ys)

    def step() -> float:
        out = loss()
        model.zero_grad()
        out.backward()
        for p in model.parameters():
            p.data -= MLP_LR * p.grad
        return out.data

    return Trainer(loss, step)


def torch_trainer(init: MLPInit, xs: list[list[float]], ys: list[float]) -> Trainer:
    """The same scalar code on 0-dim float64 tensors (no matrix ops: a scalar engine against scalar engines)."""
    import torch

    def leaf(x: float, requires_grad: bool) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad)

    layers = [[([leaf(w, True) for w in ws], leaf(b, True)) for ws, b in layer] for layer in init]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    inputs = [[leaf(v, False) for v in row] for row in xs]

    def loss() -> torch.Tensor:
        return hinge_loss([scalar_mlp(layers, x) for x in inputs], ys)

    def step() -> float:
        out = loss()
        for p in params:
            p.grad = None
        out.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is None:
                    raise RuntimeError(f"torch's backward left no gradient on parameter {p}")
                p -= MLP_LR * p.grad
        return out.item()

    return Trainer(loss, step)


# --------------------------------------------------------------------------- 3. memory in a fresh process
def rss_child(engine_name: str) -> None:
    """Print the resident-set growth, in bytes, of building and differentiating the mixed graph (fresh process)."""
    engine = ENGINES[engine_name]()
    plan = mixed_plan()
    forward_backward(engine, mixed_plan(n_ops=200))  # first-call set-up (torch's autograd engine) is not the graph's
    settle()
    before = rss_bytes()
    out = forward_backward(engine, plan)
    print(rss_bytes() - before)
    del out


def rss_per_node(engine_name: str, n_nodes: int) -> float:
    code = f"from {__package__}.bench_core import rss_child; rss_child({engine_name!r})"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parent.parent, capture_output=True, text=True, check=True
    )
    return int(done.stdout.split()[-1]) / n_nodes


# --------------------------------------------------------------------------- 4. the deep chain
def chain(leaf: Callable[[float], Any], n: int) -> tuple[Any, tuple[Any, Any, Any]]:
    """y = ((x·a + b)·a + b)… with n ops: depth n, ∂y/∂x = 1 for a = 1, ∂y/∂b = n/2."""
    x, a, b = leaf(0.5), leaf(1.0), leaf(1e-6)
    y = x
    for _ in range(n // 2):
        y = y * a
        y = y + b
    return y, (x, a, b)


# --------------------------------------------------------------------------- 5. user-op nodes
def closure_tanh(V: type) -> Callable[[Any], Any]:
    """tanh written the lecture's way on Value class ``V``: a node with children and a ``_backward`` closure."""

    def tanh(x: Any) -> Any:
        t = math.tanh(x.data)
        out = V(t, (x,), "tanh")

        def _backward() -> None:
            x.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    return tanh


def tanh_layer(leaf: Callable[[float], Any], tanh: Callable[[Any], Any], n: int = CLOSURE_NODES) -> list[Any]:
    """Σᵢ tanh(0.9·xᵢ + 0.1) over n leaves, summed as a balanced tree of adds; built and differentiated."""
    xs = [leaf(i / n - 0.5) for i in range(n)]
    terms = [tanh(x * 0.9 + 0.1) for x in xs]
    while len(terms) > 1:
        terms = [a + b for a, b in zip(terms[::2], terms[1::2])] + terms[len(terms) - len(terms) % 2 :]
    terms[0].backward()
    return xs


def attribute_bytes(n: int = MIXED_OPS) -> tuple[float, float]:
    """Bytes per node that letting users set attributes costs (Value against a twin class with the same slots but
    no ``__dict__``), and bytes per node of then setting one (``p.m = 0.0``, EurekaLabsAI/micrograd's AdamW)."""
    from autograd import Value

    slots = tuple(name for name in Value.__slots__ if name != "__dict__")
    twin = type("Twin", (), {"__slots__": slots})

    def nodes(cls: type, attribute: bool = False) -> list[Any]:
        out: list[Any] = []
        for _ in range(n):
            v: Any = object.__new__(cls)
            for name in slots:
                setattr(v, name, None)
            if attribute:
                v.m = 0.0
            out.append(v)
        return out

    with_dict = traced_bytes(lambda: nodes(Value))[0]
    return (with_dict - traced_bytes(lambda: nodes(twin))[0]) / n, (
        traced_bytes(lambda: nodes(Value, True))[0] - with_dict
    ) / n


# --------------------------------------------------------------------------- the report
def _us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f}"


def main() -> None:
    engines = {name: make() for name, make in ENGINES.items()}
    dg, mg, th = engines["deltagrad"], engines["micrograd"], engines["torch"]
    settle()
    start = time.perf_counter()
    print(f"bench_core · {environment()}")
    print("GC on (default thresholds). Times are CPU time of this process: medians after a warm-up, engines")
    print("interleaved, each call followed by gc.collect() so it pays for freeing its own graph.")
    print("Ratios = other engine / deltagrad.\n")

    # 1. mixed graph ---------------------------------------------------------------------------------------------
    plan = mixed_plan()
    n = plan.n_nodes
    gap = check_leaf_grads([dg, mg, th], plan)
    print(f"1. Mixed add/mul graph: {MIXED_OPS:,} ops + {MIXED_LEAVES} leaves = {n:,} nodes, every node reachable")
    print(f"   from the output; build + backward, median of {MIXED_REPEATS}. Leaf grads agree across engines")
    print(f"   (max relative gap {gap:.1e}).")
    runs = {key: partial(forward_backward, engine, plan) for key, engine in engines.items()}
    mixed = {key: median(times) for key, times in time_interleaved(runs, MIXED_REPEATS).items()}
    with gc_disabled():
        off = time_interleaved({key: runs[key] for key in ("micrograd", "deltagrad")}, MIXED_REPEATS)
    mixed |= {f"{key}, GC off": median(times) for key, times in off.items()}
    rows = [
        [name, f"{t * 1e3:.1f}", _us(t, n), ratio(t / mixed["deltagrad"])]
        for name, t in (
            ("deltagrad", mixed["deltagrad"]),
            (LABELS["micrograd"], mixed["micrograd"]),
            (LABELS["torch"], mixed["torch"]),
            ("(micrograd, GC off)", mixed["micrograd, GC off"]),
            ("(deltagrad, GC off)", mixed["deltagrad, GC off"]),
        )
    ]
    print(table(["engine", "ms/graph", "µs/node", "vs deltagrad"], rows), "\n")

    # 2. MLP step ------------------------------------------------------------------------------------------------
    xs, ys = mlp_data()
    init = mlp_init()
    trainers = {
        "deltagrad": deltagrad_trainer(init, xs, ys),
        "micrograd": micrograd_trainer(init, xs, ys),
        "torch": torch_trainer(init, xs, ys),
        "deltagrad, sum-chain neurons": deltagrad_trainer(init, xs, ys, dot_neurons=False),
    }
    nodes = {
        key: engine.count_nodes(trainers[key].loss())
        for key, engine in (("deltagrad", dg), ("micrograd", mg), ("torch", th), ("deltagrad, sum-chain neurons", dg))
    }
    first = {key: t.step() for key, t in trainers.items()}
    times = time_interleaved({key: t.step for key, t in trainers.items()}, MLP_REPEATS, warmup=0)
    steps = {key: median(ts) for key, ts in times.items()}
    last = {key: t.step() for key, t in trainers.items()}
    with gc_disabled():
        steps["micrograd, GC off"] = median(time_calls(trainers["micrograd"].step, MLP_REPEATS, warmup=0))
    nodes["micrograd, GC off"] = nodes["micrograd"]
    agree = all(math.isclose(first[k], first["micrograd"], rel_tol=1e-9) for k in first) and all(
        math.isclose(last[k], last["micrograd"], rel_tol=1e-9) for k in last
    )
    hidden = ", ".join(map(str, MLP_SIZES[1:]))
    print(f"2. MLP({MLP_SIZES[0]}, [{hidden}]) SGD step on {MLP_SAMPLES} samples: forward over all samples,")
    print(f"   hinge loss, backward, update; median of {MLP_REPEATS} steps. Same init and data for every engine; the")
    print(
        f"   losses {'agree' if agree else 'DIFFER'} at step 1 ({first['micrograd']:.6f}) and step {MLP_REPEATS + 2} "
        f"({last['micrograd']:.6f}). deltagrad's neuron is one dot node (as nn builds"
    )
    print("   it), so its graph is ~9x smaller: compare step times. The sum-chain row runs micrograd's exact graph.")
    labels = {
        "deltagrad": "deltagrad (dot neurons)",
        "micrograd": LABELS["micrograd"],
        "torch": LABELS["torch"],
        "deltagrad, sum-chain neurons": "deltagrad (sum-chain neurons)",
        "micrograd, GC off": "(micrograd, GC off)",
    }
    rows = [
        [label, f"{t * 1e3:.1f}", f"{nodes[key]:,}", _us(t, nodes[key]), ratio(t / steps["deltagrad"])]
        for key, label in labels.items()
        for t in [steps[key]]
    ]
    print(table(["engine", "ms/step", "nodes", "µs/node", "step vs deltagrad"], rows), "\n")

    # 3. memory --------------------------------------------------------------------------------------------------
    traced = {key: traced_bytes(partial(forward_backward, engine, plan)) for key, engine in engines.items()}
    rss = {key: rss_per_node(key, n) for key in engines}
    print(f"3. Memory per node of the graph of 1 after forward+backward ({n:,} nodes). tracemalloc sees Python's")
    print("   allocator only (torch's tensors live in C++, hence its tiny figure); RSS growth in a fresh process")
    print("   counts everything (page-granular, so a few B/node of noise).")
    rows = [
        [
            label,
            f"{traced[key][0] / n:.0f}",
            f"{traced[key][1] / n:.0f}",
            f"{rss[key]:.0f}",
            ratio(traced[key][0] / traced["deltagrad"][0]),
            ratio(rss[key] / rss["deltagrad"]),
        ]
        for key, label in LABELS.items()
    ]
    header = ["engine", "retained B/node", "peak B/node", "RSS B/node", "retained vs dg", "RSS vs dg"]
    print(table(header, rows), "\n")

    # 4. deep chain ----------------------------------------------------------------------------------------------
    t0 = clock()
    out, (x, _, b) = chain(dg.leaf, CHAIN_NODES)
    t1 = clock()
    out.backward()
    t2 = clock()
    correct = x.grad == 1.0 and b.grad == CHAIN_NODES // 2
    del out, x, b
    t3 = clock()
    m_out, _ = chain(mg.leaf, CHAIN_NODES)
    try:
        m_out.backward()
        micrograd_result = "finished"
    except RecursionError:
        micrograd_result = "RecursionError"
    del m_out
    t4 = clock()
    print(f"4. Deep chain of {CHAIN_NODES:,} nodes (depth {CHAIN_NODES:,}), default recursion limit:")
    print(
        f"   deltagrad: build {(t1 - t0):.2f} s + backward {(t2 - t1):.2f} s = {_us(t2 - t0, CHAIN_NODES)} µs/node, "
        f"grads {'correct' if correct else 'WRONG'}"
    )
    print(f"   micrograd: backward -> {micrograd_result} (build + attempt took {t4 - t3:.1f} s)\n")

    # 5. user-op nodes -------------------------------------------------------------------------------------------
    from micrograd.engine import Value as MicrogradValue

    from autograd import Value as DeltagradValue

    tanh_runs = {
        "deltagrad, built-in tanh": lambda: tanh_layer(DeltagradValue, DeltagradValue.tanh),
        "deltagrad, closure tanh": lambda: tanh_layer(DeltagradValue, closure_tanh(DeltagradValue)),
        "micrograd, closure tanh": lambda: tanh_layer(MicrogradValue, closure_tanh(MicrogradValue)),
    }
    grads = {key: [x.grad for x in run()] for key, run in tanh_runs.items()}
    reference = grads["micrograd, closure tanh"]
    same = all(math.isclose(a, b, rel_tol=1e-12) for gs in grads.values() for a, b in zip(gs, reference))
    user = {key: median(ts) for key, ts in time_interleaved(tanh_runs, CLOSURE_REPEATS).items()}
    n_chain = 4 * CLOSURE_NODES - 1
    print(f"5. User-op nodes: Σ tanh(0.9·xᵢ + 0.1) over {CLOSURE_NODES:,} leaves ({n_chain:,} ops), build + backward,")
    grads_agree = "agree" if same else "DIFFER"
    print(f"   median of {CLOSURE_REPEATS} runs; the leaves' gradients {grads_agree} across the three.")
    print("   The closure tanh is micrograd's way: Value(t, (x,), 'tanh') and out._backward = closure.")
    base = user["deltagrad, built-in tanh"]
    rows = [[key, f"{t * 1e3:.1f}", _us(t, n_chain), ratio(t / base)] for key, t in user.items()]
    print(table(["engine", "ms/graph", "µs/op", "vs built-in"], rows))
    per_closure = (user["deltagrad, closure tanh"] - base) / CLOSURE_NODES
    print(f"   cost of a user-closure node over a built-in one: {per_closure * 1e6:.2f} µs (forward + backward)")
    room, attribute = attribute_bytes()
    print(f"   user attributes (p.m = 0.0): being able to set them costs {room:.0f} B per node (in the retained figure")
    print(f"   of table 3); setting one then costs {max(attribute, 0.0):.0f} B more per node that has it\n")

    # verdicts ---------------------------------------------------------------------------------------------------
    mixed_ratio = mixed["micrograd"] / mixed["deltagrad"]
    mlp_ratio = steps["micrograd"] / steps["deltagrad"]
    mem_ratio = traced["micrograd"][0] / traced["deltagrad"][0]
    bars = [
        ["forward+backward per node, mixed graph (micrograd/deltagrad)", ratio(mixed_ratio), f">= {SPEED_BAR}x"],
        ["MLP training step, same work (micrograd/deltagrad)", ratio(mlp_ratio), f">= {SPEED_BAR}x"],
        ["memory per node, tracemalloc retained (micrograd/deltagrad)", ratio(mem_ratio), f">= {MEMORY_BAR}x"],
        ["1,000,000-node chain backward", "works" if correct else "fails", "works"],
    ]
    oks = [mixed_ratio >= SPEED_BAR, mlp_ratio >= SPEED_BAR, mem_ratio >= MEMORY_BAR, correct]
    print("Issues 2 and 11 bars")
    print(table(["bar", "measured", "target", "verdict"], [row + [verdict(ok)] for row, ok in zip(bars, oks)]))
    print(
        f"\ntorch 0-dim vs deltagrad: mixed graph {ratio(mixed['torch'] / mixed['deltagrad'])}, "
        f"MLP step {ratio(steps['torch'] / steps['deltagrad'])}, RSS per node {ratio(rss['torch'] / rss['deltagrad'])}"
    )
    print(f"bench_core took {time.perf_counter() - start:.0f} s (wall clock)")


if __name__ == "__main__":
    main()
