"""Diagrams readable at print size: every label at normal size where it meets no other label, no node and no wire
but (for a label set on its wire) its own, and every diagram within the text width unscaled.

The checks below recompute the geometry from the layout data by their own route (points sampled densely along
each wire, Bézier curves by de Casteljau) rather than with the layout's own intersection code; the label sizes the
layout assumes are held against the sizes TeX typesets; and the diagrams are built with pdflatex and its log
searched for overfull boxes.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symback
from symback.engine.circuit import build_circuit
from symback.problem.model import ExpressionSpec
from symback.render.drawing import TEXT_WIDTH
from symback.render.environment import render_for_problem
from symback.render.layers import network_part
from symback.render.node_diagram import structure_diagram, value_diagram
from symback.render.notation import Notation
from symback.render.pdf import build_pdf, latex_available
from symback.render.sheet import build_sheet, notation_for

ROOT = Path(__file__).resolve().parents[2]
needs_latex = pytest.mark.skipif(not latex_available(), reason="needs pdflatex")
A4_TEXT_WIDTH = 21.0 - 2 * 2.2  # templates/tex/base.tex.j2: a4paper, margin=2.2cm


# --- geometry by an independent route


def _curve(points, samples=400):
    """Points along a straight wire or a cubic Bézier (de Casteljau), densely."""
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        return [(x0 + (x1 - x0) * k / samples, y0 + (y1 - y0) * k / samples) for k in range(samples + 1)]
    result = []
    for k in range(samples + 1):
        t, level = k / samples, list(points)
        while len(level) > 1:
            level = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]) for a, b in itertools.pairwise(level)]
        result.append(level[0])
    return result


def _box(label):
    return (label.x - label.width / 2, label.y - label.height / 2, label.x + label.width / 2, label.y + label.height / 2)


def _inside(point, box):
    return box[0] < point[0] < box[2] and box[1] < point[1] < box[3]


def _meet(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def collisions(drawing) -> list[str]:
    """Every way the drawing's labels collide: with each other, with a node, or with a wire not their own (a label
    beside its wire may not touch even its own)."""
    found = []
    labels = list(drawing.labels)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if _meet(_box(a), _box(b)):
                found.append(f"labels {a.latex} and {b.latex} overlap")
        for c in drawing.circles:
            if _meet(_box(a), (c.x - c.radius, c.y - c.radius, c.x + c.radius, c.y + c.radius)):
                found.append(f"label {a.latex} overlaps node {c.latex}")
        for wire in drawing.wires:
            if wire.owner == a.owner and a.on_wire:
                continue
            if any(_inside(p, _box(a)) for p in _curve(wire.points)):
                found.append(f"label {a.latex} ({a.owner}) is crossed by wire {wire.owner}")
    return found


def width(drawing) -> float:
    xs = [c.x - c.radius for c in drawing.circles] + [c.x + c.radius for c in drawing.circles]
    xs += [label.x - label.width / 2 for label in drawing.labels] + [label.x + label.width / 2 for label in drawing.labels]
    xs += [x for wire in drawing.wires for x, _ in wire.points]
    return max(xs) - min(xs)


# --- problems


def network_toml(units, biases, seed) -> str:
    chooser = random.Random(seed)
    lines = ['title = "random"', "[network]", f"inputs = {units[0]}"]
    for k, (fan_in, fan_out) in enumerate(itertools.pairwise(units)):
        rows = ", ".join("[" + ", ".join(chooser.choice(["0.5", "-1", "2", "0.25"]) for _ in range(fan_in)) + "]"
                         for _ in range(fan_out))
        lines += ["[[network.layers]]", f'weights = "{"WVUTSRQ"[k]}"', f"values = [{rows}]"]
        if biases:
            lines += [f'bias = "{"bcdfgkm"[k]}"', f"bias_values = [{', '.join('0.1' for _ in range(fan_out))}]"]
        lines.append(f'activation = "{"identity" if k == len(units) - 2 else chooser.choice(["tanh", "sigmoid"])}"')
    target = "1" if units[-1] == 1 else "[" + ", ".join("1" for _ in range(units[-1])) + "]"
    lines += ["[loss]", 'kind = "squared_error"', "[[exercises]]", 'id = "1"', 'task = "loss"',
              f"x = [{', '.join('1' for _ in range(units[0]))}]", f"y = {target}"]
    return "\n".join(lines) + "\n"


def network_diagram_of(text):
    problem = symback.loads(text, source="random.toml")
    return problem, network_part(problem, notation_for(problem)).diagram


SHIPPED_NETWORKS = ["ws23_backprop.toml", "ws23_optimizers.toml", "xor_training.toml"]


@pytest.mark.parametrize("name", SHIPPED_NETWORKS)
def test_the_shipped_network_diagrams_label_every_weight_without_collisions(name):
    problem = symback.load(ROOT / "problems" / name)
    diagram = network_part(problem, notation_for(problem)).diagram
    assert not diagram.unlabelled
    weights = {e.latex for e in diagram.edges}
    assert weights <= {label.latex for label in diagram.drawing.labels}
    assert collisions(diagram.drawing) == [] and width(diagram.drawing) <= A4_TEXT_WIDTH


def test_the_232_network_draws_its_biases_and_labels_every_weight(tmp_path):
    """The lead's 2-3-2 tanh/softmax network: w12 was hidden under w31 where edges cross, biases not drawn."""
    text = network_toml([2, 3, 2], biases=True, seed=232)
    _, diagram = network_diagram_of(text)
    labels = [label.latex for label in diagram.drawing.labels]
    expected = {f"w_{{{i}{j}}}" for i in range(1, 4) for j in range(1, 3)} | {f"v_{{{i}{j}}}" for i in range(1, 3) for j in range(1, 4)}
    expected |= {"b_{1}", "b_{2}", "b_{3}", "c_{1}", "c_{2}"}
    assert sorted(labels) == sorted(expected)  # each once
    assert sum(c.latex == "1" and c.style == "bias" for c in diagram.drawing.circles) == 2
    assert collisions(diagram.drawing) == []


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=st.lists(st.integers(1, 6), min_size=2, max_size=5), biases=st.booleans(), seed=st.integers(0, 99))
def test_random_network_diagrams_have_no_collisions_and_fit_the_page(units, biases, seed):
    _, diagram = network_diagram_of(network_toml(units, biases, seed))
    drawing = diagram.drawing
    assert collisions(drawing) == [] and width(drawing) <= A4_TEXT_WIDTH
    labelled = {label.owner for label in drawing.labels if label.style in ("weight", "biasweight")}
    for edge in diagram.edges:  # every edge labelled, unless its whole layer is named by its matrix instead
        assert (f"{edge.source}>{edge.target}" in labelled) == (edge.layer not in diagram.unlabelled)
    named = [label.latex for label in drawing.labels if label.style == "gapname"]
    assert named == [diagram.matrices[layer - 1] for layer in diagram.unlabelled]
    assert sum(c.style == "bias" for c in drawing.circles) == (len(units) - 1 if biases else 0)


