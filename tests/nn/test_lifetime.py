"""Models and their compiled traces are freed by reference counting alone (issue 23, items 1 and 2).

Each test runs with the cyclic collector disabled: a reference cycle through a model (a child pointing at its
owner, or a cached trace reaching its model) would keep it alive, and the weak reference would still answer.
"""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import nn
from autograd.compiled import CompiledGraph


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    """The cyclic collector off for the test (after one collection of what earlier tests left)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compiled_graphs() -> int:
    return sum(type(o) is CompiledGraph for o in gc.get_objects())


X = np.random.default_rng(0).normal(size=(12, 2))
Y = (X[:, 0] * X[:, 1] > 0).astype(float)

USES: dict[str, Callable[[nn.Module], Any]] = {
    "built": lambda m: None,
    "called": lambda m: m([0.5, -1.0]).backward(),
    "named": lambda m: [p.name for p in m.parameters()],
    "predict": lambda m: nn.predict(m, X),
    "predict compiled": lambda m: nn.predict(m, X, compiled=True),
    "predict compiled float32": lambda m: nn.predict(m, X, compiled=True, dtype=np.float32),
    "accuracy compiled": lambda m: nn.accuracy(m, X, Y, compiled=True),
    "evaluate compiled": lambda m: nn.evaluate(m, X, Y, loss="bce_with_logits", compiled=True),
    "fit": lambda m: nn.fit(m, X, Y, loss="bce_with_logits", epochs=2, progress=False),
    "fit compiled": lambda m: nn.fit(m, X, Y, loss="bce_with_logits", epochs=2, progress=False, compiled=True),
    "fit compiled Adam with callback": lambda m: nn.fit(
        m,
        X,
        Y,
        loss="bce_with_logits",
        epochs=2,
        progress=False,
        compiled=True,
        optimizer=nn.Adam(m.parameters(), lr=0.01),
        callbacks=[lambda e, logs: None],
        batch_size=4,
    ),
    "CompiledTrainer": lambda m: nn.CompiledTrainer(m, "mse", nn.SGD(m.parameters(), lr=0.1), X, Y).step(X, Y),
    "layer replaced": lambda m: m.layers.__setitem__(0, nn.Layer(2, 8, "tanh", seed=1, layer=1)),
    "layer appended": lambda m: m.layers.append(nn.Layer(1, 1, None, seed=1, layer=3)),
    "deep copied": lambda m: copy.deepcopy(m),
    "pickled": lambda m: pickle.loads(pickle.dumps(m)),
}


@pytest.mark.parametrize("use", list(USES))
def test_a_model_is_freed_by_reference_counting_alone(use: str, no_cyclic_gc: None) -> None:
    graphs = _compiled_graphs()
    model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
    alive = weakref.ref(model)
    leaf = weakref.ref(model.layers[0].neurons[0])
    USES[use](model)
    del model
    assert alive() is None and leaf() is None, f"after {use}, the model outlived its last reference"
    assert _compiled_graphs() == graphs, f"after {use}, a compiled trace of the model outlived it"


def test_a_compiled_prediction_is_still_cached_while_the_model_lives(no_cyclic_gc: None) -> None:
    model = nn.MLP(2, [8, 1], seed=0)
    first = nn.predict(model, X, compiled=True)
    graphs = _compiled_graphs()
    np.testing.assert_array_equal(nn.predict(model, X, compiled=True), first)
    assert _compiled_graphs() == graphs  # the same trace, not a new one
    del model
    assert _compiled_graphs() == graphs - 1


def test_a_part_kept_outlives_its_model_and_forgets_it(no_cyclic_gc: None) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    layer, weight = model.layers[0], model.layers[1].neurons[0].w[0]
    assert layer.parent is model and weight.owner is model.layers[1].neurons[0]
    alive = weakref.ref(model)
    del model
    assert alive() is None
    assert layer.parent is None and weight.owner is None  # the ways up were weak: nothing dangles
    assert len(layer.parameters()) == 9 and layer.neurons.holder is layer


def test_copies_and_pickles_keep_their_own_ways_up() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert twin.layers.holder is twin and twin.layers[0].parent is twin
        assert twin.layers[0].neurons[0].w.holder is twin.layers[0].neurons[0]
        assert twin.parameters()[0].owner is twin.layers[0].neurons[0]
        assert [p.name for p in twin.parameters()] == [p.name for p in model.parameters()]
        assert twin.state_dict() == model.state_dict()


@pytest.mark.parametrize("helper", ["predict", "accuracy"])
def test_the_issue_example_a_compiled_trace_does_not_keep_its_model_even_for_the_collector(helper: str) -> None:
    model = nn.MLP(2, [8, 1], seed=0)
    alive = weakref.ref(model)
    nn.predict(model, X, compiled=True) if helper == "predict" else nn.accuracy(model, X, Y, compiled=True)
    del model
    gc.collect()
    assert alive() is None


def test_a_graph_keeps_the_model_that_made_it_and_frees_it_with_it(no_cyclic_gc: None) -> None:
    """viz groups a graph by its model's structure, so the graph of a model no name refers to still finds it."""
    loss = nn.mse(nn.MLP(2, [3, 1], seed=0)([0.5, -1.0]), 1.0)
    stack, leaves = [loss], []
    while stack:
        v = stack.pop()
        leaves += [v] if isinstance(v, nn.Parameter) else []
        stack.extend(v.inputs)
    owners = {id(p.owner): p.owner for p in leaves}
    assert len(owners) == 4 and all(isinstance(o, nn.Neuron) for o in owners.values())
    models = {id(o.parent.parent): o.parent.parent for o in owners.values()}
    assert len(models) == 1
    (model,) = models.values()
    alive = weakref.ref(model)
    del model, owners, models, stack, v
    assert alive() is not None
    del loss
    assert alive() is None and all(p.owner is None for p in leaves)  # parameters hold their owner weakly
