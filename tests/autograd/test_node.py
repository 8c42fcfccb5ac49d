"""One node factory: a node's fields are listed once, in ``autograd.value.fill_node``.

``Value.__init__`` calls it; the paths that make nodes in bulk carry its lines inline for speed
(``Value._node``, the binary operators, ``Value._leaves``). These tests read each copy's source and check that
it writes exactly the fields ``fill_node`` writes, in the same order, with the same fixed values, and that a node
made by each path has every slot set: a new slot added to ``fill_node`` alone fails here.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import autograd.value as value_module
from autograd import Value

SLOTS = [name for name in Value.__slots__ if name != "__dict__"]


def writes(function: Callable[..., Any], target: str) -> list[tuple[str, str]]:
    """(field, value source) of every ``target.field = value`` in ``function``, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            t = node.targets[0]
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == target:
                found.append((node.lineno, t.attr, ast.unparse(node.value).replace("next(ids)", "next(_ids)")))
    return [(field, value) for _, field, value in sorted(found)]


CANONICAL = writes(value_module.fill_node, "v")
PARAMETERS = list(inspect.signature(value_module.fill_node).parameters)
COPIES = {
    "Value._node": Value._node,
    "the binary operators": Value.__add__,
    "Value._leaves": Value._leaves,
}


def test_fill_node_writes_every_slot_once_in_slot_order() -> None:
    assert [field for field, _ in CANONICAL] == SLOTS


@pytest.mark.parametrize("where", sorted(COPIES))
def test_each_inlined_copy_writes_the_same_fields_as_fill_node(where: str) -> None:
    copy = writes(COPIES[where], "v")
    assert [field for field, _ in copy] == [field for field, _ in CANONICAL], where
    for (field, value), (_, expected) in zip(copy, CANONICAL):
        if expected not in PARAMETERS:  # a fixed value (0.0, None, the next stamp): the same in every copy
            assert value == expected, f"{where} writes {field} = {value}, fill_node writes {expected}"


def test_init_makes_nodes_through_fill_node() -> None:
    source = inspect.getsource(Value.__init__)
    assert "fill_node(self" in source and not writes(Value.__init__, "self")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(1.5, label="x"),
        lambda: Value(1.5) * 2.0,
        lambda: 2.0 - Value(1.5),
        lambda: Value(1.5).tanh(),
        lambda: Value._leaves([1.5], ["w"])[0],
        lambda: Value(2.0, (Value(1.0),), "f"),
    ],
    ids=["init", "operator", "reflected", "unary", "leaves", "micrograd_closure_node"],
)
def test_a_node_made_by_any_path_has_every_slot_set(make: Callable[[], Value]) -> None:
    v = make()
    assert all(hasattr(v, name) for name in SLOTS)
    assert v.grad == 0.0 and v._delta is None
