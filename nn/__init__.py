"""deltagrad's nn: neurons, layers, MLPs and what training them needs.

>>> import nn
>>> X, y = nn.data.xor()
>>> model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
>>> history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1),
...                  epochs=150, progress=False)
>>> nn.accuracy(model, X, y)
1.0
"""

import importlib.util as _util
from pathlib import Path as _Path

# deltagrad's import check (autograd/_install_check.py), loaded by path BEFORE anything imports `autograd`, so that
# it also works when that name belongs to another project: it stops with the file in the way and the fix.
_check = _util.spec_from_file_location("_install_check", _Path(__file__).parents[1] / "autograd" / "_install_check.py")
_check.loader.exec_module(_module := _util.module_from_spec(_check))  # type: ignore[union-attr, arg-type]
_module.check_install(__file__, ("autograd",))
del _util, _Path, _check, _module

from . import data, init, losses, optim
from .activations import ACTIVATIONS, activation
from .data import batches, circles, digits, mnist, moons, one_hot, sine, spiral, train_test_split, xor
from .deltas import LayerDeltas, layer_deltas
from .diagnostics import Health, HealthMonitor, LayerHealth, health
from .gpt import MicroGPT
from .layers import MLP, Layer, Neuron
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2_penalty,
    mean_loss,
    mse,
)
from .module import HeldList, IncompatibleKeys, Module, load, register
from .optim import SGD, Adam, LambdaLR, LRScheduler, Optimizer, StepLR
from .parameter import Parameter
from .train import CompiledTrainer, History, accuracy, evaluate, fit, predict

__all__ = [
    "Parameter",
    "Module",
    "HeldList",
    "IncompatibleKeys",
    "register",
    "load",
    "Neuron",
    "Layer",
    "MLP",
    "MicroGPT",
    "ACTIVATIONS",
    "activation",
    "init",
    "losses",
    "mse",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l2_penalty",
    "mean_loss",
    "optim",
    "Optimizer",
    "SGD",
    "Adam",
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "data",
    "xor",
    "moons",
    "sine",
    "circles",
    "spiral",
    "digits",
    "mnist",
    "train_test_split",
    "batches",
    "one_hot",
    "History",
    "fit",
    "CompiledTrainer",
    "predict",
    "accuracy",
    "evaluate",
    "layer_deltas",
    "LayerDeltas",
    "health",
    "Health",
    "LayerHealth",
    "HealthMonitor",
]
