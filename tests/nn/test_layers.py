"""Neurons, layers, MLPs: the graph they build, its labels and names, inputs, initialisers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Value


def test_neuron_is_one_dot_node_then_one_activation_node() -> None:
    n = nn.Neuron(3, "tanh", weights=[0.5, -1.0, 2.0], bias=0.25)
    a = n([1.0, 2.0, 3.0])
    assert a.op == "tanh" and len(a.inputs) == 1
    (z,) = a.inputs
    assert z.op == "dot" and z.param == 3
    assert list(z.inputs[:3]) == n.w and z.inputs[-1] is n.b
    assert [x.data for x in z.inputs[3:6]] == [1.0, 2.0, 3.0]
    assert a.data == pytest.approx(math.tanh(0.5 - 2.0 + 6.0 + 0.25), abs=1e-15)


def test_linear_neuron_records_no_activation_node() -> None:
    n = nn.Neuron(2, "linear", weights=[1.0, 1.0])
    out = n([1.0, 2.0])
    assert out.op == "dot" and out.label == "z^[2]_1"
    assert nn.Neuron(2, None, weights=[1.0, 1.0])([1.0, 2.0]).op == "dot"


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "tanh", "sigmoid"])
def test_every_activation_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    functions = {
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
        "elu": torch.nn.functional.elu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
    }
    for z in (-2.5, -0.3, 0.7, 3.0):
        x = Value(z)
        out = nn.activation(name)(x)
        out.backward()
        t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        functions[name](t).backward()
        assert out.op == name
        assert out.data == pytest.approx(functions[name](torch.tensor(z, dtype=torch.float64)).item(), abs=1e-15)
        assert x.grad == pytest.approx(t.grad.item(), abs=1e-15)


def test_micrograds_nonlin_keyword() -> None:
    """micrograd's Neuron(nin, nonlin=False) and Layer(nin, nout, nonlin=...) work as written there."""
    assert nn.Neuron(2, nonlin=False).activation == "linear"
    assert nn.Neuron(2, nonlin=True).activation == "relu"  # micrograd 0.1.0's nonlinearity
    assert nn.Neuron(2, "tanh", nonlin=True).activation == "tanh"
    layer = nn.Layer(3, 2, nonlin=False, seed=0)
    assert layer.activation == "linear" and all(n.activation == "linear" for n in layer.neurons)
    assert layer([1.0, 2.0, 3.0])[0].op == "dot"
    with pytest.raises(TypeError, match="nonlin must be True or False"):
        nn.Neuron(2, nonlin="no")


def test_unknown_activation_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown name 'swish'.*relu"):
        nn.Neuron(2, "swish")
    with pytest.raises(ValueError, match="swish"):
        nn.MLP(2, [3, 1], output_activation="swish")


@pytest.mark.parametrize(("typo", "meant"), [("tahn", "tanh"), ("Relu", "relu"), ("sigmiod", "sigmoid")])
def test_a_misspelt_activation_suggests_the_near_name(typo: str, meant: str) -> None:
    with pytest.raises(ValueError, match=f"unknown name '{typo}'; did you mean '{meant}'"):
        nn.MLP(2, [3, 1], activation=typo)


def test_labels_follow_the_lecture_notation() -> None:
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    outs = model([0.5, -1.0])
    assert [o.label for o in outs] == ["a^[3]_1", "a^[3]_2"]
    nodes = outs[0].walk()
    labels = {v.label for v in nodes}
    assert {"x1", "x2", "z^[2]_1", "a^[2]_3", "z^[3]_1", "w^[1]_32", "b^[1]_3", "w^[2]_13", "b^[2]_1"} <= labels
    inputs = [v for v in nodes if v.is_leaf and not isinstance(v, (nn.Parameter, autograd.Constant))]
    assert sorted(v.label for v in inputs) == ["x1", "x2"]
    wide = nn.Layer(12, 11, seed=0)
    assert wide.neurons[10].w[11].label == "w^[1]_11,12" and wide.neurons[1].w[2].label == "w^[1]_23"