def test_six_layers_of_eight_units_degrade_to_named_matrices():
    _, diagram = network_diagram_of(network_toml([8] * 7, biases=True, seed=1))
    assert diagram.drawing and collisions(diagram.drawing) == [] and width(diagram.drawing) <= A4_TEXT_WIDTH
    assert diagram.unlabelled  # 64 edges a gap: too many to label; each gap named by its matrix instead


# --- circuits

CIRCUIT_FORMS = ["{a} + {b}", "{a} * {b}", "sigmoid({a})", "{a} / ({b} + 2)", "max({a}, 0.2 * {a})", "exp({a})",
                 "({a} - {b})^2", "tanh({a}) * {b}", "{a} * 3"]


def random_stages(seed: int) -> tuple[tuple[str, str], ...]:
    chooser = random.Random(seed)
    names = ["x", "y", "z"][: chooser.randint(1, 3)]
    stages = []
    for k in range(chooser.randint(1, 4)):
        form = chooser.choice(CIRCUIT_FORMS)
        stages.append((f"s{k}", form.format(a=chooser.choice(names), b=chooser.choice(names))))
        names.append(f"s{k}")
    return tuple(stages)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_random_circuit_diagrams_have_no_collisions_and_fit_the_page(seed):
    stages = random_stages(seed)
    circuit = build_circuit(ExpressionSpec(stages, {"x": 1, "y": -2, "z": 3}))
    diagram = structure_diagram(circuit, Notation())
    assert collisions(diagram.drawing) == [] and width(diagram.drawing) <= A4_TEXT_WIDTH
    names = {label.latex for label in diagram.drawing.labels if label.style == "nodename"}
    assert names == {Notation().latex_name(node.name) for node in circuit.nodes if not node.is_leaf}


@functools.cache  # built once for the file: three tests read them
def _value_diagrams() -> tuple:
    found = []
    for name in ("circuit_cs231n.toml", "circuit_optimizers.toml"):
        sheet = build_sheet(symback.load(ROOT / "problems" / name))
        for exercise in sheet.exercises:
            diagram = getattr(exercise.body, "diagram", None)
            if diagram is not None:
                found.append((name, exercise.id, diagram))
    return tuple(found)


@pytest.mark.parametrize("name, exercise, diagram", list(_value_diagrams()), ids=lambda v: str(v)[:20])
def test_the_shipped_circuit_diagrams_show_every_value_and_gradient_without_collisions(name, exercise, diagram):
    drawing = diagram.drawing
    assert diagram.labelled and collisions(drawing) == [] and width(drawing) <= A4_TEXT_WIDTH
    for k, wire in enumerate(diagram.wires):  # the value above its wire (the left of its way), the gradient below
        mine = {label.style: label for label in drawing.labels if label.owner == f"w{k}"}
        assert set(mine) == ({"value", "gradient"} if wire.gradient is not None else {"value"})
        (x0, y0), (x1, y1) = drawing.wires[k].points[0], drawing.wires[k].points[-1]
        for style, sign in (("value", 1), ("gradient", -1)):
            if style in mine:
                # which side of the chord: the curve is near it, the label beside the wire
                side = (x1 - x0) * (mine[style].y - y0) - (y1 - y0) * (mine[style].x - x0)
                assert side * sign > 0 or drawing.wires[k].curved, (name, exercise, style, k)


