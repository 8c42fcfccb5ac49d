"""Shared fixtures for the viz tests: the lecture's neuron, hand-built nn-style graphs, an SVG reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from autograd import Value
from nn import Parameter

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgItem:
    """One node, edge or cluster of a rendered SVG: its DOT name, CSS classes and text lines."""

    title: str
    classes: list[str]
    texts: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).replace("\xa0", " ")


def read_svg(svg: str) -> dict[str, list[SvgItem]]:
    """The SVG's nodes, edges and clusters by kind (as Graphviz writes them: <g class="node ...">)."""
    root = ET.fromstring(svg.encode("utf-8"))
    items: dict[str, list[SvgItem]] = {"node": [], "edge": [], "cluster": []}
    for g in root.iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        if classes and classes[0] in items:
            title = g.find(f"{SVG}title")
            texts = [_text(t) for t in g.iter(f"{SVG}text")]
            items[classes[0]].append(SvgItem(_text(title) if title is not None else "", classes[1:], texts))
    return items


@pytest.fixture
def svg_reader():
    return read_svg


@dataclass
class Neuron:
    x1: Value
    x2: Value
    w1: Value
    w2: Value
    b: Value
    n: Value
    o: Value


def lecture_neuron() -> Neuron:
    """o = tanh(x1·w1 + x2·w2 + b) at the lecture's numbers, before backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2"), Parameter(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return Neuron(x1, x2, w1, w2, b, n, o)


@pytest.fixture
def neuron() -> Neuron:
    return lecture_neuron()
