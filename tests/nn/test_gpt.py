"""nn.MicroGPT: the scalar transformer against its compiled replay and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd.compiled import CompiledGraph
from nn.gpt import MicroGPT, one_hot_rows


@pytest.fixture(scope="module")
def gpt() -> MicroGPT:
    return MicroGPT(vocab_size=7, n_embd=8, n_head=2, block_size=6, seed=0)


def test_microgpt_sized_model_has_about_4k_parameters() -> None:
    model = MicroGPT(vocab_size=27, seed=1)
    assert len(model.parameters()) == 27 * 16 + 16 * 16 + 4 * 16 * 16 + 2 * 64 * 16 + 16 * 27 == 4192
    assert model.parameters()[0].name == "wte.w.0"


@pytest.mark.parametrize("n", [1, 3, 6])
def test_compiled_step_matches_the_scalar_engine(gpt: MicroGPT, n: int) -> None:
    rng = np.random.default_rng(n)
    tokens, targets = rng.integers(0, 7, n).tolist(), rng.integers(0, 7, n).tolist()
    params = gpt.parameters()
    gpt.zero_grad()
    loss = gpt.loss(tokens, targets)
    loss.backward()
    expected = np.array([p.grad for p in params])
    gpt.zero_grad()
    graph = gpt.compiled_loss(n)
    assert gpt.compiled_loss(n) is graph  # traced once per length
    out = graph.forward(gpt.compiled_inputs(tokens, targets))
    graph.backward()
    np.testing.assert_allclose(out, [loss.data], rtol=1e-12)
    np.testing.assert_allclose([p.grad for p in params], expected, rtol=1e-9, atol=1e-12)
    assert np.abs(expected).max() > 0
    gpt.zero_grad()


def test_one_trace_serves_every_sequence_of_its_length(gpt: MicroGPT) -> None:
    graph = gpt.compiled_loss(4)
    for tokens, targets in (([1, 2, 3, 4], [2, 3, 4, 5]), ([6, 0, 6, 0], [0, 6, 0, 1])):
        expected = gpt.loss(tokens, targets).data
        np.testing.assert_allclose(graph.forward(gpt.compiled_inputs(tokens, targets)), [expected], rtol=1e-12)


def test_gradient_matches_finite_differences() -> None:
    model = MicroGPT(vocab_size=4, n_embd=4, n_head=2, block_size=3, seed=2)
    tokens, targets = [0, 3, 1], [3, 1, 2]
    params = model.parameters()
    model.loss(tokens, targets).backward()
    h = 1e-6
    for p in params[::7]:
        p.data += h
        up = model.loss(tokens, targets).data
        p.data -= 2 * h
        down = model.loss(tokens, targets).data
        p.data += h
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_attention_is_causal(gpt: MicroGPT) -> None:
    rows = one_hot_rows([1, 2, 3], 7)
    changed = one_hot_rows([1, 2, 5], 7)
    first, second = gpt(rows), gpt(changed)
    for t in (0, 1):
        assert [v.data for v in first[t]] == [v.data for v in second[t]]
    assert [v.data for v in first[2]] != [v.data for v in second[2]]


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="multiple of n_head"):
        MicroGPT(vocab_size=5, n_embd=6, n_head=4)
    model = MicroGPT(vocab_size=5, n_embd=4, n_head=2, block_size=2, seed=0)
    with pytest.raises(ValueError, match="1 to 2 positions, got 3"):
        model.loss([0, 1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="token 9 is out of range"):
        model.loss([9], [1])
    assert isinstance(model.compiled_loss(1), CompiledGraph)
    assert nn.MicroGPT is MicroGPT
