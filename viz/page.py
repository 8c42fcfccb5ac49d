"""Self-contained HTML pages that replay recorded frames with the lab's own module, no kernel and no ``dot``.

A page carries everything inline: the lab's ES module (``static/lab.js``), its
stylesheet, Graphviz compiled to WebAssembly (``static/viz.js``, @viz-js/viz,
vendored by ``make viz-js``) and the recording, gzipped and base64-encoded;
the browser unpacks them with its DecompressionStream and lays every graph out
itself. The widgets' ``save_html`` (:mod:`viz.widget`) writes such pages. This
module needs no anywidget and no Graphviz program.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["STATIC", "gzip_base64", "wasm_renderer", "replay_page"]

STATIC = Path(__file__).parent / "static"
"""The widget's files: ``lab.js`` (its one ES module), ``lab.css``, and ``viz.js`` (Graphviz in WebAssembly)."""


def gzip_base64(data: bytes) -> str:
    """``data`` gzipped, as base64 text: what the page gunzips with the browser's DecompressionStream."""
    return base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")


@cache
def wasm_renderer() -> str:
    """The vendored @viz-js/viz module, gzipped and base64-encoded (624 kB instead of 1.2 MB).

    Its WASM is inlined as a string of raw bytes (NULs included), which neither
    HTML text nor JSON would carry compactly: base64 carries anything.
    """
    return gzip_base64((STATIC / "viz.js").read_bytes())


_MISSING = object()


def _rounded(data: Any) -> Any:
    """``data`` with every float to 6 significant digits (more than any panel shows): a saved page half the size."""
    if isinstance(data, float):
        return float(f"{data:.6g}")
    if isinstance(data, dict):
        return {k: _rounded(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_rounded(v) for v in data]
    return data


def replay_page(record: dict[str, Any], title: str, renderer: bool = True) -> str:
    """The HTML page that replays ``record`` (``{"view": ..., "frames": [state, ...], ...}``) with ``lab.js``.

    Each frame is stored as what changed since the one before, its floats to 6
    significant digits, and the whole record gzipped. ``renderer=False`` leaves
    Graphviz-WASM out (624 kB), for a record whose pictures are all drawn already.
    """
    frames: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for frame in record["frames"]:
        frames.append({k: v for k, v in frame.items() if previous.get(k, _MISSING) != v})
        previous = frame
    record = {**record, "frames": _rounded(frames)}
    return _PAGE.format(
        title=html.escape(title),
        css=(STATIC / "lab.css").read_text(encoding="utf-8"),
        viz=wasm_renderer() if renderer else "",
        module=base64.b64encode((STATIC / "lab.js").read_bytes()).decode("ascii"),
        record=gzip_base64(json.dumps(record, allow_nan=False, separators=(",", ":")).encode("utf-8")),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<style>{css}</style></head>
<body>
<div id="deltagrad-lab" class="deltagrad-page"></div>
<script type="text/plain" id="deltagrad-record">{record}</script>
<script type="text/plain" id="deltagrad-viz">{viz}</script>
<script type="text/plain" id="deltagrad-module">{module}</script>
<script type="module">
const text = (id) => document.getElementById(id).textContent.trim();
const bytes = Uint8Array.from(atob(text("deltagrad-module")), (c) => c.charCodeAt(0));
const lab = await import(URL.createObjectURL(new Blob([bytes], {{ type: "text/javascript" }})));
await lab.replay(document.getElementById("deltagrad-lab"), text("deltagrad-record"), text("deltagrad-viz"));
</script>
</body></html>
"""
