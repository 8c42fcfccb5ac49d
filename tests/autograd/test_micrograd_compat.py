"""Code written for micrograd runs on deltagrad with only the import changed, giving micrograd's numbers.

Each test writes one pattern of karpathy/micrograd's test_engine.py, of the nn-zero-to-hero lecture and
its trace_graph notebook, or of EurekaLabsAI/micrograd, as a function of the ``Value`` class, and runs it
on deltagrad's ``Value`` and on micrograd 0.1.0's (the reference; ops micrograd 0.1.0 lacks are added
to the reference the lecture's way, as closures).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import graphviz
import micrograd.engine
import pytest
import torch

from autograd import Value

MicrogradValue = micrograd.engine.Value
ENGINES = {"deltagrad": Value, "micrograd": MicrogradValue}


# ------------------------------------------------------------------ the lecture's student code, for any Value class
def student_value(Base: type) -> type:
    """The lecture's way of adding ops: subclass Value, build ``out = V(t, (self,), 'tanh')`` and set
    ``out._backward`` to a closure that accumulates into the inputs' ``.grad``."""

    class StudentValue(Base):  # type: ignore[misc, valid-type]
        def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = "") -> None:
            super().__init__(data, _children, _op)
            self.label = label

        def tanh(self) -> Any:
            x = self.data
            t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
            out = StudentValue(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        def exp(self) -> Any:
            out = StudentValue(math.exp(self.data), (self,), "exp")

            def _backward() -> None:
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        def log(self) -> Any:
            out = StudentValue(math.log(self.data), (self,), "log")

            def _backward() -> None:
                self.grad += (1 / self.data) * out.grad

            out._backward = _backward
            return out

    return StudentValue


def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
    """The lecture's trace: nodes and edges found through ``_prev``."""
    nodes, edges = set(), set()

    def build(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root: Any) -> graphviz.Digraph:
    """The lecture's draw_dot: one record per value, one node per ``_op``."""
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        label = "{ data %.4f | grad %.4f }" % (n.data, n.grad)  # noqa: UP031 - the lecture's line
        dot.node(name=uid, label=label, shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def build_topo(root: Any) -> list[Any]:
    topo, visited = [], set()

    def build(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


# ------------------------------------------------------------------ Karpathy's test_engine.py
def sanity_check(V: Callable[[float], Any]) -> tuple[Any, list[Any]]:
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y, [x]


def more_ops(V: Callable[[float], Any]) -> tuple[Any, list[Any]]:
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g, [a, b]


def torch_leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("program", [sanity_check, more_ops], ids=["sanity_check", "more_ops"])
def test_karpathys_test_engine_matches_micrograd_and_torch(program: Callable[..., tuple[Any, list[Any]]]) -> None:
    out, leaves = program(Value)
    mg_out, mg_leaves = program(MicrogradValue)
    pt_out, pt_leaves = program(torch_leaf)
    assert out.data == pytest.approx(mg_out.data, rel=1e-12)
    assert out.data == pytest.approx(pt_out.item(), rel=1e-12)
    for ours, theirs, pt in zip(leaves, mg_leaves, pt_leaves):
        assert ours.grad == pytest.approx(theirs.grad, rel=1e-12)
        assert ours.grad == pytest.approx(pt.grad.item(), rel=1e-12)


# ------------------------------------------------------------------ the lecture
def lecture_neuron(V: type, tanh: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The lecture's neuron, o = tanh(x1·w1 + x2·w2 + b), with its labels; ``tanh`` a student's, or the engine's."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh() if tanh is None else tanh(n)
    o.label = "o"
    names = ("x1", "x2", "w1", "w2", "b", "x1w1", "x2w2", "x1w1x2w2", "n", "o")
    return dict(zip(names, (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)))


@pytest.fixture(params=["deltagrad", "micrograd"])
def engine(request: pytest.FixtureRequest) -> type:
    return ENGINES[request.param]


def graph_summary(root: Any) -> list[tuple[str, str, float, float]]:
    """Every node as (label, _op, data, grad), sorted: what the lecture's draw_dot shows."""
    nodes, _ = trace(root)
    return sorted((getattr(n, "label", ""), n._op, round(n.data, 12), round(n.grad, 12)) for n in nodes)


def with_student_tanh(V: type) -> dict[str, Any]:
    S = student_value(V)
    return lecture_neuron(S, S.tanh)


def test_the_lectures_neuron_with_a_student_tanh_matches_micrograd() -> None:
    ours = with_student_tanh(Value)
    theirs = with_student_tanh(MicrogradValue)
    ours["o"].backward()
    theirs["o"].backward()
    assert ours["o"]._op == "tanh" and ours["n"]._op == "+" and ours["x1w1"]._op == "*"
    assert graph_summary(ours["o"]) == graph_summary(theirs["o"])
    assert ours["x1"].grad == pytest.approx(-1.5) and ours["w1"].grad == pytest.approx(1.0)


def test_draw_dot_built_on_prev_and_op_draws_the_same_graph_as_micrograds() -> None:
    """The lecture's draw_dot reads only _prev, _op, data and grad: the same DOT lines for both engines."""

    def lines(root: Any) -> list[str]:
        text = draw_dot(root).source
        nodes = sorted(trace(root)[0], key=lambda n: (n.data, n._op, n.grad))
        for i, n in sorted(enumerate(nodes), key=lambda item: -len(str(id(item[1])))):
            text = text.replace(str(id(n)), f"n{i}")
        return sorted(text.splitlines())

    graphs = {}
    for name, V in ENGINES.items():
        x = V(1.5)  # not 1.0: the constant 1 would tie with x in the sort above, in an id-dependent order
        y = (x * 2 + 1).relu()  # trace_graph.ipynb's first example
        y.backward()
        graphs[name] = lines(y)
    assert graphs["deltagrad"] == graphs["micrograd"]
    assert any("ReLU" in line for line in graphs["deltagrad"])


def test_build_topo_and_manual_backward_calls_match_backward(engine: type) -> None:
    """The lecture's manual cells: o.grad = 1, then node._backward() in reversed build_topo order."""
    manual = with_student_tanh(engine)
    topo = build_topo(manual["o"])
    assert topo[-1] is manual["o"] and len(topo) == 10
    manual["o"].grad = 1.0
    for node in reversed(topo):
        node._backward()
    automatic = with_student_tanh(engine)
    automatic["o"].backward()
    for name in manual:
        assert manual[name].grad == pytest.approx(automatic[name].grad, rel=1e-12), name


def test_manual_backward_one_node_at_a_time_on_deltagrads_own_ops() -> None:
    """The lecture's cells o._backward(); n._backward(); ... with deltagrad's built-in tanh, against micrograd."""
    ours = lecture_neuron(Value)
    theirs = with_student_tanh(MicrogradValue)
    for ns in (ours, theirs):
        ns["o"].grad = 1.0
        for name in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1"):
            ns[name]._backward()
    for name in ours:
        assert ours[name].grad == pytest.approx(theirs[name].grad, rel=1e-12), name
    assert ours["n"].grad == pytest.approx(1 - ours["o"].data ** 2)


def test_tanh_written_with_exp_and_division_matches_micrograd() -> None:
    """The lecture's second half: o = (e - 1)/(e + 1) with e = exp(2n), exp written by the student."""

    def program(V: type, exp: Callable[[Any], Any]) -> tuple[Any, list[Any]]:
        ns = lecture_neuron(V, V.tanh if hasattr(V, "tanh") else None)
        e = exp(2 * ns["n"])
        o = (e - 1) / (e + 1)
        o.backward()
        return o, [ns[k] for k in ("x1", "x2", "w1", "w2", "b")]

    ours, ours_leaves = program(student_value(Value), student_value(Value).exp)
    theirs, their_leaves = program(student_value(MicrogradValue), student_value(MicrogradValue).exp)
    builtin, builtin_leaves = program(Value, Value.exp)  # deltagrad's own exp and tanh, no student code
    for a, b, c in zip(ours_leaves, their_leaves, builtin_leaves):
        assert a.grad == pytest.approx(b.grad, rel=1e-9, abs=1e-12)
        assert c.grad == pytest.approx(b.grad, rel=1e-9, abs=1e-12)
    assert ours.data == pytest.approx(theirs.data) and builtin.data == pytest.approx(theirs.data)


def test_a_value_used_twice_and_the_equals_bug_give_micrograds_numbers() -> None:
    """The lecture's a + a bug: with = instead of += the gradient is 1, not 2, in micrograd and here alike."""

    def double(V: type, buggy: bool) -> float:
        a = V(3.0)
        out = V(a.data + a.data, (a, a), "+")

        def _backward() -> None:
            if buggy:
                a.grad = 1.0 * out.grad
                a.grad = 1.0 * out.grad
            else:
                a.grad += 1.0 * out.grad
                a.grad += 1.0 * out.grad

        out._backward = _backward
        (out * 1.0).backward()
        return a.grad

    for buggy, expected in ((False, 2.0), (True, 1.0)):
        assert double(Value, buggy) == double(MicrogradValue, buggy) == expected
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0  # the built-in op accumulates both edges


def test_a_user_op_node_without_backward_passes_no_gradient_like_micrograd() -> None:
    results = {}
    for name, V in ENGINES.items():
        x = V(0.5)
        t = V(math.tanh(x.data), (x,), "tanh")  # _backward never set: micrograd's default does nothing
        (t * 2.0 + x).backward()
        results[name] = x.grad
    assert results["deltagrad"] == results["micrograd"] == 1.0


def test_a_closure_on_a_node_named_like_a_builtin_op_runs_the_closure_not_the_builtin_rule() -> None:
    results = {}
    for name, V in ENGINES.items():
        x = V(0.5)
        t = V(math.tanh(x.data), (x,), "tanh")

        def _backward(x: Any = x, t: Any = t) -> None:
            x.grad += 10.0 * t.grad  # deliberately not tanh's derivative

        t._backward = _backward
        t.backward()
        results[name] = x.grad
    assert results["deltagrad"] == results["micrograd"] == 10.0


def test_closures_mix_with_builtin_ops_in_reverse_topological_order() -> None:
    """A deep mixed graph: every gradient equals micrograd's running the same code."""

    def program(V: type) -> tuple[Any, list[Any]]:
        S = student_value(V)
        rng = random.Random(3)
        leaves = [S(rng.uniform(-1, 1)) for _ in range(5)]
        h = leaves[0]
        for i in range(40):
            other = leaves[i % 5]
            step = i % 4
            if step == 0:
                h = S.tanh(h * other + 0.5)  # student closure
            elif step == 1:
                h = h * 0.9 + other**2  # built-in ops
            elif step == 2:
                h = S.exp(h * 0.3) - other  # student closure, then built-in
            else:
                h = S.log(h * h + 1.0) + other.relu()
        h.backward()
        return h, leaves

    ours, our_leaves = program(Value)
    theirs, their_leaves = program(MicrogradValue)
    assert ours.data == pytest.approx(theirs.data, rel=1e-12)
    for a, b in zip(our_leaves, their_leaves):
        assert a.grad == pytest.approx(b.grad, rel=1e-10)


def test_a_closure_runs_even_when_its_delta_is_zero_as_in_micrograd() -> None:
    calls = {}
    for name, V in ENGINES.items():
        x = V(-1.0)
        u = V(2 * x.data, (x,), "double")
        count = [0]

        def _backward(x: Any = x, u: Any = u, count: list[int] = count) -> None:
            count[0] += 1
            x.grad += 2 * u.grad

        u._backward = _backward
        (u.relu() + x).backward()  # relu of a negative: δu = 0
        calls[name] = (count[0], x.grad)
    assert calls["deltagrad"] == calls["micrograd"] == (1, 1.0)


def test_the_closure_sees_this_passes_delta_and_backward_accumulates_across_passes() -> None:
    x = Value(2.0)
    out = Value(x.data**2, (x,), "square")
    seen = []

    def _backward() -> None:
        seen.append(out.grad)
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    y = out * 3.0
    y.backward()
    y.backward()  # the second pass accumulates into .grad; the closure still sees this pass's δ = 3
    assert seen == [3.0, 3.0]
    assert x.grad == 24.0 and out.grad == 6.0


def test_a_str_as_second_positional_argument_says_use_label() -> None:
    with pytest.raises(TypeError, match=r"did you mean label='x'\?"):
        Value(2.0, "x")
    v = Value(2.0, (), "", "x")
    assert v.label == "x" and v.is_leaf and v._op == "" and v._prev == set()


def test_micrograds_op_symbols_and_prev() -> None:
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._op == "+" and (a * b)._op == "*" and (a**2)._op == "**2" and (a**-1)._op == "**-1"
    assert (a**0.5)._op == "**0.5" and a.relu()._op == "ReLU" and a.tanh()._op == "tanh" and a.exp()._op == "exp"
    assert a._op == "" and a._prev == set()
    assert (a * a)._prev == {a} and (a * a).inputs == (a, a)  # _prev is micrograd's set; inputs keeps both edges
    assert isinstance((a + b)._prev, set)


def test_closure_ops_say_what_they_cannot_do() -> None:
    import autograd

    x = Value(0.5)
    t = student_value(Value)(0.5).tanh()
    with pytest.raises(NotImplementedError, match=r"user op 'tanh'.*register_op"):
        t.backward(create_graph=True)
    with pytest.raises(NotImplementedError, match=r"user op 'tanh'.*register_op"):
        autograd.compile(lambda xs: student_value(Value)(0.0).tanh() * xs[0], n_inputs=1)
    assert x.grad == 0.0


# ------------------------------------------------------------------ EurekaLabsAI/micrograd
class AdamW:
    """EurekaLabsAI/micrograd's optimiser pattern: the moments live on the parameters as p.m and p.v."""

    def __init__(self, parameters: list[Any], lr: float = 1e-1, weight_decay: float = 0.0) -> None:
        self.parameters, self.lr, self.weight_decay = parameters, lr, weight_decay
        self.beta1, self.beta2, self.t = 0.9, 0.95, 0
        for p in self.parameters:
            p.m = 0
            p.v = 0

    def step(self) -> None:
        self.t += 1
        for p in self.parameters:
            if p.grad is None:
                continue
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * (p.grad**2)
            m_hat = p.m / (1 - self.beta1**self.t)
            v_hat = p.v / (1 - self.beta2**self.t)
            p.data -= self.lr * (m_hat / (v_hat**0.5 + 1e-8) + self.weight_decay * p.data)

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.grad = 0


def eureka_training(
    V: type, tanh: Callable[[Any], Any], exp: Callable[[Any], Any], log: Callable[[Any], Any]
) -> list[float]:
    """A 2-8-3 tanh MLP trained with cross-entropy and AdamW, written as EurekaLabsAI/micrograd writes it."""
    rng = random.Random(42)

    class Neuron:
        def __init__(self, nin: int, nonlin: bool = True) -> None:
            self.w = [V(rng.uniform(-1, 1) * nin**-0.5) for _ in range(nin)]
            self.b = V(0)
            self.nonlin = nonlin
            for p in [self.b, *self.w]:
                p._vis_color = "lightgreen"  # its visualiser's colour, stored on the node

        def __call__(self, x: list[Any]) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return tanh(act) if self.nonlin else act

        def parameters(self) -> list[Any]:
            return self.w + [self.b]

    layers = [[Neuron(2) for _ in range(8)], [Neuron(8, nonlin=False) for _ in range(3)]]
    params = [p for layer in layers for n in layer for p in n.parameters()]

    def model(x: list[Any]) -> list[Any]:
        for layer in layers:
            x = [n(x) for n in layer]
        return x

    def cross_entropy(logits: list[Any], target: int) -> Any:
        ex = [exp(x) for x in logits]
        denom = sum(ex)
        probs = [x / denom for x in ex]
        return -log(probs[target])

    data = [([rng.uniform(-2, 2), rng.uniform(-2, 2)], i % 3) for i in range(12)]
    optimizer = AdamW(params, lr=1e-1, weight_decay=1e-4)
    losses = []
    for _ in range(5):
        total = V(0.0)
        for x, y in data:
            total = total + cross_entropy(model(x), y)
        loss = total * (1.0 / len(data))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.data)
    assert all(p._vis_color == "lightgreen" for p in params)
    return losses


def test_eurekalabs_training_loop_with_user_attributes_matches_micrograd() -> None:
    """deltagrad's built-in tanh/exp/log against micrograd 0.1.0 given them as closures (EurekaLabs' Value)."""
    ours = eureka_training(Value, Value.tanh, Value.exp, Value.log)
    S = student_value(MicrogradValue)
    theirs = eureka_training(MicrogradValue, S.tanh, S.exp, S.log)
    assert ours == pytest.approx(theirs, rel=1e-10)
    assert ours[-1] < ours[0]
