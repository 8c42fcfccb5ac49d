"""fit / predict / evaluate, the training bars of issue 3, and the compiled path against the scalar one."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn


def test_xor_2_4_1_reaches_100_percent() -> None:
    X, y = nn.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    history = nn.fit(
        model, X, y, loss="bce_with_logits", optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=300, progress=False
    )
    assert nn.accuracy(model, X, y) == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert history.accuracy[-1] == 1.0


def test_moons_micrograd_setup_reaches_97_percent() -> None:
    """micrograd's demo: MLP(2,[16,16,1]), hinge loss + L2, full batch, 100 SGD steps with lr 1 → 0.1."""
    X, y = nn.moons(100, noise=0.1, seed=0)
    labels = 2 * y - 1
    model = nn.MLP(2, [16, 16, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=1.0, weight_decay=1e-4)
    schedule = nn.LambdaLR(optimizer, lambda epoch: 1.0 - 0.9 * epoch / 100)
    history = nn.fit(
        model, X, labels, loss="hinge", optimizer=optimizer, scheduler=schedule, epochs=100, progress=False
    )
    assert nn.accuracy(model, X, labels) >= 0.97
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(0.109)
    assert history.loss[-1] < history.loss[0] / 10


def test_digits_subset_softmax_cross_entropy() -> None:
    """A small honest version of the digits bar (the full run is benchmarks/bench_digits.py)."""
    pytest.importorskip("sklearn")
    X, y = nn.digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X[:375], y[:375], test_size=0.2, seed=0)
    model = nn.MLP(64, [16, 10], seed=0)
    history = nn.fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=nn.Adam(model.parameters(), lr=0.03),
        epochs=5,
        batch_size=32,
        X_val=X_test,
        y_val=y_test,
        seed=0,
        progress=False,
    )
    assert nn.accuracy(model, X_test, y_test) >= 0.9
    assert history.val_accuracy[-1] == nn.accuracy(model, X_test, y_test)
    assert history.val_loss[-1] == pytest.approx(nn.evaluate(model, X_test, y_test, "cross_entropy")["loss"])
    assert len(history.loss) == len(history.val_loss) == 5 == history.epochs


def test_weight_decay_shrinks_the_weight_norm() -> None:
    X, y = nn.moons(40, noise=0.1, seed=1)
    norms = {}
    for lam in (0.0, 0.05):
        model = nn.MLP(2, [8, 1], seed=2)
        opt = nn.SGD(model.parameters(), lr=0.2, weight_decay=lam)
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=60, progress=False)
        norms[lam] = np.sqrt(sum(p.data**2 for p in model.parameters()))
    assert norms[0.05] < 0.8 * norms[0.0]


def test_inference_runs_under_no_grad_and_predict_shapes() -> None:
    class Probe(nn.Module):
        def __init__(self) -> None:
            self.inner = nn.MLP(2, [3, 2], seed=0)
            self.modes: list[bool] = []

        def forward(self, x):
            self.modes.append(autograd.is_grad_enabled())
            return self.inner(x)

    probe = Probe()
    X, y = nn.spiral(12, classes=2, seed=0)
    assert nn.predict(probe, X).shape == (12, 2)
    nn.accuracy(probe, X, y)
    result = nn.evaluate(probe, X, y, loss="cross_entropy")
    assert set(result) == {"loss", "accuracy"} and not any(probe.modes)
    assert nn.predict(nn.MLP(2, [3, 1], seed=0), X).shape == (12,)
    with pytest.raises(ValueError, match="2-D"):
        nn.predict(probe, X[0])


def test_accuracy_thresholds() -> None:
    model = nn.Neuron(1, "linear", weights=[1.0])
    X = np.array([[-2.0], [-0.2], [0.3], [2.0]])
    assert nn.accuracy(model, X, [0, 0, 1, 1]) == 1.0
    assert nn.accuracy(model, X, [-1, -1, 1, 1]) == 1.0
    assert nn.accuracy(model, X, [0, 1, 1, 1], threshold=0.5) == 0.5
    probability = nn.Neuron(1, "sigmoid", weights=[1.0])  # σ(x): every output > 0, a cut at 0 would give 0.5
    assert nn.evaluate(probability, X, [0, 0, 1, 1], loss="bce")["accuracy"] == 1.0  # probabilities: cut at 0.5
    with pytest.raises(ValueError, match="binary_cross_entropy: a prediction .* must lie in \\[0, 1\\], got -2.0"):
        nn.evaluate(model, X, [0, 0, 1, 1], loss="bce")  # a score is not a probability: no silent clamping


