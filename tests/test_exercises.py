"""The exercises in two forms, generated from one source: blanks for the student, worked solutions for the tests."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat comes with the notebooks extra (make test installs it)")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT, SOLUTIONS = NOTEBOOKS / "11_exercises.ipynb", NOTEBOOKS / "11_exercises_solutions.ipynb"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_exercises", NOTEBOOKS / "source" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(notebook) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in notebook.cells]


def _outputs(cell) -> str:
    texts = [o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", [])]
    return "".join(texts)


@pytest.mark.parametrize("path", [STUDENT, SOLUTIONS], ids=["student", "solutions"])
def test_the_stored_notebook_is_what_the_generator_makes_from_the_source(generator, path) -> None:
    source = nbformat.read(generator.SOURCE, as_version=4)
    made = generator.version(source, generator.VERSIONS[path.name])
    stored = nbformat.read(path, as_version=4)
    assert _cells(stored) == _cells(made), f"regenerate: python notebooks/source/generate.py ({path.name} drifted)"
    assert [c.get("id") for c in stored.cells] == [c.get("id") for c in made.cells]


def test_each_version_has_its_own_cells_and_the_shared_ones(generator) -> None:
    source = _cells(nbformat.read(generator.SOURCE, as_version=4))
    student, solutions = (_cells(nbformat.read(p, as_version=4)) for p in (STUDENT, SOLUTIONS))
    tagged = lambda cells, tag: [c for c in cells if tag in c[2]]
    assert tagged(student, "solution") == [] and tagged(solutions, "exercise") == []
    assert len(tagged(source, "exercise")) == len(tagged(student, "exercise")) >= 7  # 6 answers and the intro
    assert [c for c in source if not c[2]] == [c for c in student if not c[2]] == [c for c in solutions if not c[2]]
    answers = [c for c in tagged(student, "exercise") if c[0] == "code"]
    assert len(answers) == 6 and all("..." in c[1] for c in answers)
    assert not any("assert" in c[1] for c in student if c[0] == "code" and "report.passed" in c[1])


def test_the_student_version_runs_and_every_check_says_what_is_still_to_write() -> None:
    student = nbformat.read(STUDENT, as_version=4)
    outputs = [(c.source, _outputs(c)) for c in student.cells if c.cell_type == "code"]
    assert not any(o.get("output_type") == "error" for c in student.cells for o in c.get("outputs", []))
    checks = [text for source, text in outputs if "report" in source and "check_" in source]
    blanks = [text for text in checks if "not written yet" in text or "still to write" in text]
    assert len([t for t in checks if "✗ check_op: " in t and t.count("not written yet") == 4]) == 1  # 4 activations
    assert sum("✗ check_deltas: " in t and "still to write" in t for t in blanks) == 3  # neuron, network, chain rule
    assert sum("not written yet" in t for t in blanks) == 3  # the activations, tanh op, backward
    # the blanks give nothing away: no engine δ next to a blank, no expected formula
    assert not re.search(r"still to write.*\d\.\d", "".join(blanks)) and "1 - tanh²x" not in "".join(blanks)


def test_the_solutions_version_asserts_every_check_passes() -> None:
    solutions = nbformat.read(SOLUTIONS, as_version=4)
    asserts = [c for c in solutions.cells if "solution" in c.metadata.get("tags", []) and "report.passed" in c.source]
    assert len(asserts) == 6
    outputs = "".join(_outputs(c) for c in solutions.cells)
    assert "not written yet" not in outputs and "still to write" not in outputs
    assert outputs.count("✓ check_op") >= 4 and "✓ check_backward" in outputs
