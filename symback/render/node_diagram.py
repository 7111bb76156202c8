"""A graph drawn node by node, as layout data for the templates (TikZ in LaTeX, Mermaid in Markdown): an
expression's circuit, or any graph whose pass is presented as a table of nodes and wires.

Nodes stand in columns by their depth from the leaves, each at the mean height of its operands (pushed apart
where they would overlap); a network's parameter stands in the column before the node that reads it. Every wire
carries the value flowing forward along it and the gradient flowing back along it (what its child sends its
parent). Graphs of more than MAX_DIAGRAM_NODES nodes are left out.

The drawing is laid out here for print (:mod:`~symback.render.drawing`): columns as far apart as the text width
allows, rows as far as the labels need; each wire's value just above it and its gradient just below, node names
beside their nodes, all at normal size where they meet no other label, wire or node. A graph whose numbers find no
such place even at the tallest layout is drawn without them (the table beside it has them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from ..numbers.text import decimal_text, format_exact
from .drawing import (
    TEXT_WIDTH,
    Box,
    Circle,
    Drawing,
    Label,
    Placer,
    Wire,
    bent,
    beside,
    circle,
    label_size,
    preference,
    straight,
)
from .notation import Notation

MAX_DIAGRAM_NODES = 25  # more nodes make an unreadable diagram; the sheet says it left it out
COLUMN_GAPS = (3.2, 3.8)  # cm between columns, tried in turn (and the widest the page allows)
ROW_GAPS = (1.6, 2.0, 2.5, 3.0, 3.6)  # cm between rows, tried in turn
MAX_HEIGHT = 18.0  # cm a diagram may take
OP, LEAF = 0.8, 0.45  # smallest circle diameters, cm

_SYMBOLS = MappingProxyType({  # operation -> (LaTeX, text) for the diagram
    "id": ("=", "="), "add": ("+", "+"), "sub": ("-", "−"), "mul": (r"\times", "×"), "div": (r"\div", "÷"),
    "neg": ("-", "−"), "pow": (r"(\cdot)^{\square}", "^"), "exp": (r"\exp", "exp"), "log": (r"\log", "log"),
    "sqrt": (r"\sqrt{\ }", "√"), "abs": (r"\lvert\cdot\rvert", "abs"), "sigmoid": (r"\sigma", "σ"),
    "relu": (r"\mathrm{ReLU}", "ReLU"), "softplus": (r"\mathrm{softplus}", "softplus"), "sin": (r"\sin", "sin"),
    "cos": (r"\cos", "cos"), "tan": (r"\tan", "tan"), "sinh": (r"\sinh", "sinh"), "cosh": (r"\cosh", "cosh"),
    "tanh": (r"\tanh", "tanh"), "atan": (r"\arctan", "atan"), "max": (r"\max", "max"), "min": (r"\min", "min"),
    "loss": (r"\mathrm{loss}", "loss"), "affine": (r"\Sigma", "Σ"),
})
_WHOLE = ("loss", "affine")  # drawn by their symbol alone, whatever constants they take


@dataclass(frozen=True)
class DiagramNode:
    id: str
    name: str
    latex: str  # the operation's symbol (a leaf: its name)
    text: str
    x: float
    y: float
    leaf: bool


@dataclass(frozen=True)
class DiagramWire:
    source: str
    target: str
    value: Decimal | None  # the value carried forward (None: a diagram without numbers)
    gradient: Decimal | None  # the gradient carried back along this wire (None: none, as to a network's input)
    value_text: str
    gradient_text: str
    bend: int  # degrees: wires that would overlap a node or each other are bent


@dataclass(frozen=True)
class NodeDiagram:
    nodes: tuple[DiagramNode, ...]
    wires: tuple[DiagramWire, ...]
    output: DiagramWire | None  # the top node's value and its gradient 1, on a wire leaving the circuit
    omitted: bool
    size: int
    drawing: Drawing | None = None
    labelled: bool = True  # False: the wires' numbers found no room and are left to the table


def _label(node, notation: Notation) -> tuple[str, str]:
    """The symbol a node is drawn with: its operation, with the constants it takes (+1, ×2, ^2, max(0, ·))."""
    if node.is_leaf:
        return notation.latex_name(node.name), notation.plain_name(node.name)
    latex, text = _SYMBOLS.get(node.operation, (rf"\mathrm{{{node.operation}}}", node.operation))
    constants = [(k, o) for k, o in enumerate(node.operands) if not isinstance(o, int)]
    if not constants or node.operation in _WHOLE:
        return latex, text
    if node.operation == "pow" and len(node.operands) == 2:
        (k, value), = constants
        if k == 1:
            return f"(\\cdot)^{{{notation.latex(value)}}}", f"^{format_exact(value)}"
        base_latex, base_text = _constant(value, notation, plain=lambda v: v.is_Integer and v >= 0)
        return f"{base_latex}^{{\\square}}", f"{base_text}^"
    if len(node.operands) == 2 and node.operation in ("add", "sub", "mul", "div"):
        (k, value), = constants
        number_latex, number_text = _constant(value, notation, plain=lambda v: not v.could_extract_minus_sign())
        if k == 1:
            return f"{latex}{number_latex}", f"{text}{number_text}"
        return f"{number_latex}{latex}", f"{number_text}{text}"
    arguments_latex = ", ".join(r"\cdot" if isinstance(o, int) else notation.latex(o) for o in node.operands)
    arguments_text = ", ".join("·" if isinstance(o, int) else format_exact(o) for o in node.operands)
    return rf"{latex}\left({arguments_latex}\right)", f"{text}({arguments_text})"


def _constant(value, notation: Notation, plain) -> tuple[str, str]:
    """A constant beside an operator symbol (LaTeX, text), in parentheses unless ``plain(value)``: −3 after a
    minus, or 1/2 as a power's base, would read as another number."""
    latex, text = notation.latex(value), format_exact(value)
    return (latex, text) if plain(value) else (rf"\left({latex}\right)", f"({text})")