def test_regression_has_no_accuracy() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X @ np.array([0.5, -1.5]) + 0.3
    model = nn.MLP(2, [1], seed=0)
    history = nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=0.2), epochs=100, progress=False)
    assert history.accuracy == [] and history.loss[-1] < 1e-3
    np.testing.assert_allclose([p.data for p in model.parameters()], [0.5, -1.5, 0.3], atol=0.02)


def test_callbacks_early_stopping_scheduler_callable_and_progress(capsys) -> None:
    X, y = nn.moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    seen = []

    def stop_at_three(epoch, logs):
        seen.append((epoch, sorted(logs)))
        return epoch == 2

    history = nn.fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        epochs=10,
        callbacks=[stop_at_three],
        scheduler=lambda epoch: 0.1 / (epoch + 1),
        progress=False,
    )
    assert history.epochs == 3 and [e for e, _ in seen] == [0, 1, 2]
    assert seen[0][1] == ["accuracy", "loss", "lr"]
    assert history.lr == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert capsys.readouterr().err == ""
    nn.fit(model, X, y, loss="bce_with_logits", epochs=2, progress=True)
    assert "epoch" in capsys.readouterr().err


def test_fit_validates_its_inputs() -> None:
    X, y = nn.moons(10, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="hinge: labels must be -1 or \\+1"):
        nn.fit(model, X, y, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="one label per row"):
        nn.fit(model, X, y[:5], progress=False)
    with pytest.raises(ValueError, match="X_val and y_val"):
        nn.fit(model, X, y, X_val=X, progress=False)
    with pytest.raises(ValueError, match="class indices 0..2"):
        nn.fit(nn.MLP(2, [3], seed=0), X, y + 5, loss="cross_entropy", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        nn.fit(model, X, y, epochs=-1, progress=False)


def test_minibatch_step_is_the_mean_gradient() -> None:
    """One fit epoch with batch_size=m equals the hand-written loop: J = mean L, backward, step."""
    X, y = nn.moons(12, seed=3)
    a, b = nn.MLP(2, [5, 1], seed=4), nn.MLP(2, [5, 1], seed=4)
    nn.fit(
        a,
        X,
        y,
        loss="mse",
        optimizer=nn.SGD(a.parameters(), lr=0.3),
        batch_size=4,
        shuffle=False,
        epochs=1,
        progress=False,
    )
    opt = nn.SGD(b.parameters(), lr=0.3)
    for start in range(0, 12, 4):
        opt.zero_grad()
        J = nn.mean_loss(nn.mse, [b(x) for x in X[start : start + 4]], y[start : start + 4].tolist())
        J.backward()
        opt.step()
    assert a.state_dict() == b.state_dict()


# ------------------------------------------------------------------------- compiled path
def _train(compiled, model_args, loss, X, y, optimizer, **kwargs):
    model = nn.MLP(*model_args, seed=5)
    history = nn.fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optimizer(model.parameters()),
        epochs=3,
        batch_size=8,
        seed=1,
        progress=False,
        compiled=compiled,
        **kwargs,
    )
    return model, history


@pytest.mark.parametrize(
    ("model_args", "loss", "labels"),
    [
        ((2, [6, 3], "tanh"), "cross_entropy", "index"),
        ((2, [6, 3], "relu"), "cross_entropy", "one_hot"),
        ((2, [5, 1], "relu"), "hinge", "pm1"),
        ((2, [5, 1], "elu"), "bce_with_logits", "01"),
        ((2, [5, 1], "tanh", "sigmoid"), "bce", "01"),
        ((2, [5, 3], "leaky_relu"), "mse", "one_hot"),
        ((2, [5, 1], "tanh"), "mse", "regression"),
    ],
)
def test_compiled_fit_matches_the_scalar_path(model_args, loss, labels) -> None:
    X, y = nn.spiral(30, classes=3, seed=0) if "3" in str(model_args[1]) else nn.moons(30, seed=0)
    y = {"index": y, "one_hot": nn.one_hot(y), "pm1": 2 * y - 1, "01": y, "regression": X[:, 0] * X[:, 1]}[labels]
    X_val, y_val = X[:10] + 0.05, y[:10]
    for optimizer in (lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9), lambda ps: nn.Adam(ps, lr=0.05)):
        scalar, h_scalar = _train(False, model_args, loss, X, y, optimizer, X_val=X_val, y_val=y_val)
        fast, h_fast = _train(True, model_args, loss, X, y, optimizer, X_val=X_val, y_val=y_val)
        np.testing.assert_allclose(list(fast.state_dict().values()), list(scalar.state_dict().values()), atol=1e-9)
        np.testing.assert_allclose(h_fast.loss, h_scalar.loss, atol=1e-9)
        np.testing.assert_allclose(h_fast.val_loss, h_scalar.val_loss, atol=1e-9)
        assert h_fast.accuracy == h_scalar.accuracy and h_fast.val_accuracy == h_scalar.val_accuracy
        assert h_scalar.loss[-1] < h_scalar.loss[0]  # parameters changed between steps


