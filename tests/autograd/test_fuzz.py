"""Property-based fuzzers: random graphs (DAGs with shared nodes) checked against PyTorch 2.13.0 and across modes.

A *program* is a list of steps over a growing list of nodes: each step applies one op to nodes drawn
from those already built (so a node can feed several others), and the output is a weighted sum of the
nodes nothing else read. The same program runs on deltagrad Values and on torch float64 tensors:

* first order: ``backward()`` against ``torch.autograd``;
* second order: ``autograd.hessian`` against ``torch.autograd.functional.hessian``;
* compiled vs scalar: ``autograd.compile`` replayed over a random batch against the scalar engine,
  outputs and parameter and input gradients;
* forward mode: ``autograd.jvp`` against ``torch.func.jvp`` and ``autograd.jacobian`` (both modes) against
  ``torch.autograd.functional.jacobian``, first order and second (``jvp`` of ``grad``, Jacobians of Jacobians).

The examples are derandomized (a fixed seed: CI sees the same graphs every run) and bounded; set
``DELTAGRAD_FUZZ_EXAMPLES`` to a larger number for a deeper local run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.compiled import array_rule_error
from autograd.registry import BINARY, NARY, OFF_KINK, POSITIVE, REAL, UNARY, Op
from autograd.testing import OpCase, op_cases

torch = pytest.importorskip("torch")

SCALE = int(os.environ.get("DELTAGRAD_FUZZ_EXAMPLES", "1"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# ------------------------------------------------------------------ the op menu
# Every op of the live table autograd.OPS (once per declared test parameter): each operand is mapped into the
# op's declared test domain, lo + (hi - lo)·σ(x) on an interval the program draws, so a graph never leaves an
# op's domain nor sits on a kink; plus operator forms (powers and reflected operators with numbers).
TABLE = {case.name: case for case in op_cases()}
FORMS: dict[str, Callable[[Any], Any]] = {
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "rsqrt3": lambda x: (x * x + 1.0) ** -1.5,
    "rsub": lambda x: 1.5 - x,
    "rdiv": lambda x: 2.0 / (x * x + 1.0),
    "affine": lambda x: x * 0.7 + 0.2,
}
OURS = SimpleNamespace(sigmoid=Value.sigmoid, sum=autograd.sum, apply=lambda case, xs: case.apply(xs))
TORCH = SimpleNamespace(
    sigmoid=torch.sigmoid,
    sum=lambda xs: torch.stack(list(xs)).sum(),
    apply=lambda case, ts: case.torch_apply(torch, ts),
)
EDGE = 1e-6  # a mapped operand this close to an interval's end (an integer exponent, a kink) is rejected


def arity(name: str) -> int:
    return 1 if name in FORMS else TABLE[name].n_inputs


@dataclass(frozen=True)
class Step:
    op: str  # a case of TABLE or a form of FORMS
    operands: tuple[int, ...]
    intervals: tuple[int, ...]  # for a table op: which interval of each operand's region it is mapped into


@dataclass(frozen=True)
class Program:
    n_leaves: int
    steps: tuple[Step, ...]
    weights: tuple[float, ...]  # one per sink, in node order

    def apply(self, m: Any, step: Step, args: list[Any], seen: list[float] | None) -> Any:
        if step.op in FORMS:
            return FORMS[step.op](args[0])
        case = TABLE[step.op]
        mapped = []
        for x, region, k in zip(args, case.op.domain, step.intervals):
            lo, hi = region[k % len(region)]
            y = lo + (hi - lo) * m.sigmoid(x)
            if seen is not None:
                seen.append(min(float(y) - lo, hi - float(y)))
            mapped.append(y)
        return m.apply(case, mapped)

    def nodes(self, m: Any, leaves: Sequence[Any], seen: list[float] | None = None) -> list[Any]:
        nodes = list(leaves)
        for step in self.steps:
            nodes.append(self.apply(m, step, [nodes[i] for i in step.operands], seen))
        return nodes

    def run(self, m: Any, leaves: Sequence[Any], seen: list[float] | None = None) -> Any:
        """The program's output; ``seen`` collects each mapped operand's distance to its interval's ends."""
        nodes = self.nodes(m, leaves, seen)
        read = {i for step in self.steps for i in step.operands}
        sinks = [node for i, node in enumerate(nodes) if i not in read and i >= self.n_leaves]
        return m.sum([w * s for w, s in zip(self.weights, sinks)]) if len(sinks) > 1 else sinks[0] * self.weights[0]

    def outputs(self, m: Any, leaves: Sequence[Any]) -> list[Any]:
        """A vector-valued version: every computed node, each times its weight (for Jacobians)."""
        return [w * v for w, v in zip(self.weights, self.nodes(m, leaves)[self.n_leaves :])]


