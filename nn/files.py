"""Model files on disk: a checked read that stays cheap on hostile files (saves go through :mod:`nn.atomic`).

:func:`read_json` is what :func:`nn.load` reads through. Before anything is read whole it refuses what
is not a model file: a directory, a device or a FIFO (a symlink to ``/dev/zero`` would read for ever, a
FIFO would block), a file larger than :data:`MAX_FILE_BYTES`; before the JSON is parsed, a string longer
than :data:`MAX_STRING_BYTES` (a model file's strings are names: a 100 MB ``"activation"`` is refused
after one scan of the bytes, without building it). A UTF-8 byte order mark (Windows editors write one)
is accepted.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from .excerpt import cut

__all__ = ["MAX_FILE_BYTES", "MAX_STRING_BYTES", "read_json"]

MAX_FILE_BYTES = 1 << 30
"""The largest model file :func:`read_json` reads: 1 GiB (a 784-1024-1024-10 MLP, 1.9M parameters, is ~100 MB)."""

MAX_STRING_BYTES = 10_000
"""The longest string a model file may hold, in bytes of JSON text (its strings are names and activations)."""


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
