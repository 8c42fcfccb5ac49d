"""Short reprs for error messages: a message never repeats more than a few hundred characters of its input.

A model file, a config or an argument can hold a string or list of any size (a 100 MB ``"activation"``);
an error naming it shows its beginning and end, and how long it was.

>>> excerpt("relu")
"'relu'"
>>> excerpt("x" * 10**6)[:12], len(excerpt("x" * 10**6)) <= LIMIT
("'xxxxxxxxxxx", True)
>>> cut("abc" * 100, 20)
'abcabcabcabcabcabcab… (300 characters)'
"""

from __future__ import annotations

import reprlib

__all__ = ["LIMIT", "excerpt", "cut"]

LIMIT = 200  # characters of an input an error message may show

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = LIMIT - 20
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8
_REPR.maxlevel = 3


def excerpt(value: object) -> str:
    """``repr(value)`` for a message: long strings, numbers and containers shortened (reprlib), at most
    :data:`LIMIT` characters in all."""
    return cut(_REPR.repr(value), LIMIT)


def cut(text: str, limit: int = LIMIT) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit`` and how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