@pytest.mark.parametrize("sizes", [[5, 1], [5, 3]])
def test_compiled_predict_and_accuracy_match_the_scalar_path(sizes) -> None:
    X, y = nn.spiral(20, classes=3, seed=1)
    model = nn.MLP(2, sizes, activation="tanh", seed=2)
    scalar, compiled = nn.predict(model, X), nn.predict(model, X, compiled=True)
    assert compiled.shape == scalar.shape
    np.testing.assert_allclose(compiled, scalar, rtol=1e-12, atol=1e-12)
    labels = y if sizes[-1] == 3 else (y > 0).astype(float)
    assert nn.accuracy(model, X, labels, compiled=True) == nn.accuracy(model, X, labels)


def test_compiled_predict_traces_once_per_model_until_its_structure_changes() -> None:
    X = nn.spiral(12, classes=3, seed=3)[0]
    model = nn.MLP(2, [4, 3], activation="tanh", seed=4)
    first = nn.predict(model, X, compiled=True)
    graph = nn.train._traced_model(model, 2, np.float64)
    assert nn.train._traced_model(model, 2, np.float64) is graph  # cached
    model.layers[0].neurons[0].w[0].data += 1.0  # a value changes: the same trace reads it
    changed = nn.predict(model, X, compiled=True)
    assert nn.train._traced_model(model, 2, np.float64) is graph
    np.testing.assert_allclose(changed, nn.predict(model, X), rtol=1e-12, atol=1e-12)
    assert not np.allclose(changed, first)
    model.layers = [model.layers[0], nn.Layer(4, 2, None, seed=5, layer=2)]  # the structure changes
    assert nn.predict(model, X, compiled=True).shape == (12, 2)
    assert nn.train._traced_model(model, 2, np.float64) is not graph


def test_each_model_keeps_its_own_trace_until_its_own_structure_changes() -> None:
    X = nn.spiral(10, classes=3, seed=3)[0]
    first, second = nn.MLP(2, [4, 3], seed=4), nn.MLP(2, [4, 3], seed=5)
    graphs = [nn.train._traced_model(m, 2, np.float64) for m in (first, second)]
    versions = [m.structure_version for m in (first, second)]
    second.layers = [second.layers[0], nn.Layer(4, 2, None, seed=6, layer=2)]  # another model changes
    assert first.structure_version == versions[0] and second.structure_version != versions[1]
    assert nn.train._traced_model(first, 2, np.float64) is graphs[0]
    assert nn.train._traced_model(second, 2, np.float64) is not graphs[1]
    np.testing.assert_allclose(nn.predict(second, X, compiled=True), nn.predict(second, X), rtol=1e-12, atol=1e-12)
    graph = nn.train._traced_model(first, 2, np.float64)
    first.layers[1].neurons = first.layers[1].neurons[:2]  # a submodule's structure changes: the model's too
    assert nn.train._traced_model(first, 2, np.float64) is not graph
    assert nn.predict(first, X, compiled=True).shape == (10, 2)
    np.testing.assert_allclose(nn.predict(first, X, compiled=True), nn.predict(first, X), rtol=1e-12, atol=1e-12)


