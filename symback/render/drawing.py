"""What a diagram draws, in centimetres on the printed page: nodes (circles), wires (straight or cubic Bézier) and
labels (boxes of text), and the geometry that places labels where they collide with nothing.

Both diagrams (:mod:`~symback.render.layer_diagram`, :mod:`~symback.render.node_diagram`) lay themselves out
into a :class:`Drawing`; ``templates/tex/drawing.tex.j2`` writes it as TikZ at the coordinates given, text at
normal size, never scaled. Text sizes are estimated from the LaTeX on the generous side (a test holds the estimate
against the sizes TeX typesets), so boxes that do not meet here do not meet on paper.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

PT = 2.54 / 72.27  # one TeX point in cm
EM = 11 * PT  # the sheet's 11 pt (templates/tex/base.tex.j2)
TEXT_WIDTH = 21.0 - 2 * 2.2  # a4paper with margin=2.2cm: what a diagram may take without being scaled
LABEL_SEP = 1.5 * PT  # a label's inner sep (drawing.tex.j2)
CLEARANCE = 0.08  # cm between a label and the wire it sits beside (more than a Placer margin·√2)

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """An axis-parallel rectangle.

    >>> Box(0, 0, 1, 1).overlaps(Box(0.5, 0.5, 2, 2)), Box(0, 0, 1, 1).overlaps(Box(1.1, 0, 2, 1))
    (True, False)
    """

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, x: float, y: float, width: float, height: float) -> Box:
        return cls(x - width / 2, y - height / 2, x + width / 2, y + height / 2)

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def grown(self, margin: float) -> Box:
        return Box(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def crossed_by(self, points: tuple[Point, ...]) -> bool:
        """Whether the polyline through ``points`` enters the box."""
        return any(_segment_meets_box(p, q, self) for p, q in itertools.pairwise(points))


def _segment_meets_box(p: Point, q: Point, box: Box) -> bool:
    """Liang–Barsky: clip the segment p→q to the box; it meets the box if anything is left."""
    low, high = 0.0, 1.0
    for start, delta, lower, upper in ((p[0], q[0] - p[0], box.x0, box.x1), (p[1], q[1] - p[1], box.y0, box.y1)):
        if abs(delta) < 1e-12:
            if not lower < start < upper:
                return False
            continue
        t0, t1 = sorted(((lower - start) / delta, (upper - start) / delta))
        low, high = max(low, t0), min(high, t1)
        if low >= high:
            return False
    return True


# widths in em of the sheet's math font (Computer Modern), rounded up; anything unknown counts as an M
_WIDE = {"m": 0.9, "w": 0.76, "W": 1.06, "M": 1.0, "N": 0.9, "Q": 0.82}
_COMMANDS = {  # a command's width in em (0: a wrapper whose argument is measured)
    "cdot": 0.78, "times": 0.78, "div": 0.78, "sigma": 0.68, "Sigma": 0.78, "alpha": 0.72, "beta": 0.66,
    "gamma": 0.62, "delta": 0.54, "eta": 0.58, "theta": 0.56, "lambda": 0.66, "mu": 0.68, "epsilon": 0.56,
    "partial": 0.58, "square": 0.78, "exp": 1.45, "log": 1.3, "max": 2.0, "min": 1.75, "tanh": 2.15,
    "sin": 1.2, "cos": 1.3, "tan": 1.45, "sinh": 1.7, "cosh": 1.8, "arctan": 2.6, "lvert": 0.28, "rvert": 0.28,
    "left": 0, "right": 0, "hat": 0, "mathit": 0, "mathrm": 0, "sqrt": 0.9, ",": 0.17, " ": 0.34, ";": 0.28,
    "approx": 1.34,
}
_TOKENS = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\S| ")


def text_size(latex: str) -> tuple[float, float]:
    """Width and height (cm, without inner sep) of ``$latex$`` at the sheet's 11 pt, estimated generously.

    >>> w, h = text_size("w_{12}")
    >>> 0.6 < w < 0.7 and 0.2 < h < 0.4
    True
    """
    width, up, down = _measure(_TOKENS.findall(latex), 0, 1.0)[:3]
    return width * EM, (up + down + 0.06) * EM


def _measure(tokens: list[str], start: int, scale: float) -> tuple[float, float, float, int]:
    """(width, height above the baseline, depth) in em of tokens from ``start`` up to a closing brace."""
    width, up, down, k = 0.0, 0.0, 0.0, start
    while k < len(tokens):
        token = tokens[k]
        k += 1
        if token == "}":
            break
        if token == "{":
            w, u, d, k = _measure(tokens, k, scale)
        elif token in ("^", "_"):
            w, u, d, k = _argument(tokens, k, scale * 0.75)
            w += 0.06 * scale
            u, d = (0.55 * scale + u, d - 0.55 * scale) if token == "^" else (u - 0.25 * scale, 0.25 * scale + d)
        elif token == r"\frac":
            w1, u1, d1, k = _argument(tokens, k, scale * 0.75)
            w2, u2, d2, k = _argument(tokens, k, scale * 0.75)
            w, u, d = max(w1, w2) + 0.25 * scale, 0.4 * scale + u1 + d1, u2 + d2 - 0.05 * scale
        elif token == r"\hat":
            w, u, d, k = _argument(tokens, k, scale)
            u += 0.3 * scale
        elif token in "+-" and (k == 1 or tokens[k - 2] in ("{", "(", "^", "_", "=", ",")):
            w, u, d = 0.8 * scale, 0.6 * scale, 0.1 * scale  # a sign, not an operator: no space around it
        else:
            w = _token_width(token) * scale
            u, d = (_extent(token)[0] * scale, _extent(token)[1] * scale) if token != " " else (0.0, 0.0)
        width, up, down = width + w, max(up, u), max(down, d)
    return width, up, down, k


def _extent(token: str) -> tuple[float, float]:
    """A token's height above and depth below the baseline, em."""
    if token.isdigit() or token in ".+=<>":
        return 0.68, 0.1
    if token in "-,;":
        return 0.5, 0.2
    if token in "()[]|" or token.startswith("\\"):
        return 0.76, 0.26
    if token.isascii() and token.isalpha():
        return (0.72 if token.isupper() or token in "bdfhiklt" else 0.46), (0.22 if token in "fgjpqyQ" else 0.0)
    return 0.76, 0.26