def test_a_cs231n_fan_out_keeps_the_three_wires_of_x_apart():
    result = symback.run_exercise(symback.load(ROOT / "problems" / "circuit_cs231n.toml"), "2")
    forward, backward = result.steps
    diagram = value_diagram(result.result.graph, forward, backward, Notation())
    from_x = [k for k, w in enumerate(diagram.wires) if w.source == "n0"]
    assert len(from_x) == 3
    boxes = [_box(label) for label in diagram.drawing.labels if label.owner in {f"w{k}" for k in from_x}]
    assert len(boxes) == 6 and not any(_meet(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


# --- against TeX


def _all_drawings():
    for name in SHIPPED_NETWORKS:
        problem = symback.load(ROOT / "problems" / name)
        yield problem, network_part(problem, notation_for(problem)).diagram.drawing
    problem = symback.loads(network_toml([2, 3, 2], True, 232), source="n232.toml")
    yield problem, network_part(problem, notation_for(problem)).diagram.drawing
    problem = symback.loads(network_toml([3, 4, 4, 2], True, 7), source="n3442.toml")
    yield problem, network_part(problem, notation_for(problem)).diagram.drawing
    for name, _, diagram in _value_diagrams():
        yield symback.load(ROOT / "problems" / name), diagram.drawing


@needs_latex
def test_label_sizes_are_no_smaller_than_what_tex_typesets(tmp_path):
    circles = {c.latex: c.radius for _, d in _all_drawings() for c in d.circles}
    labels = sorted({label.latex for _, d in _all_drawings() for label in d.labels} | set(circles)
                    | {r"1.234 \cdot 10^{-9}", "-0.03576", r"\hat{y}_{1}", r"h^{(1)}_{2}", r"W^{(2)},\ b^{(2)}"})
    from symback.render.drawing import LABEL_SEP, label_size

    measures = "\n".join(rf"\sbox0{{${latex}$}}\typeout{{SIZE {k}:\the\wd0:\the\ht0:\the\dp0}}" for k, latex in enumerate(labels))
    source = ("\\documentclass[11pt,a4paper]{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
              f"{measures}\nx\n\\end{{document}}\n")
    (tmp_path / "m.tex").write_text(source)
    import subprocess

    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "m.tex"], cwd=tmp_path,
                   capture_output=True, timeout=120, check=False)
    log = (tmp_path / "m.log").read_text(errors="replace")
    sizes = {int(k): [float(v) for v in vs] for k, *vs in re.findall(r"SIZE (\d+):([\d.]+)pt:([\d.]+)pt:([\d.]+)pt", log)}
    assert len(sizes) == len(labels)
    pt = 2.54 / 72.27
    for k, latex in enumerate(labels):
        w, h, d = (v * pt for v in sizes[k])
        estimate = label_size(latex)
        assert estimate[0] >= w + 2 * LABEL_SEP and estimate[1] >= h + d + 2 * LABEL_SEP, (latex, estimate, (w, h + d))
    # a circle node is as large as its text's diagonal (or its minimum size): the radius drawn is the one laid out
    for latex, radius in circles.items():
        w, h, d = (v * pt for v in sizes[labels.index(latex)])
        assert 2 * radius >= (w**2 + (h + d) ** 2) ** 0.5, latex


def _diagram_document(drawings) -> str:
    body = "\n\n".join(render_for_problem("drawing", "tex", problem, drawing=drawing) for problem, drawing in drawings)
    return ("\\documentclass[11pt,a4paper]{article}\n\\usepackage[margin=2.2cm]{geometry}\n"
            "\\usepackage{amsmath,amssymb}\n\\usepackage{tikz}\n\\setlength{\\parindent}{0pt}\n"
            f"\\begin{{document}}\n{body}\n\\end{{document}}\n")


@pytest.mark.slow  # pdflatex over every diagram: 2.6 CPU-s; each sheet's PDF test still builds its diagrams
@needs_latex
def test_the_diagrams_build_without_overfull_lines(tmp_path):
    drawings = list(_all_drawings())
    problem, wide = network_diagram_of(network_toml([8] * 7, True, 3))
    drawings.append((problem, wide.drawing))
    warnings = build_pdf(_diagram_document(drawings), tmp_path / "diagrams.pdf", max_runs=1)
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", "\n".join(warnings))]
    assert not overfull or max(overfull) <= 5, overfull
    assert TEXT_WIDTH == pytest.approx(A4_TEXT_WIDTH)
