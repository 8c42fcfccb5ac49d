"""The names a drawing gives its parts: DOT node names and edge classes, shared by pictures, derivations and the lab.

A value node is ``v<stamp>``, its op ``o<stamp>``, a local derivative on input
``i`` ``d<stamp>_<i>``, and the edge(s) carrying input ``i`` of a node have the
SVG class ``e<stamp>_<i>`` (``stamp``: the node's creation stamp, unique in a process).
"""

from __future__ import annotations

import re

from autograd import Value
from autograd.value import creation_stamp

__all__ = ["node_name", "op_node_name", "derivative_node_name", "edge_name", "layer_cluster_name"]


def node_name(v: Value) -> str:
    """The DOT name of ``v``'s node in :func:`viz.draw_graph`'s source (and the key of a lab's ``node_deltas``)."""
    return f"v{creation_stamp(v):.0f}"


def op_node_name(v: Value) -> str:
    """The DOT name of the op node drawn between ``v``'s inputs and ``v`` (``v`` must be computed)."""
    return f"o{creation_stamp(v):.0f}"


def derivative_node_name(v: Value, i: int) -> str:
    """The DOT name of the small node showing ∂v/∂(input i) on that edge (with ``show_local_grads``)."""
    return f"d{creation_stamp(v):.0f}_{i}"


def edge_name(reader: Value, position: int) -> str:
    """The SVG class (``e12_0``) of the edge(s) carrying input ``position`` of ``reader`` in :func:`viz.draw_graph`,
    and the ``data-edge`` of the derivation term that travels along it (:mod:`viz.derivation`)."""
    return f"e{creation_stamp(reader):.0f}_{position}"


def layer_cluster_name(path: str) -> str:
    """The DOT name of the cluster that frames a layer drawn node by node, from its dotted path in the model
    (``"layers.1"`` -> ``cluster_layer_layers_1``): what the lab's layer view clicks to fold it."""
    return "cluster_layer_" + (re.sub(r"\W", "_", path) or "root")