def _argument(tokens: list[str], k: int, scale: float) -> tuple[float, float, float, int]:
    if k < len(tokens) and tokens[k] == "{":
        return _measure(tokens, k + 1, scale)
    if k < len(tokens):
        return _token_width(tokens[k]) * scale, _extent(tokens[k])[0] * scale, _extent(tokens[k])[1] * scale, k + 1
    return 0.0, 0.0, 0.0, k


def _token_width(token: str) -> float:
    if token.startswith("\\"):
        return _COMMANDS.get(token[1:], 1.0)
    if token in _WIDE:
        return _WIDE[token]
    if token.isdigit():
        return 0.5
    if token in ",;":
        return 0.45  # a comma in math is followed by a thin space
    if token in ".:|!'":
        return 0.32
    if token in "()[]":
        return 0.4
    if token in "+-=<>":
        return 1.34  # a binary operator with its spaces either side
    if token == " ":
        return 0.0
    if token.isascii() and token.isalpha():
        return 0.86 if token.isupper() else 0.62
    return 1.0


@dataclass(frozen=True)
class Circle:
    """A node: a circle (``style`` decides whether it is drawn) with its content centred in it."""

    id: str
    x: float
    y: float
    radius: float
    latex: str
    style: str  # a TikZ style of drawing.tex.j2: unit, bias, op, leaf

    @property
    def box(self) -> Box:
        return Box.around(self.x, self.y, 2 * self.radius, 2 * self.radius)


def circle(id_: str, x: float, y: float, latex: str, style: str, minimum: float) -> Circle:
    """A circle around ``latex`` no smaller than ``minimum`` (a diameter, cm): TikZ makes a circle node as
    large as the content's diagonal, so the radius given here is the one drawn."""
    width, height = text_size(latex)
    return Circle(id_, x, y, max(minimum, math.hypot(width, height) + 2 * PT) / 2, latex, style)


@dataclass(frozen=True)
class Wire:
    """A wire of ``owner``: a straight segment (two points) or a cubic Bézier (start, two controls, end)."""

    owner: str
    points: tuple[Point, ...]
    arrow: bool = True

    def at(self, t: float) -> tuple[Point, Point]:
        """The point at parameter ``t`` and the unit tangent there."""
        if len(self.points) == 2:
            (x0, y0), (x1, y1) = self.points
            length = math.hypot(x1 - x0, y1 - y0) or 1.0
            return (x0 + t * (x1 - x0), y0 + t * (y1 - y0)), ((x1 - x0) / length, (y1 - y0) / length)
        p0, p1, p2, p3 = self.points
        u = 1 - t
        point = tuple(u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d for a, b, c, d in zip(p0, p1, p2, p3))
        slope = tuple(3 * u * u * (b - a) + 6 * u * t * (c - b) + 3 * t * t * (d - c) for a, b, c, d in zip(p0, p1, p2, p3))
        length = math.hypot(*slope) or 1.0
        return point, (slope[0] / length, slope[1] / length)

    def polyline(self) -> tuple[Point, ...]:
        if len(self.points) == 2:
            return self.points
        return tuple(self.at(k / 32)[0] for k in range(33))

    @property
    def curved(self) -> bool:
        return len(self.points) == 4


def straight(owner: str, start: Circle, end: Circle) -> Wire:
    """A straight wire from the rim of ``start`` to the rim of ``end``."""
    dx, dy = end.x - start.x, end.y - start.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    return Wire(owner, ((start.x + start.radius * ux, start.y + start.radius * uy),
                        (end.x - end.radius * ux, end.y - end.radius * uy)))