@st.composite
def programs(draw: st.DrawFn, ops: Sequence[str], max_leaves: int = 4, max_steps: int = 10) -> Program:
    n_leaves = draw(st.integers(1, max_leaves))
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        n_nodes = n_leaves + k
        op = draw(st.sampled_from(ops))
        n = arity(op)
        operand = st.integers(0, n_nodes - 1)
        operands = tuple(draw(st.lists(operand, min_size=n, max_size=n)))
        intervals = tuple(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
        steps.append(Step(op, operands, intervals))
    weights = tuple(
        draw(
            st.lists(
                st.sampled_from([1.0, -0.5, 2.0, 0.25]), min_size=n_leaves + len(steps), max_size=n_leaves + len(steps)
            )
        )
    )
    return Program(n_leaves, tuple(steps), weights)


def compiles(case: OpCase) -> bool:
    """Whether the compiled mode takes the op: its array rules agree with its float rules at a domain point."""
    point = case.points(1)[0]
    operands = [list(point)] if case.op.arity == NARY else list(point)
    return case.op.arity == NARY or array_rule_error(case.op, operands, case.param) is None


ALL_OPS = sorted([*TABLE, *FORMS])
COMPILABLE = sorted([*FORMS, *(name for name, case in TABLE.items() if compiles(case))])
INPUTS = st.floats(-2.0, 2.0)


def ours(program: Program, xs: Sequence[float]) -> tuple[Value, list[Value]]:
    """The program on fresh leaves; rejected (hypothesis.assume) if an operand lands at the end of its interval
    (a kink, an integer exponent: see EDGE) or a value leaves a sane range."""
    leaves = [Value(x) for x in xs]
    seen: list[float] = []
    try:
        out = program.run(OURS, leaves, seen)
    except (ArithmeticError, ValueError):
        assume(False)
    assume(all(distance > EDGE for distance in seen))
    assume(all(abs(v.data) < 1e6 for v in out.walk()))
    _stats()[0] += 1
    return out, leaves


# per test: [graphs built, comparisons, worst absolute error, worst error relative to the expected value]
STATS: dict[str, list[float]] = {}


def _stats() -> list[float]:
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]
    return STATS.setdefault(test, [0, 0, 0.0, 0.0])


def close(actual: Any, expected: Any, what: str) -> None:
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_allclose(a, e, rtol=1e-8, atol=1e-9, err_msg=what)
    stats = _stats()
    gap = np.abs(a - e)
    stats[1] += 1
    stats[2] = max(stats[2], float(gap.max(initial=0.0)))
    stats[3] = max(stats[3], float((gap / np.maximum(np.abs(e), 1e-6)).max(initial=0.0)))  # near 0: absolute


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    """With DELTAGRAD_FUZZ_EXAMPLES > 1 (``make fuzz``), a table of graphs, comparisons and worst errors per test."""
    yield
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if SCALE > 1 and terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown as it is written, not captured with the test
            terminal.write_line(f"\nfuzz report (DELTAGRAD_FUZZ_EXAMPLES={SCALE}): graphs, comparisons, worst errors")
            for test, (graphs, comparisons, worst, relative) in sorted(STATS.items()):
                terminal.write_line(
                    f"  {test:<72} {int(graphs):>7,} graphs {int(comparisons):>8,} comparisons  "
                    f"abs {worst:.1e}  rel {relative:.1e}"
                )


# ------------------------------------------------------------------ scalar engine vs torch
@fuzz(150)
@given(program=programs(ALL_OPS), data=st.data())
def test_random_graphs_first_order_match_torch(program: Program, data: st.DataObject) -> None:
    xs = data.draw(st.lists(INPUTS, min_size=program.n_leaves, max_size=program.n_leaves), label="xs")
    out, leaves = ours(program, xs)
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    expected = program.run(TORCH, ts)
    grads = torch.autograd.grad(expected, ts, allow_unused=True)
    close(out.data, expected.item(), f"forward of {program}")
    close([v.grad for v in leaves], [0.0 if g is None else g.item() for g in grads], f"gradient of {program}")


@fuzz(60)
@given(program=programs(ALL_OPS, max_leaves=3, max_steps=8), data=st.data())
def test_random_graphs_hessians_match_torch(program: Program, data: st.DataObject) -> None:
    xs = data.draw(st.lists(INPUTS, min_size=program.n_leaves, max_size=program.n_leaves), label="xs")
    ours(program, xs)  # rejects kinks and huge values first
    hessian = autograd.hessian(lambda leaves: program.run(OURS, leaves))(xs)
    expected = torch.autograd.functional.hessian(
        lambda t: program.run(TORCH, list(t.unbind())), torch.tensor(xs, dtype=torch.float64)
    )
    close(hessian, expected.numpy(), f"hessian of {program}")
    close(hessian, hessian.T, "symmetry")


