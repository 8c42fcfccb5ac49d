"""microgpt on deltagrad: a training step of the scalar engine against its compiled replay (issue 17).

The model is :class:`nn.MicroGPT` at microgpt's size (16-wide embeddings, 4 heads, 1 block, block size 16;
4,192 parameters on the 27 tokens of ``notebooks/data/microgpt_words.txt``, a bundled self-written word list).
A step is microgpt's: one word, the mean next-token cross-entropy over its positions, backward, Adam.

1. the same steps (the same words, in the same order, from the same initial weights) by
   :class:`nn.gpt.GPTTrainer` scalar (a graph of Values and ``backward``) and compiled (the graph traced once
   per word length, replayed with numpy, parameters kept in an array), timed interleaved per word; the losses
   of every step are compared. Bars: compiled at least 10x faster per step (CPU time, median over steps of the
   same length), and the same losses to 1e-9 (float64);
2. the cost of tracing one length (paid once per length, reported separately, not inside the steps).

Run: ``python -m benchmarks microgpt`` or ``python -m benchmarks.bench_microgpt [--steps N]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import nn
from nn.gpt import GPTTrainer, MicroGPT, char_documents

from ._harness import clock, environment, median, ratio, settle, table, verdict

TEXT = Path(__file__).resolve().parent.parent / "notebooks" / "data" / "microgpt_words.txt"
SEED = 0
STEPS = 30
LEARNING_RATE = 1e-2


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_microgpt", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps (one word each)")
    args = parser.parse_args([] if argv is None else argv)
    print(environment())
    chars, docs = char_documents(TEXT.read_text())
    order = np.random.default_rng(SEED).permutation(len(docs))[: args.steps]
    words = [docs[i] for i in order]
    trainers = {}
    for compiled in (False, True):
        model = MicroGPT(vocab_size=len(chars) + 1, seed=SEED)
        trainers[compiled] = GPTTrainer(model, nn.Adam(model.parameters(), lr=LEARNING_RATE), compiled=compiled)
    n_params = len(trainers[False].model.parameters())
    traces = {}
    for n in sorted({len(w) - 1 for w in words}):
        start = clock()
        trainers[True].model.compiled_loss(n)
        traces[n] = clock() - start
    settle()
    losses: dict[bool, list[float]] = {False: [], True: []}
    times: dict[bool, list[float]] = {False: [], True: []}
    for word in words:  # interleaved: one step of each per word
        tokens, targets = word[:-1], word[1:]
        for compiled, trainer in trainers.items():
            start = clock()
            losses[compiled].append(trainer.step(tokens, targets))
            times[compiled].append(clock() - start)
    trainers[True].sync()
    gap = float(np.abs(np.array(losses[True]) - np.array(losses[False])).max())
    scalar, compiled_step = median(times[False]), median(times[True])
    speedup = scalar / compiled_step
    print(
        f"\nMicroGPT ({n_params} parameters, vocabulary {len(chars) + 1}): {len(words)} Adam steps of one word each, "
        f"loss {losses[False][0]:.4f} -> {losses[False][-1]:.4f}"
    )
    print(
        table(
            ["figure", "value", "bar", ""],
            [
                ["scalar step (median CPU ms)", f"{scalar * 1e3:.1f}", "", ""],
                ["compiled step (median CPU ms)", f"{compiled_step * 1e3:.2f}", "", ""],
                ["speed-up", ratio(speedup), ">= 10x", verdict(speedup >= 10)],
                ["largest loss difference over the steps", f"{gap:.1e}", "<= 1e-9", verdict(gap <= 1e-9)],
                [
                    f"tracing, per length ({min(traces)}..{max(traces)} tokens, s)",
                    f"{median(list(traces.values())):.2f}",
                    "",
                    "",
                ],
            ],
        )
    )
    final = [p.data for p in trainers[True].model.parameters()]
    drift = float(np.abs(np.array(final) - np.array([p.data for p in trainers[False].model.parameters()])).max())
    print(f"parameters after the last step, compiled vs scalar: largest difference {drift:.1e}")
    return {"speedup": speedup, "loss gap": gap, "scalar step": scalar, "compiled step": compiled_step}


if __name__ == "__main__":
    main(sys.argv[1:])
