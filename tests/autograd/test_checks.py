"""check_op and check_backward: every right answer passes, every seeded mistake is found and named."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import pytest

import autograd
from autograd import Value, local_grads
from autograd.checks import MISTAKES
from autograd.testing import OpCase, op_cases

# ----------------------------------------------------------------------------- check_op, pair form
RIGHT_PAIRS = {  # pairs as a learner writes them, with the derivative from the input or from the output
    "tanh": (math.tanh, lambda x, out: 1 - out**2),
    "log": (math.log, lambda x: 1 / x),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
}


def torch_pair(case: OpCase) -> tuple[Callable[..., float], Callable[..., Any]]:
    """A right (forward, derivative) pair written independently of deltagrad: the op's PyTorch function and
    torch.autograd's derivative of it."""
    torch = pytest.importorskip("torch")

    def forward(*xs: float) -> float:
        return float(case.torch_apply(torch, [torch.tensor(x, dtype=torch.float64) for x in xs]))

    def derivative(*xs: float) -> Any:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        grads = [float(g) for g in torch.autograd.grad(case.torch_apply(torch, ts), ts)]
        return grads[0] if len(grads) == 1 else tuple(grads)

    return forward, derivative


@pytest.mark.parametrize("case", [c for c in op_cases() if c.op.arity in (1, 2) and c.param is None], ids=str)
def test_right_pairs_pass(case: OpCase) -> None:
    """Every unary and binary op of the table, checked by name against a right pair from PyTorch."""
    report = autograd.check_op(torch_pair(case), case.op.name, points=case.points())
    assert report.passed, str(report)
    assert report.forward_ok and report.derivative_ok and report.mistake is None
    assert str(report).startswith("✓ check_op")


def test_awkward_points_are_checked_and_domain_is_respected() -> None:
    report = autograd.check_op(RIGHT_PAIRS["log"], "log")
    checked = {r.point[0] for r in report.forward_results}
    assert 1e-3 in checked and 100.0 in checked
    assert all(x > 0 for x in checked) and (0.0,) in report.skipped and (-1.0,) in report.skipped
    tanh = autograd.check_op(RIGHT_PAIRS["tanh"], "tanh")
    checked = {r.point[0] for r in tanh.forward_results}
    assert {0.0, -100.0, 100.0, -1e-3} <= checked


@pytest.mark.parametrize(
    ("name", "pair", "mistake"),
    [
        ("tanh", (math.tanh, lambda x, out: 1 - x**2), "input_for_output"),
        (
            "sigmoid",
            (lambda x: 1 / (1 + math.exp(-x)) if x > -700 else 0.0, lambda x, out: x * (1 - x)),
            "input_for_output",
        ),
        ("exp", (math.exp, lambda x, out: x), "input_for_output"),
        ("log", (math.log, lambda x, out: 1 / out), "output_for_input"),
        ("exp", (math.exp, lambda x: -math.exp(x)), "sign"),
        ("cos", (math.cos, lambda x: math.sin(x)), "sign"),
    ],
)
def test_pair_mistakes_are_named(name: str, pair: tuple[Callable, Callable], mistake: str) -> None:
    report = autograd.check_op(pair, name)
    assert not report.passed and report.forward_ok and not report.derivative_ok
    assert report.mistake == mistake
    text = str(report)
    assert MISTAKES[mistake] in text and "worst derivative point" in text
    assert autograd.OPS[name].doc in text  # the expected formula


def test_wrong_forward_reports_the_worst_point() -> None:
    report = autograd.check_op((lambda x: x - x**3 / 3, lambda x, out: 1 - out**2), "tanh")
    assert not report.forward_ok
    worst = report.worst_forward
    assert worst is not None and abs(worst.point[0]) == 100.0
    assert "worst forward point: x = " in str(report)


def test_learner_exceptions_are_reported_per_point() -> None:
    naive_tanh = lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    report = autograd.check_op((naive_tanh, lambda x, out: 1 - out**2), "tanh", points=[0.5, 400.0])
    assert not report.forward_ok
    assert report.worst_forward is not None and report.worst_forward.point == (400.0,)
    assert "OverflowError" in str(report)


