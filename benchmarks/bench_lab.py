"""The live lab's redraw rate (issue 12's bar: MLP(2, [16, 16, 1]) on 200 points, at least 10 redraws a second).

One redraw is one :meth:`viz.Lab.step`: a mini-batch training step (batch 32, Adam) and every panel recomputed
from the engine (the probe sample's loss graph with every δ, as DOT; the whole-dataset loss and accuracy; the
decision boundary on the 40 × 40 grid; the optimiser's table; the health panel), then the widget state synced
(serialised as for the comm) and the frame recorded for ``save_html``. The kernel does this; the browser then lays
the DOT out with Graphviz-WASM, in another process, so the two pipeline and the slower one sets the rate. Measured
here:

1. redraws per second of the kernel side, by CPU time (the harness's clock) and by wall clock;
2. what one redraw spends on each panel, with the boundary also computed by the scalar engine (the peer the
   compiled mode replaces: the reason the lab uses it);
3. the browser side: a full Graphviz-WASM layout of that DOT, timed in Node.js with the vendored
   ``viz/static/viz.js``, and the frames per second Debian's headless Chromium draws when it plays a page saved by
   ``save_html`` (every panel redrawn per frame; a graph whose numbers alone changed keeps its layout), with the
   renderer's busy time per frame from the DevTools protocol. Each is skipped with a note when ``node``, or
   Chromium and Playwright, are not installed.

Run: ``python -m benchmarks lab`` or ``python -m benchmarks.bench_lab``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import autograd
import nn
import viz
from viz.lab import STATIC

from ._harness import environment, median, ratio, settle, table, time_calls, verdict

SIZES, POINTS, BATCH, LR, RESOLUTION = [16, 16, 1], 200, 32, 0.02, 40
LOSS = "bce_with_logits"
REDRAWS, REPEATS = 30, 7
REPLAY_FRAMES = 60
RATE_BAR = 10.0
NODE_LAYOUTS = 10

_NODE_TIMER = """
const { instance } = await import(process.argv[2]);
const dot = (await import("node:fs")).readFileSync(process.argv[3], "utf8").replace(
  /fontname="?Helvetica,Arial,sans-serif"?/g, "fontname=Helvetica");
const viz = await instance();
viz.renderString(dot, { format: "svg" });
const times = [];
for (let i = 0; i < Number(process.argv[4]); i++) {
  const t = performance.now();
  viz.renderString(dot, { format: "svg" });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[times.length >> 1] }));
