"""Atomic writes: a file is replaced whole or not at all (models, pages, pictures).

:func:`write_atomically` writes a temporary file beside the target, flushes it to disk and renames it over
the target, so an interrupted write (a full disk, ``kill -9``) leaves the previous file intact. Such an
interruption can leave its temporary ``.<name>.<12 hex digits>.tmp`` behind: the next write of the same file
removes those no writer still holds (a writer holds an ``flock`` on its temporary until it is renamed).
``nn.save`` and viz's ``save``, ``save_html`` and ``save_svgs`` all write through it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: a temporary counts as stale by its age alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["STALE_SECONDS", "write_atomically", "remove_stale_temporaries"]

STALE_SECONDS = 2.0 if fcntl is not None else 3600.0
"""How long a temporary must have been left unchanged (and, where ``flock`` exists, unlocked) to count as stale."""


def write_atomically(path: str | os.PathLike[str], content: str | bytes, *, make_folders: bool = False) -> Path:
    """Write ``content`` (text as UTF-8, or bytes) to a new file in ``path``'s folder, flush it to disk, then rename
    it over ``path``; returns ``path``.

    The file keeps the mode of the file it replaces; a new one gets what ``open()`` would give it (0o666 less
    the umask). Stale temporaries of earlier interrupted writes of the same file are removed first. With
    ``make_folders`` the missing folders above ``path`` are created; without, a missing folder is an OSError
    naming the path.
    """
    if make_folders:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    target = os.path.realpath(path)  # through a symlink, as open() would write
    folder, base = os.path.split(target)
    remove_stale_temporaries(target)
    temporary = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None  # a new file: the process's umask decides, as with open()
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise type(e)(e.errno, f"save {os.fspath(path)!r}: cannot write in {folder!r}: {e.strerror}") from None
    try:
        binary = isinstance(content, bytes)
        f: IO[Any] = os.fdopen(descriptor, "wb") if binary else os.fdopen(descriptor, "w", encoding="utf-8")
        with f:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # marks it as being written until it is renamed
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
            if mode is not None:
                os.chmod(temporary, mode)
            os.replace(temporary, target)  # still open, so still locked: no other write takes it for stale
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return Path(path)


def remove_stale_temporaries(target: str) -> list[str]:
    """Delete the temporaries ``.<name>.<12 hex>.tmp`` beside ``target`` that an interrupted save left;
    returns their paths. One counts as stale when unchanged for :data:`STALE_SECONDS` and no writer holds
    its lock; anything that cannot be checked or removed is left alone."""
    folder, base = os.path.split(target)
    pattern = re.compile(rf"\.{re.escape(base)}\.[0-9a-f]{{12}}\.tmp")
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(folder or ".") if pattern.fullmatch(e.name)]
    except OSError:
        return removed
    for entry in entries:
        with contextlib.suppress(OSError):
            descriptor = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            try:
                info = os.fstat(descriptor)
                if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < STALE_SECONDS:
                    continue
                if fcntl is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a writer holds it
                if os.stat(entry.path, follow_symlinks=False).st_ino == info.st_ino:
                    os.unlink(entry.path)
                    removed.append(entry.path)
            finally:
                os.close(descriptor)
    return removed
