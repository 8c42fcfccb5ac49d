"""Name clashes caught at import (autograd/_install_check.py), each situation built in a temporary folder.

A fake ``site-packages`` holds deltagrad's packages with a ``deltagrad-*.dist-info`` RECORD, as pip leaves them;
a fake HIPS autograd is merged into it, or put earlier on the path; a learner's ``nn.py`` sits in the working
folder. Each runs in a subprocess with a crafted PYTHONPATH (no venv, no network).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "viz")
HIPS_FILES = {
    "autograd/__init__.py": "from .differential_operators import grad\n",
    "autograd/differential_operators.py": "def grad(fun):\n    return fun\n",
    "autograd/tracer.py": "",
    "autograd/numpy/__init__.py": "",
    "autograd/numpy/numpy_vjps.py": "",
}


def _dist_info(site: Path, name: str, version: str, files: list[str]) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files) + f"{info.name}/RECORD,,\n")


def _install_deltagrad(site: Path) -> None:
    """deltagrad as a wheel install leaves it: the three folders and a RECORD listing their files."""
    site.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    files = [p.relative_to(site).as_posix() for package in PACKAGES for p in (site / package).rglob("*") if p.is_file()]
    _dist_info(site, "deltagrad", "0.1.0", files)


def _install_hips_autograd(site: Path, overwrite_init: bool) -> None:
    """HIPS autograd's files written into ``site`` as pip would (merging into an existing autograd/ folder)."""
    for name, text in HIPS_FILES.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if overwrite_init or not path.exists():
            path.write_text(text)
    _dist_info(site, "autograd", "1.7.0", list(HIPS_FILES))


def _run(code: str, pythonpath: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath)), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty working folder (where a learner's notebook would be)."""
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def test_a_clean_wheel_install_imports(tmp_path: Path, work: Path) -> None:
    site = tmp_path / "site-packages"
    _install_deltagrad(site)
    run = _run("import viz, nn, autograd; print(autograd.__file__, nn.MLP, autograd.Value)", [site], work)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(str(site / "autograd" / "__init__.py"))


@pytest.mark.parametrize("hips_init_wins", [False, True])
@pytest.mark.parametrize("statement", ["import autograd", "import nn", "import viz"])
def test_hips_autograd_merged_into_the_same_folder_is_named_with_the_fix(
    tmp_path: Path, work: Path, hips_init_wins: bool, statement: str
) -> None:
    site = tmp_path / "site-packages"
    _install_deltagrad(site)
    _install_hips_autograd(site, overwrite_init=hips_init_wins)
    run = _run(statement, [site], work)
    if hips_init_wins and statement == "import autograd":
        assert run.returncode == 0  # HIPS's own __init__ runs: nothing of deltagrad's is imported to object
        return
    assert run.returncode == 1
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: deltagrad's autograd folder " + str(site / "autograd"))
    assert "another distribution's files (the 'autograd' 1.7.0 distribution): differential_operators.py" in message
    assert "numpy, tracer.py" in message and "virtual environment of its own" in message


def test_a_learners_nn_py_beside_the_notebook_is_named_with_the_fix(work: Path) -> None:
    (work / "nn.py").write_text("def my_network():\n    return 1\n")
    run = _run("import viz", [ROOT], work)
    assert run.returncode == 1
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith(f"ImportError: deltagrad's viz needs deltagrad's nn (the folder {ROOT / 'nn'})")
    assert f"`import nn` finds {work / 'nn.py'}, which shadows it. Rename your nn.py" in message
    assert _run("import autograd, nn; print(nn.my_network())", [ROOT], work).stdout == "1\n"  # their file, untouched


def test_an_autograd_without_value_earlier_on_the_path_is_named_with_the_fix(tmp_path: Path, work: Path) -> None:
    other = tmp_path / "other" / "site-packages"
    other.mkdir(parents=True)
    _install_hips_autograd(other, overwrite_init=True)
    run = _run("import nn", [other, ROOT], work)
    assert run.returncode == 1
    message = run.stderr.strip().splitlines()[-1]
    assert (
        f"`import autograd` finds {other / 'autograd' / '__init__.py'}, from the 'autograd' 1.7.0 distribution"
        in message
    )
    assert "Two projects use the top-level name 'autograd'" in message and "virtual environment" in message


@pytest.mark.parametrize(
    "code",
    [
        "import nn\nfrom autograd import Value\nnn.MLP(2, [3, 1])",  # the learner's nn first, then deltagrad's
        "from autograd import Value\nimport nn\nnn.MLP(2, [3, 1])",  # deltagrad's first: marked when imported
        "import autograd\nfrom nn import MLP",
    ],
    ids=["nn_then_autograd", "autograd_then_nn", "from_import"],
)
def test_a_learners_nn_py_answers_a_missing_name_with_the_file_in_the_way(work: Path, code: str) -> None:
    """issue 23: `import nn` alone runs nothing of deltagrad's; once deltagrad's autograd is imported too, a name
    the learner's nn.py lacks says which file shadows deltagrad's nn, and what to do."""
    (work / "nn.py").write_text("def my_network():\n    return 1\n")
    run = _run(code, [ROOT], work)
    assert run.returncode == 1
    message = run.stderr.strip().splitlines()[-1]
    fix = "Rename your nn.py (and delete the __pycache__ folder beside it), or work in another folder; then restart"
    warning = f"UserWarning: `import nn` loads {work / 'nn.py'}, not deltagrad's nn (the folder {ROOT / 'nn'}), which"
    assert run.stderr.count(warning) == 1 and f"which it shadows. {fix}" in run.stderr
    if code.endswith("from nn import MLP"):  # Python words this one itself: the warning above says why
        assert message.startswith(f"ImportError: cannot import name 'MLP' from 'nn' ({work / 'nn.py'})")
        return
    assert message == (
        f"AttributeError: module 'nn' ({work / 'nn.py'}) has no attribute 'MLP': this 'nn' is not deltagrad's "
        f"(the folder {ROOT / 'nn'}), and shadows it. {fix} the Python kernel."
    )


def test_the_learners_own_names_and_modules_are_untouched(work: Path) -> None:
    (work / "nn.py").write_text("def my_network():\n    return 1\n\ndef __getattr__(name):\n    return name * 2\n")
    (work / "helpers.py").write_text("x = 1\n")
    code = "import nn, helpers, autograd\nprint(nn.my_network(), nn.ab, helpers.x, hasattr(helpers, 'y'))"
    run = _run(code, [ROOT], work)
    assert run.stdout == "1 abab 1 False\n", run.stderr
    assert "shadows" in run.stderr  # the warning, once