def test_callable_references_on_values_and_on_floats() -> None:
    on_values = autograd.check_op(RIGHT_PAIRS["tanh"], lambda x: x.tanh())
    on_floats = autograd.check_op(RIGHT_PAIRS["tanh"], math.tanh)
    assert on_values.passed and on_floats.passed, (str(on_values), str(on_floats))
    wrong = autograd.check_op((math.tanh, lambda x: 1 - x**2), math.tanh)
    assert not wrong.passed and not wrong.derivative_ok
    binary = autograd.check_op(
        (math.hypot, lambda a, b, out: (a / out, b / out)), math.hypot, points=[(3.0, 4.0), (-1.0, 2.0)]
    )
    assert binary.passed, str(binary)


def test_check_op_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="no op named 'tanhh'"):
        autograd.check_op(RIGHT_PAIRS["tanh"], "tanhh")
    with pytest.raises(TypeError, match="pair form"):
        autograd.check_op((math.tanh,), "tanh")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a parameter"):
        autograd.check_op(RIGHT_PAIRS["relu"], "leaky_relu")
    with pytest.raises(ValueError, match="outside log's domain"):
        autograd.check_op(RIGHT_PAIRS["log"], "log", points=[-1.0, 0.0])


def test_op_report_displays_as_html() -> None:
    report = autograd.check_op((math.tanh, lambda x, out: 1 - x**2), "tanh")
    page = report._repr_html_()
    assert page.startswith('<div class="deltagrad-check">') and "<table>" in page
    assert "uses the input where it needs the output" in page


# ----------------------------------------------------------------------------- check_backward
def _topo(out: Value, children: Callable[[Value], Iterable[Value]] = lambda v: v.inputs) -> list[Value]:
    """A topological order (inputs first), built with an explicit stack."""
    topo: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(out, False)]
    while stack:
        v, done = stack.pop()
        if done:
            topo.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((x, False) for x in children(v))
    return topo


def _apply(v: Value, assign: bool = False) -> None:
    """One node's chain-rule step from its .grad into its inputs' .grad."""
    for x, d in zip(v.inputs, local_grads(v)):
        x.grad = v.grad * d if assign else x.grad + v.grad * d


def right_backward(out: Value) -> None:
    out.grad = 1.0
    for v in reversed(_topo(out)):
        _apply(v)


def recursive_topo(visited: bool) -> Callable[[Value], None]:
    """micrograd's build_topo, recursive, with or without its visited set; then one step per entry, reversed."""

    def backward(out: Value) -> None:
        topo: list[Value] = []
        seen: set[Value] = set()

        def build(v: Value) -> None:
            if v not in seen:
                if visited:
                    seen.add(v)
                for child in set(v.inputs):
                    build(child)
                topo.append(v)

        build(out)
        out.grad = 1.0
        for v in reversed(topo):
            _apply(v)

    return backward


def recursive_push_backward(out: Value) -> None:
    def visit(v: Value) -> None:
        _apply(v)
        for child in v.inputs:
            visit(child)

    out.grad = 1.0
    visit(out)


def breadth_first_backward(out: Value) -> None:
    out.grad = 1.0
    queue, seen = [out], {out}
    while queue:
        v = queue.pop(0)
        _apply(v)
        for x in v.inputs:
            if x not in seen:
                seen.add(x)
                queue.append(x)


def not_reversed_backward(out: Value) -> None:
    out.grad = 1.0
    for v in _topo(out):
        _apply(v)


def assigning_backward(out: Value) -> None:
    out.grad = 1.0
    for v in reversed(_topo(out)):
        _apply(v, assign=True)


def unseeded_backward(out: Value) -> None:
    for v in reversed(_topo(out)):
        _apply(v)


@pytest.mark.parametrize("backward", [right_backward, lambda out: out.backward()], ids=["by hand", "engine"])
def test_right_backward_passes_every_graph(backward: Callable[[Value], None]) -> None:
    report = autograd.check_backward(backward)
    assert report.passed, str(report)
    assert [r.graph for r in report.results] == [
        "chain",
        "diamond",
        "a + a",
        "shared subexpressions",
        "deep chain",
        "mlp",
    ]
    assert report.mistake is None and str(report).startswith("✓ check_backward")


