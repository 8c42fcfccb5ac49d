"""What the reliability guarantees cost (issue 15): the non-finite checks and the backward-pass lock.

Measured in one run, interleaved, on bench_core's 10,000-op mixed add/mul graph and a compiled MNIST-shaped step:

1. forward: the graph's nodes made through ``Value._node``, which tests each result for inf/NaN (one chained
   comparison, the same test the inlined operators make), against the same construction with the test taken
   out (an unchecked ``_node`` swapped in for the run);
2. first-order backward single-threaded: ``Value.backward`` (the fast pass, holding ``_SLOTS``, the lock of the
   nodes' δ slots; its inf/NaN test adds up the δ of the leaves as the pass reaches them) against the same pass
   with the lock swapped for a no-op; and
   that sum alone, over the same leaves;
3. compiled forward + backward of a 784-64-10 batch of 256: the whole-block ``isfinite`` tests alone, as a share.

Run: ``python -m benchmarks reliability`` or ``python -m benchmarks.bench_reliability``.
"""

from __future__ import annotations

import contextlib
import inspect
import operator
import textwrap
import time
from typing import Any

import numpy as np

import autograd
import autograd.value as value_module
from autograd import OPS, Value

from ._harness import environment, median, settle, table, time_interleaved
from .bench_core import build, mixed_plan

REPEATS = 15
SHAPE, BATCH = (784, 64, 10), 256  # the compiled network: MNIST-shaped
BAR = 1.10  # issue 15: single-threaded first-order backward at most 10% slower


def _unchecked_node_factory() -> Any:
    """``Value._node`` without its non-finite test: the construction as it was before the policy, compiled from
    ``Value._node``'s own source with the two lines of the test left out (so it writes a node's fields exactly
    as the engine does)."""
    source = textwrap.dedent(inspect.getsource(vars(Value)["_node"].__func__))
    test = ("if not -_MAX <= data <= _MAX", "raise _non_finite(")
    lines = [line for line in source.splitlines() if not line.strip().startswith(test)]
    if len(lines) != len(source.splitlines()) - 2:
        raise RuntimeError("bench_reliability: Value._node's non-finite test is not the two lines expected")
    namespace = dict(vars(value_module))
    exec("\n".join(lines[1:] if lines[0].startswith("@") else lines), namespace)
    function: Any = namespace["_node"]
    return function


class _NoLock:
    """A stand-in for ``autograd.value._SLOTS`` that is always free: the pass without its lock."""

    def acquire(self, blocking: bool = True) -> bool:
        return True

    def release(self) -> None:
        pass


@contextlib.contextmanager
def swapped(name: str, replacement: Any) -> Any:
    original = getattr(value_module, name)
    setattr(value_module, name, replacement)
    try:
        yield
    finally:
        setattr(value_module, name, original)


def forward_costs(plan: Any) -> dict[str, float]:
    unchecked = _unchecked_node_factory().__get__(Value)

    def build_by_node() -> None:  # the plan's graph, each node made by value_module._node as an op would
        nodes = [Value(x) for x in plan.leaves]
        for op, a, b in plan.steps:
            name = "add" if op is operator.add else "mul"
            x, y = nodes[a], nodes[b]
            nodes.append(value_module._node(OPS[name].forward(x.data, y.data), name, (x, y)))

    def checked_run() -> None:
        build_by_node()

    def unchecked_run() -> None:
        with swapped("_node", unchecked):
            build_by_node()

    times = time_interleaved({"checked": checked_run, "unchecked": unchecked_run}, REPEATS)
    return {name: median(t) for name, t in times.items()}


def backward_costs(plan: Any) -> dict[str, float]:
    graphs: dict[str, Any] = {}  # name -> the graph's output, then f"{name} time" -> its backward's seconds

    def run(name: str, lock: Any) -> None:
        out = graphs.pop(name)
        with swapped("_SLOTS", lock):
            start = time.process_time()
            out.backward()
            graphs[f"{name} time"] = time.process_time() - start

    times: dict[str, list[float]] = {"locked": [], "no lock": [], "δ sum": []}
    for rep in range(REPEATS + 1):
        for name, lock in (("locked", value_module._SLOTS), ("no lock", _NoLock())):
            graphs[name] = build(plan, Value)[0]
            run(name, lock)
            if rep:
                times[name].append(graphs.pop(f"{name} time"))
        leaves = [v for v in build(plan, Value)[0].walk() if not v.inputs]
        for v in leaves:
            v._delta = 0.5
        start = time.process_time()
        total = 0.0
        for v in leaves:
            total += v._delta
        if rep:
            times["δ sum"].append(time.process_time() - start)
    return {name: median(t) for name, t in times.items()}


