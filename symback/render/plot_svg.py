"""Line plots without dependencies: a small SVG file (a loss curve beside a Markdown sheet), and pgfplots
``coordinates {...}`` text for LaTeX.

The output is deterministic (the same points give the same bytes): coordinates are written with two decimals,
ticks are exact multiples of 1, 2 or 5 × 10ᵏ, and all text is XML-escaped (titles may come from problem files).
A series of more than :data:`MAX_DRAWN` points is thinned to the lowest and highest point of each stretch.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Sequence, Union

from ..errors import ArgumentError

Number = Union[int, float, Decimal]
Points = Sequence[tuple[Number, Number]]

MAX_DRAWN = 2000  # points per polyline; more are thinned
MARKERS_UP_TO = 60  # each point also gets a dot when a series has at most this many
MAX_TEXT = 160  # characters of a title or label; longer text is cut with "…"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 24, 44, 56  # margins around the plot area


def xml_text(text: str) -> str:
    """``text`` made safe inside an XML element or a quoted attribute: characters XML forbids dropped,
    ``& < > " '`` escaped, cut at :data:`MAX_TEXT` characters.

    >>> xml_text('<script>alert("x & y")</script>')
    '&lt;script&gt;alert(&quot;x &amp; y&quot;)&lt;/script&gt;'
    """
    text = _NOT_XML.sub("", str(text))
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        text = text.replace(raw, escaped)
    return text


def nice_ticks(low: float, high: float, count: int = 5, whole: bool = False) -> list[Decimal]:
    """About ``count`` round tick values (multiples of 1, 2 or 5 × 10ᵏ) covering ``low`` to ``high``;
    ``whole`` keeps the spacing at 1 or more.

    >>> nice_ticks(0.03, 0.97)
    [Decimal('0.0'), Decimal('0.2'), Decimal('0.4'), Decimal('0.6'), Decimal('0.8'), Decimal('1.0')]
    >>> nice_ticks(0, 3, whole=True)
    [Decimal('0'), Decimal('1'), Decimal('2'), Decimal('3')]
    """
    if not high > low:
        raise ArgumentError(f"a tick range needs low < high, got {low} and {high}")
    raw = (high - low) / max(count, 1)
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10.0**exponent
    mantissa = next((m for m in (1, 2, 5) if fraction <= m * (1 + 1e-9)), 10)
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    if whole and mantissa * 10.0**exponent < 1:
        mantissa, exponent = 1, 0
    step = Decimal(mantissa).scaleb(exponent)
    first = math.floor(low / float(step) + 1e-9)
    last = math.ceil(high / float(step) - 1e-9)
    return [Decimal(k) * step for k in range(first, last + 1)]


def _tick_text(value: Decimal) -> str:
    if not value:
        return "0"
    if -4 <= value.adjusted() <= 5:
        return format(value, "f")
    return format(value.normalize(), "E").replace("E", "e")


def thin(points: Sequence[tuple], limit: int = MAX_DRAWN) -> list[tuple]:
    """At most ``limit`` of ``points``: the lowest and highest point of each of ``limit // 2`` equal stretches,
    in their order (the shape and every extreme survive).

    >>> thin([(i, i % 3) for i in range(10)], 4)
    [(0, 0), (2, 2), (5, 2), (6, 0)]
    """
    if len(points) <= limit:
        return list(points)
    stretches = max(limit // 2, 1)
    kept: list[tuple] = []
    for k in range(stretches):
        part = points[k * len(points) // stretches:(k + 1) * len(points) // stretches]
        lowest = min(range(len(part)), key=lambda i: part[i][1])
        highest = max(range(len(part)), key=lambda i: part[i][1])
        kept.extend(part[i] for i in sorted({lowest, highest}))
    return kept


LOG_SPAN = 6  # a plot whose positive values span more than this many orders of magnitude is drawn on a log scale


def wants_log_scale(values: Sequence[Number]) -> bool:
    """Whether values (all of them positive) span more than :data:`LOG_SPAN` orders of magnitude, or are too
    large for a float: a diverging loss, or one that falls to 10⁻¹⁰, reads on a log scale.

    >>> wants_log_scale([Decimal("0.3"), Decimal("2E+98")]), wants_log_scale([0.3, 0.1]), wants_log_scale([0, 1e9])
    (True, False, False)
    """
    numbers = [Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values]
    if not numbers or not all(n.is_finite() and n > 0 for n in numbers):
        return False
    return max(numbers).log10() - min(numbers).log10() > LOG_SPAN


def _log10(value: Number) -> float:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return float(number.log10())


def _floats(points: Points, what: str, log_y: bool = False) -> list[tuple[float, float]]:
    found = []
    for x, y in points:
        pair = (float(x), _log10(y) if log_y else float(y))
        if not all(math.isfinite(v) for v in pair):
            raise ArgumentError(f"{what}: cannot plot the point ({x}, {y}) (too large for a plot)")
        found.append(pair)
    return found


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high > low:
        return low, high
    pad = abs(low) / 10 if low else 1.0  # a constant: a band around it
    return low - pad, high + pad


def _fmt(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def line_plot_svg(series: Sequence[tuple[str, Points]], *, title: str = "", x_label: str = "", y_label: str = "",
                  width: int = 640, height: int = 400, log_y: bool | None = None) -> str:
    """An SVG line plot of one or more ``(label, [(x, y), ...])`` series, with axes, ticks, labels and a legend.
    ``log_y`` draws y on a log scale (ticks at powers of ten); None decides by :func:`wants_log_scale`.

    >>> svg = line_plot_svg([("loss", [(0, 0.5), (1, 0.25)])], title="A & B", x_label="step")
    >>> svg.startswith("<svg"), "A &amp; B" in svg, svg.count("<polyline")
    (True, True, 1)
    >>> ">1e+300<" in line_plot_svg([("loss", [(0, Decimal("0.5")), (1, Decimal("1E+400"))])])
    True
    """
    if not 200 <= width <= 4000 or not 150 <= height <= 4000:
        raise ArgumentError(f"plot size {width}×{height} outside 200×150 to 4000×4000")
    if log_y is None:
        log_y = wants_log_scale([y for _, points in series for _, y in points])
    drawn = [(label, _floats(points, label, log_y)) for label, points in series if points]
    if not drawn:
        raise ArgumentError("nothing to plot: no series has a point")
    xs = [x for _, points in drawn for x, _ in points]
    ys = [y for _, points in drawn for _, y in points]
    x_ticks = nice_ticks(*_span(xs), count=8, whole=all(x == int(x) for x in xs))
    y_ticks = nice_ticks(*_span(ys), count=5, whole=log_y)
    x_low, x_high, y_low, y_high = float(x_ticks[0]), float(x_ticks[-1]), float(y_ticks[0]), float(y_ticks[-1])
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM

    def px(x: float) -> str:
        return _fmt(_LEFT + (x - x_low) / (x_high - x_low) * plot_w)

    def py(y: float) -> str:
        return _fmt(_TOP + (y_high - y) / (y_high - y_low) * plot_h)

    bottom, right = _fmt(_TOP + plot_h), _fmt(_LEFT + plot_w)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{xml_text(title or 'line plot')}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
    ]
    if title:
        out.append(f'<text x="{_fmt(width / 2)}" y="24" text-anchor="middle" font-size="15">{xml_text(title)}</text>')
    for tick in y_ticks:
        y = py(float(tick))
        out.append(f'<line x1="{_LEFT}" y1="{y}" x2="{right}" y2="{y}" stroke="#e5e5e5"/>')
        shown = _tick_text(Decimal(1).scaleb(int(tick))) if log_y else _tick_text(tick)
        out.append(f'<text x="{_LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">{shown}</text>')
    for tick in x_ticks:
        x = px(float(tick))
        out.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{_fmt(_TOP + plot_h + 5)}" stroke="black"/>')
        out.append(f'<text x="{x}" y="{_fmt(_TOP + plot_h + 18)}" text-anchor="middle">{_tick_text(tick)}</text>')
    out.append(f'<path d="M {_LEFT} {_TOP} V {bottom} H {right}" fill="none" stroke="black"/>')
    if x_label:
        out.append(f'<text x="{_fmt(_LEFT + plot_w / 2)}" y="{height - 12}" text-anchor="middle">'
                   f"{xml_text(x_label)}</text>")
    if y_label or log_y:
        middle = _fmt(_TOP + plot_h / 2)
        label = f"{y_label} (log scale)" if log_y and y_label else "log scale" if log_y else y_label
        out.append(f'<text x="16" y="{middle}" text-anchor="middle" transform="rotate(-90 16 {middle})">'
                   f"{xml_text(label)}</text>")
    longest = max(len(xml_text(label)) for label, _ in drawn)  # escapes count a little extra: a wider box
    box_w = min(7 * longest + 56, plot_w)
    out.append(f'<rect x="{_fmt(_LEFT + plot_w - box_w - 4)}" y="{_TOP + 2}" width="{box_w}" '
               f'height="{18 * len(drawn) + 4}" fill="white" fill-opacity="0.85" stroke="#cccccc"/>')
    for number, (label, points) in enumerate(drawn):
        color = COLORS[number % len(COLORS)]
        shown = thin(points)
        coordinates = " ".join(f"{px(x)},{py(y)}" for x, y in shown)
        out.append(f'<polyline class="series" points="{coordinates}" fill="none" stroke="{color}" stroke-width="2"/>')
        if len(points) <= MARKERS_UP_TO:
            out.extend(f'<circle cx="{px(x)}" cy="{py(y)}" r="3" fill="{color}"/>' for x, y in shown)
        legend_y = _TOP + 12 + 18 * number
        out.append(f'<line x1="{_fmt(_LEFT + plot_w - 36)}" y1="{legend_y}" x2="{_fmt(_LEFT + plot_w - 12)}" '
                   f'y2="{legend_y}" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{_fmt(_LEFT + plot_w - 42)}" y="{legend_y}" text-anchor="end" '
                   f'dominant-baseline="middle">{xml_text(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def plain_decimal(value: Number) -> str:
    """A number as a plain decimal, never in exponent notation (pgfplots and people read it alike).

    >>> plain_decimal(Decimal("1.5E-7")), plain_decimal(2.5e3), plain_decimal(-0.0)
    ('0.00000015', '2500.0', '0')
    """
    number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if not number.is_finite():
        raise ArgumentError(f"cannot write {value} as a decimal")
    return "0" if not number else format(number, "f")


def scientific(value: Number) -> str:
    """A number in pgfplots' exponent notation (for values too large or small to write out).

    >>> scientific(Decimal("2.083E+1129")), scientific(Decimal("0.5"))
    ('2.083e1129', '5e-1')
    """
    number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if not number.is_finite():
        raise ArgumentError(f"cannot write {value} as a decimal")
    if not number:
        return "0"
    sign, digits, _ = number.as_tuple()
    mantissa = ("-" if sign else "") + str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{mantissa}e{number.adjusted()}"


def pgfplots_coordinates(points: Points, limit: int = MAX_DRAWN, log_y: bool = False) -> str:
    """pgfplots text for ``\\addplot coordinates {...};``, a line break after every eight points; more than
    ``limit`` points are thinned like the SVG's (on a log scale by their logarithm); ``log_y`` writes y in
    exponent notation, for an axis with ``ymode=log``.

    >>> pgfplots_coordinates([(1, Decimal("0.5")), (2, Decimal("0.40"))])
    'coordinates {(1,0.5) (2,0.40)}'
    """
    points = list(points)
    if log_y:
        order = thin([(x, _log10(y), k) for k, (x, y) in enumerate(points)], limit)
        kept = [points[k] for _, _, k in order]
        written = [f"({plain_decimal(x)},{scientific(y)})" for x, y in kept]
    else:
        written = [f"({plain_decimal(x)},{plain_decimal(y)})" for x, y in thin(points, limit)]
    lines = [" ".join(written[i:i + 8]) for i in range(0, len(written), 8)]
    return "coordinates {" + "\n".join(lines) + "}"