@pytest.mark.parametrize(
    ("backward", "mistake", "failing"),
    [
        (recursive_topo(visited=True), "recursion_depth", {"deep chain"}),
        (recursive_topo(visited=False), "double_count", {"diamond", "shared subexpressions", "mlp", "deep chain"}),
        (recursive_push_backward, "double_count", {"diamond", "a + a", "shared subexpressions", "mlp", "deep chain"}),
        (breadth_first_backward, "no_topological_order", {"shared subexpressions", "mlp"}),
        (not_reversed_backward, "no_topological_order", None),
        (assigning_backward, "missing_accumulation", {"diamond", "a + a", "shared subexpressions", "mlp"}),
        (unseeded_backward, "unseeded", None),
    ],
)
def test_backward_bugs_are_named(backward: Callable[[Value], None], mistake: str, failing: set[str] | None) -> None:
    report = autograd.check_backward(backward)
    assert not report.passed
    assert report.mistake == mistake, str(report)
    failed = {r.graph for r in report.results if not r.passed}
    assert failed == (failing if failing is not None else {r.graph for r in report.results})
    text = str(report)
    assert MISTAKES[mistake] in text
    assert "first failing graph" in text


def test_first_wrong_node_has_its_chain_rule_step() -> None:
    report = autograd.check_backward(assigning_backward)
    diamond = next(r for r in report.results if r.graph == "diamond")
    assert diamond.wrong_node == "s"  # s feeds p and q: the overwrite keeps only one of the two terms
    assert diamond.step.startswith("δ(s) = δ(q)·∂q/∂s + δ(p)·∂p/∂s = ")
    assert math.isclose(diamond.expected, float(diamond.step.rsplit("= ", 1)[1]), rel_tol=1e-5)
    assert f"your backward gave {diamond.got:.6g}" in str(report)


def test_backward_that_raises_is_reported() -> None:
    def broken(out: Value) -> None:
        raise KeyError("oops")

    report = autograd.check_backward(broken)
    assert not report.passed and report.mistake is None
    assert all(r.error == "KeyError: 'oops'" for r in report.results)
    with pytest.raises(TypeError, match="check_backward"):
        autograd.check_backward(42)  # type: ignore[arg-type]


def test_reports_print_whole_and_repr_short() -> None:
    report = autograd.check_backward(assigning_backward)
    assert repr(report).startswith("<BackwardReport: failed: wrong on 4 of 6 graphs")
    shown: list[str] = []
    report._repr_pretty_(SimpleNamespace(text=shown.append), False)  # IPython's plain-text display
    assert shown == [str(report)]


# ----------------------------------------------------------------------------- micrograd-style code (issue 11)
def closure_op(
    forward: Callable[[float], float],
    local: Callable[[Value, Value], float],
    *,
    assign: bool = False,
    upstream: bool = True,
) -> Callable[[Value], Value]:
    """A unary op written the micrograd way: Value(t, (self,), 'op') and an _backward closure, with optional slips."""

    def op(self: Value) -> Value:
        out = Value(forward(self.data), (self,), "op")

        def _backward() -> None:
            step = local(self, out) * (out.grad if upstream else 1.0)
            self.grad = step if assign else self.grad + step

        out._backward = _backward
        return out

    return op


def lecture_tanh(self: Value) -> Value:
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def closure_mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


@pytest.mark.parametrize(
    ("op", "reference"),
    [
        (lecture_tanh, "tanh"),
        (closure_op(math.exp, lambda x, out: out.data), "exp"),
        (closure_op(math.log, lambda x, out: 1 / x.data), "log"),
        (closure_mul, "mul"),
        (closure_mul, lambda a, b: a * b),
    ],
)
def test_right_closure_ops_pass(op: Callable[..., Value], reference: str | Callable[..., Value]) -> None:
    report = autograd.check_op(op, reference)
    assert report.passed, str(report)
    assert report.form == "closure"


@pytest.mark.parametrize(
    ("op", "reference", "mistake"),
    [
        (closure_op(math.tanh, lambda x, out: 1 - out.data**2, assign=True), "tanh", "overwrite"),
        (closure_op(math.tanh, lambda x, out: 1 - out.data**2, upstream=False), "tanh", "missing_upstream"),
        (closure_op(math.tanh, lambda x, out: 1 - x.data**2), "tanh", "input_for_output"),
        (closure_op(math.exp, lambda x, out: x.data), "exp", "input_for_output"),
        (closure_op(math.log, lambda x, out: 1 / out.data if out.data else math.inf), "log", "output_for_input"),
        (closure_op(math.sin, lambda x, out: -math.cos(x.data)), "sin", "sign"),
    ],
)
def test_closure_mistakes_are_named(op: Callable[[Value], Value], reference: str, mistake: str) -> None:
    report = autograd.check_op(op, reference)
    assert not report.passed and not report.derivative_ok
    assert report.mistake == mistake, str(report)
    assert MISTAKES[mistake] in str(report)