def _depths(graph) -> dict[int, int]:
    """Each node's column: a leaf's 0, a computed node's one past its deepest operand; a parameter's (a
    network's weight) one before the first node that reads it, beside the values it is combined with."""
    depth: dict[int, int] = {}
    for i, node in enumerate(graph.nodes):
        parents = [o for o in node.operands if isinstance(o, int) and graph.nodes[o].kind != "parameter"]
        depth[i] = 0 if node.is_leaf else 1 + max((depth[p] for p in parents), default=0)
    readers: dict[int, list[int]] = {}
    for k, node in enumerate(graph.nodes):
        for _, operand in node.node_operands():
            if graph.nodes[operand].kind == "parameter":
                readers.setdefault(operand, []).append(depth[k])
    depth.update({parameter: max(min(columns) - 1, 0) for parameter, columns in readers.items()})
    return depth


def _grid(circuit) -> dict[int, tuple[int, float]]:
    """Each node's (column, row): rows grow downwards, in units of the row gap."""
    depth = _depths(circuit)
    row: dict[int, float] = {}
    for column in range(max(depth.values()) + 1):
        members = [i for i in depth if depth[i] == column and circuit.nodes[i].kind != "parameter"]
        wanted = {}
        for position, i in enumerate(members):
            parents = [o for o in circuit.nodes[i].operands if isinstance(o, int)]
            wanted[i] = sum(row[p] for p in parents) / len(parents) if parents else float(position)
        members.sort(key=lambda i: (wanted[i], i))
        placed: list[float] = []
        for i in members:
            placed.append(wanted[i] if not placed else max(wanted[i], placed[-1] + 1))
        for i in (i for i in depth if depth[i] == column and circuit.nodes[i].kind == "parameter"):
            wanted[i] = placed[-1] + 1 if placed else 0.0  # a network's weights below the values they weigh
            placed.append(wanted[i])
            members.append(i)
        shift = sum(wanted[i] for i in members) / len(members) - sum(placed) / len(placed)
        for i, r in zip(members, placed):
            row[i] = r + shift
    return {i: (depth[i], row[i]) for i in depth}


