"""Module state: state_dict, load_state_dict, JSON save/load, validation that leaves the model untouched."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nn


@pytest.fixture
def model() -> nn.MLP:
    return nn.MLP(3, [5, 4, 2], activation="tanh", seed=11)


def test_state_dict_is_names_to_floats_and_round_trips(model: nn.MLP) -> None:
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert all(type(v) is float for v in state.values())
    other = nn.MLP(3, [5, 4, 2], activation="tanh", seed=12)
    assert other.state_dict() != state
    result = other.load_state_dict(state)
    assert other.state_dict() == state and result == nn.IncompatibleKeys([], [])


def test_strict_mismatch_raises_and_leaves_the_model_untouched(model: nn.MLP) -> None:
    before = model.state_dict()
    state = dict(before)
    state = {k: v + 1.0 for k, v in state.items()}
    del state["layers.0.neurons.0.b"]
    state["layers.9.neurons.0.b"] = 0.0
    with pytest.raises(ValueError, match=r"missing 'layers\.0\.neurons\.0\.b'.*unexpected 'layers\.9"):
        model.load_state_dict(state)
    assert model.state_dict() == before
    bad_value = {k: v + 1.0 for k, v in before.items()}
    bad_value["layers.2.neurons.1.b"] = "oops"
    with pytest.raises(TypeError, match=r"'layers\.2\.neurons\.1\.b' must be a number"):
        model.load_state_dict(bad_value)
    bad_value["layers.2.neurons.1.b"] = float("inf")
    with pytest.raises(ValueError, match="finite"):
        model.load_state_dict(bad_value)
    assert model.state_dict() == before
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0, 2.0])


def test_non_strict_loads_what_matches(model: nn.MLP) -> None:
    state = {"layers.0.neurons.0.w.0": 42.0, "extra": 1.0}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert model.layers[0].neurons[0].w[0].data == 42.0
    assert unexpected == ["extra"] and len(missing) == len(model.parameters()) - 1


def test_save_load_gives_bit_identical_predictions(model: nn.MLP, tmp_path) -> None:
    for p in model.parameters():
        p.data += 1e-3 / 3  # values with long binary expansions
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())
    assert document["model"] == "MLP" and document["config"]["sizes"] == [5, 4, 2]
    X = np.random.default_rng(0).normal(size=(20, 3))
    expected = nn.predict(model, X)

    fresh = nn.MLP(3, [5, 4, 2], activation="tanh", seed=99)
    assert fresh.load(path) is fresh
    assert fresh.state_dict() == model.state_dict()
    np.testing.assert_array_equal(nn.predict(fresh, X), expected)

    rebuilt = nn.load(path)
    assert isinstance(rebuilt, nn.MLP) and rebuilt.config() == model.config()
    np.testing.assert_array_equal(nn.predict(rebuilt, X), expected)
    assert nn.load(str(path)).state_dict() == model.state_dict()


def test_neuron_and_layer_save_and_rebuild(tmp_path) -> None:
    for module in (nn.Neuron(3, "sigmoid", seed=1), nn.Layer(3, 2, "elu", seed=1, layer=2)):
        module.save(tmp_path / "m.json")
        rebuilt = nn.load(tmp_path / "m.json")
        assert type(rebuilt) is type(module) and rebuilt.state_dict() == module.state_dict()
        assert rebuilt.config() == module.config()


def test_mismatched_architecture_is_a_clear_error(model: nn.MLP, tmp_path) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    other = nn.MLP(3, [5, 3, 2], activation="tanh", seed=0)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"model\.json.*sizes=\[5, 4, 2\].*sizes=\[5, 3, 2\]"):
        other.load(path)
    assert other.state_dict() == before
    with pytest.raises(ValueError, match="holds MLP"):
        nn.Neuron(3).load(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a deltagrad model"),
        ('{"format": "something else"}', "not a deltagrad model"),
        ('{"format": "deltagrad.nn", "version": 99}', "version 99"),
        ('{"format": "deltagrad.nn", "version": 1, "model": "MLP"}', "'config'"),
    ],
)
def test_corrupt_files_are_clear_errors_naming_the_path(model: nn.MLP, tmp_path, content: str, match: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match) as info:
        model.load(path)
    assert "broken.json" in str(info.value)
    with pytest.raises(ValueError, match=match):
        nn.load(path)
    assert model.state_dict() == before


def test_tampered_parameters_are_rejected(model: nn.MLP, tmp_path) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    document = json.loads(path.read_text())
    document["parameters"].pop("layers.1.neurons.2.w.3")
    path.write_text(json.dumps(document))
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"model\.json.*missing 'layers\.1\.neurons\.2\.w\.3'"):
        model.load(path)
    assert model.state_dict() == before
    document["model"] = "Transformer"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="unknown model class 'Transformer'"):
        nn.load(path)


def test_missing_file_and_binary_garbage(model: nn.MLP, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.json"):
        model.load(tmp_path / "nope.json")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x80\x81\xff\x00")
    with pytest.raises(ValueError, match="garbage.json"):
        model.load(garbage)


def test_save_refuses_non_finite_parameters(model: nn.MLP, tmp_path) -> None:
    model.parameters()[0].data = float("inf")
    with pytest.raises(ValueError, match="not finite"):
        model.save(tmp_path / "m.json")


def test_zero_grad_train_eval(model: nn.MLP) -> None:
    out = model([1.0, 2.0, 3.0])
    (out[0] + out[1]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.training and model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert sum(1 for m in model.modules() if isinstance(m, nn.Neuron)) == 5 + 4 + 2


def test_custom_module_can_be_registered_and_reloaded(tmp_path) -> None:
    @nn.register
    class Affine(nn.Module):
        def __init__(self, scale: float = 1.0) -> None:
            self.scale = nn.Parameter(scale)
            self.shift = nn.Parameter(0.0)

        def forward(self, x):
            return self.scale * x + self.shift

        def config(self):
            return {}

    m = Affine(3.0)
    m.save(tmp_path / "affine.json")
    assert nn.load(tmp_path / "affine.json").state_dict() == {"scale": 3.0, "shift": 0.0}
    assert "Affine() with 2 parameters" == repr(m)
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1.0)


def test_structure_is_public_downwards_and_upwards() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_modules()]
    assert names[:3] == ["", "layers.0", "layers.0.neurons.0"] and len(names) == 1 + 2 + 3 + 1
    assert [name for name, _ in model.named_children()] == ["layers.0", "layers.1"]
    assert len(model.parameters()) == 3 * 3 + 4  # the way up is not walked down again
    neuron = model.layers[0].neurons[2]
    assert all(p.owner is neuron for p in neuron.parameters())
    assert neuron.parent is model.layers[0] and model.layers[0].parent is model and model.parent is None
    assert nn.Parameter(1.0).owner is None


class Bag(nn.Module):
    """A module holding a list of parameters, as a user writes one."""

    def __init__(self) -> None:
        self.ps = [nn.Parameter(float(i)) for i in range(3)]

    def forward(self, x: float) -> object:
        return sum(p * x for p in self.ps)


IN_PLACE = {
    "setitem": lambda ps, p: ps.__setitem__(0, p),
    "slice": lambda ps, p: ps.__setitem__(slice(0, 2), [p]),
    "append": lambda ps, p: ps.append(p),
    "extend": lambda ps, p: ps.extend([p]),
    "iadd": lambda ps, p: ps.__iadd__([p]),
    "insert": lambda ps, p: ps.insert(1, p),
    "delitem": lambda ps, p: ps.__delitem__(0),
    "pop": lambda ps, p: ps.pop(),
    "remove": lambda ps, p: ps.remove(ps[1]),
    "sort": lambda ps, p: ps.sort(key=lambda q: -q.data),
    "reverse": lambda ps, p: ps.reverse(),
    "imul": lambda ps, p: ps.__imul__(1),
}


@pytest.mark.parametrize("change", IN_PLACE.values(), ids=IN_PLACE.keys())
def test_a_list_changed_in_place_tells_its_module(change) -> None:
    outer = nn.Module()
    outer.bag = Bag()
    version = outer.structure_version
    new = nn.Parameter(9.0)
    change(outer.bag.ps, new)
    assert isinstance(outer.bag.ps, nn.HeldList)
    assert outer.structure_version != version and outer.bag.structure_version != version
    assert [p.name for p in outer.parameters()] == [name for name, _ in outer.named_parameters()]
    assert all(name.startswith("bag.ps.") for name, _ in outer.named_parameters())
    if any(p is new for p in outer.bag.ps):
        assert new.owner is outer.bag


def test_names_are_paths_from_the_outermost_module_after_an_inner_change() -> None:
    outer = nn.Module()
    outer.body = nn.MLP(2, [3, 1], seed=0)
    outer.body.layers = [outer.body.layers[0], nn.Layer(3, 2, None, seed=1, layer=2)]  # set on the inner module
    assert outer.parameters()[-1].name == "body.layers.1.neurons.1.b"
    outer.body.layers.append(nn.Layer(2, 1, None, seed=2, layer=3))
    assert outer.parameters()[-1].name == "body.layers.2.neurons.0.b"
    assert [p.name for p in outer.parameters()] == [name for name, _ in outer.named_parameters()]


def test_assigning_a_list_keeps_a_held_copy_of_it() -> None:
    bag = Bag()
    ps = [nn.Parameter(1.0), nn.Parameter(2.0)]
    bag.ps = ps
    assert bag.ps == ps and bag.ps is not ps and bag.ps.holder is bag
    other = Bag()
    other.ps = bag.ps  # a list held by another module is copied for this one
    assert other.ps.holder is other and bag.ps.holder is bag


def test_a_deep_copied_model_is_its_own(model: nn.MLP) -> None:
    import copy

    twin = copy.deepcopy(model)
    assert twin.state_dict() == model.state_dict()
    assert twin.layers.holder is twin and twin.layers[0].neurons.holder is twin.layers[0]
    assert twin.parameters()[0].owner is twin.layers[0].neurons[0]
    version = model.structure_version
    twin.layers[0] = nn.Layer(3, 5, "tanh", seed=3, layer=1)
    assert model.structure_version == version
    assert twin.state_dict() != model.state_dict()
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(nn.predict(twin, X, compiled=True), nn.predict(twin, X), rtol=1e-12, atol=1e-12)


def test_a_parameter_of_a_module_taken_out_of_the_model_has_a_name() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    old = model.layers[1].neurons[0].w[0]  # never named yet: names are given on first read
    model.layers[1] = nn.Layer(3, 1, None, seed=1, layer=2)
    assert old.name == ""
    assert model.layers[1].neurons[0].w[0].name == "layers.1.neurons.0.w.0"