# ------------------------------------------------------------------ compiled vs scalar
@fuzz(80)
@given(program=programs(COMPILABLE, max_leaves=4, max_steps=10), data=st.data())
def test_compiled_random_graphs_match_the_scalar_engine(program: Program, data: st.DataObject) -> None:
    """Leaves are split into batch inputs (placeholders) and parameters, at random."""
    n_inputs = data.draw(st.integers(1, program.n_leaves), label="n_inputs")
    params = [
        Value(x)
        for x in data.draw(
            st.lists(INPUTS, min_size=program.n_leaves - n_inputs, max_size=program.n_leaves - n_inputs), label="params"
        )
    ]
    rows = data.draw(
        st.lists(st.lists(INPUTS, min_size=n_inputs, max_size=n_inputs), min_size=1, max_size=5), label="rows"
    )
    seeds = data.draw(st.lists(st.sampled_from([1.0, -0.5, 2.0]), min_size=len(rows), max_size=len(rows)))
    expected_out, expected_param_grad, expected_input_grad = [], np.zeros(len(params)), []
    for row, seed in zip(rows, seeds):
        out, leaves = ours(program, [*row, *(p.data for p in params)])
        out.backward(seed)
        expected_out.append(out.data)
        expected_param_grad += [v.grad for v in leaves[n_inputs:]]
        expected_input_grad.append([v.grad for v in leaves[:n_inputs]])

    graph = autograd.compile(lambda xs: program.run(OURS, [*xs, *params]), n_inputs)
    close(graph.forward(np.array(rows)), expected_out, f"compiled forward of {program}")
    input_grad = graph.backward(np.array(seeds), input_grads=True)
    close([p.grad for p in params], expected_param_grad, f"compiled parameter gradients of {program}")
    close(input_grad, expected_input_grad, f"compiled input gradients of {program}")


# ------------------------------------------------------------------ forward mode vs torch
TANGENTS = st.floats(-1.5, 1.5)


def _tensors(xs: Sequence[float]) -> tuple[Any, ...]:
    return tuple(torch.tensor(x, dtype=torch.float64) for x in xs)


@fuzz(200)
@given(program=programs(ALL_OPS), data=st.data())
def test_random_graphs_forward_mode_matches_torch(program: Program, data: st.DataObject) -> None:
    """jvp against torch.func.jvp; the vector-valued program's Jacobian, forward and reverse, against torch's."""
    n = program.n_leaves
    xs = data.draw(st.lists(INPUTS, min_size=n, max_size=n), label="xs")
    ts = data.draw(st.lists(TANGENTS, min_size=n, max_size=n), label="tangents")
    ours(program, xs)  # rejects kinks and huge values first
    out, tangent = autograd.jvp(lambda *leaves: program.run(OURS, leaves), tuple(xs), tuple(ts))
    expected_out, expected_tangent = torch.func.jvp(lambda *t: program.run(TORCH, t), _tensors(xs), _tensors(ts))
    close(out, expected_out.item(), f"jvp primal of {program}")
    close(tangent, expected_tangent.item(), f"jvp tangent of {program}")
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.stack(program.outputs(TORCH, list(t.unbind()))), torch.tensor(xs, dtype=torch.float64)
    ).numpy()
    for mode in autograd.forward.MODES:
        J = autograd.jacobian(lambda leaves: program.outputs(OURS, leaves), mode=mode)(xs)
        close(J, expected, f"{mode} jacobian of {program}")


