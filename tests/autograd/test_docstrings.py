"""Every public function, class and method of ``autograd`` says what it does (a docstring)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import autograd


def public_callables() -> list[tuple[str, object]]:
    found = []
    for info in pkgutil.iter_modules(autograd.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"autograd.{info.name}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != module.__name__:
                continue
            found.append((f"{module.__name__}.{name}", obj))
            if inspect.isclass(obj):
                generated = {f.name for f in dataclasses.fields(obj)} if dataclasses.is_dataclass(obj) else set()
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if attr == "__init__" and dataclasses.is_dataclass(obj):
                        continue  # written by @dataclass from the documented fields
                    function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                    if callable(function) and attr not in generated:
                        found.append((f"{module.__name__}.{name}.{attr}", function))
    return found


def test_every_public_callable_has_a_docstring() -> None:
    missing = [name for name, obj in public_callables() if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, f"no docstring: {missing}"
