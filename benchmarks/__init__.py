"""deltagrad's benchmarks: one ``bench_*.py`` module per comparison, each with a ``main()`` that prints its figures.

Run them all with ``python -m benchmarks`` (or ``make bench``), one with ``python -m benchmarks core``
(or ``python -m benchmarks.bench_core``). Shared timing and memory helpers live in :mod:`benchmarks._harness`.
"""
