"""The README's code blocks run as written and print what the README says."""

import re
from pathlib import Path

import pytest

from autograd import OPS

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    saved_ops = dict(OPS)
    try:
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
    finally:  # a block's register_op must not leak into other tests
        OPS.clear()
        OPS.update(saved_ops)
    printed = capsys.readouterr().out
    if "register_op" in BLOCKS[index]:
        assert [float(t) for t in printed.split()] == pytest.approx([0.8, -0.64])
    elif index == 0:  # the lecture's neuron: o = 1/√2, δx1 = w1·(1 - o²), δw1 = x1·(1 - o²), δx2, δw2
        assert [float(t) for t in printed.split()] == pytest.approx([2**-0.5, -1.5, 1.0, 0.5, 0.0], abs=1e-4)
        assert f"# {printed.strip()}  " in BLOCKS[index]  # the comment under the print says what it prints
    else:
        assert float(printed) >= 0.97