def compiled_costs() -> dict[str, float]:
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = SHAPE
    W1 = [[Value(x) for x in row] for row in rng.normal(0, 0.05, (n_hidden, n_in))]
    W2 = [[Value(x) for x in row] for row in rng.normal(0, 0.1, (n_out, n_hidden))]

    def net(xs: list[Value]) -> list[Value]:
        h = [autograd.dot(w, xs).relu() for w in W1]
        return [autograd.dot(w, h) for w in W2]

    graph = autograd.compile(net, n_in)
    X = rng.random((BATCH, n_in))

    def step() -> None:
        graph.forward(X)
        graph.parameter_gradients(np.ones((BATCH, n_out)))

    graph.forward(X)
    replay = graph._replay
    if replay is None:
        raise RuntimeError("autograd.compile's graph kept no replay of its forward pass")
    blocks = list(replay.all_values())  # every value block of the last forward, as forward tests them

    def isfinite_tests() -> None:
        np.isfinite(X).all()
        all(np.isfinite(b).all() for b in blocks)

    tests = {"step": step, "isfinite tests": isfinite_tests}
    times = time_interleaved(tests, REPEATS, collect=False)  # the 50k parameter Values would dominate gc.collect()
    return {name: median(t) for name, t in times.items()}


def main() -> None:
    settle()
    print(f"bench_reliability · {environment()}")
    print("CPU time of this process, medians of interleaved runs (GC on, each run followed by gc.collect()).\n")
    plan = mixed_plan()
    n = plan.n_nodes
    fwd = forward_costs(plan)
    bwd = backward_costs(plan)
    rows = [
        ["forward, with the inf/NaN test", f"{fwd['checked'] * 1e3:.1f}", f"{fwd['checked'] / n * 1e9:.0f}", ""],
        [
            "forward, test taken out",
            f"{fwd['unchecked'] * 1e3:.1f}",
            f"{fwd['unchecked'] / n * 1e9:.0f}",
            f"checked/unchecked = {fwd['checked'] / fwd['unchecked']:.3f}",
        ],
        ["backward (lock + δ test)", f"{bwd['locked'] * 1e3:.1f}", f"{bwd['locked'] / n * 1e9:.0f}", ""],
        [
            "backward, lock taken out",
            f"{bwd['no lock'] * 1e3:.1f}",
            f"{bwd['no lock'] / n * 1e9:.0f}",
            f"locked/unlocked = {bwd['locked'] / bwd['no lock']:.3f}",
        ],
        [
            "the δ test alone (the leaves' sum)",
            f"{bwd['δ sum'] * 1e3:.2f}",
            f"{bwd['δ sum'] / n * 1e9:.0f}",
            f"share of backward = {bwd['δ sum'] / bwd['locked']:.1%}",
        ],
    ]
    print(f"Scalar engine, mixed graph of {n:,} nodes:")
    print(table(["what", "ms", "ns/node", ""], rows))
    comp = compiled_costs()
    shape = "-".join(map(str, SHAPE))
    print(f"\nCompiled {shape}, batch {BATCH}, forward + parameter gradients (CPU time; BLAS threads counted):")
    print(
        table(
            ["what", "ms", "share"],
            [
                ["step", f"{comp['step'] * 1e3:.2f}", ""],
                [
                    "whole-block isfinite tests",
                    f"{comp['isfinite tests'] * 1e3:.3f}",
                    f"{comp['isfinite tests'] / comp['step']:.1%}",
                ],
            ],
        )
    )
    # before/after of the whole backward: the lock and the δ test are the only additions to the pass
    overhead = (bwd["locked"]) / (bwd["no lock"] - bwd["δ sum"])
    verdict = "PASS" if overhead <= BAR else "FAIL"
    print(f"\nBackward with lock + δ test vs the pass without either: {overhead:.3f}x (bar {BAR:.2f}x): {verdict}")


if __name__ == "__main__":
    main()
