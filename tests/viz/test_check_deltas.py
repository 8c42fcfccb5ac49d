"""viz.check_deltas: hand-computed δ against the engine's, the first wrong node and its chain-rule step."""

from __future__ import annotations

import math

import pytest

import viz
from autograd import Value

from .test_steps import lecture_network


def scaled_chain() -> Value:
    """L = 0.5·a, a = 0.42·z: δ(a) = 0.5, ∂a/∂z = 0.42, δ(z) = 0.21 (the issue's example)."""
    z = Value(1.3, label="z")
    a = z * 0.42
    a.label = "a"
    L = a * 0.5
    L.label = "L"
    return L


def engine_deltas(root: Value) -> dict[str, float]:
    root.backward()
    deltas = {v.label: v.grad for v in root.walk() if v.label}
    root.zero_grad()
    return deltas


def test_engine_numbers_pass_and_grad_is_untouched() -> None:
    J = lecture_network()[0]
    answers = engine_deltas(J)
    report = viz.check_deltas(J, answers)
    assert report.passed and report.first_wrong is None and not report.mistakes
    assert len(report.checked) == len(answers)
    assert str(report).startswith(f"✓ check_deltas: all {len(answers)} δ right")
    assert all(v.grad == 0.0 for v in J.walk())


def test_lecture_values_rounded_by_hand_pass() -> None:
    J = lecture_network()[0]
    report = viz.check_deltas(J, {"J": 1, "a^[3]_1": -0.76, "z^[3]_1": -0.14, "z^[2]_1": -0.03, "z^[2]_2": 0.1})
    assert report.passed, str(report)
    report = viz.check_deltas(J, {"z^[3]_1": -0.1392, "z^[2]_1": -0.0334, "w^[1]_11": -0.0334})
    assert report.passed, str(report)


def test_first_wrong_node_shows_its_chain_rule_step_with_numbers() -> None:
    report = viz.check_deltas(scaled_chain(), {"L": 1.0, "a": 0.5, "z": 0.5})
    assert not report.passed
    first = report.first_wrong
    assert first is not None and first.name == "z" and first.given == 0.5
    assert math.isclose(first.expected, 0.21)
    assert first.step == "δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21"
    text = str(report)
    assert "δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21" in text and "you wrote 0.5" in text
    assert "that is δ(a) alone: multiply it by the local derivative ∂a/∂z = 0.42" in text


def test_nodes_downstream_of_an_error_follow_from_it() -> None:
    J = lecture_network()[0]
    wrong = -0.76  # δ(a3) copied into z3: the sigmoid's local derivative forgotten
    answers = {"J": 1, "a^[3]_1": -0.76, "z^[3]_1": wrong, "a^[2]_1": wrong * 1.0, "z^[2]_1": wrong * 0.240261}
    report = viz.check_deltas(J, answers)
    status = {r.name: r.status for r in report.checked}
    assert status == {"J": "right", "a^[3]_1": "right", "z^[3]_1": "wrong", "a^[2]_1": "follows", "z^[2]_1": "follows"}
    assert [r.name for r in report.mistakes] == ["z^[3]_1"]
    text = str(report)
    assert "1 mistake in 5 answers (2 right, 2 follow from it)" in text
    assert text.count("follows from the error above") == 2


def test_an_independent_later_mistake_counts_separately() -> None:
    J = lecture_network()[0]
    answers = {"z^[3]_1": -0.76, "a^[2]_1": 5.0}  # a^[2]_1 is wrong even from the learner's own δ(z3)
    report = viz.check_deltas(J, answers)
    assert [r.name for r in report.mistakes] == ["z^[3]_1", "a^[2]_1"]
    later = report.mistakes[1]
    assert "(-0.76)·1 = -0.76" in later.step  # its step uses the learner's own δ(z3)
    assert "also wrong: a^[2]_1" in str(report)


@pytest.mark.parametrize(
    ("answers", "hint"),
    [
        ({"z": -0.21}, "the sign is flipped"),
        ({"z": 0.42}, "that is the local derivative alone: multiply it by δ(a) = 0.5"),
        ({"z": 1.3}, "that is the node's data, not its δ"),
    ],
)
def test_slips_are_named(answers: dict[str, float], hint: str) -> None:
    report = viz.check_deltas(scaled_chain(), answers)
    assert report.first_wrong is not None and report.first_wrong.hint == hint


def test_one_path_of_several_is_named() -> None:
    x = Value(2.0, label="x")
    u = x * 3.0
    u.label = "u"
    v = x.tanh()
    v.label = "v"
    L = u + v
    L.label = "L"
    report = viz.check_deltas(L, {"x": 3.0})
    assert report.first_wrong is not None
    assert report.first_wrong.hint.startswith("that counts only the path through u: x feeds 2 nodes")
    assert report.first_wrong.step.startswith("δ(x) = δ(v)·∂v/∂x + δ(u)·∂u/∂x = ")


def test_rounding_allowance_follows_the_written_decimals() -> None:
    L = scaled_chain()
    assert viz.check_deltas(L, {"z": 0.2}).passed  # 0.21 to one decimal
    assert not viz.check_deltas(L, {"z": 0.3}).passed
    assert not viz.check_deltas(L, {"z": 0}).passed  # an integer claims no rounding
    assert viz.check_deltas(L, {"z": 0.2}, rtol=0.0, atol=0.0).passed  # the decimals written still count


