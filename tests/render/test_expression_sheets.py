"""Worked solutions of expression problems (circuits): `symback solve` (md, tex, pdf) and `symback exercise`.

Every number the sheets must show is computed here independently: the CS231n circuit's node values and
gradients from its formula in mpmath (the gradients of the variables by mpmath's numerical differentiation),
rounded half up to the sheet's 4 significant digits here; the small circuit's values by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import mpmath
import pytest
import sympy

import symback
from symback.numbers.parse import parse_expression
from symback.numbers.text import format_exact
from symback.render.environment import render
from symback.render.node_diagram import MAX_DIAGRAM_NODES
from symback.render.notation import Notation
from symback.render.pdf import latex_available
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]
CS231N = ROOT / "problems" / "circuit_cs231n.toml"
HAS_PDF = latex_available() and shutil.which("pdftotext") is not None
needs_latex = pytest.mark.skipif(not HAS_PDF, reason="pdflatex and pdftotext are not installed")

# LaTeX names of the CS231n circuit's nodes, as the sheet's notation prints them
NAMES = {"x": "x", "y": "y", "q1": "q_{1}", "num": r"\mathit{num}", "q2": "q_{2}", "q3": "q_{3}", "q4": "q_{4}",
         "den": r"\mathit{den}", "f": "f"}

SMALL = """title = {title}
intro = {intro}
[expression]
f = "(x + y) * z"
at = {{ x = -2, y = 5, z = -4 }}
[[exercises]]
id = "1"
task = "gradient"
text = {text}
"""


def rounded(value, digits: int = 4) -> str:
    """``value`` as the sheet prints it: an integer as it is, else 4 significant digits, ties half up."""
    with mpmath.workdps(40):
        if abs(value - mpmath.nint(value)) < mpmath.mpf(10) ** -30:
            return str(int(mpmath.nint(value)))
        text = mpmath.nstr(value, 30, strip_zeros=False)
    return format(Context(prec=digits, rounding=ROUND_HALF_UP).plus(Decimal(text)), "f")


def cs231n_raw() -> tuple[dict, dict]:
    """Node -> value and node -> ∂f/∂node for f = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = −4, in mpmath."""
    mpmath.mp.dps = 40
    x, y = mpmath.mpf(3), mpmath.mpf(-4)

    def sigma(a):
        return 1 / (1 + mpmath.exp(-a))

    def f(a, b):
        return (a + sigma(b)) / (sigma(a) + (a + b) ** 2)

    num, den = x + sigma(y), sigma(x) + (x + y) ** 2
    d_num, d_den = 1 / den, -num / den**2
    values = {"x": x, "y": y, "q1": sigma(y), "num": num, "q2": sigma(x), "q3": x + y, "q4": (x + y) ** 2,
              "den": den, "f": f(x, y)}
    gradients = {"f": 1, "num": d_num, "den": d_den, "q1": d_num, "q2": d_den, "q4": d_den,
                 "q3": 2 * (x + y) * d_den, "x": mpmath.diff(lambda a: f(a, y), x),
                 "y": mpmath.diff(lambda b: f(x, b), y)}
    return values, gradients


def cs231n_expected() -> dict[str, tuple[str, str]]:
    """Node -> (value, ∂f/∂node) as the sheet must print them."""
    values, gradients = cs231n_raw()
    return {name: (rounded(values[name]), rounded(gradients[name])) for name in values}


@pytest.fixture(scope="module")
def cs231n():
    return symback.load(CS231N)


@pytest.fixture(scope="module")
def cs231n_texts(cs231n):
    sheet = build_sheet(cs231n)
    return {kind: render(sheet, kind) for kind in ("md", "tex")}


def small(title='"Small circuit"', intro='"n"', text='"Backpropagate."'):
    return symback.loads(SMALL.format(title=title, intro=intro, text=text), source="small.toml")


def row(text: str, kind: str, first_cell: str) -> str:
    """The table row whose first cell is ``$first_cell$`` (the first such row)."""
    start = f"| ${first_cell}$ |" if kind == "md" else f"${first_cell}$ &"
    lines = [line for line in text.splitlines() if line.startswith(start)]
    assert lines, f"no row for {first_cell} in the {kind} sheet"
    return lines[0]


def test_independent_values_match_the_lecture_notes():
    expected = cs231n_expected()
    assert expected["x"][1] == "2.060" and expected["y"][1] == "1.592"  # CS231n: 2.0596, 1.5922


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_every_node_of_cs231n_with_its_value_and_gradient(cs231n_texts, kind):
    text = cs231n_texts[kind]
    for name, (value, gradient) in cs231n_expected().items():
        assert value in row(text, kind, NAMES[name]), (name, value)
        gradient_name = rf"\frac{{\partial f}}{{\partial {NAMES[name]}}}"
        assert gradient in row(text, kind, gradient_name), (name, gradient)
    for wire in (r"y \to q_{1}", r"x \to q_{2}", r"q_{3} \to q_{4}", r"\mathit{den} \to f"):
        assert row(text, kind, wire)  # every edge has its row
    assert r"\frac{\partial q_{1}}{\partial y} = q_{1} \left(1 - q_{1}\right)" in text  # σ' = σ(1 − σ)
    assert "Gradients add at forks" in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_small_circuit_by_hand(kind):
    # f = (x + y)·z at x = −2, y = 5, z = −4: q1 = x + y = 3, f = q1·z = −12;
    # ∂f/∂q1 = z = −4, ∂f/∂z = q1 = 3, ∂f/∂x = ∂f/∂y = ∂f/∂q1 · 1 = −4.
    text = render(build_sheet(small()), kind)
    assert re.search(r"\$3\$", row(text, kind, "q_{1}")) and re.search(r"\$-12\$", row(text, kind, "f"))
    for name, gradient in (("q_{1}", "-4"), ("z", "3"), ("x", "-4"), ("y", "-4")):
        assert re.search(rf"\${re.escape(gradient)}\$", row(text, kind, rf"\frac{{\partial f}}{{\partial {name}}}"))
    assert row(text, kind, r"q_{1} \to f").count("-4") >= 2  # local ∂f/∂q1 = z = −4, sent back −4
    assert "No value is used twice" in text


def test_steps_are_the_engines_numbers_and_their_formulas_hold(cs231n):
    result = symback.run_exercise(cs231n, "2")
    forward, backward = result.steps
    point = {name: sympy.Symbol(name, real=True) for name in ("x", "y")}
    for node in forward.rows[2:]:
        value = parse_expression(format_exact(node.substituted), point)
        assert abs(sympy.N(value - node.quantity.exact, 30)) < 1e-25, node.name
    for wire in backward.wires:  # the local gradient as written, with the numbers put in, is its value
        assert abs(sympy.N(parse_expression(format_exact(wire.substituted), {}) - wire.local.exact, 30)) < 1e-25
        assert abs(sympy.N(wire.product.exact - wire.local.exact * wire.upstream.exact, 30)) < 1e-25


def test_sgd_updates_exactly(cs231n):
    updates = symback.run_exercise(cs231n, "3").of_kind("update")
    values, gradients = cs231n_raw()
    assert [u.parameter for u in updates] == ["x", "y"]
    for update in updates:
        old = values[update.parameter]
        assert sympy.simplify(update.new.exact - (update.old - sympy.Rational(1, 10) * update.gradient.exact)) == 0
        assert str(update.gradient.decimal) == rounded(gradients[update.parameter])
        assert str(update.new.decimal) == rounded(old - gradients[update.parameter] / 10)
    assert [str(u.new.decimal) for u in updates] == ["2.794", "-4.159"]


def test_a_loss_around_the_expression():
    p = symback.loads('title = "t"\n[expression]\nf = "w * x"\nat = { w = 2, x = 3 }\nparams = ["w"]\n'
                      '[loss]\nkind = "half_squared_error"\n[[exercises]]\nid = "1"\ntask = "sgd"\ny = 1\nlr = 0.5\n')
    # L = (wx − y)²/2 = 25/2; ∂L/∂w = (wx − y)·x = 15, w' = 2 − 15/2 = −11/2; x is no parameter
    steps = symback.run_exercise(p, "1").steps
    assert [(r.name, r.quantity.exact) for r in steps[0].rows][-1] == ("L", sympy.Rational(25, 2))
    assert steps[1].gradient("w").quantity.exact == 15 and [u.new.exact for u in steps[2:]] == [sympy.Rational(-11, 2)]
    text = render(build_sheet(p), "md")
    assert r"\frac{\partial L}{\partial w}" in text and "w' &= w" in text and "= -5.5" in text  # −11/2 as written


def test_ties_and_forks_are_stated():
    p = symback.loads('title = "t"\n[expression]\nf = "max(x, y) * x"\nat = { x = 3, y = 3 }\n'
                      '[[exercises]]\nid = "1"\ntask = "gradient"\n')
    text = render(build_sheet(p), "md")
    assert "a tie: see the conventions" in text and "equal share" in text
    assert re.search(r"\$x\$ is used 2 times", text)


def test_hostile_text_is_escaped():
    p = small(title=r'"\\input{/etc/passwd} <script>alert(1)</script> $x$ | #"',
              intro=r'"\\end{document} ``` %"', text=r'"\\section{x} _ ~ <b>"')
    sheet = build_sheet(p)
    md, tex = render(sheet, "md"), render(sheet, "tex")
    assert "<script>" not in md and "<b>" not in md and r"\$x\$" in md and r"\`\`\`" in md
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex and r"\textbackslash{}end\{document\}" in tex
    assert r"\input{" not in tex and r"\section{x}" not in tex and r"\%" in tex


def mermaid_blocks(md: str) -> list[list[str]]:
    return [block.splitlines() for block in re.findall(r"```mermaid\n(.*?)```", md, flags=re.DOTALL)]


def test_mermaid_is_valid_looking(cs231n_texts):
    blocks = mermaid_blocks(cs231n_texts["md"])
    assert len(blocks) == 2  # the circuit as given, and with the values and gradients of exercise 2
    label = r'"[^"]*"'
    node = re.compile(rf'^  (n\w+)(\[{label}\]|\(\({label}\)\))$')
    wire = re.compile(rf'^  (n\w+) (?:-- {label} )?--> (n\w+)$')
    for lines in blocks:
        assert lines[0] == "graph LR"
        defined = set()
        for line in lines[1:]:
            if line.startswith("  style "):
                continue
            match = node.match(line)
            if match:
                assert match.group(1) not in defined
                defined.add(match.group(1))
                continue
            match = wire.match(line)
            assert match, line
            assert {match.group(1), match.group(2)} <= defined
    assert any('"3.018<br/>grad 0.5121"' in line for line in blocks[1])


def test_a_large_circuit_leaves_the_diagram_out():
    text = " + ".join(f"sin(x*{k})" for k in range(1, 12))
    p = symback.loads(f'title = "t"\n[expression]\nf = "{text}"\nat = {{ x = 1 }}\n'
                      '[[exercises]]\nid = "1"\ntask = "gradient"\n')
    sheet = build_sheet(p)
    assert sheet.part.diagram.size > MAX_DIAGRAM_NODES
    for kind in ("md", "tex"):
        assert "too many for a readable diagram" in render(sheet, kind)


def test_names_print_well():
    notation = Notation()
    assert notation.latex_name("q1") == "q_{1}"
    assert notation.latex_name("df/dq3") == r"\frac{\partial f}{\partial q_{3}}"
    assert notation.latex_name("dL/dx") == r"\frac{\partial L}{\partial x}"


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symback", *arguments], capture_output=True, text=True,
                          env=environment, cwd=ROOT)


def test_solve_writes_every_format(tmp_path):
    done = run_cli("solve", str(CS231N), "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    kinds = ("md", "tex", "pdf") if latex_available() else ("md", "tex")
    for kind in kinds:
        assert (tmp_path / f"circuit_cs231n.{kind}").stat().st_size > 1000
    if HAS_PDF:
        text = subprocess.run(["pdftotext", str(tmp_path / "circuit_cs231n.pdf"), "-"], capture_output=True,
                              text=True).stdout
        for number in ("0.01799", "1.546", "2.060", "1.592", "2.794", "−4.159"):
            assert number in text.replace("-", "−"), number


@needs_latex
def test_pdf_of_hostile_text_builds(tmp_path):
    p = small(title=r'"\\input{/etc/passwd} $x$ & # % _ ~ ^ | <b>"', intro='"σ → ∂ ½ ☃"')
    from symback.render.write import write_sheets

    write_sheets(p, tmp_path, ("pdf",))
    text = subprocess.run(["pdftotext", str(tmp_path / "small.pdf"), "-"], capture_output=True, text=True).stdout
    assert "input{/etc/passwd}" in text and "−12" in text.replace("-", "−")


def test_exercise_prints_each_exercise():
    done = run_cli("exercise", str(CS231N))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for header in ("Exercise 1 (forward)", "Exercise 2 (gradient)", "Exercise 3 (sgd)"):
        assert header in out
    assert "q1 = sigmoid(y) = sigmoid(-4) = 1/(1 + exp(4)) ≈ 0.01799" in out
    assert "df/dx ≈ 2.060 (sum over its uses: q3, q2, num)" in out
    assert "x' = x" in out and "≈ 2.794" in out