def test_parameter_names_are_dotted_paths_from_the_outermost_module() -> None:
    neuron = nn.Neuron(2)
    assert [name for name, _ in neuron.named_parameters()] == ["w.0", "w.1", "b"]
    assert [p.name for p in neuron.parameters()] == ["w.0", "w.1", "b"]
    layer = nn.Layer(2, 2)
    assert layer.parameters()[-1].name == "neurons.1.b"
    model = nn.MLP(3, [4, 5, 2], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == (3 + 1) * 4 + (4 + 1) * 5 + (5 + 1) * 2
    assert names[0] == "layers.0.neurons.0.w.0"
    assert "layers.1.neurons.3.w.2" in names and names[-1] == "layers.2.neurons.1.b"
    assert all(p.name == name for name, p in model.named_parameters())

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            self.body = model
            self.scale = nn.Parameter(2.0)

        def forward(self, x):
            return self.body(x)[0] * self.scale

    wrapped = Wrapper()
    assert model.parameters()[0].name == "body.layers.0.neurons.0.w.0"
    assert wrapped.parameters()[-1].name == "scale"
    assert wrapped.parameters()[:-1] == model.parameters()


def test_inputs_accept_lists_arrays_and_values() -> None:
    model = nn.MLP(3, [4, 1], seed=1)
    x = [0.1, -0.2, 0.3]
    expected = model(x).data
    assert model(np.array(x)).data == expected
    assert model(tuple(x)).data == expected
    leaves = [Value(v) for v in x]
    out = model(leaves)
    assert out.data == expected
    out.backward()
    assert all(leaf.grad != 0.0 for leaf in leaves)
    assert isinstance(nn.Neuron(1, weights=[2.0])(3.0), Value)


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ([1.0, 2.0], ValueError, "expects 3 input"),
        (np.zeros((2, 3)), ValueError, "one sample"),
        ("abc", TypeError, "list of numbers"),
        ([1.0, "a", 2.0], TypeError, "input 2"),
        ([1.0, None, 2.0], TypeError, "input 2"),
    ],
)
def test_bad_inputs_are_clear_errors(bad, error, match) -> None:
    with pytest.raises(error, match=match):
        nn.MLP(3, [2, 1], seed=0)(bad)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="nin"):
        nn.Neuron(0)
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP(2, 3)
    with pytest.raises(ValueError, match="layer size"):
        nn.MLP(2, [3, 0])
    with pytest.raises(ValueError, match="expected 2 weights"):
        nn.Neuron(2, weights=[1.0])
    with pytest.raises(TypeError, match="seed"):
        nn.MLP(2, [1], seed=1.5)


def test_call_returns_a_value_for_one_output_else_a_list() -> None:
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    outs = nn.MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 4
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), Value)


def test_mlp_forward_matches_the_matrix_form() -> None:
    """a^[l+1] = g(W^[l] a^[l] + b^[l]), computed with numpy from the same parameters."""
    model = nn.MLP(4, [5, 3], activation="tanh", seed=2)
    for layer in model.layers:
        for n in layer.neurons:
            n.b.data = float(np.random.default_rng(n.unit).normal())
    x = np.array([0.3, -1.2, 0.8, 2.0])
    a = x
    for k, layer in enumerate(model.layers):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        z = W @ a + b
        a = np.tanh(z) if k == 0 else z
    np.testing.assert_allclose([o.data for o in model(x)], a, rtol=1e-13)


def test_gradients_of_an_mlp_match_torch() -> None:
    torch = pytest.importorskip("torch")
    model = nn.MLP(3, [4, 2], activation="elu", output_activation="sigmoid", seed=5)
    x = [0.5, -1.5, 2.0]
    outs = model(x)
    (outs[0] * outs[1] + outs[1]).backward()
    tx = torch.tensor(x, dtype=torch.float64)
    params = []
    a = tx
    for k, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        params += [W, b]
        z = W @ a + b
        a = torch.nn.functional.elu(z) if k == 0 else torch.sigmoid(z)
    (a[0] * a[1] + a[1]).backward()
    for k, layer in enumerate(model.layers):
        W, b = params[2 * k], params[2 * k + 1]
        np.testing.assert_allclose([[w.grad for w in n.w] for n in layer.neurons], W.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], b.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_same_seed_same_model_and_repr_counts_parameters() -> None:
    a, b, c = nn.MLP(2, [16, 16, 1], seed=7), nn.MLP(2, [16, 16, 1], seed=7), nn.MLP(2, [16, 16, 1], seed=8)
    assert a.state_dict() == b.state_dict() != c.state_dict()
    assert all(p.data == 0.0 for name, p in a.named_parameters() if name.endswith(".b"))
    text = repr(a)
    assert "337 parameters" in text and "Layer(16 → 1, linear" in text and "relu" in text
    assert "3 parameters" in repr(nn.Neuron(2))