def bent(owner: str, start: Circle, end: Circle, degrees: float) -> Wire:
    """A wire leaving ``start`` turned ``degrees`` to the left of the straight line, as TikZ's ``bend left``."""
    angle = math.atan2(end.y - start.y, end.x - start.x)
    out, into = angle + math.radians(degrees), angle + math.pi - math.radians(degrees)
    p0 = (start.x + start.radius * math.cos(out), start.y + start.radius * math.sin(out))
    p3 = (end.x + end.radius * math.cos(into), end.y + end.radius * math.sin(into))
    reach = 0.3915 * math.hypot(p3[0] - p0[0], p3[1] - p0[1])  # TikZ's looseness 1
    return Wire(owner, (p0, (p0[0] + reach * math.cos(out), p0[1] + reach * math.sin(out)),
                        (p3[0] + reach * math.cos(into), p3[1] + reach * math.sin(into)), p3))


@dataclass(frozen=True)
class Label:
    """Text at (x, y), its box ``width`` × ``height`` (with inner sep); ``owner`` the wire or node it names."""

    owner: str
    x: float
    y: float
    width: float
    height: float
    latex: str
    style: str  # a TikZ style of drawing.tex.j2: weight, biasweight, value, gradient, nodename, gapname
    on_wire: bool = False  # set on its own wire (which it blanks out), where no room beside it was found

    @property
    def box(self) -> Box:
        return Box.around(self.x, self.y, self.width, self.height)


def label_size(latex: str) -> tuple[float, float]:
    """A label's box (cm): its text and the inner sep around it."""
    width, height = text_size(latex)
    return width + 2 * LABEL_SEP, height + 2 * LABEL_SEP


def beside(wire: Wire, t: float, size: tuple[float, float], side: int) -> Point:
    """The centre of a box of ``size`` just beside ``wire`` at ``t``, on its left (side 1) or right (−1), far
    enough that the box clears the wire's tangent there."""
    (x, y), (tx, ty) = wire.at(t)
    nx, ny = -ty * side, tx * side
    reach = size[0] / 2 * abs(nx) + size[1] / 2 * abs(ny) + CLEARANCE
    return x + reach * nx, y + reach * ny


@dataclass(frozen=True)
class Drawing:
    """Everything a diagram draws, in cm."""

    circles: tuple[Circle, ...]
    wires: tuple[Wire, ...]
    labels: tuple[Label, ...]

    @property
    def bounds(self) -> Box:
        boxes = [c.box for c in self.circles] + [label.box for label in self.labels]
        boxes += [Box(x, y, x, y) for wire in self.wires for x, y in wire.points]  # TikZ counts the controls
        return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes),
                   max(b.y1 for b in boxes))


class Placer:
    """Labels placed one by one, each where it meets no circle, no wire and no label placed before it."""

    def __init__(self, circles, wires, margin: float = 0.04, room: float | None = None):
        self.circles, self.wires, self.margin = tuple(circles), tuple(wires), margin
        self.room = margin if room is None else room  # from the wires a label does not name
        self.paths = tuple((wire.polyline(), wire, _extent_of(wire.polyline())) for wire in self.wires)
        self.placed: list[Label] = []

    def free(self, box: Box, region: Box | None = None, own: Wire | None = None, named: Wire | None = None) -> bool:
        """Whether ``box`` (with a margin) is clear of every circle, wire (but ``own``, the wire a label sits
        on) and placed label, and inside ``region``; wires other than ``named`` (the one a label beside a wire
        names) are kept ``room`` away, so that a label reads as its own wire's."""
        if region and not (region.x0 <= box.x0 and box.x1 <= region.x1 and region.y0 <= box.y0 and box.y1 <= region.y1):
            return False
        grown, wide = box.grown(self.margin), box.grown(self.room)
        apart = box.grown(2.5 * self.margin)  # labels keep a little more room between each other: they read apart

        def clear(wire, points, extent):
            near = grown if wire is named else wide
            return wire is own or not (near.overlaps(extent) and near.crossed_by(points))

        return not (any(grown.overlaps(c.box) for c in self.circles)
                    or any(apart.overlaps(label.box) for label in self.placed)
                    or not all(clear(wire, points, extent) for points, wire, extent in self.paths))

    def add(self, label: Label) -> None:
        self.placed.append(label)


def _extent_of(points) -> Box:
    """The bounding box of a polyline, a little grown (a horizontal wire has no height)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return Box(min(xs) - 1e-6, min(ys) - 1e-6, max(xs) + 1e-6, max(ys) + 1e-6)


def preference(centre: float, low: float = 0.12, high: float = 0.88, step: float = 0.04) -> list[float]:
    """Positions along a wire from ``low`` to ``high``, nearest ``centre`` first.

    >>> preference(0.5, 0.3, 0.7, 0.1)
    [0.5, 0.4, 0.6, 0.3, 0.7]
    """
    count = round((high - low) / step)
    ts = [round(low + k * step, 6) for k in range(count + 1)]
    return sorted(ts, key=lambda t: (round(abs(t - centre), 6), t))