def test_gradient_scales_every_delta() -> None:
    report = viz.check_deltas(scaled_chain(), {"L": 2.0, "z": 0.42}, gradient=2.0)
    assert report.passed, str(report)


def test_answers_keyed_by_value() -> None:
    L = scaled_chain()
    z = next(v for v in L.walk() if v.label == "z")
    assert viz.check_deltas(L, {z: 0.21}).passed


def test_bad_answers_are_named() -> None:
    L = scaled_chain()
    with pytest.raises(ValueError, match="no answers given"):
        viz.check_deltas(L, {})
    with pytest.raises(ValueError, match="no node labelled 'q'.*labels: L, a, z"):
        viz.check_deltas(L, {"q": 1.0})
    with pytest.raises(TypeError, match="'z' must be a number, got str"):
        viz.check_deltas(L, {"z": "0.21"})
    with pytest.raises(ValueError, match="'z' is nan"):
        viz.check_deltas(L, {"z": math.nan})
    with pytest.raises(ValueError, match="not a node of this output's graph"):
        viz.check_deltas(L, {Value(1.0): 1.0})
    x = Value(1.0, label="x")
    twice = x * Value(2.0, label="x")
    with pytest.raises(ValueError, match="2 nodes are labelled 'x'"):
        viz.check_deltas(twice, {"x": 2.0})


def test_report_displays_the_frame_of_the_first_wrong_node(svg_reader) -> None:
    report = viz.check_deltas(scaled_chain(), {"L": 1.0, "a": 0.5, "z": 0.5})
    frame = report.frame()
    assert frame is not None and frame.node.label == "z"
    page = report._repr_html_()
    assert "δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21" in page and "<svg" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    nodes = svg_reader(svg)["node"]
    highlighted = [n for n in nodes if "highlight" in n.classes]
    assert len(highlighted) == 1 and "z" in highlighted[0].texts
    assert viz.check_deltas(scaled_chain(), {"z": 0.21}).frame() is None


# ----------------------------------------------------------------------------- walk_steps
def shortcut_diamond() -> tuple[Value, Value, Value]:
    """b = a + a feeds L directly and through c = tanh b: paths of different lengths."""
    a = Value(0.5, label="a")
    b = a + a
    b.label = "b"
    c = b.tanh()
    c.label = "c"
    L = b + c
    L.label = "L"
    return L, b, a


def test_walk_steps_in_backward_order_reproduces_backward() -> None:
    L, b, a = shortcut_diamond()
    steps = viz.walk_steps(L, L.walk())
    assert [f.node for f in steps] == L.walk()
    assert not any("DOUBLE-COUNTED" in f.caption or "READ BEFORE COMPLETE" in f.caption for f in steps)
    reference = {f.node: f.delta for f in viz.backward_steps(L)}
    assert all(math.isclose(f.delta, reference[f.node], rel_tol=1e-12) for f in steps)
    assert all(v.grad == 0.0 for v in L.walk())


def test_walk_steps_flags_a_partial_delta_read_too_early() -> None:
    L, b, a = shortcut_diamond()
    c = L.inputs[1]
    steps = viz.walk_steps(L, [L, b, c, a])  # breadth-first: b before its consumer c
    assert steps[1].node is b and steps[1].delta == 1.0
    assert "READ BEFORE COMPLETE: δ(b) is 1 now but 1.41997 once every consumer has added its part" in steps[1].caption
    assert steps[3].delta == 2.0  # a got 2·(partial δ(b)); c's part arrived after b was done
    highlighted = [n for n in steps[1].svg().split("<g ") if "highlight" in n.split(">")[0]]
    assert len(highlighted) == 1


def test_walk_steps_flags_a_second_visit() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    steps = viz.walk_steps(c, [c, b, a, b, a])
    assert [f.delta for f in steps] == [1.0, 2.0, 4.0, 2.0, 8.0]
    assert "DOUBLE-COUNTED" in steps[3].caption and "DOUBLE-COUNTED" not in steps[1].caption
    assert steps[0].caption == "visit 1: c passes on δ = 1: δ(b) += 1·1 → 1; δ(b) += 1·1 → 2"


def test_walk_steps_bad_input() -> None:
    L, b, a = shortcut_diamond()
    with pytest.raises(ValueError, match="stranger is not a node"):
        viz.walk_steps(L, [L, Value(1.0, label="stranger")])
    with pytest.raises(TypeError, match="walk_steps: expected the output Value"):
        viz.walk_steps(1.0, [])  # type: ignore[arg-type]


def test_answers_still_blank_are_listed_as_still_to_write_without_the_engines_numbers() -> None:
    L = scaled_chain()
    report = viz.check_deltas(L, {"L": 1.0, "a": ..., "z": ...})
    assert not report.passed and [r.name for r in report.to_write] == ["a", "z"]
    assert report.headline() == "1 δ right, 2 still to write (a, z)"
    text = str(report)
    assert "to do: replace each `...` with the δ of a, z" in text and "0.21" not in text and "0.5 " not in text
    assert viz.check_deltas(L, {"L": ..., "a": ..., "z": ...}).headline() == "3 still to write (L, a, z)"
    mixed = viz.check_deltas(L, {"L": 1.0, "a": 2.0, "z": ...})  # a mistake and a blank: both said
    assert mixed.headline().endswith("; 1 still to write") and mixed.first_wrong.name == "a"
    assert viz.check_deltas(L, {"L": 1.0, "a": 0.5, "z": 0.21}).passed  # filled in: passes