def _bends(positions, wires: list[tuple[int, int]], row_gap: float) -> list[int]:
    """A bend (degrees) for wires repeated between two nodes (x · x), and for a wire that would pass through
    a node on its way."""
    bends, seen = [], {}
    for parent, child in wires:
        if wires.count((parent, child)) > 1:
            count = seen[(parent, child)] = seen.get((parent, child), -1) + 1
            bends.append((25 + 25 * (count // 2)) * (1 if count % 2 == 0 else -1))  # 25, -25, 50, -50, 75, …
            continue
        (x0, y0), (x1, y1) = positions[parent], positions[child]
        blocked = any(x0 < x < x1 and abs(y0 + (y1 - y0) * (x - x0) / (x1 - x0) - y) < 0.45 * row_gap
                      for k, (x, y) in positions.items() if k not in (parent, child))
        bends.append(40 if blocked else 0)
    return bends


def _decimal_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value, "f") if -5 <= value.adjusted() <= 12 else str(value)


def _diagram(circuit, notation: Notation, numbers=None) -> NodeDiagram:
    size = len(circuit.nodes)
    if size > MAX_DIAGRAM_NODES:
        return NodeDiagram((), (), None, True, size)
    grid = _grid(circuit)
    pairs = [(o, child) for child, node in enumerate(circuit.nodes) for _, o in node.node_operands()]
    bends = _bends({i: (c, -r) for i, (c, r) in grid.items()}, pairs, 1.0)
    labels = [_label(node, notation) for node in circuit.nodes]
    nodes = tuple(DiagramNode(f"n{i}", node.name, *labels[i], *_position(grid[i], COLUMN_GAPS[0], ROW_GAPS[0]),
                              node.is_leaf) for i, node in enumerate(circuit.nodes))
    values, contributions = numbers or (None, None)
    wires = []
    for k, ((parent, child), bend) in enumerate(zip(pairs, bends)):
        value = values[parent] if values else None
        gradient = contributions[k] if contributions else None
        wires.append(DiagramWire(f"n{parent}", f"n{child}", value, gradient, _decimal_text(value),
                                 _decimal_text(gradient), bend))
    output = None
    if numbers:
        top = values[circuit.top]
        output = DiagramWire(f"n{circuit.top}", "nout", top, Decimal(1), _decimal_text(top), "1", 0)
    drawing, labelled = _draw(circuit, notation, grid, nodes, wires, output)
    nodes = tuple(DiagramNode(n.id, n.name, n.latex, n.text, c.x, c.y, n.leaf) for n, c in zip(nodes, drawing.circles))
    return NodeDiagram(nodes, tuple(wires), output, False, size, drawing, labelled)


def _position(cell: tuple[int, float], column_gap: float, row_gap: float) -> tuple[float, float]:
    return cell[0] * column_gap, -cell[1] * row_gap


def _draw(circuit, notation, grid, nodes, wires, output) -> tuple[Drawing, bool]:
    """The layout for print: the most compact that places every label, else the most compact without the wires' numbers."""
    depth = max(column for column, _ in grid.values())
    rows = max(row for _, row in grid.values()) - min(row for _, row in grid.values())
    stub = 0.0
    if output:
        stub = max(label_size(decimal_text(output.value))[0], label_size("1")[0]) + 0.5
    lefts = [circle("", 0, 0, n.latex, "leaf" if n.leaf else "op", LEAF if n.leaf else OP).radius
             for i, n in enumerate(nodes) if grid[i][0] == 0]
    top = circle("", 0, 0, nodes[circuit.top].latex, "op", OP).radius
    widest = (TEXT_WIDTH - max(lefts) - top - stub - 0.3) / max(depth, 1)
    column_gaps = sorted({min(gap, widest) for gap in COLUMN_GAPS + (widest,)})
    row_gaps = [gap for gap in ROW_GAPS if rows * gap <= MAX_HEIGHT] or [ROW_GAPS[0]]
    names = {i: notation.latex_name(node.name) for i, node in enumerate(circuit.nodes) if not node.is_leaf}
    for row_gap in row_gaps:
        for column_gap in column_gaps:
            drawing, placed = _attempt(grid, nodes, wires, output, names, column_gap, row_gap, stub)
            if placed and drawing.bounds.x1 - drawing.bounds.x0 <= TEXT_WIDTH:
                return drawing, True
    return _attempt(grid, nodes, wires, None, names, column_gaps[0], row_gaps[0], 0.0, numbers=False)[0], False


def _attempt(grid, nodes, wires, output, names, column_gap, row_gap, stub, numbers=True) -> tuple[Drawing, bool]:
    """One layout, and whether every label in it found a place (a name that finds none is left out)."""
    circles = [circle(n.id, *_position(grid[i], column_gap, row_gap), n.latex, "leaf" if n.leaf else "op",
                      LEAF if n.leaf else OP) for i, n in enumerate(nodes)]
    by_id = {c.id: c for c in circles}
    paths = []
    for k, wire in enumerate(wires):
        start, end = by_id[wire.source], by_id[wire.target]
        owner = f"w{k}"
        paths.append(bent(owner, start, end, wire.bend) if wire.bend else straight(owner, start, end))
    if output:
        source = by_id[output.source]
        end = Circle("nout", source.x + source.radius + stub, source.y, 0.0, "", "leaf")
        paths.append(straight("out", source, end))
    placer = Placer(circles, paths)
    placed = True
    if numbers:  # the wires' numbers first, those with the least room first: a name has more places to go
        flows = [(wire, path) for wire, path in zip([*wires, output] if output else wires, paths) if wire.value is not None]
        flows.sort(key=lambda flow: _room(placer, *flow))
        placed = all(_place_pair(placer, path, wire) for wire, path in flows)
    named = [_place_name(placer, by_id[f"n{i}"], latex) for i, latex in names.items()]  # each name tried
    return Drawing(tuple(circles), tuple(paths), tuple(placer.placed)), placed and all(named)


def _room(placer: Placer, wire: DiagramWire, path: Wire) -> int:
    """How many places along the wire its value alone would find free."""
    size = label_size(decimal_text(wire.value))
    return sum(placer.free(Box.around(*beside(path, t, size, 1), *size)) for t in preference(0.5, 0.15, 0.85, 0.05))


def _place_name(placer: Placer, node: Circle, latex: str) -> bool:
    """A node's name just above it, else below, else at a corner."""
    width, height = label_size(latex)
    reach_x, reach_y = node.radius + width / 2 + 0.07, node.radius + height / 2 + 0.07
    for dx, dy in ((0, reach_y), (0, -reach_y), (0.75 * reach_x, 0.75 * reach_y), (-0.75 * reach_x, 0.75 * reach_y),
                   (0.75 * reach_x, -0.75 * reach_y), (-0.75 * reach_x, -0.75 * reach_y)):
        box = Box.around(node.x + dx, node.y + dy, width, height)
        if placer.free(box):
            placer.add(Label(node.id, node.x + dx, node.y + dy, width, height, latex, "nodename"))
            return True
    return False


def _place_pair(placer: Placer, path: Wire, wire: DiagramWire) -> bool:
    """The value above the wire and the gradient below it, at the same point along it where both fit, else each
    where it fits."""
    texts = [(decimal_text(wire.value), "value", 1)]
    if wire.gradient is not None:
        texts.append((decimal_text(wire.gradient), "gradient", -1))
    sizes = [label_size(latex) for latex, _, _ in texts]
    positions = preference(0.5, 0.15, 0.85, 0.05)
    for t in positions:
        labels = [Label(path.owner, *beside(path, t, size, side), *size, latex, style)
                  for (latex, style, side), size in zip(texts, sizes)]
        if all(placer.free(label.box) for label in labels) and not (len(labels) == 2 and labels[0].box.overlaps(labels[1].box)):
            for label in labels:
                placer.add(label)
            return True
    for (latex, style, side), size in zip(texts, sizes):
        for t in positions:
            label = Label(path.owner, *beside(path, t, size, side), *size, latex, style)
            if placer.free(label.box):
                placer.add(label)
                break
        else:
            return False
    return True


def structure_diagram(circuit, notation: Notation) -> NodeDiagram:
    """The graph without numbers: its nodes and wires (a wire used twice, as in x · x, bent both ways).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> diagram = structure_diagram(build_circuit(ExpressionSpec((("f", "x*x + 1"),), {"x": 2})), Notation())
    >>> [(node.name, node.text) for node in diagram.nodes], [(w.source, w.target, w.bend) for w in diagram.wires]
    ([('x', 'x'), ('q1', '×'), ('f', '+1')], [('n0', 'n1', 25), ('n0', 'n1', -25), ('n1', 'n2', 0)])
    """
    return _diagram(circuit, notation)


def value_diagram(circuit, forward, backward, notation: Notation) -> NodeDiagram:
    """The graph with each wire's value (forward, from a ``forward_table`` step) and the gradient flowing back
    along it (from a ``backward_table`` step).

    >>> import symback
    >>> result = symback.run_exercise(symback.load("problems/circuit_cs231n.toml"), "2")
    >>> forward, backward = result.steps
    >>> diagram = value_diagram(result.result.graph, forward, backward, Notation())
    >>> diagram.output.value_text, diagram.wires[0].gradient_text
    ('1.546', '0.009046')
    """
    values = [forward.row(node.name).quantity.decimal for node in circuit.nodes]
    by_wire = {(w.child, w.parent, w.position): w.product.decimal for w in backward.wires}
    contributions = [by_wire.get((node.name, circuit.nodes[o].name, position))  # None: nothing flows back to an input
                     for node in circuit.nodes for position, o in node.node_operands()]
    return _diagram(circuit, notation, (values, contributions))
