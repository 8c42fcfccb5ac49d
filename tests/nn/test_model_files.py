"""Hostile and broken model files are rejected cheaply, with the ``load '<path>': ...`` wording; saves are atomic."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

import nn


@pytest.fixture
def model() -> nn.MLP:
    return nn.MLP(2, [3, 1], activation="tanh", seed=4)


@pytest.fixture
def saved(model: nn.MLP, tmp_path: Path) -> Path:
    path = tmp_path / "model.json"
    model.save(path)
    return path


def rewrite(path: Path, change: Any) -> dict[str, Any]:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return document


def test_a_small_file_describing_a_huge_model_is_rejected_before_building_it(saved: Path) -> None:
    """issue 15: a 702-byte file with nin=1000, sizes=[1000, 1000] used to build 2M parameters first (26 s, 1 GiB)."""
    rewrite(saved, lambda d: d["config"].update(nin=1000, sizes=[1000, 1000]))
    assert saved.stat().st_size < 1000
    start = time.perf_counter()
    with pytest.raises(
        ValueError,
        match=r"load '.*model\.json': cannot rebuild MLP from its config: its config "
        r"describes 2002000 parameters, but the file holds 13",
    ):
        nn.load(saved)
    assert time.perf_counter() - start < 0.5  # nothing was built


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"nin": 10**4000, "sizes": [10**4000]}, r"describes about 10\^8000 parameters"),
        ({"nin": 2, "sizes": [3, 10**30]}, r"describes about 10\^30 parameters"),
        ({"nin": -2, "sizes": [3, 1]}, "MLP: nin must be a positive int, got -2"),
        ({"nin": 2.5, "sizes": [3, 1]}, "MLP: nin must be a positive int, got 2.5"),
        ({"nin": 2, "sizes": "31"}, "sizes must be a non-empty list"),
        ({"sizes": [3, 1]}, "it has no 'nin' entry"),
    ],
    ids=["huge_ints", "huge_layer", "negative", "float", "string_sizes", "missing_key"],
)
def test_configs_that_cannot_match_the_file_are_named(saved: Path, config: dict[str, Any], match: str) -> None:
    rewrite(saved, lambda d: d.update(config=config))
    with pytest.raises(ValueError, match=rf"load '.*model\.json': cannot rebuild MLP from its config: .*{match}"):
        nn.load(saved)


def test_a_5000_digit_integer_is_a_load_error(saved: Path) -> None:
    text = saved.read_text().replace('"nin": 2', '"nin": ' + "9" * 5000)
    saved.write_text(text)
    for load in (nn.load, nn.MLP(2, [3, 1]).load):
        with pytest.raises(ValueError, match=r"load '.*model\.json': not a deltagrad model file \(a number"):
            load(saved)


@pytest.mark.parametrize("number", ["1" + "0" * 400, "9" * 400, "1e5000", "-1e400"])
def test_a_parameter_too_large_for_a_float_is_a_load_error(model: nn.MLP, saved: Path, number: str) -> None:
    document = json.loads(saved.read_text())
    name = next(iter(document["parameters"]))
    saved.write_text(saved.read_text().replace(json.dumps(document["parameters"][name]), number, 1))
    before = model.state_dict()
    with pytest.raises(ValueError, match=rf"load '.*model\.json': load_state_dict: '{name}' must be (a )?finite"):
        model.load(saved)
    with pytest.raises(ValueError, match=r"load '.*model\.json'"):
        nn.load(saved)
    assert model.state_dict() == before


def test_deeply_nested_json_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(
        '{"format": "deltagrad.nn", "version": 1, "model": "MLP", "config": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    with pytest.raises(ValueError, match=r"load '.*deep\.json': not a deltagrad model file \(JSON nested too deeply\)"):
        nn.load(path)


def test_a_directory_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"load '.*': is a directory, not a model file"):
        nn.load(tmp_path)


def test_an_unreadable_file_is_a_load_error(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(nn.module, "open", denied, raising=False)  # CI runs as root, which chmod cannot stop
    with pytest.raises(PermissionError, match=r"load '.*model\.json': cannot read the file \(Permission denied\)"):
        nn.load(saved)


def test_save_replaces_the_file_in_one_step_and_keeps_its_permissions(model: nn.MLP, saved: Path) -> None:
    saved.chmod(0o640)
    inode = saved.stat().st_ino
    model.parameters()[0].data = 0.125
    model.save(saved)
    assert saved.stat().st_ino != inode  # a new file was renamed over the old one
    assert oct(saved.stat().st_mode & 0o777) == oct(0o640)
    assert nn.load(saved).parameters()[0].data == 0.125
    assert [p.name for p in saved.parent.iterdir()] == ["model.json"]  # no temporary file left


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failing_save_leaves_the_old_file_intact(
    model: nn.MLP, saved: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A full disk (ENOSPC) at any point of the save: the previous file still loads, and no temporary remains."""
    good, before = saved.read_bytes(), model.state_dict()

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        def fdopen(*args: Any, **kwargs: Any) -> Any:
            f = real_fdopen(*args, **kwargs)
            real_write = f.write

            def write(text: str) -> int:
                real_write(text[: len(text) // 2])
                f.flush()
                full()
                return 0

            f.write = write
            return f

        monkeypatch.setattr(os, "fdopen", fdopen)
    else:
        monkeypatch.setattr(os, failing, full)
    for p in model.parameters():
        p.data += 1.0
    with pytest.raises(OSError, match="No space left"):
        model.save(saved)
    monkeypatch.undo()
    assert saved.read_bytes() == good
    assert nn.load(saved).state_dict() == before
    assert [p.name for p in saved.parent.iterdir()] == ["model.json"]


def test_save_into_a_missing_folder_names_the_path(model: nn.MLP, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"save '.*nowhere/m\.json': cannot write in"):
        model.save(tmp_path / "nowhere" / "m.json")


def test_save_through_a_symlink_writes_the_target(model: nn.MLP, saved: Path) -> None:
    link = saved.parent / "link.json"
    link.symlink_to(saved)
    model.parameters()[0].data = -0.5
    model.save(link)
    assert link.is_symlink()
    assert nn.load(saved).parameters()[0].data == -0.5
