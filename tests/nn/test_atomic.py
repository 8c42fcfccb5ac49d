"""nn.atomic.write_atomically, the one atomic writer (nn.save and viz's pages and pictures write through it)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest

from nn.atomic import STALE_SECONDS, write_atomically


def aged(path: Path, text: str = "half a file") -> Path:
    """``path`` written, then dated a minute back: what an interrupted write leaves."""
    path.write_text(text, encoding="utf-8")
    then = time.time() - max(60.0, 2 * STALE_SECONDS)
    os.utime(path, (then, then))
    return path


def test_writes_the_text_and_returns_the_path(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    assert write_atomically(str(target), "δ ✓") == target
    assert target.read_text(encoding="utf-8") == "δ ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_new_file_gets_opens_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.txt", "a")
    finally:
        os.umask(previous)
    assert oct((tmp_path / "new.txt").stat().st_mode & 0o777) == oct(0o640)  # 0o666 less the umask, as open()
    (tmp_path / "old.txt").write_text("old")
    (tmp_path / "old.txt").chmod(0o600)
    write_atomically(tmp_path / "old.txt", "new")
    assert oct((tmp_path / "old.txt").stat().st_mode & 0o777) == oct(0o600)


def test_folders_are_made_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"save '.*a/b/c\.txt': cannot write in"):
        write_atomically(tmp_path / "a" / "b" / "c.txt", "x")
    assert write_atomically(tmp_path / "a" / "b" / "c.txt", "x", make_folders=True).read_text() == "x"


def test_stale_temporaries_of_the_same_file_go_and_others_stay(tmp_path: Path) -> None:
    stale = aged(tmp_path / ".page.html.0123456789ab.tmp")
    fresh = tmp_path / ".page.html.aaaaaaaaaaaa.tmp"
    fresh.write_text("being written")
    other = aged(tmp_path / ".other.html.bbbbbbbbbbbb.tmp")
    write_atomically(tmp_path / "page.html", "page")
    assert not stale.exists() and fresh.exists() and other.exists()


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "page.html"
    target.write_text("old page")

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new page")
    monkeypatch.undo()
    assert target.read_text() == "old page" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_bytes_are_written_as_they_are(tmp_path: Path) -> None:
    data = bytes(range(256)) + "δ".encode()
    assert write_atomically(tmp_path / "picture.png", data).read_bytes() == data