def test_a_shared_submodule_changing_invalidates_every_model_holding_it() -> None:
    class Head(nn.Module):
        def __init__(self, body: nn.Module, out: int, seed: int) -> None:
            self.body = body
            self.out = nn.Layer(3, out, None, seed=seed)

        def forward(self, x):
            return self.out(self.body(x))

    body = nn.Layer(2, 3, "tanh", seed=7)
    one, two = Head(body, 2, 8), Head(body, 1, 9)
    X = nn.spiral(5, classes=2, seed=10)[0]
    graphs = [nn.train._traced_model(m, 2, np.float64) for m in (one, two)]
    body.neurons = body.neurons[:1] + [nn.Neuron(2, "tanh", seed=11)] + body.neurons[2:]
    for model, graph in zip((one, two), graphs):
        assert nn.train._traced_model(model, 2, np.float64) is not graph
        np.testing.assert_allclose(nn.predict(model, X, compiled=True), nn.predict(model, X), rtol=1e-12, atol=1e-12)


def test_compiled_float32_fit_and_predict_follow_float64() -> None:
    X, y = nn.spiral(60, classes=3, seed=6)
    runs = {}
    for dtype in (np.float64, np.float32):
        model = nn.MLP(2, [8, 3], activation="tanh", seed=7)
        history = nn.fit(
            model,
            X,
            y,
            loss="cross_entropy",
            optimizer=nn.SGD(model.parameters(), lr=0.1, momentum=0.9),
            epochs=4,
            batch_size=16,
            seed=2,
            progress=False,
            compiled=True,
            dtype=dtype,
        )
        runs[dtype] = model, history, nn.predict(model, X, compiled=True, dtype=dtype)
    (m64, h64, p64), (m32, h32, p32) = runs[np.float64], runs[np.float32]
    assert p32.dtype == np.float32 and p64.dtype == np.float64
    np.testing.assert_allclose(h32.loss, h64.loss, rtol=1e-5)
    np.testing.assert_allclose(list(m32.state_dict().values()), list(m64.state_dict().values()), atol=1e-5)
    np.testing.assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)
    assert h32.loss != h64.loss  # really trained in float32


def test_float32_needs_the_compiled_path() -> None:
    X, y = nn.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="dtype=float32 needs compiled=True"):
        nn.fit(model, X, y, epochs=1, progress=False, dtype=np.float32)
    with pytest.raises(ValueError, match="dtype=float32 needs compiled=True"):
        nn.predict(model, X, dtype=np.float32)


class _StepOnlySGD(nn.Optimizer):
    """A user's optimiser written the PyTorch way, with ``step`` on the Values and no array ``update``."""

    def step(self) -> None:
        for p in self.params:
            p.data -= self.lr * p.grad


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda model: _StepOnlySGD(model.parameters(), lr=0.1),
        lambda model: nn.SGD(model.layers[-1].parameters(), lr=0.1, momentum=0.5),  # first layer frozen
    ],
    ids=["step-only optimiser", "frozen first layer"],
)
def test_compiled_fit_matches_the_scalar_path_for_any_optimiser(optimizer) -> None:
    X, y = nn.spiral(20, classes=3, seed=3)
    models = {}
    for compiled in (False, True):
        model = nn.MLP(2, [6, 3], activation="tanh", seed=4)
        nn.fit(
            model,
            X,
            y,
            loss="cross_entropy",
            optimizer=optimizer(model),
            epochs=2,
            batch_size=7,
            seed=0,
            progress=False,
            compiled=compiled,
        )
        models[compiled] = model
    for (name, p), q in zip(models[False].named_parameters(), models[True].parameters()):
        assert q.data == pytest.approx(p.data, rel=1e-9, abs=1e-12), name
        assert q.grad == pytest.approx(p.grad, rel=1e-9, abs=1e-12), name  # frozen ones: accumulated grads
    first = models[True].layers[0].parameters()
    untouched = nn.MLP(2, [6, 3], activation="tanh", seed=4).layers[0].parameters()
    if not isinstance(optimizer(models[True]), _StepOnlySGD):
        assert [p.data for p in first] == [p.data for p in untouched]