"""


def make_lab() -> viz.Lab:
    X, y = nn.moons(POINTS, noise=0.1, seed=0)
    model = nn.MLP(2, SIZES, seed=0)
    optimizer = nn.Adam(model.parameters(), lr=LR)
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=optimizer, batch_size=BATCH, resolution=RESOLUTION)


def redraw_rates(lab: viz.Lab) -> tuple[float, float]:
    """Redraws per second over REDRAWS steps, median of REPEATS runs: (by CPU time, by wall clock)."""
    cpu = time_calls(lambda: lab.step(REDRAWS), REPEATS)
    wall = time_calls(lambda: lab.step(REDRAWS), REPEATS, timer=time.perf_counter)
    return REDRAWS / median(cpu), REDRAWS / median(wall)


def panel_costs(lab: viz.Lab) -> tuple[list[tuple[str, float]], float, str]:
    """Median seconds of each panel's computation, done through the public API as the lab does it;
    the scalar engine's boundary for comparison; and the probe graph's DOT (for the layout timing)."""
    model, X, y = lab.model, lab.X, lab.y
    lo, hi = X.min(axis=0) - 0.2, X.max(axis=0) + 0.2
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], RESOLUTION), np.linspace(lo[1], hi[1], RESOLUTION))
    grid = np.c_[xx.ravel(), yy.ravel()]
    trainer = nn.CompiledTrainer(model, "bce_with_logits", nn.Adam(model.parameters(), lr=0.0), X[:1], y[:1])
    traced = autograd.compile(model, 2)
    probe = nn.losses.binary_cross_entropy_with_logits

    def probe_graph() -> str:
        L = probe(model([float(v) for v in X[0]]), float(y[0]))
        L.backward()
        return viz.draw_graph(L, legend=False).source

    def state_sync() -> int:
        return len(json.dumps(lab.get_state(), default=str))

    def train_step() -> None:
        trainer.step(X[:BATCH], y[:BATCH])
        trainer.sync()

    work = {
        "train step (compiled, batch 32)": train_step,
        "whole-dataset loss (compiled)": lambda: trainer.evaluate(X, y),
        f"boundary {RESOLUTION}x{RESOLUTION} (compiled)": lambda: traced.forward(grid),
        "probe graph: forward, δ, DOT": probe_graph,
        "health panel (nn.health, compiled, whole dataset)": lambda: nn.health(model, X, y, LOSS, compiled=True),
        "widget state, serialised": state_sync,
    }
    costs = [(name, median(time_calls(fn, REPEATS, collect=False))) for name, fn in work.items()]
    scalar = median(time_calls(lambda: nn.predict(model, grid), 3, collect=False))
    return costs, scalar, probe_graph()


def layout_ms(dot: str) -> float | None:
    """Median milliseconds of one Graphviz-WASM layout of ``dot`` in Node.js, or None without ``node``."""
    node = shutil.which("node")
    if node is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script, source = Path(tmp) / "time_layout.mjs", Path(tmp) / "graph.dot"
        script.write_text(_NODE_TIMER, encoding="utf-8")
        source.write_text(dot, encoding="utf-8")
        viz_js = (STATIC / "viz.js").resolve().as_uri()
        out = subprocess.run(
            [node, str(script), viz_js, str(source), str(NODE_LAYOUTS)], capture_output=True, text=True, check=True
        )
    return float(json.loads(out.stdout)["median_ms"])


def replay_rate() -> tuple[float, float] | None:
    """(frames per second by wall clock, by the renderer's busy time) of Chromium playing a saved lab page."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    lab = make_lab()
    lab.speed = 60.0
    lab.step(REPLAY_FRAMES)
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_path = lab.save_html(Path(tmp) / "lab.html")
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=args)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(page_path.as_uri())
        page.wait_for_selector(".dg-lab .dg-graph svg g.node", timeout=60_000)
        devtools = page.context.new_cdp_session(page)
        devtools.send("Performance.enable")

        def busy() -> float:
            metrics = devtools.send("Performance.getMetrics")["metrics"]
            return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

        start, busy_start = time.perf_counter(), busy()
        page.click(".dg-lab button.dg-play")
        last = f"document.querySelector('.dg-lab .dg-status').textContent.startsWith('step {REPLAY_FRAMES} ')"
        page.wait_for_function(last, timeout=300_000)
        wall, busy_seconds = time.perf_counter() - start, busy() - busy_start
        browser.close()
    return REPLAY_FRAMES / wall, REPLAY_FRAMES / busy_seconds


def main() -> None:
    print(environment())
    lab = make_lab()
    settle()
    print(f"\nLab: MLP(2, {SIZES}), {POINTS} moons points, batch {BATCH}, Adam, boundary {RESOLUTION}x{RESOLUTION}")
    cpu_rate, wall_rate = redraw_rates(lab)
    costs, scalar_boundary, dot = panel_costs(lab)
    compiled_boundary = dict(costs)[f"boundary {RESOLUTION}x{RESOLUTION} (compiled)"]
    rows = [(name, f"{1000 * s:.2f} ms") for name, s in costs]
    rows.append((f"boundary {RESOLUTION}x{RESOLUTION} (scalar engine, the peer)", f"{1000 * scalar_boundary:.2f} ms"))
    print("\nOne redraw's parts (median CPU time, garbage collection not included):")
    print(table(["part", "time"], rows))
    print(f"compiled boundary vs the scalar engine's: {ratio(scalar_boundary / compiled_boundary)} faster")
    layout = layout_ms(dot)
    full = "skipped (no node on PATH)" if layout is None else f"{layout:.1f} ms ({1000 / layout:.1f}/s)"
    print(f"\nBrowser side: a full Graphviz-WASM layout of the probe graph ({dot.count('->')} edges), Node.js: {full}")
    replay = replay_rate()
    if replay is None:
        print("Chromium playing a saved page: skipped (needs chromium on PATH and Playwright for Python)")
    else:
        wall, busy = replay
        print(f"Chromium playing a saved page: {wall:.1f} frames/s by wall clock, {busy:.1f} by renderer busy time")
    print(f"\nkernel side: {cpu_rate:.1f} redraws/s by CPU time, {wall_rate:.1f} redraws/s by wall clock")
    kernel_ok = cpu_rate >= RATE_BAR
    print(f"bar >= {RATE_BAR:g} redraws/s on the kernel side (CPU time): {verdict(kernel_ok)}")
    if replay is not None:
        print(f"bar >= {RATE_BAR:g} frames/s in the browser (renderer busy time): {verdict(replay[1] >= RATE_BAR)}")


if __name__ == "__main__":
    main()
