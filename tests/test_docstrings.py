"""Every public function, class and method of autograd, nn and viz says what it does (a docstring of its own).

Public means: named in a module's ``__all__`` (or, for a module without one, defined there without a
leading underscore), and the public methods and properties a public class defines itself. An override
counts too: ``SGD.update`` states SGD's rule, not the base class's contract.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

PACKAGES = ("autograd", "nn", "viz")


def modules(package: str) -> Iterator[ModuleType]:
    """The package and each of its modules (not the private ones, such as ``_install_check``)."""
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.iter_modules(root.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package}.{info.name}")


def public_names(module: ModuleType) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items() if not name.startswith("_") and _defined_in(obj, module)]


def _defined_in(obj: Any, module: ModuleType) -> bool:
    return (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__


def _own_doc(obj: Any) -> bool:
    return bool(obj.__doc__ and obj.__doc__.strip())


def undocumented(package: str, found: Iterator[ModuleType] | None = None) -> list[str]:
    """``module.name`` of every public callable of ``package`` (its modules, or ``found``) without a docstring."""
    missing: set[str] = set()
    for module in modules(package) if found is None else found:
        for name in public_names(module):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__.split(".")[0] != package:
                continue  # constants, and names re-exported from another package, are documented where they live
            where = f"{obj.__module__}.{obj.__qualname__}"
            if not _own_doc(obj):
                missing.add(where)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    elif isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) and not _own_doc(member):
                        missing.add(f"{where}.{attr}")
    return sorted(missing)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_callable_has_a_docstring(package):
    missing = undocumented(package)
    assert not missing, f"{len(missing)} public callables of {package} without a docstring:\n" + "\n".join(missing)


def test_the_walk_finds_what_lacks_a_docstring():
    assert {m.__name__ for m in modules("viz")} >= {"viz", "viz.dot", "viz.steps", "viz.lab", "viz.options"}
    fake = ModuleType("fakepkg.shapes")
    source = (
        "class Shape:\n"
        '    """A shape."""\n'
        "    def area(self):\n"
        '        """Its area."""\n'
        "    @property\n"
        "    def size(self):\n"
        "        return 0\n"
        "    @classmethod\n"
        "    def unit(cls):\n"
        "        return cls()\n"
        "    def _helper(self):\n"
        "        pass\n"
        "def documented():\n"
        '    """Documented."""\n'
        "def bare():\n"
        "    pass\n"
        "def _private():\n"
        "    pass\n"
    )
    exec(compile(source, "shapes.py", "exec"), vars(fake))
    assert undocumented("fakepkg", iter([fake])) == [
        "fakepkg.shapes.Shape.size",
        "fakepkg.shapes.Shape.unit",
        "fakepkg.shapes.bare",
    ]
    fake.__all__ = ["Shape"]
    assert undocumented("fakepkg", iter([fake])) == ["fakepkg.shapes.Shape.size", "fakepkg.shapes.Shape.unit"]
