"""The engine now against the engine at an earlier revision, both against micrograd 0.1.0 (issue 11's bar).

Issue 11 asks that the core ratios against micrograd do not drop. This benchmark measures them for two engines
in one run: ``autograd`` and ``nn`` as they are now, and as they were at ``--rev`` (default: the last commit
before issue 11), taken from git into a temporary folder. Each round runs each engine in a fresh interpreter
(the two cannot share one: both are the package ``autograd``), alternating, with this checkout's bench_core
measuring: the mixed graph and the MLP step against micrograd (``time_interleaved``, GC on) and memory per node
(tracemalloc). The table gives each engine's median ratio over the rounds; a bar is met when the engine now
is not below the baseline.

Run: ``python -m benchmarks baseline [--rev REV] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from functools import partial
from pathlib import Path

from . import bench_core
from ._harness import median, settle, table, time_interleaved, traced_bytes, verdict

BASELINE = "189960c"  # the last commit before issue 11 (micrograd's surface and register_op)
ROUNDS = 5
MIXED_OPS, MIXED_REPEATS = bench_core.MIXED_OPS, bench_core.MIXED_REPEATS
MLP_SAMPLES, MLP_REPEATS = bench_core.MLP_SAMPLES, bench_core.MLP_REPEATS
ROOT = Path(__file__).resolve().parent.parent
RATIOS = ("mixed graph", "MLP step", "memory per node")


def measure(mixed_ops: int, mixed_repeats: int, mlp_samples: int, mlp_repeats: int) -> dict[str, float]:
    """bench_core's three ratios (micrograd / deltagrad) for the ``autograd`` first on ``sys.path``."""
    engines = {name: bench_core.ENGINES[name]() for name in ("deltagrad", "micrograd")}
    plan = bench_core.mixed_plan(mixed_ops)
    settle()
    runs = {name: partial(bench_core.forward_backward, engine, plan) for name, engine in engines.items()}
    mixed = {name: median(t) for name, t in time_interleaved(runs, mixed_repeats).items()}
    xs, ys = bench_core.mlp_data(mlp_samples)
    init = bench_core.mlp_init()
    trainers = {
        "deltagrad": bench_core.deltagrad_trainer(init, xs, ys),
        "micrograd": bench_core.micrograd_trainer(init, xs, ys),
    }
    steps = {name: t.step for name, t in trainers.items()}
    mlp = {name: median(t) for name, t in time_interleaved(steps, mlp_repeats).items()}
    memory = {
        name: traced_bytes(partial(bench_core.forward_backward, engine, plan))[0] for name, engine in engines.items()
    }
    return {
        "deltagrad ns/node": mixed["deltagrad"] / plan.n_nodes * 1e9,
        "micrograd ns/node": mixed["micrograd"] / plan.n_nodes * 1e9,
        "deltagrad ms/step": mlp["deltagrad"] * 1e3,
        "mixed graph": mixed["micrograd"] / mixed["deltagrad"],
        "MLP step": mlp["micrograd"] / mlp["deltagrad"],
        "memory per node": memory["micrograd"] / memory["deltagrad"],
    }


def child(argv: list[str]) -> None:
    """In a fresh interpreter: check which engine was imported, measure, print the ratios as one JSON line."""
    import autograd

    expected, (mixed_ops, mixed_repeats, mlp_samples, mlp_repeats) = argv[0], map(int, argv[1:])
    where = Path(autograd.__file__).resolve().parent.parent
    if where != Path(expected).resolve():
        raise SystemExit(f"bench_baseline: imported autograd from {where}, expected {expected}")
    print(json.dumps(measure(mixed_ops, mixed_repeats, mlp_samples, mlp_repeats)))


def checkout(rev: str, folder: Path) -> None:
    """``autograd`` and ``nn`` as they were at ``rev``, written into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "autograd", "nn"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")


def run_engine(folder: Path) -> dict[str, float]:
    """Measure the engine in ``folder`` in a fresh interpreter whose ``sys.path`` starts with it."""
    path = [str(folder), str(ROOT)]
    code = f"import sys; sys.path[:0] = {path!r}; from benchmarks.bench_baseline import child; child(sys.argv[1:])"
    args = [str(folder), *map(str, (MIXED_OPS, MIXED_REPEATS, MLP_SAMPLES, MLP_REPEATS))]
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=folder, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks baseline", description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=BASELINE, help=f"the baseline's git revision (default {BASELINE})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds, each engine once (default {ROUNDS})")
    args, _ = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="deltagrad-baseline-") as tmp:
        try:
            checkout(args.rev, Path(tmp))
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"bench_baseline: revision {args.rev} is not available here (no git history?): skipped ({e})")
            return
        results: dict[str, list[dict[str, float]]] = {"baseline": [], "now": []}
        for _ in range(args.rounds):
            results["baseline"].append(run_engine(Path(tmp)))
            results["now"].append(run_engine(ROOT))
    got = {who: {r: median([m[r] for m in runs]) for r in runs[0]} for who, runs in results.items()}
    print(f"Ratios micrograd / deltagrad, medians of {args.rounds} rounds (engines alternating, each in a fresh")
    print(f"interpreter); baseline = autograd and nn at {args.rev}, now = this checkout.")
    rows = [
        [
            f"{r}, micrograd/deltagrad",
            f"{got['baseline'][r]:.2f}x",
            f"{got['now'][r]:.2f}x",
            verdict(got["now"][r] >= got["baseline"][r]),
        ]
        for r in RATIOS
    ]
    for what, unit in (
        ("deltagrad ns/node", "mixed graph, deltagrad's own ns/node"),
        ("deltagrad ms/step", "MLP step, deltagrad's own ms"),
    ):
        rows.append(
            [
                unit,
                f"{got['baseline'][what]:.0f}",
                f"{got['now'][what]:.0f}",
                verdict(got["now"][what] <= got["baseline"][what]),
            ]
        )
    print(table(["measure", "baseline", "now", "not dropped"], rows))
    print("The engine's own times (last two rows, lower is better) vary less than the ratios, in which micrograd's")
    print("collector-dominated time moves most from run to run.")
    for who, runs in results.items():
        times = ", ".join(f"{m['deltagrad ns/node']:.0f} vs {m['micrograd ns/node']:.0f}" for m in runs)
        ratios = "; ".join(f"{r} " + ", ".join(f"{m[r]:.2f}" for m in runs) for r in RATIOS)
        print(f"{who}, each round: mixed graph ns/node deltagrad vs micrograd {times}; {ratios}")


if __name__ == "__main__":
    main()
