"""viz.derivation: every node's δ written out as Σ δ(reader)·∂reader/∂node, checked against the engine's backward."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

import autograd
import viz
from autograd import OPS, Value
from autograd.registry import BINARY, UNARY

N_GRAPHS = 200


def apply(name: str, args: list[Value], rng: np.random.Generator) -> Value:
    """Op ``name`` of autograd.OPS on ``args``, through the public surface that records it."""
    op = OPS[name]
    if name == "powc":
        return args[0] ** float(rng.choice([2.0, 3.0, -1.0, 0.5]))
    if op.arity == UNARY:
        method: Callable[..., Value] = getattr(Value, name, None) or getattr(Value, f"__{name}__")
        return method(args[0])
    if op.arity == BINARY:
        return getattr(Value, f"__{ {'div': 'truediv'}.get(name, name) }__")(args[0], args[1])
    fn = getattr(autograd, name)
    if name == "dot":
        half = len(args) // 2
        return fn(args[:half], args[half : 2 * half], args[-1] if len(args) % 2 else None)
    return fn(args)


def arity(name: str, rng: np.random.Generator) -> int:
    a = OPS[name].arity
    return 1 if a == UNARY else 2 if a == BINARY else int(rng.integers(2, 6))


def random_graph(rng: np.random.Generator, ops: list[str]) -> tuple[Value, list[Value]] | None:
    """A random DAG over the op table's ops: operands drawn with replacement (so ``a + a`` and shared nodes occur),
    the output the sum of the nodes nobody read. None when the draw left every op's domain."""
    nodes = [Value(float(x), label=f"x{i}") for i, x in enumerate(rng.uniform(-1.5, 1.5, rng.integers(1, 5)))]
    for _ in range(int(rng.integers(2, 12))):
        name = str(rng.choice(ops))
        operands = [nodes[int(i)] for i in rng.integers(0, len(nodes), arity(name, rng))]
        try:
            out = apply(name, operands, rng)
        except (ArithmeticError, ValueError):
            continue
        if abs(out.data) < 1e6:
            nodes.append(out)
    read = {id(x) for v in nodes for x in v.inputs}
    sinks = [v for v in nodes if id(v) not in read and v.inputs] or [nodes[-1]]
    root = autograd.sum(sinks) if len(sinks) > 1 else sinks[0]
    try:
        root.backward()
    except (ArithmeticError, ValueError):
        return None
    return root, nodes


def test_every_node_of_200_random_graphs_matches_the_engines_delta() -> None:
    rng = np.random.default_rng(25)
    ops = sorted(OPS)
    graphs, used, read_twice, by_one_reader = 0, Counter[str](), 0, 0
    while graphs < N_GRAPHS:
        drawn = random_graph(rng, ops)
        if drawn is None:
            continue
        root, _ = drawn
        graphs += 1
        found = viz.derivations(root)
        assert set(found) == set(root.walk())
        for v, d in found.items():
            used[v.op] += 1
            assert math.isclose(d.delta, v.grad, rel_tol=1e-12, abs_tol=1e-12), (str(d), v.grad)
            if d.is_output:
                assert d.delta == 1.0 and not d.terms
                continue
            # the written sum is the sum of its written terms, one per edge into a reader
            edges = [(c, i) for c in root.walk() for i, x in enumerate(c.inputs) if x is v]
            assert sorted((id(t.reader), t.position) for t in d.terms) == sorted((id(c), i) for c, i in edges)
            assert math.isclose(math.fsum(t.value for t in d.terms), v.grad, rel_tol=1e-9, abs_tol=1e-12), (
                f"{d}: terms add to {math.fsum(t.value for t in d.terms)}, engine δ {v.grad}"
            )
            for t in d.terms:
                assert math.isclose(t.reader_delta, t.reader.grad, rel_tol=1e-12, abs_tol=1e-12)
            readers = Counter(id(t.reader) for t in d.terms)
            read_twice += any(n > 1 for n in readers.values())
            by_one_reader += len(d.terms) > 1
            assert d.text().endswith(f"= {viz.format_number(v.grad)}") or d.text().endswith(
                f"= {viz.format_number(d.delta)}"
            )
            assert len(d.symbols()) == len(d.terms)
    assert set(OPS) <= set(used), f"ops never drawn: {set(OPS) - set(used)}"
    assert read_twice >= 20 and by_one_reader >= 100, (read_twice, by_one_reader)


def test_a_plus_a_shows_each_contribution_arriving() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    c = b * a
    c.label = "c"
    c.backward()
    d = viz.derivation(a, c)
    assert d.delta == a.grad == 12.0
    assert [(t.reader.label, t.position) for t in d.terms] == [("c", 1), ("b", 0), ("b", 1)]
    assert str(d) == (
        "δ(a) = δ(c)·∂c/∂a + δ(b)·∂b/∂a (input 1) + δ(b)·∂b/∂a (input 2)"
        " = 1.0000·6.0000 + 3.0000·1.0000 + 3.0000·1.0000 = 12.0000"
    )
    assert len({t.edge for t in d.terms}) == 3
    assert d.terms[1].edge == viz.edge_name(b, 0) and d.terms[2].edge == viz.edge_name(b, 1)


