"""Run the benchmarks: ``python -m benchmarks [NAME ...]``.

Every module ``benchmarks/bench_NAME.py`` is found automatically; with no NAME all of them run, in name order.
NAME may be given as ``core`` or ``bench_core``. ``--list`` prints the names and exits. Other options are
passed on to each benchmark (``python -m benchmarks mnist --threads 1``). Each module's ``main()``
runs in a fresh interpreter, so one benchmark's imports, garbage and GC state never tilt another's figures.
"""

from __future__ import annotations

import argparse
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from ._harness import environment

PREFIX = "bench_"


def available() -> list[str]:
    """The short names (``core`` for ``bench_core.py``) of every benchmark module, sorted."""
    here = [str(Path(__file__).parent)]
    return sorted(m.name[len(PREFIX) :] for m in pkgutil.iter_modules(here) if m.name.startswith(PREFIX))


def run(name: str, options: list[str] | None = None) -> bool:
    """Call ``benchmarks.bench_NAME.main()`` in a fresh interpreter, with ``options`` as its command line;
    False if it failed."""
    print(f"\n=== {PREFIX}{name} ===", flush=True)
    start = time.perf_counter()
    code = f"from {__package__}.{PREFIX}{name} import main; main()"
    command = [sys.executable, "-c", code, *(options or [])]
    ok = subprocess.run(command, cwd=Path(__file__).parent.parent).returncode == 0
    status = "done" if ok else "FAILED"
    print(f"=== {PREFIX}{name} {status} in {time.perf_counter() - start:.1f} s ===", flush=True)
    return ok


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {names})")
    parser.add_argument("--list", action="store_true", help="print the benchmark names and exit")
    args, options = parser.parse_known_args(argv)
    if args.list:
        print("\n".join(names))
        return 0
    chosen = [n.removeprefix(PREFIX).removesuffix(".py") for n in args.names] or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {names}")
    print(environment())
    failed = [n for n in chosen if not run(n, options)]
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
