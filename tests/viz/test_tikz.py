"""LaTeX/TikZ export that compiles with pdflatex, and 16:9 slide-sized pictures."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest

import nn
import viz
import viz.tikz
from viz import readme_figure


def compile_tex(path) -> None:
    """pdflatex makes ONE page, the picture's size, drawn in a sans-serif font, and the page is not blank."""
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    pdf = path.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info  # no empty first page
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CMSS" in fonts, fonts  # Graphviz sized the boxes for Helvetica: the text is sans-serif too
    page = subprocess.run(["pdftoppm", "-gray", "-r", "30", "-singlefile", str(pdf)], capture_output=True, check=True)
    magic, width, height, _, pixels = page.stdout.split(maxsplit=4)  # a binary PGM: P5 w h 255 then the pixels
    assert magic == b"P5" and len(pixels) == int(width) * int(height)
    assert sum(p < 200 for p in pixels) > 0.01 * len(pixels)  # something is drawn on the page


@pytest.fixture(scope="module")
def pdflatex() -> str:
    path = shutil.which("pdflatex")
    assert path, "pdflatex is installed by `make system-deps` (texlive-latex-base, texlive-pictures)"
    assert shutil.which("pdftoppm"), "pdftoppm, pdfinfo and pdffonts come with `make system-deps` (poppler-utils)"
    return path


def test_readme_neuron_as_tikz_compiles_and_shows_data_delta_and_local_derivatives(tmp_path, pdflatex):
    path = viz.save(readme_figure.neuron_figure(), tmp_path / "neuron.tex")
    tex = path.read_text(encoding="utf-8")
    assert r"\begin{tikzpicture}" in tex and "data 0.7071" in tex and r"$\delta$ 0.5000" in tex
    assert r"$\partial$=0.5000" in tex
    compile_tex(path)


def test_network_with_clusters_legend_and_slide_names_compiles(tmp_path, pdflatex):
    out = nn.MLP(2, [3, 1], seed=0)([0.5, -1.0])
    out.backward()
    path = viz.save(out, tmp_path / "mlp.tex", show_local_grads=True, legend=True)
    tex = path.read_text(encoding="utf-8")
    assert r"$\mathit{z}^{[3]}_{1}$" in tex and "neuron 3" in tex and r"$\Sigma$ wx + b" in tex
    assert tex.count(r"\fcolorbox") == 6 and "parameter (nn.Parameter)" in tex  # the legend's row
    compile_tex(path)


def test_a_backward_frame_and_hostile_labels_compile(tmp_path, pdflatex):
    from autograd import Value

    x = Value(0.5, label="σ(x) & 100% {a_b} \\ ~^ #$ ∂ ŷ 😀")
    y = (x * 2).tanh()
    y.label = "a^[2]_1"
    frame = viz.backward_steps(y)[1]
    path = viz.save(frame.graph, tmp_path / "frame.tex", format="tikz")
    compile_tex(path)
    snippet = viz.tikz.to_tikz(frame.graph, standalone=False)
    assert snippet.startswith(r"\begin{tikzpicture}") and r"\documentclass" not in snippet


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_slides_are_16_by_9(tmp_path):
    graph = readme_figure.neuron_figure()
    png = viz.save(graph, tmp_path / "slide.png", slide=True).read_bytes()
    assert _png_size(png) == (1920, 1080)
    pdf = viz.save(graph, tmp_path / "slide.pdf", slide=True).read_bytes()
    assert b"/MediaBox [ 0 0 960 540 ]" in pdf


def test_format_and_suffix_must_agree(tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        viz.save(readme_figure.neuron_figure(), tmp_path / "g.svg", format="png")