def test_the_issue_example_in_text_latex_and_mathml() -> None:
    a = Value(2.0, label="a")
    c = a + 0.0
    c.label = "c"
    b = a * 1.0
    b.label = "b"
    out = 0.5 * b + 0.5 * c  # backward reaches b first (made last): terms come in the order they arrive
    d = viz.derivation(a, out, precision=1)
    assert str(d) == "δ(a) = δ(b)·∂b/∂a + δ(c)·∂c/∂a = 0.5·1.0 + 0.5·1.0 = 1.0"
    assert d.latex() == (
        r"\delta(\mbox{a}) = \delta(\mbox{b})\cdot\frac{\partial \mbox{b}}{\partial \mbox{a}} + "
        r"\delta(\mbox{c})\cdot\frac{\partial \mbox{c}}{\partial \mbox{a}} = 0.5\cdot1.0 + 0.5\cdot1.0 = 1.0"
    )
    math_el = ET.fromstring(d.html())
    assert math_el.tag == "math" and math_el.get("display") == "block"
    terms = [el for el in math_el.iter("mrow") if el.get("class") == "term"]
    assert [t.get("data-edge") for t in terms] == [viz.edge_name(b, 0), viz.edge_name(c, 0)] * 2
    numbers = [n.text for n in math_el.iter("mn")]
    assert numbers == ["0.5", "1.0", "0.5", "1.0", "1.0"]
    assert d._repr_html_() == d.html() and d._repr_latex_() == f"$${d.latex()}$$"


def test_the_output_and_a_node_without_a_path() -> None:
    x = Value(0.0, label="x")
    y = x.relu()  # δ(y) = 1, ∂relu/∂x at 0 is 0
    assert str(viz.derivation(y, y)) == "δ(relu) = 1.0000 (the seed, ∂output/∂output)"
    assert viz.derivation(x, y).delta == 0.0
    with pytest.raises(ValueError, match="not in the graph"):
        viz.derivation(Value(1.0), y)
    with pytest.raises(TypeError, match="derivation: node and root must be Values"):
        viz.derivation(x, 3.0)  # type: ignore[arg-type]


def test_display_names_tell_every_node_apart() -> None:
    x = Value(1.0)
    w = Value(2.0, label="w")
    w2 = Value(3.0, label="w")
    y = (x * w * w2 * 2 + x * 2).tanh()
    names = viz.display_names(y)
    assert len(set(names.values())) == len(names) == len(y.walk())
    assert names[w] == "w#1" and names[w2] == "w#2" and names[x] == "input"
    assert sorted(n for n in names.values() if n.startswith("mul")) == ["mul_1", "mul_2", "mul_3", "mul_4"]


def test_step_captions_name_each_node_unambiguously() -> None:
    x = Value(1.5, label="x")
    y = x * 2 * 3
    steps = viz.backward_steps(y)
    heads = [re.match(r"step \d+: (δ\([^)]*\))", f.caption)[1] for f in steps]  # type: ignore[index]
    assert len(set(heads)) == len(heads), heads
    assert "δ(mul_1)" in heads and "δ(mul_2)" in heads
    walked = viz.walk_steps(y, y.walk())
    assert len({f.caption.split(" passes")[0].split(",")[0].split(": ")[1] for f in walked}) == len(walked)


def test_mid_pass_derivations_equal_the_engines_grad_after_each_step() -> None:
    """At every frame of backward_steps, every node's derivation so far sums to what ``.grad`` holds when the
    engine's own chain-rule steps (``_backward``) have run for the frames up to it, term by term."""
    rng = np.random.default_rng(2025)
    ops = sorted(OPS)
    graphs, partial = 0, 0
    while graphs < 40:
        drawn = random_graph(rng, ops)
        if drawn is None:
            continue
        root, _ = drawn
        graphs += 1
        steps = viz.backward_steps(root, width=None)
        order = [frame.node for frame in steps]
        assert order == root.walk()
        for v in order:
            v.grad = 0.0
        root.grad = 1.0
        for k, v in enumerate(order):
            if v.grad != 0.0:  # backward's rule: a node whose δ is 0 passes nothing on
                v._backward()
            for x in order:
                d = steps.derivation(x, k)
                assert math.isclose(d.delta, x.grad, rel_tol=1e-12, abs_tol=1e-12), (k, str(d), x.grad)
                done = [t.reader for t in d.terms]
                assert all(order.index(c) <= k for c in done) and all(order.index(t.reader) > k for t in d.pending)
                if d.pending:
                    partial += 1
                    n = len(d.terms) + len(d.pending)
                    assert d.text().endswith(f"so far ({len(d.terms)} of {n} terms arrived)")
                    assert d.html().count('class="term pending"') == 2 * len(d.pending)
        for x in order:  # after the last frame: the complete derivations
            assert steps.derivation(x).complete and steps.derivation(x).text() == viz.derivation(x, root).text()
    assert partial >= 100, partial


def test_so_far_refuses_a_count_it_does_not_have() -> None:
    a = Value(3.0, label="a")
    d = viz.derivation(a, a * a)
    assert d.so_far(2) is d and d.so_far(0).delta == 0.0 and len(d.so_far(1).pending) == 1
    for bad in (-1, 3, 1.0, True):
        with pytest.raises(ValueError, match="so_far"):
            d.so_far(bad)
