"""The drawing options that every picture of a Value graph shares, how they are checked, and the layouts tried.

:func:`viz.draw_graph`, :func:`viz.backward_steps`, :func:`viz.walk_steps`
and the lab's probe graph take the same arguments (``rankdir``, ``group``,
``precision``, ``layer_numbering``, ``width`` ...): this module checks them
(:func:`check_options`), turns them into the one :class:`DrawOptions` value a
:class:`~viz.dot.Drawing` is built from, and lists the layouts a picture may
take (:func:`layout_candidates`) so that every caller chooses among the same ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from autograd import Value
from autograd.value import walk

__all__ = [
    "DEFAULT_MAX_NODES",
    "WRAPS",
    "DrawOptions",
    "Group",
    "LayerNumbering",
    "Layout",
    "Rankdir",
    "check_options",
    "group_flag",
    "layout_candidates",
    "roots_of",
    "unmeasured_layout",
]

DEFAULT_MAX_NODES = 150
"""Above this many drawn nodes (values plus ops), whole neurons collapse into summary nodes."""

Group = Literal["auto", "none"] | bool
LayerNumbering = Literal["slides", "index"]
Rankdir = Literal["auto", "LR", "RL", "TB", "BT"]
Layout = tuple[str, bool, int]  # rank direction, whether value boxes stack name, data and δ, rows (wrapped)
WRAPS = (2, 3, 4)
"""How many rows a left-to-right picture may be wrapped into (breaking between layers), when nothing narrower fits."""


@dataclass(frozen=True)
class DrawOptions:
    """Everything a :class:`~viz.dot.Drawing` needs besides the graph: one layout, fully decided.

    ``rankdir`` is a concrete direction here (``"LR"``, ``"RL"``, ``"TB"`` or
    ``"BT"``, never ``"auto"``); ``group`` whether nodes gather into neuron and
    layer clusters; ``max_nodes`` the size above which neurons (then layers)
    collapse into summary nodes (None: never); ``precision`` the digits after
    the point. ``slots`` and ``bands`` are set by the drawing itself: which
    neuron each emitted cluster slot holds (so dot places them in reading
    order) and into how many rows the picture wraps.
    """

    rankdir: str
    show_local_grads: bool
    group: bool
    max_nodes: int | None
    precision: int
    legend: bool
    layer_numbering: LayerNumbering = "slides"
    stacked: bool | None = None  # a value's name, data and δ one above the other (default: when rankdir is TB/BT)
    slots: tuple[tuple[str, tuple[int, ...]], ...] = ()  # per layer cluster: which neuron each emitted slot holds
    bands: int = 1  # the picture wrapped into this many rows (ranks folded: rows, then the next), when it can

    @property
    def rows(self) -> bool:
        """Whether a value's box stacks its name, data and δ one above the other (else side by side)."""
        return self.rankdir in ("TB", "BT") if self.stacked is None else self.stacked


def roots_of(root: Value | Iterable[Value]) -> list[Value]:
    """``root`` as a non-empty list of Values (one Value or an iterable of them), else a TypeError."""
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, Iterable) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"draw_graph: expected a Value or a non-empty list of Values, got {type(root).__name__}")
    return roots


def group_flag(group: Group) -> bool:
    """``group="auto"``/True means cluster by the model's structure, ``"none"``/False not; else a ValueError."""
    if group in ("auto", True):
        return True
    if group in ("none", False, None):
        return False
    raise ValueError(f"draw_graph: group must be 'auto' or 'none', got {group!r}")


def check_options(where: str, rankdir: str, precision: int, layer_numbering: str, width: float | None) -> None:
    """Raise a ValueError naming ``where`` and the argument when one of the shared drawing options is invalid."""
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"{where}: precision must be an int between 0 and 17, got {precision!r}")
    if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
        raise ValueError(f"{where}: rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if layer_numbering not in ("slides", "index"):
        raise ValueError(f"{where}: layer_numbering must be 'slides' or 'index', got {layer_numbering!r}")
    if width is not None and (isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0):
        raise ValueError(f"{where}: width must be a positive number of pixels or None, got {width!r}")


def layout_candidates(rankdir: str) -> tuple[Layout, ...]:
    """Layouts to try in order of preference: left to right (the lecture's way) with wide then stacked boxes,
    top down, then left to right wrapped into 2, 3, 4 rows (between layers, never inside one)."""
    wraps = tuple(("LR", True, rows) for rows in WRAPS)
    if rankdir == "auto":
        return (("LR", False, 1), ("LR", True, 1), ("TB", True, 1), *wraps)
    if rankdir == "LR":
        return (("LR", False, 1), ("LR", True, 1), *wraps)
    if rankdir == "RL":
        return (("RL", False, 1), ("RL", True, 1))
    return ((rankdir, True, 1),)


def unmeasured_layout(candidates: tuple[Layout, ...], roots: list[Value]) -> Layout:
    """The layout taken for a graph too big to lay out once per candidate: its ranks along its longer side.

    A long chain (more levels of computed values than values on one level)
    is narrowest top down; a network, a few levels deep and many neurons wide,
    left to right with stacked boxes (measured at 900 px: MLP(4, [16, 16, 1])
    with ``max_nodes=None`` shows 0.3 px text top down, 6.5 px left to right).
    """
    level: dict[Value, int] = {}
    for v in walk(roots)[::-1]:
        level[v] = max((level[x] + 1 for x in v.inputs), default=0)
    computed = Counter(level[v] for v in level if v.inputs)
    long = len(computed) >= max(computed.values(), default=0)
    down = next((c for c in candidates if c[0] in ("TB", "BT")), None)
    across = next((c for c in candidates if c[0] in ("LR", "RL") and c[1] and c[2] == 1), None)
    return (down if long else across) or down or across or candidates[0]
