"""Model files on disk: a checked read that stays cheap on hostile files, and an atomic write.

:func:`read_json` is what :func:`nn.load` reads through. Before anything is read whole it refuses what
is not a model file: a directory, a device or a FIFO (a symlink to ``/dev/zero`` would read for ever, a
FIFO would block), a file larger than :data:`MAX_FILE_BYTES`; before the JSON is parsed, a string longer
than :data:`MAX_STRING_BYTES` (a model file's strings are names: a 100 MB ``"activation"`` is refused
after one scan of the bytes, without building it). A UTF-8 byte order mark (Windows editors write one)
is accepted.

:func:`write_atomically` writes a temporary file beside the target and renames it over the target, so an
interrupted save leaves the previous file intact. Such an interruption (a full disk, ``kill -9``) can
leave its temporary ``.<name>.<12 hex digits>.tmp`` behind: the next save of the same file removes those
no save is still writing (a writer holds an ``flock`` on its temporary until it is renamed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
import time
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: a temporary counts as stale by its age alone
    fcntl = None  # type: ignore[assignment]

from .excerpt import cut

__all__ = ["MAX_FILE_BYTES", "MAX_STRING_BYTES", "STALE_SECONDS", "read_json", "write_atomically"]

MAX_FILE_BYTES = 1 << 30
"""The largest model file :func:`read_json` reads: 1 GiB (a 784-1024-1024-10 MLP, 1.9M parameters, is ~100 MB)."""

MAX_STRING_BYTES = 10_000
"""The longest string a model file may hold, in bytes of JSON text (its strings are names and activations)."""

STALE_SECONDS = 2.0 if fcntl is not None else 3600.0
"""How long a temporary must have been left unchanged (and, where ``flock`` exists, unlocked) to count as stale."""

_KINDS = {
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISSOCK: "a socket",
}


def read_json(path: str | os.PathLike[str], where: str) -> Any:
    """The JSON document in the regular file ``path``; every failure is a ``where: ...`` error.

    Raises FileNotFoundError, IsADirectoryError or another OSError when the file cannot be read, and a
    ValueError when it is no regular file, larger than :data:`MAX_FILE_BYTES`, holds a string longer than
    :data:`MAX_STRING_BYTES`, or is not UTF-8 JSON. Messages quote at most a few hundred characters of it.
    """
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused below); no effect on a file
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{where}: is a directory, not a model file") from None
    except OSError as e:
        raise type(e)(f"{where}: cannot read the file ({e.strerror or e})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"{where}: is a directory, not a model file")
            kind = next((name for test, name in _KINDS.items() if test(info.st_mode)), "not a regular file")
            raise ValueError(f"{where}: not a model file: it is {kind}, not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ValueError(
                f"{where}: the file has {info.st_size} bytes, more than a model file may ({MAX_FILE_BYTES})"
            )
        data = _read_checked(descriptor, info.st_size, where)
    finally:
        os.close(descriptor)
    try:
        return json.loads(data.decode("utf-8-sig"))  # -sig: a leading byte order mark is skipped
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{where}: not a deltagrad model file (invalid JSON: {cut(str(e))})") from None
    except RecursionError:
        raise ValueError(f"{where}: not a deltagrad model file (JSON nested too deeply)") from None
    except ValueError as e:  # e.g. an integer longer than Python converts (4300 digits)
        raise ValueError(
            f"{where}: not a deltagrad model file (a number it holds is out of range: {cut(str(e))})"
        ) from None


CHUNK_BYTES = 1 << 20  # read and scanned a MiB at a time: a hostile string is refused in its first MiB


def _read_checked(descriptor: int, size: int, where: str) -> bytes:
    """The ``size`` bytes of the open file, read a chunk at a time; a ValueError as soon as a JSON string
    literal grows longer than :data:`MAX_STRING_BYTES` (escapes count as written), or the file grows.

    Outside strings JSON has no quote, so the pieces between quotes alternate outside / inside: per chunk
    one split and one max over the pieces' lengths, in C (a 10 MB model file: a few hundredths of a second).
    """
    data = bytearray()
    inside, length, carry = False, 0, b""  # in a string, its length so far, a backslash whose pair is next
    while chunk := _read(descriptor, min(CHUNK_BYTES, size + 1 - len(data)), where):
        data += chunk
        if len(data) > size:
            raise ValueError(f"{where}: the file grew while it was read (another program is writing it)")
        piece, carry = carry + chunk, b""
        if piece.endswith(b"\\") and (len(piece) - len(piece.rstrip(b"\\"))) % 2:
            piece, carry = piece[:-1], b"\\"  # the last backslash escapes the next chunk's first byte
        if b"\\" in piece:  # an escape pair (\\ or \") stands for one character and never ends a string
            piece = piece.replace(b"\\\\", b"__").replace(b'\\"', b"__")
        lengths = list(map(len, piece.split(b'"')))
        first = 0 if inside else 1  # the index of the first piece inside a string
        strings = lengths[first::2]
        if strings:
            if inside:
                strings[0] += length
            if max(strings) > MAX_STRING_BYTES:
                raise ValueError(
                    f"{where}: not a deltagrad model file (it holds a string longer than {MAX_STRING_BYTES} bytes; "
                    "a model file's strings are names)"
                )
        inside = (len(lengths) - 1 - first) % 2 == 0 and len(lengths) > first  # the last piece is in a string
        length = strings[-1] if inside else 0
    return bytes(data)


def _read(descriptor: int, n: int, where: str) -> bytes:
    try:
        return os.read(descriptor, n) if n > 0 else b""
    except OSError as e:
        raise type(e)(f"{where}: cannot read the file ({e.strerror or e})") from None


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to a new file in ``path``'s folder, flush it to disk, then rename it over ``path``.

    Stale temporaries of earlier interrupted saves of the same file are removed first.
    """
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
        with os.fdopen(descriptor, "w", encoding="utf-8") as f:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # marks it as being written until it is renamed
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
            if mode is not None:
                os.chmod(temporary, mode)
            os.replace(temporary, target)  # still open, so still locked: no other save takes it for stale
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_stale_temporaries(target: str) -> list[str]:
    """Delete the temporaries ``.<name>.<12 hex>.tmp`` beside ``target`` that an interrupted save left;
    returns their paths. One counts as stale when unchanged for :data:`STALE_SECONDS` and no save holds
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
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a save holds it
                if os.stat(entry.path, follow_symlinks=False).st_ino == info.st_ino:
                    os.unlink(entry.path)
                    removed.append(entry.path)
            finally:
                os.close(descriptor)
    return removed
