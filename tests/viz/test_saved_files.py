"""viz saves its pages through nn.atomic, the same writer as nn.save: stale temporaries go, modes are kept."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import Value


def backward_steps() -> Any:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    return viz.backward_steps((x * w).tanh())


def explore() -> Any:
    pytest.importorskip("anywidget")
    return viz.explore(lambda x, w: (x * w).tanh(), x=1.0, w=0.5)


@pytest.mark.parametrize("make", [backward_steps, explore])
def test_save_html_removes_what_an_interrupted_save_left_and_keeps_the_mode(make: Any, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("an older page")
    page.chmod(0o600)
    stale = tmp_path / ".page.html.0123456789ab.tmp"  # a save killed half-way, a minute ago
    stale.write_text("<!DOCTYPE html><html")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    assert make().save_html(page) == page
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    assert oct(page.stat().st_mode & 0o777) == oct(0o600)


def test_save_html_makes_the_folders_it_needs(tmp_path: Path) -> None:
    page = backward_steps().save_html(str(tmp_path / "slides" / "week 3" / "steps.html"))
    assert page == tmp_path / "slides" / "week 3" / "steps.html" and page.is_file()


@pytest.mark.parametrize("suffix", [".dot", ".svg", ".png"])
def test_save_writes_atomically_and_a_failed_save_keeps_the_old_picture(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if suffix != ".dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot renders .svg and .png")
    x = Value(2.0, label="x")
    path = tmp_path / "pictures" / f"graph{suffix}"  # its folder is made
    stale = tmp_path / "pictures" / f".graph{suffix}.0123456789ab.tmp"
    assert viz.save(x * x, path) == path
    old = path.read_bytes()
    stale.write_bytes(b"half a picture")
    os.utime(stale, (time.time() - 60, time.time() - 60))

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space left"):
        viz.save((x * x).tanh(), path)
    monkeypatch.undo()
    assert path.read_bytes() == old and sorted(p.name for p in path.parent.iterdir()) == [path.name]