def test_compiled_trainer_holds_the_parameters_until_sync() -> None:
    X, y = nn.moons(16, seed=2)
    model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    trainer = nn.CompiledTrainer(model, "bce_with_logits", nn.SGD(model.parameters(), lr=0.5), X, y)
    before = [p.data for p in model.parameters()]
    trainer.step(X, y)
    assert [p.data for p in model.parameters()] == before  # held in arrays, not yet written
    trainer.sync()
    after = [p.data for p in model.parameters()]
    assert after != before and all(p.grad != 0.0 for p in model.layers[-1].parameters())

    reference = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    for p, q in zip(reference.parameters(), after):
        p.data = q
    w = model.layers[0].neurons[0].w[0]
    w.data = 3.0  # a change made between syncs is seen by the next step
    reference.layers[0].neurons[0].w[0].data = 3.0
    trainer.step(X, y)
    trainer.sync()
    nn.fit(
        reference,
        X,
        y,
        loss="bce_with_logits",
        optimizer=nn.SGD(reference.parameters(), lr=0.5),
        epochs=1,
        shuffle=False,
        progress=False,
    )
    np.testing.assert_allclose(
        [p.data for p in model.parameters()], [p.data for p in reference.parameters()], rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize(("loss", "labels"), [("cross_entropy", "index"), ("mse", "one_hot"), ("hinge", "pm1")])
def test_compiled_evaluate_matches_the_scalar_path(loss, labels) -> None:
    X, y = nn.spiral(15, classes=3, seed=5)
    sizes = [4, 1] if labels == "pm1" else [4, 3]
    y = {"index": y, "one_hot": nn.one_hot(y), "pm1": np.where(y > 0, 1.0, -1.0)}[labels]
    model = nn.MLP(2, sizes, activation="relu", seed=6)
    scalar, compiled = nn.evaluate(model, X, y, loss), nn.evaluate(model, X, y, loss, compiled=True)
    assert compiled.keys() == scalar.keys() == {"loss", "accuracy"}
    assert compiled["loss"] == pytest.approx(scalar["loss"], rel=1e-12)
    assert compiled["accuracy"] == scalar["accuracy"]


def test_compiled_fit_writes_the_model_back_for_callbacks_and_when_interrupted() -> None:
    X, y = nn.spiral(20, classes=3, seed=8)
    runs = {}
    for compiled in (False, True):
        model = nn.MLP(2, [6, 3], activation="tanh", seed=9)
        seen: list[list[float]] = []

        def record(epoch: int, logs: dict[str, float], model: nn.MLP = model, seen: list = seen) -> None:
            seen.append([p.data for p in model.parameters()])  # the model as it is after this epoch

        opt = nn.SGD(model.parameters(), lr=0.2, momentum=0.9)
        nn.fit(
            model,
            X,
            y,
            "cross_entropy",
            opt,
            epochs=3,
            batch_size=16,
            seed=1,
            progress=False,
            compiled=compiled,
            callbacks=[record],
        )
        runs[compiled] = np.array(seen)
    np.testing.assert_allclose(runs[True], runs[False], rtol=1e-9, atol=1e-12)
    assert not np.allclose(runs[True][0], runs[True][-1])

    model = nn.MLP(2, [6, 3], activation="tanh", seed=9)
    before = [p.data for p in model.parameters()]

    def schedule(epoch: int) -> float:  # called before each epoch: the second one is interrupted
        if epoch == 1:
            raise KeyboardInterrupt
        return 0.2

    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, X, y, "cross_entropy", epochs=3, batch_size=16, progress=False, compiled=True, scheduler=schedule)
    assert [p.data for p in model.parameters()] != before  # the epoch trained before the interruption is kept


def test_compiled_fit_tests_its_data_once_even_in_float32() -> None:
    X, y = nn.spiral(10, classes=3, seed=10)
    model = nn.MLP(2, [4, 3], seed=11)
    X[7, 1] = 1e39  # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"fit \(X in float32\).*X\[7, 1\]"):
        nn.fit(model, X, y, "cross_entropy", epochs=1, progress=False, compiled=True, dtype=np.float32)
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"fit: .*X\[7, 1\]"):
        nn.fit(model, X, y, "cross_entropy", epochs=1, progress=False, compiled=True)


def test_compiled_predict_retraces_after_a_list_is_changed_in_place() -> None:
    X = nn.spiral(12, classes=3, seed=3)[0]
    model = nn.MLP(2, [4, 3], activation="tanh", seed=4)
    before = nn.predict(model, X, compiled=True)
    model.layers[1] = nn.Layer(4, 3, None, seed=7, layer=2)  # same shapes: only a new trace sees the new weights
    after = nn.predict(model, X, compiled=True)
    np.testing.assert_allclose(after, nn.predict(model, X), rtol=1e-12, atol=1e-12)
    assert not np.allclose(after, before)
    model.layers[0].neurons[1].w[0] = nn.Parameter(3.0)  # one weight replaced, deep inside
    np.testing.assert_allclose(nn.predict(model, X, compiled=True), nn.predict(model, X), rtol=1e-12, atol=1e-12)
