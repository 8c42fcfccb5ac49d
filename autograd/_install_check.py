"""Is this deltagrad's ``autograd``/``nn``/``viz``? Checked once when each package is imported.

deltagrad's top-level names are shared with other projects (HIPS ``autograd``, PyPI's ``nn`` and ``viz``), and a
learner's own ``nn.py`` beside a notebook shadows ``nn``. Python gives no sign of either: pip merges two
distributions into one ``site-packages/autograd/`` folder, and ``import nn`` simply finds the other file first.
The errors come later and far away (``cannot import name 'ACTIVATIONS' from 'nn'``). This module finds the
cause at import and names it with the fix:

1. **foreign files in a package's folder**: with deltagrad installed (a ``deltagrad-*.dist-info`` beside the
   folder), every module in the folder must be one that deltagrad's RECORD lists;
2. **a package it needs is someone else's**: ``nn`` needs ``autograd``, ``viz`` needs both; deltagrad's packages are
   installed side by side, so ``import autograd`` must find the ``autograd`` folder beside ``nn``, not a file
   earlier on ``sys.path``.

``nn`` and ``viz`` load this file by path before they import ``autograd``, so it works even when
``import autograd`` would find another project. It imports nothing of deltagrad's.

3. **a learner's ``nn.py`` that no deltagrad code runs beside**: ``import nn`` alone loads the learner's file and
   nothing of deltagrad's runs to object. So each of deltagrad's packages, once imported, marks the others'
   shadows (:func:`hint_shadows`): a module named ``nn``, ``viz`` or ``autograd`` that is not the deltagrad folder
   beside it, imported before or after, warns once naming the file in the way and the fix, and answers a name it
   lacks (``nn.MLP``) with an AttributeError saying the same. Everything the learner's module defines works as
   before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["check_install", "hint_shadows", "PACKAGES"]

PACKAGES = ("autograd", "nn", "viz")

VENV_FIX = (
    "Install deltagrad in a virtual environment of its own: python3 -m venv .venv && . .venv/bin/activate && "
    "pip install deltagrad (in Jupyter, pick that environment's kernel). Uninstalling one of the two here would "
    "delete files the other needs."
)


def check_install(init_file: str, requires: Sequence[str] = ()) -> None:
    """Raise ImportError, naming the file in the way and the fix, if the package whose ``__init__.py`` is
    ``init_file`` shares its folder with another distribution, or if a package in ``requires`` is not
    deltagrad's (the folder of that name beside it)."""
    folder = Path(init_file).resolve().parent
    _check_folder(folder)
    for name in requires:
        expected = folder.parent / name
        found = _origin(name)
        if found is not None and found != expected and found != expected / "__init__.py":
            raise ImportError(_shadow_message(folder.name, name, found, expected))
        _check_folder(expected)


def _origin(name: str) -> Path | None:
    """The file (or namespace folder) that ``import name`` loads, without importing it."""
    module = sys.modules.get(name)
    if module is not None:
        file = getattr(module, "__file__", None)
        paths = list(getattr(module, "__path__", []) or [])
    else:
        spec = importlib.util.find_spec(name)
        if spec is None:
            return None
        file = spec.origin if spec.has_location else None
        paths = list(spec.submodule_search_locations or [])
    if file:
        return Path(file).resolve()
    return Path(paths[0]).resolve() if paths else None


def _shadow_message(package: str, name: str, found: Path, expected: Path) -> str:
    owner = _owner(found.parent.parent if found.name == "__init__.py" else found.parent, name)
    head = (
        f"deltagrad's {package} needs deltagrad's {name} (the folder {expected}), but `import {name}` finds "
        f"{found}{f', from the {owner} distribution' if owner else ''}, which shadows it."
    )
    return f"{head} {_fix(name, found, owner)}"


def _fix(name: str, found: Path, owner: str) -> str:
    """What to do about ``found`` shadowing deltagrad's package ``name``: a fresh venv for another distribution's
    package, renaming for a learner's own file or folder."""
    if owner or any(part in ("site-packages", "dist-packages") for part in found.parts):
        return f"Two projects use the top-level name {name!r}. {VENV_FIX}"
    return (
        f"Rename your {found.name if found.name != '__init__.py' else found.parent.name + '/'} (and delete the "
        f"__pycache__ folder beside it), or work in another folder; then restart the Python kernel."
    )


def hint_shadows(init_file: str) -> None:
    """Mark the modules that shadow deltagrad's other packages (the folders beside ``init_file``'s package): one
    imported already now, one imported later when it is (a finder at the front of ``sys.meta_path``, once)."""
    site = Path(init_file).resolve().parent.parent
    for name in PACKAGES:
        module = sys.modules.get(name)
        if module is not None:
            _mark_shadow(module, name, site)
    if not any(isinstance(finder, _ShadowMarker) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ShadowMarker(site))


