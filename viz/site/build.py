"""Build deltagrad's browser page into a static site: ``python viz/site/build.py [folder]`` (``make site``).

The site (default ``build/site/``) holds everything the page loads, so any static host serves it and the page
fetches nothing from anywhere else at run time:

- ``pyodide/``: Pyodide's core (CPython compiled to WebAssembly, its standard library; no numpy), the npm package
  ``pyodide`` at :data:`PYODIDE_VERSION`, its licence checked;
- ``wheels/``: deltagrad's own wheel, built from this checkout, and the pure-Python wheels its scalar path imports
  (:data:`WHEELS`, from PyPI, licences checked); the page installs them from the site, without their dependencies;
- ``static/``: the lab's ES module and stylesheet and Graphviz compiled to WebAssembly (``viz/static``);
- the page itself (``index.html``, ``site.js``, ``site.css``, ``page.py``) and its lessons (``lessons.json``, made
  from ``lessons.md``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

__all__ = ["PYODIDE_VERSION", "WHEELS", "build", "parse_lessons"]

PYODIDE_VERSION = "314.0.8"
"""The npm package ``pyodide`` the site serves (its licence must be MPL-2.0)."""

WHEELS = {"graphviz==0.21": "MIT", "traitlets==5.14.3": "BSD"}
"""Pure-Python wheels from PyPI the page installs, with the licence each must declare."""

SOURCE = Path(__file__).resolve().parent
REPO = SOURCE.parents[1]
PAGE_FILES = ("index.html", "site.js", "site.css", "page.py")
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


def _pyodide(into: Path, work: Path) -> None:
    subprocess.run(["npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    with tarfile.open(work / f"pyodide-{PYODIDE_VERSION}.tgz") as archive:
        archive.extractall(work, filter="data")
    package = json.loads((work / "package" / "package.json").read_text(encoding="utf-8"))
    if package.get("license") != "MPL-2.0" or package.get("version") != PYODIDE_VERSION:
        raise SystemExit(f"npm pyodide@{PYODIDE_VERSION}: expected MPL-2.0, got {package.get('license')!r}")
    into.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(work / "package" / name, into / name)
    (into / "LICENSE.txt").write_text(
        f"Pyodide {PYODIDE_VERSION} (npm package `pyodide`, https://github.com/pyodide/pyodide) is distributed\n"
        "under the Mozilla Public License 2.0: https://www.mozilla.org/en-US/MPL/2.0/\n"
        "It contains CPython and its standard library (Python Software Foundation License).\n",
        encoding="utf-8",
    )


def _licence(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    found = re.findall(r"^(?:License-Expression|License|Classifier: License :: OSI Approved ::)\s*:?\s*(.+)$",
                       metadata, re.MULTILINE)  # fmt: skip
    return " / ".join(found)


def _wheels(into: Path) -> list[str]:
    into.mkdir(parents=True)
    python = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*python, "wheel", "--no-deps", "-w", str(into), str(REPO)], check=True)
    subprocess.run([*python, "download", "--no-deps", "--only-binary=:all:", "-d", str(into), *WHEELS], check=True)
    for requirement, licence in WHEELS.items():
        name, version = requirement.split("==")
        wheel = into / f"{name}-{version}-py3-none-any.whl"
        if licence not in _licence(wheel):
            raise SystemExit(f"{wheel.name}: expected a {licence} licence, found {_licence(wheel)!r}")
    return sorted(w.name for w in into.glob("*.whl"))


def parse_lessons(text: str) -> list[dict[str, str]]:
    """The lessons of ``lessons.md``: each ``## title`` section's prose (HTML paragraphs) and its one code block.

    A section is ``## <id>: <title>``, paragraphs of text (``code`` in backticks), then one fenced Python block.
    """
    lessons = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = section.partition("\n")
        ident, _, title = heading.partition(":")
        code = re.search(r"^```python\n(.*?)^```", body, re.MULTILINE | re.DOTALL)
        if not code or not title.strip():
            raise ValueError(f"lessons.md: section {heading!r} needs '<id>: <title>' and one ```python block")
        prose = body[: code.start()].strip()
        paragraphs = [re.sub(r"`([^`]+)`", r"<code>\1</code>", p.replace("\n", " ")) for p in prose.split("\n\n")]
        lessons.append({"id": ident.strip(), "title": title.strip(), "intro": "".join(
            f"<p>{p}</p>" for p in paragraphs if p), "code": code.group(1)})  # fmt: skip
    return lessons


def build(site: Path) -> Path:
    """Write the whole site into ``site`` (replacing it); returns ``site``."""
    site = site.resolve()
    with tempfile.TemporaryDirectory(prefix="deltagrad-site-") as tmp:
        staging = Path(tmp) / "site"
        _pyodide(staging / "pyodide", Path(tmp))
        wheels = _wheels(staging / "wheels")
        shutil.copytree(REPO / "viz" / "static", staging / "static")
        for name in PAGE_FILES:
            shutil.copy2(SOURCE / name, staging / name)
        lessons = parse_lessons((SOURCE / "lessons.md").read_text(encoding="utf-8"))
        (staging / "lessons.json").write_text(json.dumps(lessons, indent=1), encoding="utf-8")
        manifest = {"pyodide": PYODIDE_VERSION, "wheels": wheels}
        (staging / "site.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if site.exists():
            shutil.rmtree(site)
        site.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging, site)
    return site


if __name__ == "__main__":
    target = build(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build" / "site")
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    print(f"{target}: deltagrad's page, {size / 1e6:.1f} MB; serve it with: python -m http.server -d {target}")