def test_closure_op_returning_a_float_is_reported() -> None:
    report = autograd.check_op(lambda x: math.tanh(x.data), "tanh")
    assert not report.passed and "returned float, not a Value" in str(report)


def micrograd_backward(visited: bool = True, seed: bool = True, reverse: bool = True, recursive: bool = False):
    """A learner's backward in micrograd's words (v._prev, v._backward()), with the slips it can have."""

    def backward(root: Value) -> None:
        topo: list[Value] = []
        seen: set[Value] = set()
        if recursive:

            def build(v: Value) -> None:
                if v not in seen:
                    if visited:
                        seen.add(v)
                    for child in v._prev:
                        build(child)
                    topo.append(v)

            build(root)
        else:
            topo = _topo(root, lambda v: v._prev)
        if seed:
            root.grad = 1.0
        for v in reversed(topo) if reverse else topo:
            v._backward()

    return backward


def test_micrograd_style_backward_passes() -> None:
    report = autograd.check_backward(micrograd_backward())
    assert report.passed, str(report)


@pytest.mark.parametrize(
    ("backward", "mistake"),
    [
        (micrograd_backward(recursive=True), "recursion_depth"),
        (micrograd_backward(recursive=True, visited=False), "double_count"),
        (micrograd_backward(seed=False), "unseeded"),
        (micrograd_backward(reverse=False), "no_topological_order"),
    ],
)
def test_micrograd_style_backward_bugs_are_named(backward: Callable[[Value], None], mistake: str) -> None:
    report = autograd.check_backward(backward)
    assert report.mistake == mistake, str(report)


def test_exercise_notebook_checks_every_solution() -> None:
    """notebooks/11_exercises_solutions: each answer (tag ``solution``) is followed by a check and its assert."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "11_exercises_solutions.ipynb"
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    tagged = [i for i, c in enumerate(cells) if "solution" in c["metadata"].get("tags", [])]
    answers = [i for i in tagged if "assert" not in "".join(cells[i]["source"])]
    assert len(answers) == 6
    for i in answers:
        check, verdict = "".join(cells[i + 1]["source"]), "".join(cells[i + 2]["source"])
        assert "check_" in check and "assert" not in check, check  # the check: in the student version too
        assert i + 2 in tagged and "assert" in verdict and "passed" in verdict, verdict


@pytest.mark.parametrize(
    ("assign", "upstream", "mistake"), [(True, True, "overwrite"), (False, False, "missing_upstream")]
)
def test_binary_closure_mistakes_are_named(assign: bool, upstream: bool, mistake: str) -> None:
    def mul(self: Value, other: Value) -> Value:
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            g = out.grad if upstream else 1.0
            for x, d in ((self, other.data), (other, self.data)):
                x.grad = d * g if assign else x.grad + d * g

        out._backward = _backward
        return out

    report = autograd.check_op(mul, "mul")
    assert report.mistake == mistake, str(report)
    assert report.forward_ok and not report.derivative_ok


# ----------------------------------------------------------------------------- an exercise's blank template
def _blank_derivative(x, out): ...


def _blank_op(self):
    """Write tanh the micrograd way."""


def _blank_backward(root):
    pass


def test_a_blank_template_is_reported_as_not_written_without_giving_the_answer_away() -> None:
    for report, what in (
        (autograd.check_op((math.tanh, _blank_derivative), "tanh"), "_blank_derivative"),
        (autograd.check_op(_blank_op, "tanh"), "_blank_op"),
        (autograd.check_backward(_blank_backward), "backward"),
    ):
        text = str(report)
        assert not report.passed and report.mistake == "not_written", text
        assert "not written yet" in text.splitlines()[0] and what in text.splitlines()[0]
        assert "to do: replace the `...` with your code" in text
        assert "tanh²" not in text and "1 - " not in text and "expected" not in text  # no formula, no numbers
        assert "not written yet" in report._repr_html_()


def test_blank_means_an_empty_body_only() -> None:
    from autograd.checks import is_blank

    def written(x, out):
        return out

    def raises(x, out):
        raise NotImplementedError

    assert [is_blank(f) for f in (_blank_derivative, _blank_op, _blank_backward)] == [True] * 3
    assert [is_blank(f) for f in (written, raises, math.tanh, print)] == [False] * 4
    assert is_blank(lambda x: None)  # returns None straight away, as an empty body does
    report = autograd.check_op((math.tanh, raises), "tanh")  # written, just wrong: the usual report
    assert report.mistake is None and "raised NotImplementedError" in str(report)