@pytest.mark.parametrize(
    ("name", "std"),
    [("he", lambda fi, fo: math.sqrt(2 / fi)), ("xavier", lambda fi, fo: math.sqrt(2 / (fi + fo)))],
)
def test_random_initialisers_have_the_documented_spread(name, std) -> None:
    W = nn.init.get(name)(400, 300, np.random.default_rng(0))
    assert W.shape == (300, 400)
    assert abs(W.mean()) < 0.01 * std(400, 300) * 10
    assert W.std() == pytest.approx(std(400, 300), rel=0.02)


def test_normal_uniform_constant_and_custom_initialisers() -> None:
    rng = np.random.default_rng(0)
    assert nn.init.normal(std=0.01)(300, 300, rng).std() == pytest.approx(0.01, rel=0.02)
    U = nn.init.uniform(-0.5, 0.5)(300, 300, rng)
    assert U.min() >= -0.5 and U.max() < 0.5 and U.std() == pytest.approx(1 / math.sqrt(12), rel=0.02)
    assert (nn.init.constant(0.3)(2, 3, rng) == 0.3).all()
    layer = nn.Layer(3, 2, init=lambda fi, fo, rng: np.arange(fi * fo, dtype=float).reshape(fo, fi))
    assert [w.data for w in layer.neurons[1].w] == [3.0, 4.0, 5.0]
    assert nn.MLP(2, [3], init=nn.init.he, seed=0).state_dict() == nn.MLP(2, [3], init="he", seed=0).state_dict()
    with pytest.raises(ValueError, match="unknown name"):
        nn.MLP(2, [3], init="lecun")
    with pytest.raises(ValueError, match="drew shape"):
        nn.init.Initializer("bad", lambda fi, fo, rng: np.zeros(3))(2, 2, rng)


@pytest.mark.parametrize("init", [nn.init.zeros(), nn.init.constant(0.5)])
def test_constant_init_keeps_every_hidden_neuron_identical_after_training(init) -> None:
    """The symmetry problem: equal weights → equal δ → equal updates, forever."""
    X, y = nn.data.moons(20, noise=0.1, seed=0)
    model = nn.MLP(2, [5, 1], activation="tanh", init=init, seed=0)
    nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=5, progress=False)
    hidden = model.layers[0].neurons
    rows = [[w.data for w in n.w] + [n.b.data] for n in hidden]
    assert all(row == rows[0] for row in rows)
    out_weights = [w.data for w in model.layers[1].neurons[0].w]
    assert len(set(out_weights)) == 1
    if init.name != "zeros":
        assert rows[0] != [0.5, 0.5, 0.0]  # it did train
    random_model = nn.MLP(2, [5, 1], activation="tanh", seed=0)
    random_rows = [[w.data for w in n.w] for n in random_model.layers[0].neurons]
    assert len({tuple(r) for r in random_rows}) == 5


def test_parameters_are_named_by_their_paths_and_labelled_as_on_the_slides() -> None:
    for model in (nn.MLP(12, [11, 2], seed=0), nn.Layer(3, 2, seed=0), nn.Neuron(3, seed=0)):
        assert [p.name for p in model.parameters()] == [name for name, _ in model.named_parameters()]
    mlp = nn.MLP(12, [11, 2], seed=0)
    weights = mlp.layers[0].neurons
    assert [w.label for w in weights[0].w[8:10]] == ["w^[1]_19", "w^[1]_1,10"]
    assert weights[10].w[0].label == "w^[1]_11,1" and weights[10].b.label == "b^[1]_11"


def test_non_finite_initial_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="Layer: the initial weights must be finite, got nan"):
        nn.Layer(2, 2, init=lambda fan_in, fan_out, rng: np.full((fan_out, fan_in), np.nan))
    with pytest.raises(ValueError, match="Neuron: the initial weights must be finite, got inf"):
        nn.Neuron(2, weights=[1.0, np.inf])
