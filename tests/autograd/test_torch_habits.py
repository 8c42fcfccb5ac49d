"""PyTorch habits accepted: backward(gradient=, retain_graph=, create_graph=), zero_grad(set_to_none=),
and autograd.grad(outputs, inputs, grad_outputs=None, create_graph=False) in torch's form, each against torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import autograd
from autograd import Value

POINT = (0.7, -1.3)


def program(x: Any, y: Any) -> tuple[Any, Any]:
    """Two outputs of two inputs, written once for Values and for 0-d tensors."""
    u = x * y + x.exp() if isinstance(x, Value) else x * y + torch.exp(x)
    v = (x - y) ** 2 / (1 + y * y)
    return u, v


def leaves(kind: str) -> tuple[Any, Any]:
    if kind == "torch":
        return tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in POINT)  # type: ignore[return-value]
    return Value(POINT[0]), Value(POINT[1])


def grads(pair: tuple[Any, Any]) -> list[float]:
    return [t.grad.item() if isinstance(t, torch.Tensor) else t.grad for t in pair]


@pytest.mark.parametrize("gradient", [2.5, "value"])
def test_backward_with_gradient_number_or_0d_value(gradient: Any) -> None:
    ours, theirs = leaves("ours"), leaves("torch")
    u, _ = program(*ours)
    g = Value(2.5) if gradient == "value" else gradient
    u.backward(gradient=g)
    tu, _ = program(*theirs)
    tu.backward(gradient=torch.tensor(2.5, dtype=torch.float64))
    assert grads(ours) == pytest.approx(grads(theirs), rel=1e-12)


def test_backward_twice_with_retain_graph_accumulates_like_torch() -> None:
    ours, theirs = leaves("ours"), leaves("torch")
    u, v = program(*ours)
    tu, tv = program(*theirs)
    u.backward(retain_graph=True)
    u.backward()
    v.backward(None, True)  # positional, as torch: gradient, retain_graph
    tu.backward(retain_graph=True)
    tu.backward()
    tv.backward(None, True)
    assert grads(ours) == pytest.approx(grads(theirs), rel=1e-12)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_with_set_to_none_then_backward_matches_torch(set_to_none: bool) -> None:
    ours, theirs = leaves("ours"), leaves("torch")
    u, _ = program(*ours)
    u.backward()
    u.zero_grad(set_to_none=set_to_none)
    assert grads(ours) == [0.0, 0.0]
    _, v = program(*ours)
    v.backward()
    tu, _ = program(*theirs)
    tu.backward()
    for t in theirs:
        t.grad = None if set_to_none else torch.zeros_like(t)
    _, tv = program(*theirs)
    tv.backward()
    assert grads(ours) == pytest.approx(grads(theirs), rel=1e-12)


def test_backward_create_graph_with_a_value_gradient_is_differentiable_in_it() -> None:
    x, s = Value(0.5), Value(3.0)
    (x**3).backward(gradient=s, create_graph=True)  # δx = s·3x²
    assert x.grad_value is not None and x.grad_value.data == pytest.approx(2.25)
    assert autograd.grad(x.grad_value, [s])[0].data == pytest.approx(0.75)  # ∂(s·3x²)/∂s = 3x²


def test_torch_form_grad_matches_torch_autograd_grad() -> None:
    ours, theirs = leaves("ours"), leaves("torch")
    u, v = program(*ours)
    tu, tv = program(*theirs)
    got = autograd.grad([u, v], list(ours), grad_outputs=[1.5, Value(-2.0)])
    expected = torch.autograd.grad(
        [tu, tv], list(theirs), grad_outputs=[torch.tensor(1.5), torch.tensor(-2.0)], retain_graph=True
    )
    assert all(isinstance(g, Value) for g in got)
    assert [g.data for g in got] == pytest.approx([e.item() for e in expected], rel=1e-12)
    assert grads(ours) == [0.0, 0.0]  # torch.autograd.grad leaves .grad alone, and so does this
    (single,) = autograd.grad(u, ours[0])
    (t_single,) = torch.autograd.grad(tu, theirs[0])
    assert single.data == pytest.approx(t_single.item(), rel=1e-12)


def test_torch_form_grad_with_create_graph_gives_second_derivatives_like_torch() -> None:
    ours, theirs = leaves("ours"), leaves("torch")
    u, _ = program(*ours)
    tu, _ = program(*theirs)
    dx, dy = autograd.grad(u, list(ours), create_graph=True)
    tdx, tdy = torch.autograd.grad(tu, list(theirs), create_graph=True)
    second = autograd.grad(dx, list(ours), allow_unused=True)
    t_second = torch.autograd.grad(tdx, list(theirs), allow_unused=True)
    assert [s.data for s in second if s is not None] == pytest.approx([t.item() for t in t_second], rel=1e-12)
    assert autograd.grad(outputs=dy, inputs=ours[0])[0].data == pytest.approx(
        torch.autograd.grad(tdy, theirs[0])[0].item()
    )


def test_unused_inputs_are_an_error_unless_allowed_as_in_torch() -> None:
    x, unused = Value(1.0), Value(2.0)
    y = x * 3.0
    with pytest.raises(RuntimeError, match=r"input 1 .*not in the graph.*allow_unused=True"):
        autograd.grad(y, [x, unused])
    assert autograd.grad(y, [x, unused], allow_unused=True)[1] is None
    tx, tunused = (torch.tensor(v, requires_grad=True) for v in (1.0, 2.0))
    with pytest.raises(RuntimeError, match="allow_unused"):
        torch.autograd.grad(tx * 3.0, [tx, tunused])


def test_jax_form_still_works_and_bad_first_arguments_are_named() -> None:
    f: Callable[[Any], Any] = lambda x: x**3  # noqa: E731
    assert autograd.grad(f)(2.0) == 12.0 and autograd.grad(f, argnums=0)(2.0) == 12.0
    with pytest.raises(TypeError, match="expected a function .* or a Value"):
        autograd.grad(3.0)
    with pytest.raises(ValueError, match="2 output"):
        autograd.grad([Value(1.0) * 2, Value(1.0) * 3], [Value(1.0)], grad_outputs=[1.0])
