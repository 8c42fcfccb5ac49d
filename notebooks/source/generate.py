"""Generate the exercise notebooks from their one source, so the two versions cannot drift apart.

    .venv/bin/python notebooks/source/generate.py          # from the top of the repository

``notebooks/source/11_exercises.ipynb`` holds every cell once. A cell tagged ``exercise`` (a blank to fill in,
the student's introduction) goes only into the student version, a cell tagged ``solution`` (a worked answer,
the ``assert`` that its check passes) only into the solutions version, every other cell into both:

* ``notebooks/11_exercises.ipynb``: the student version; its checks report what is still to write.
* ``notebooks/11_exercises_solutions.ipynb``: the solutions version, which ``make test`` runs and asserts.

Both are written executed (the kernel starts in ``notebooks/``, as nbmake's does), as every stored notebook is.
``tests/test_exercises.py`` checks that the stored notebooks' cells are what this script makes from the source.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "11_exercises.ipynb"
NOTEBOOKS = HERE.parent
VERSIONS = {"11_exercises.ipynb": "exercise", "11_exercises_solutions.ipynb": "solution"}
"""Each generated notebook and the tag of the cells only it has (the other tag's cells are left out)."""


def version(source: nbformat.NotebookNode, keep: str) -> nbformat.NotebookNode:
    """The notebook with the untagged cells and those tagged ``keep``, without outputs."""
    drop = ({"exercise", "solution"} - {keep}).pop()
    notebook = copy.deepcopy(source)
    notebook.cells = [cell for cell in notebook.cells if drop not in cell.metadata.get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def generate(execute: bool = True) -> list[Path]:
    """Write both versions into ``notebooks/`` (executed unless ``execute`` is False) and return their paths."""
    source = nbformat.read(SOURCE, as_version=4)
    written = []
    for name, keep in VERSIONS.items():
        notebook = version(source, keep)
        if execute:
            NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        path = NOTEBOOKS / name
        partial = path.with_suffix(".ipynb.partial")
        nbformat.write(notebook, partial)
        os.replace(partial, path)  # atomic: a failed run leaves the stored notebook as it was
        written.append(path)
    return written


if __name__ == "__main__":
    for path in generate(execute="--no-execute" not in sys.argv[1:]):
        print(f"wrote {path}")