@fuzz(200)
@given(program=programs(ALL_OPS, max_leaves=3, max_steps=8), data=st.data())
def test_random_graphs_second_order_forward_mode_matches_torch(program: Program, data: st.DataObject) -> None:
    """Forward over reverse (jvp of grad: H·t) against torch.func's; Jacobians of Jacobians against torch's Hessian."""
    n = program.n_leaves
    xs = data.draw(st.lists(INPUTS, min_size=n, max_size=n), label="xs")
    ts = data.draw(st.lists(TANGENTS, min_size=n, max_size=n), label="tangents")
    ours(program, xs)  # rejects kinks and huge values first
    f = lambda leaves: program.run(OURS, leaves)  # noqa: E731
    g, Ht = autograd.jvp(autograd.grad(f), (xs,), (ts,))
    x = torch.tensor(xs, dtype=torch.float64)
    f_torch = lambda t: program.run(TORCH, list(t.unbind()))  # noqa: E731
    expected_g, expected_Ht = torch.func.jvp(torch.func.grad(f_torch), (x,), (torch.tensor(ts, dtype=torch.float64),))
    close(g, expected_g.numpy(), f"grad of {program}")
    close(Ht, expected_Ht.numpy(), f"jvp of grad (H·t) of {program}")
    expected_H = torch.autograd.functional.hessian(f_torch, x).numpy()
    forward_over_forward = autograd.jacobian(autograd.jacobian(f, mode="forward"), mode="forward")(xs)
    reverse_over_forward = autograd.jacobian(autograd.jacobian(f, mode="forward"), mode="reverse")(xs)
    close(forward_over_forward, expected_H, f"forward-over-forward Hessian of {program}")
    close(reverse_over_forward, expected_H, f"reverse-over-forward Hessian of {program}")


def test_the_menu_is_the_table_and_the_compiled_fuzzer_takes_every_op_it_can() -> None:
    """The menu is read from autograd.OPS; only Value ** Value (pow) is left out of the compiled fuzzer."""
    probe = [Value(0.3), Value(-0.7), Value(1.1), Value(0.4), Value(-1.2)]
    seen = set()
    built_in = [name for name in TABLE if name not in USER_OPS]
    for name in built_in:
        step = Step(name, tuple(range(arity(name))), (0,) * arity(name))
        out = Program(5, (step,), (1.0,)).run(OURS, probe)
        seen |= {v.op for v in out.walk()}
    assert set(autograd.OPS) <= seen, sorted(set(autograd.OPS) - seen)
    assert {TABLE[name].op.name for name in set(built_in) - set(COMPILABLE)} == {"pow"}


# ------------------------------------------------------------------ register_op'd ops, in every mode
# Declared the way a user would (numpy forwards, derivatives written with operators, so they run on floats,
# Values and arrays alike), registered for each example and removed after it: the table is left as found.
# Their cases carry a test domain and a PyTorch reference like the built-in ones.
USER_OPS = {
    "fuzz_atan": Op("fuzz_atan", "atan", UNARY, np.arctan, lambda x, out: 1.0 / (1.0 + x * x), "atan",
                    domain=(REAL,), torch="torch.atan"),
    "fuzz_softsign": Op("fuzz_softsign", "softsign", UNARY, lambda x: x / (1.0 + abs(x)),
                        lambda x, out: 1.0 / ((1.0 + abs(x)) * (1.0 + abs(x))), "softsign",
                        domain=(OFF_KINK,), torch="torch.nn.functional.softsign"),  # |x|: ∂² jumps at 0
    "fuzz_hypot": Op("fuzz_hypot", "hypot", BINARY, np.hypot, lambda a, b, out: (a / out, b / out), "hypot",
                     domain=(POSITIVE, REAL), torch="torch.hypot"),  # never at (0, 0), where hypot has no ∂
}  # fmt: skip
TABLE.update({name: OpCase(op, None) for name, op in USER_OPS.items()})
WITH_USER_OPS = [*ALL_OPS, *USER_OPS]
COMPILABLE_WITH_USER_OPS = [*COMPILABLE, *USER_OPS]


@contextmanager
def user_ops() -> Iterator[None]:
    for name, op in USER_OPS.items():
        autograd.register_op(name, op.forward, op.derivative)
    try:
        yield
    finally:
        for name in USER_OPS:
            del autograd.OPS[name]


@fuzz(100)
@given(program=programs(WITH_USER_OPS), data=st.data())
def test_random_graphs_with_registered_ops_first_order_match_torch(program: Program, data: st.DataObject) -> None:
    with user_ops():
        test_random_graphs_first_order_match_torch.hypothesis.inner_test(program, data)


@fuzz(40)
@given(program=programs(WITH_USER_OPS, max_leaves=3, max_steps=8), data=st.data())
def test_random_graphs_with_registered_ops_hessians_match_torch(program: Program, data: st.DataObject) -> None:
    with user_ops():
        test_random_graphs_hessians_match_torch.hypothesis.inner_test(program, data)


@fuzz(50)
@given(program=programs(COMPILABLE_WITH_USER_OPS, max_leaves=4, max_steps=10), data=st.data())
def test_compiled_random_graphs_with_registered_ops_match_the_scalar_engine(
    program: Program, data: st.DataObject
) -> None:
    with user_ops():
        test_compiled_random_graphs_match_the_scalar_engine.hypothesis.inner_test(program, data)
