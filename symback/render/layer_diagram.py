"""A network drawn as textbooks draw it: a column of units per layer, inputs first, every weight on its edge, and
a bias unit "1" atop each column that feeds a layer with biases, its edges labelled with the biases (Bishop,
Pattern Recognition and Machine Learning, fig. 5.1).

The layout is computed here, in cm on the printed page (:mod:`~symback.render.drawing`): weight labels at normal
size beside their edges, where they meet no other label, edge or unit. Columns are spread as far as the text
width allows and rows as far as needed; the edges into a layer whose labels find no place even then go without
labels, and the layer's matrix is named above the gap instead (wide layers, many layers).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..engine.graph import Graph
from ..numbers.text import format_exact
from .drawing import (
    TEXT_WIDTH,
    Box,
    Circle,
    Drawing,
    Label,
    Placer,
    beside,
    circle,
    label_size,
    preference,
    straight,
)
from .notation import Notation

MAX_DIAGRAM_UNITS = 10  # wider layers make an unreadable diagram; the sheet says it left it out
UNIT, BIAS_UNIT = 0.9, 0.7  # circle diameters, cm
ROW_GAPS = (1.4, 1.7, 2.0, 2.4)  # cm between units of a column, tried in turn
FEW_ROWS, FEW_ROWS_GAP = 3, 1.7  # columns of at most 3 units have the room to stand 1.7 cm apart: edges cross openly
COLUMN_GAPS = (3.4, 4.2)  # cm between columns, tried in turn (and the widest the page allows)
MAX_HEIGHT = 15.0  # cm a diagram may take
ORDERS = 4  # orders tried for placing one gap's labels
WIRE_ROOM = 0.12  # cm between a label and any wire it does not name: it reads as its own wire's
MAX_LABELLED_EDGES = 42  # more edges in one gap than six units fully connected, with biases, go unlabelled


@dataclass(frozen=True)
class DiagramNode:
    id: str
    latex: str
    text: str  # plain text (Mermaid)
    column: int
    bias: bool = False


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    latex: str
    text: str
    layer: int  # the layer the edge feeds (1 for the first hidden layer)
    bias: bool = False


@dataclass(frozen=True)
class Diagram:
    """Columns of node names (inputs first), the nodes and labelled edges, and the drawing; ``omitted`` when too
    wide to draw; ``unlabelled`` the layers whose edges are drawn without labels (their matrix named instead)."""

    columns: tuple[tuple[str, ...], ...]
    nodes: tuple[DiagramNode, ...] = ()
    edges: tuple[DiagramEdge, ...] = ()
    omitted: bool = False
    drawing: Drawing | None = None
    unlabelled: tuple[int, ...] = ()
    matrices: tuple[str, ...] = ()  # each layer's weights (and bias) named as on the sheet, LaTeX

    @property
    def fits_mermaid(self) -> bool:
        """Whether Mermaid (which places edges itself) can draw the edges readably in a Markdown sheet."""
        return not self.omitted and len(self.edges) <= MAX_MERMAID_EDGES


MAX_MERMAID_EDGES = 60  # past this Mermaid's own layout is a tangle of crossing edges


def network_diagram(graph: Graph, notation: Notation, matrices: tuple[str, ...]) -> Diagram:
    """The units of ``graph`` by layer with every weight and bias on its edge, laid out for print.

    >>> import symback
    >>> from symback.engine.network import build_graph
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> d = network_diagram(build_graph(p.network, p.loss), Notation(), ("A", "B"))
    >>> [(e.source, e.target, e.text) for e in d.edges][:2], d.unlabelled
    ([('u0_0', 'u1_0', 'a₁₁'), ('u0_1', 'u1_0', 'a₁₂')], ())
    """
    nodes, edges, columns = _structure(graph, notation)
    if max(len(column) for column in columns) > MAX_DIAGRAM_UNITS:
        return Diagram(columns, omitted=True, matrices=matrices)
    drawing, unlabelled = _layout(nodes, edges, matrices)
    return Diagram(columns, nodes, edges, False, drawing, unlabelled, matrices)


def _structure(graph: Graph, notation: Notation):
    affines = [i for i, node in enumerate(graph.nodes) if node.kind == "affine"]
    readers = {i: i for i in affines}  # the node a unit hands on: its activation, or itself (identity)
    for i, node in enumerate(graph.nodes):
        if node.kind == "activation":
            readers[node.operands[0]] = i
    ids = {source: f"u0_{k}" for k, source in enumerate(graph.inputs)}
    columns = [tuple(graph.nodes[i].name for i in graph.inputs)]
    nodes = [DiagramNode(ids[i], notation.latex_name(graph.nodes[i].name), notation.plain_name(graph.nodes[i].name), 0)
             for i in graph.inputs]
    edges, bias_units = [], []

    def texts(operand):
        if isinstance(operand, int):
            name = graph.nodes[operand].name
            return notation.latex_name(name), notation.plain_name(name)
        return notation.latex(operand), format_exact(operand)

    for layer in sorted({graph.nodes[i].layer for i in affines}):
        units = [i for i in affines if graph.nodes[i].layer == layer]
        columns.append(tuple(graph.nodes[readers[i]].name for i in units))
        for k, affine in enumerate(units):
            ids[readers[affine]] = f"u{layer}_{k}"
            name = graph.nodes[readers[affine]].name
            nodes.append(DiagramNode(f"u{layer}_{k}", notation.latex_name(name), notation.plain_name(name), layer))
        for k, affine in enumerate(units):
            for weight, source in graph.terms(affine):
                edges.append(DiagramEdge(ids[source], f"u{layer}_{k}", *texts(weight), layer))
            bias = graph.bias(affine)
            if bias is not None:
                if f"one{layer - 1}" not in bias_units:
                    bias_units.append(f"one{layer - 1}")
                    nodes.append(DiagramNode(f"one{layer - 1}", "1", "1", layer - 1, bias=True))
                edges.append(DiagramEdge(f"one{layer - 1}", f"u{layer}_{k}", *texts(bias), layer, bias=True))
    return tuple(nodes), tuple(edges), tuple(columns)


def _layout(nodes, edges, matrices) -> tuple[Drawing, tuple[int, ...]]:
    count = 1 + max(node.column for node in nodes)
    rows = max(sum(1 for n in nodes if n.column == c) for c in range(count))
    widest = (TEXT_WIDTH - UNIT - 0.2) / max(count - 1, 1)
    column_gaps = sorted({min(gap, widest) for gap in COLUMN_GAPS + (widest,)})
    row_gaps = [gap for gap in ROW_GAPS if rows * gap <= MAX_HEIGHT and (rows > FEW_ROWS or gap >= FEW_ROWS_GAP)]
    row_gaps = row_gaps or [ROW_GAPS[0]]
    best = None
    for sides in ((0,), (0, 1, -1)):  # every label on its own edge if some layout allows, else also beside it
        for row_gap in row_gaps:
            for column_gap in column_gaps:
                circles = _circles(nodes, column_gap, row_gap)
                placed = {layer: _place_gap(circles, edges, layer, sides) for layer in range(1, count)}
                failed = tuple(layer for layer, labels in placed.items() if labels is None)
                if best is None or len(failed) < len(best[2]):
                    best = (circles, placed, failed)
                if not failed:
                    break
            if not best[2]:
                break
        if not best[2]:
            break
    circles, placed, failed = best
    by_id = {c.id: c for c in circles}
    wires = tuple(straight(f"{e.source}>{e.target}", by_id[e.source], by_id[e.target]) for e in edges)
    labels = [label for layer_labels in placed.values() if layer_labels for label in layer_labels]
    labels += [_matrix_label(circles, nodes, layer, matrices[layer - 1]) for layer in failed]
    return Drawing(tuple(circles), wires, tuple(labels)), failed


def _circles(nodes, column_gap: float, row_gap: float) -> list[Circle]:
    circles = []
    for column in range(1 + max(node.column for node in nodes)):
        units = [n for n in nodes if n.column == column and not n.bias]
        top = (len(units) - 1) * row_gap / 2
        for k, node in enumerate(units):
            circles.append(circle(node.id, column * column_gap, top - k * row_gap, node.latex, "unit", UNIT))
        for node in (n for n in nodes if n.column == column and n.bias):
            circles.append(circle(node.id, column * column_gap, top + row_gap, "1", "bias", BIAS_UNIT))
    return circles


def _place_gap(circles: list[Circle], edges, layer: int, sides: tuple[int, ...]) -> list[Label] | None:
    """Labels for the edges into ``layer``, each on its own edge (side 0: the label blanks out a stretch that no
    other edge crosses) or beside it (side ±1), inside the gap between the two columns; None when some label
    finds no place in any of a few orders."""
    by_id = {c.id: c for c in circles}
    mine = [e for e in edges if e.layer == layer]
    if len(mine) > MAX_LABELLED_EDGES:
        return None
    wires = {e: straight(f"{e.source}>{e.target}", by_id[e.source], by_id[e.target]) for e in mine}
    left, right = (max(by_id[e.source].x for e in mine), min(by_id[e.target].x for e in mine))
    region = Box(left + UNIT / 2, -1e9, right - UNIT / 2, 1e9)
    near = [c for c in circles if left - 0.01 <= c.x <= right + 0.01]
    options = {e: [(t, side) for side in sides for t in preference(0.5, 0.1, 0.9, 0.04)] for e in mine}
    sizes = {e: label_size(e.latex) for e in mine}
    free = Placer(near, wires.values(), room=WIRE_ROOM)
    room = {}
    for e in mine:
        room[e] = sum(_candidate(free, wires[e], e, sizes[e], t, side, region) is not None for t, side in options[e])
        if not room[e]:
            return None  # no place even on an empty gap
    order = sorted(mine, key=lambda e: (room[e], mine.index(e)))
    shuffler = random.Random(layer)  # a fixed seed: the same network gives the same drawing
    for _ in range(ORDERS):
        placer = Placer(near, wires.values(), room=WIRE_ROOM)
        for edge in order:
            label = _first_fit(placer, wires[edge], edge, sizes[edge], options[edge], region)
            if label is None:
                break
            placer.add(label)
        else:
            return placer.placed
        shuffler.shuffle(order)
    return None


def _first_fit(placer: Placer, wire, edge, size, options, region) -> Label | None:
    for t, side in options:
        label = _candidate(placer, wire, edge, size, t, side, region)
        if label is not None:
            return label
    return None


def _candidate(placer: Placer, wire, edge, size, t: float, side: int, region) -> Label | None:
    """The label of ``edge`` at ``t`` beside its wire (side ±1) or on it (0), if that place is free."""
    x, y = beside(wire, t, size, side) if side else wire.at(t)[0]
    if not placer.free(Box.around(x, y, *size), region, own=None if side else wire, named=wire if side else None):
        return None
    return Label(wire.owner, x, y, *size, edge.latex, "biasweight" if edge.bias else "weight", on_wire=not side)


def _matrix_label(circles, nodes, layer: int, latex: str) -> Label:
    """The layer's matrix named above the gap its unlabelled edges cross."""
    columns = {n.id: n.column for n in nodes}
    around = [c for c in circles if columns[c.id] in (layer - 1, layer)]
    width, height = label_size(latex)
    x = sum({c.x for c in around}) / len({c.x for c in around})
    y = max(c.y + c.radius for c in around) + height / 2 + 0.1
    return Label(f"layer{layer}", x, y, width, height, latex, "gapname")
