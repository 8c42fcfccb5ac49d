"""The README picture, drawn by the README's first code block itself.

Run ``python -m viz.readme_figure [outdir]`` (default ``notebooks/figures/``) from a checkout: it runs the
first ```` ```python ```` block of the checkout's ``README.md`` as a notebook cell runs it, takes the graph
its last line displays (a ``viz.draw_graph(...)`` call) and writes it as ``neuron.svg`` and ``neuron.png``.
The code is kept in one place, the README, so the figure shows exactly the numbers the code above it prints
(``tests/viz/test_readme_figure.py`` compares them).

That block is the neuron of the classic lecture: o = tanh(x1·w1 + x2·w2 + b) with x = (2, 0),
w = (-3, 1) and b = 6.8813735870195432, chosen so that n = 0.8814, o = tanh n = 1/√2 and
δn = 1 - o² = 0.5; then δx1 = w1·δn = -1.5 and δw1 = x1·δn = 1.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from autograd import Value

from .graph import Graph
from .render import save

__all__ = ["README", "ReadmeRun", "first_code_block", "run_first_block", "neuron", "neuron_figure", "main"]

README = Path(__file__).resolve().parents[1] / "README.md"
"""The checkout's README (``viz/`` sits beside it); an installed wheel has none."""

DEFAULT_OUTDIR = Path("notebooks/figures")


@dataclass(frozen=True)
class ReadmeRun:
    """What the README's first code block does when run: what it prints, the graph it shows and that graph's root."""

    code: str
    printed: str
    graph: Graph
    root: Value


def first_code_block(readme: Path = README) -> str:
    """The source of the first ```` ```python ```` block of ``readme``."""
    if not readme.is_file():
        raise FileNotFoundError(f"readme_figure: {readme} is missing; run it from a deltagrad checkout")
    match = re.search(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.S)
    if match is None:
        raise ValueError(f"readme_figure: {readme} has no ```python code block")
    return match.group(1)


def run_first_block(readme: Path = README) -> ReadmeRun:
    """Run the README's first block as a notebook cell: every statement, then the last line's value is shown.

    The last line must be ``viz.draw_graph(root, ...)``: its Graph is the figure, ``root`` its first argument.
    """
    code = first_code_block(readme)
    tree = ast.parse(code, filename=f"{readme.name}, first code block")
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and last.value.args):
        raise ValueError("readme_figure: the README's first code block must end with viz.draw_graph(root, ...)")
    body = ast.Module(body=tree.body[:-1], type_ignores=[])
    namespace: dict[str, object] = {"__name__": "__readme__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(body, f"{readme.name}, first code block", "exec"), namespace)
        graph = eval(compile(ast.Expression(last.value), f"{readme.name}, last line", "eval"), namespace)
        root = eval(compile(ast.Expression(last.value.args[0]), f"{readme.name}, last line", "eval"), namespace)
    if not (isinstance(graph, Graph) and isinstance(root, Value)):
        raise ValueError("readme_figure: the README's first code block must end with viz.draw_graph(root, ...)")
    return ReadmeRun(code=code, printed=printed.getvalue(), graph=graph, root=root)


def neuron() -> Value:
    """The root of the README's first block (o = tanh(x1·w1 + x2·w2 + b)) after its ``o.backward()``."""
    return run_first_block().root


def neuron_figure() -> Graph:
    """The graph the README's first block draws (local derivatives on the edges)."""
    return run_first_block().graph


def main(argv: list[str] | None = None) -> list[Path]:
    """Write neuron.svg and neuron.png into the directory given (default notebooks/figures/)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        raise SystemExit("usage: python -m viz.readme_figure [outdir]")
    outdir = Path(args[0]) if args else DEFAULT_OUTDIR
    graph = neuron_figure()
    paths = [save(graph, outdir / "neuron.svg"), save(graph, outdir / "neuron.png")]
    for p in paths:
        print(p)
    return paths


if __name__ == "__main__":
    main()