_MARKED: set[int] = set()  # the shadows marked (and warned about) already, by id


def _mark_shadow(module: types.ModuleType, name: str, site: Path) -> None:
    """If ``module`` (imported as ``name``) is not deltagrad's folder in ``site``: warn once naming the file in the
    way and the fix, and give it a module ``__getattr__`` saying the same (unless it has its own)."""
    file = getattr(module, "__file__", None)
    expected = site / name
    if not file or not (expected / "__init__.py").is_file() or id(module) in _MARKED:
        return
    found = Path(file).resolve()
    if found == expected / "__init__.py":
        return
    _MARKED.add(id(module))
    owner = _owner(found.parent.parent if found.name == "__init__.py" else found.parent, name)

    def __getattr__(attribute: str) -> Any:
        if attribute.startswith("__"):  # probes by tools (__path__, __wrapped__ ...): the plain error
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        raise AttributeError(
            f"module {name!r} ({found}) has no attribute {attribute!r}: this {name!r} is not deltagrad's (the folder "
            f"{expected}){f', it is from the {owner} distribution' if owner else ''}, and shadows it. "
            f"{_fix(name, found, owner)}"
        )

    if "__getattr__" not in vars(module):  # the module's own comes first
        module.__getattr__ = __getattr__  # type: ignore[method-assign]
    # said once at import too: `from nn import MLP` turns the AttributeError above into a plain ImportError
    warnings.warn(
        f"`import {name}` loads {found}{f' (the {owner} distribution)' if owner else ''}, not deltagrad's {name} "
        f"(the folder {expected}), which it shadows. {_fix(name, found, owner)}",
        stacklevel=2,
    )


class _ShadowMarker(importlib.abc.MetaPathFinder):
    """Finds deltagrad's package names as the finders after it would, and marks what they find if it is a shadow."""

    def __init__(self, site: Path) -> None:
        self.site = site

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in PACKAGES:
            return None
        after = sys.meta_path[sys.meta_path.index(self) + 1 :] if self in sys.meta_path else []
        for finder in after:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if (
                    spec.loader is not None
                    and spec.origin
                    and Path(spec.origin).resolve() != self.site / fullname / "__init__.py"
                ):
                    spec.loader = _MarkingLoader(spec.loader, fullname, self.site)
                return spec
        return None


class _MarkingLoader(importlib.abc.Loader):
    """A loader that runs the one it wraps, then marks the module as a shadow (see :func:`_mark_shadow`)."""

    def __init__(self, loader: Any, name: str, site: Path) -> None:
        self.loader, self.name, self.site = loader, name, site

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        _mark_shadow(module, self.name, self.site)

    def __getattr__(self, attribute: str) -> Any:  # get_source, get_filename ...: the wrapped loader's
        return getattr(self.loader, attribute)


def _record(dist_info: Path) -> set[str]:
    try:
        lines = (dist_info / "RECORD").read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {line.rsplit(",", 2)[0] for line in lines if line}


def _check_folder(folder: Path) -> None:
    """Modules in ``folder`` that deltagrad's installed RECORD does not list: another distribution merged in."""
    records = [_record(d) for d in folder.parent.glob("deltagrad-*.dist-info")]
    ours = {path.split("/")[1] for record in records for path in record if path.startswith(folder.name + "/")}
    if not ours:
        return  # not installed from a wheel here (a source checkout or an editable install): nothing merges into it
    foreign = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name not in ours
        and entry.name != "__pycache__"
        and (entry.suffix in (".py", ".so", ".pyd") or (entry.is_dir() and any(entry.glob("*.py"))))
    )
    if foreign:
        owner = _owner(folder.parent, folder.name, foreign)
        shown = ", ".join(foreign[:6]) + (f" and {len(foreign) - 6} more" if len(foreign) > 6 else "")
        raise ImportError(
            f"deltagrad's {folder.name} folder {folder} also holds another distribution's files"
            f"{f' (the {owner} distribution)' if owner else ''}: {shown}. pip installed two projects with the "
            f"top-level name {folder.name!r} into one folder, and each now breaks the other. {VENV_FIX}"
        )


def _owner(site: Path, name: str, files: Sequence[str] = ("__init__.py",)) -> str:
    """'<Name> <version>' of the distribution in ``site`` other than deltagrad whose RECORD lists ``name/<file>``."""
    wanted = {f"{name}/{f}" for f in files} | {f"{name}/{f}/__init__.py" for f in files} | {f"{name}.py"}
    for dist_info in sorted(site.glob("*.dist-info")):
        if dist_info.name.startswith("deltagrad-") or not wanted & _record(dist_info):
            continue
        from email.parser import HeaderParser  # on the error path only: it costs milliseconds to import

        try:
            meta = HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
        except OSError:
            return f"'{dist_info.name.removesuffix('.dist-info')}'"
        return f"'{meta['Name']}' {meta['Version']}"
    return ""
