"""no_grad / enable_grad: no graph recorded, per thread (and per asyncio task), usable as decorators."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import autograd
from autograd import Value, enable_grad, is_grad_enabled, no_grad


def test_no_grad_builds_no_graph_but_keeps_values_and_op_names() -> None:
    x, w = Value(2.0), Value(-3.0)
    with no_grad():
        assert not is_grad_enabled()
        z = x * w + 1.0
        a = z.tanh()
        s = autograd.dot([x, w], [w, x], bias=1.0)
    assert is_grad_enabled()
    assert (z.data, s.data) == (-5.0, -11.0)
    for node, op in ((z, "add"), (a, "tanh"), (s, "dot")):
        assert node.inputs == ()
        assert node.op == op
        assert node.is_leaf


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert is_grad_enabled()
    assert (Value(1.0) * 2.0).inputs != ()


def test_nested_modes_restore_the_outer_one() -> None:
    x = Value(1.5)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            recorded = x * x
            with no_grad():
                unrecorded = x * x
            assert is_grad_enabled()
        assert not is_grad_enabled()
        still_unrecorded = x * x
    assert recorded.inputs == (x, x)
    assert unrecorded.inputs == () and still_unrecorded.inputs == ()
    recorded.backward()
    assert x.grad == 3.0


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def predict(x: Value) -> Value:
        assert not is_grad_enabled()
        return (x * 2.0).relu()

    x = Value(1.0)
    y = predict(x)
    assert y.data == 2.0 and y.inputs == ()
    assert is_grad_enabled()
    assert predict(x).inputs == ()  # a decorator works for every call, not only the first


def test_enable_grad_as_a_decorator_inside_no_grad() -> None:
    @enable_grad()
    def train_step(x: Value) -> Value:
        return x * x

    x = Value(3.0)
    with no_grad():
        y = train_step(x)
        assert not is_grad_enabled()
    y.backward()
    assert x.grad == 6.0


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    inside = threading.Event()
    done = threading.Event()
    seen: dict[str, object] = {}

    def inference() -> None:
        with no_grad():
            seen["inference_enabled"] = is_grad_enabled()
            inside.set()
            done.wait(timeout=10)
            seen["inference_inputs"] = (Value(1.0) * 2.0).inputs

    def training() -> None:
        inside.wait(timeout=10)  # the other thread is inside no_grad() now
        seen["training_enabled"] = is_grad_enabled()
        x = Value(2.0)
        y = x * x
        y.backward()
        seen["training_grad"] = x.grad
        done.set()

    threads = [threading.Thread(target=inference), threading.Thread(target=training)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == {
        "inference_enabled": False,
        "training_enabled": True,
        "training_grad": 4.0,
        "inference_inputs": (),
    }
    assert is_grad_enabled()


def test_a_decorated_function_is_safe_to_call_from_several_threads() -> None:
    barrier = threading.Barrier(4)
    results = []

    @no_grad()
    def work() -> bool:
        barrier.wait(timeout=10)  # all four threads are inside the decorated call at once
        return is_grad_enabled()

    def run() -> None:
        results.append(work())
        results.append(is_grad_enabled())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == [False] * 4 + [True] * 4


def test_no_grad_is_per_asyncio_task() -> None:
    async def main() -> tuple[bool, bool]:
        entered = asyncio.Event()
        release = asyncio.Event()

        async def quiet() -> bool:
            with no_grad():
                entered.set()
                await release.wait()
                return is_grad_enabled()

        async def loud() -> bool:
            await entered.wait()
            enabled = is_grad_enabled()
            release.set()
            return enabled

        return tuple(await asyncio.gather(quiet(), loud()))

    assert asyncio.run(main()) == (False, True)


def test_no_grad_decorates_a_generator_function() -> None:
    """Each step of the generator runs without recording; the caller's mode is back at every yield."""

    @no_grad
    def doubled(xs: list[Value]) -> Any:
        for x in xs:
            received = yield x * 2.0, is_grad_enabled()
            assert received is None or not is_grad_enabled()
        return "done"

    xs = [Value(1.0), Value(2.0)]
    gen = doubled(xs)
    y, enabled_inside = next(gen)
    assert (y.data, y.inputs, enabled_inside) == (2.0, (), False)
    assert is_grad_enabled()  # between steps the caller records as usual
    assert (xs[0] * 3.0).inputs != ()
    y, enabled_inside = gen.send("next")
    assert (y.data, y.inputs, enabled_inside) == (4.0, (), False)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"
    assert is_grad_enabled()


def test_enable_grad_decorates_a_generator_used_inside_no_grad() -> None:
    @enable_grad()
    def squares(xs: list[Value]) -> Any:
        for x in xs:
            yield x * x

    x = Value(3.0)
    with no_grad():
        (y,) = list(squares([x]))
        assert not is_grad_enabled()
    y.backward()
    assert x.grad == 6.0


def test_a_decorated_generator_sees_exceptions_and_close_in_its_mode() -> None:
    seen: list[tuple[str, bool]] = []

    @no_grad()
    def worker() -> Any:
        try:
            while True:
                try:
                    yield
                except KeyError:
                    seen.append(("thrown", is_grad_enabled()))
        finally:
            seen.append(("closed", is_grad_enabled()))

    gen = worker()
    next(gen)
    gen.throw(KeyError("k"))
    gen.close()
    assert seen == [("thrown", False), ("closed", False)]
    assert is_grad_enabled()


def test_no_grad_decorates_async_functions_and_async_generators() -> None:
    @no_grad
    async def infer(x: Value) -> tuple[Value, bool]:
        await asyncio.sleep(0)
        return x * 2.0, is_grad_enabled()

    @no_grad()
    async def stream(xs: list[Value]) -> Any:
        for x in xs:
            await asyncio.sleep(0)
            yield x + 1.0, is_grad_enabled()

    async def main() -> tuple[Any, list[Any], bool, bool]:
        x = Value(1.0)
        result = await infer(x)
        after_call = is_grad_enabled()
        items = []
        async for item in stream([x, x]):
            items.append(item)
            assert is_grad_enabled()  # the consumer's body records as usual
        return result, items, after_call, is_grad_enabled()

    (y, inside), items, after_call, at_end = asyncio.run(main())
    assert (y.data, y.inputs, inside, after_call, at_end) == (2.0, (), False, True, True)
    assert [(v.data, v.inputs, enabled) for v, enabled in items] == [(2.0, (), False)] * 2
