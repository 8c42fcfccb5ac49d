"""Shared helpers for the ``bench_*.py`` modules: timing, memory, and printing tables of figures and ratios.

Conventions every benchmark follows, so figures from different modules mean the same thing:

* time is the CPU time of this process (:func:`clock`, user + system): on a shared machine, load from other
  processes does not inflate it, and for these single-threaded workloads it equals wall-clock time on an idle one;
* the garbage collector is ON at its default thresholds, as users run Python; :func:`settle` is called once after
  the imports, so collections scan the objects each workload allocates, not the ones ``import torch`` leaves behind;
* a figure is the median over repeats, after one warm-up call; engines compared in one table are timed
  interleaved (one call of each per round), so a burst of load from elsewhere hits them all alike;
* each timed call ends with ``gc.collect()`` (while the collector is on): a call pays for freeing its own garbage,
  reference cycles included, and never for another's;
* memory is what ``tracemalloc`` sees a workload still holding once it returns (retained) and at most while it ran
  (peak). tracemalloc sees Python's allocator only: PyTorch's C++ tensors are invisible to it, so for torch use
  :func:`rss_bytes` in a fresh process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from importlib import metadata
from typing import Any

from autograd.collector import paused

__all__ = [
    "clock",
    "version",
    "environment",
    "settle",
    "gc_disabled",
    "recursion_limit",
    "time_calls",
    "time_interleaved",
    "median",
    "traced_bytes",
    "rss_bytes",
    "table",
    "ratio",
    "verdict",
]


clock = time.process_time


def version(dist: str) -> str:
    """The installed version of distribution ``dist`` (for labels in tables), or "not installed"."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> str:
    """One line naming the machine and versions, to head every recorded figure."""
    versions = ", ".join(f"{d} {version(d)}" for d in ("deltagrad", "micrograd", "torch", "numpy"))
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{date.today().isoformat()} · Python {platform.python_version()} ({platform.python_implementation()}) · "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{load} · {versions}"
    )


def settle() -> None:
    """Collect garbage, then move every object alive now (the imported libraries) out of the collector's view.

    The collector stays on with default thresholds; its full collections then cost what they would in a program
    that imported one engine, instead of rescanning torch's objects on every pass.
    """
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def gc_disabled() -> Iterator[None]:
    """Turn the cyclic garbage collector off inside the block (and collect what piled up afterwards)."""
    try:
        with paused():
            yield
    finally:
        gc.collect()


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Raise ``sys.getrecursionlimit()`` to ``limit`` inside the block (micrograd's backward recurses on depth)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def time_interleaved(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    warmup: int = 1,
    timer: Callable[[], float] = clock,
    collect: bool = True,
) -> dict[str, list[float]]:
    """Seconds taken by each of ``repeats`` calls of every function, one call of each per round, after ``warmup``.

    While the collector is on (and ``collect``), each timed call ends with ``gc.collect()``: what a call builds and
    drops is freed inside its own timing, by reference counting or, for reference cycles, by the collector.
    Multi-threaded numpy work is timed with ``timer=time.perf_counter`` (wall clock): CPU time would also count
    the BLAS threads' spinning.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            collecting = collect and gc.isenabled()
            start = timer()
            fn()
            if collecting:
                gc.collect()
            times[name].append(timer() - start)
    return times


def time_calls(
    fn: Callable[[], Any], repeats: int, warmup: int = 1, timer: Callable[[], float] = clock, collect: bool = True
) -> list[float]:
    """Seconds taken by each of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls (see above)."""
    return time_interleaved({"fn": fn}, repeats, warmup, timer, collect)["fn"]


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def traced_bytes(build: Callable[[], Any]) -> tuple[int, int]:
    """``(retained, peak)`` bytes that tracemalloc sees ``build()`` allocate: still held by its result, and at most.

    The result is kept alive until the measurement is taken, then released.
    """
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = build()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    gc.collect()
    return retained - base, peak - base


def rss_bytes() -> int:
    """The resident set size of this process now, in bytes (Linux ``/proc``; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def ratio(x: float) -> str:
    """A ratio as ``2.41x``."""
    return f"{x:.2f}x"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"
