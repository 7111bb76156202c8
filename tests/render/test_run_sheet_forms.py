"""How run sheets (tasks optimize and train) write their numbers: an exact form only while short and flat (no
fraction inside a fraction or a root), in one form (a single fraction), no pointless power (β₁¹), one value per
cell (a terminating decimal as itself, or rounded: never 0.12408 ≈ 0.1241 nor 267289/250000), the loss column the
loss after each step, and the LaTeX heading of a table kept on the table's page. The numbers are held against
routes written here: exact fractions for the circuit's momentum run."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from test_run_sheets import ROOT, assert_rounded, last_decimal, md_cells, needs_latex

import symback
from symback.derive.run_cells import shown_rule_line
from symback.render.environment import render_exercise
from symback.runs.optimize import optimize

OPTIMIZERS = ROOT / "problems" / "ws23_optimizers.toml"
CIRCUIT = ROOT / "problems" / "circuit_optimizers.toml"
XOR = ROOT / "problems" / "xor_training.toml"


def run_parts(path: Path) -> dict[str, str]:
    """Each optimize exercise's worked run in Markdown, from its rule with numbers to the end."""
    problem = symback.load(path)
    parts = {}
    for exercise in problem.exercises:
        if exercise.task == "optimize":
            md = render_exercise(symback.run_exercise(problem, exercise.id), "md")
            parts[exercise.id] = md[md.index("**Step 1 with numbers**"):]
    return parts


@pytest.fixture(scope="module")
def shown_runs() -> dict[tuple[str, str], str]:
    return {(path.stem, k): part for path in (OPTIMIZERS, CIRCUIT) for k, part in run_parts(path).items()}


# --- reading LaTeX, written here: the braced arguments of \frac and \sqrt

def braced(text: str, start: int) -> int:
    """The index just past the brace group opening at ``start``."""
    depth = 0
    for k in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return k + 1
    raise AssertionError(f"unbalanced braces in {text!r}")


def fractions_inside(latex: str) -> list[str]:
    """Every argument of a \\frac or \\sqrt that itself holds a \\frac."""
    found = []
    for match in re.finditer(r"\\(frac|sqrt)", latex):
        position = match.end()
        for _ in range(2 if match.group(1) == "frac" else 1):
            end = braced(latex, position)
            if r"\frac" in latex[position:end]:
                found.append(latex[position:end])
            position = end
    return found


def math_of(md: str) -> list[str]:
    """Every inline $…$ and every line of a displayed equation in a Markdown text."""
    displayed = [line for block in re.findall(r"```math\n(.*?)```", md, re.DOTALL) for line in block.splitlines()]
    inline = re.findall(r"\$([^$]+)\$", re.sub(r"```math\n.*?```", "", md, flags=re.DOTALL))
    return displayed + inline


def test_old_forms_fail_these_readers():
    old = r"&= \frac{- \frac{2 e}{5 + 5 e}}{1 - 0.9^{1}} = - \frac{4 e}{1 + e} \approx -2.924"
    assert fractions_inside(old) == [r"{- \frac{2 e}{5 + 5 e}}"]
    assert fractions_inside(r"\frac{-2.924}{\sqrt{\frac{16 e^{2}}{\left(1 + e\right)^{2}}} + 1}")
    assert not fractions_inside(r"\frac{-0.2924}{1 - 0.9} \approx -2.924")


def test_no_fraction_inside_a_fraction_anywhere_a_run_is_shown(shown_runs):
    for key, part in shown_runs.items():
        for formula in math_of(part):
            assert not fractions_inside(formula), (key, formula)


def test_no_pointless_power_in_step_one(shown_runs):
    for key, part in shown_runs.items():
        step_one = part[:part.index("**Every step**")]
        assert "^{1}" not in step_one, key
    adam = shown_runs[("ws23_optimizers", "2")]
    assert r"\hat{m}_{1} &= \frac{m_{1}}{1 - \beta_1} \\" in adam
    assert r"&= \frac{-0.2924}{1 - 0.9} \approx -2.924" in adam  # m₁ by its rounded decimal, ending with ≈


def test_a_power_of_t_is_evaluated_after_step_one():
    run = optimize(symback.load(CIRCUIT), "4")  # Adam on the circuit
    lines = {line.equation.target: line for line in run.rule_lines("w", t=2)}
    for target, beta in (("m_hat", "beta1"), ("v_hat", "beta2")):
        exact = run.hyperparameters[beta].exact
        power = terminating_digits(Fraction(int(exact.p), int(exact.q)) ** 2)  # 0.9² = 0.81, 0.999² = 0.998001
        text = shown_rule_line(lines[target], {}, run.digits).with_numbers(lambda c: str(c.decimal))
        assert f"1 - {power}" in text and "^" not in text, text


def exact_part(cell: str) -> str | None:
    """What a Markdown cell shows before ≈ (None where it shows one number alone)."""
    body = cell.strip("$").strip()
    if r"\approx" not in body or body.startswith(r"\approx"):
        return None
    return body.split(r"\approx")[0].strip()


def test_one_value_per_cell_and_one_form(shown_runs):
    seen = 0
    for key, part in shown_runs.items():
        table = part[part.index("**Every step**"):]
        for row in (r for t in range(1, 5) for r in md_cells(table, str(t))):
            for cell in row[2:]:
                shown = exact_part(cell)
                if shown is None:
                    continue
                seen += 1
                assert not re.fullmatch(r"-?\d+(\.\d+)?", shown), (key, cell)  # 0.12408 ≈ 0.1241: two values
                fraction = re.fullmatch(r"-? ?\\frac\{(\d+)\}\{(\d+)\}", shown)
                if fraction:  # a fraction of integers beside its decimal only where it does not terminate
                    denominator = int(fraction.group(2))
                    while denominator % 2 == 0:
                        denominator //= 2
                    while denominator % 5 == 0:
                        denominator //= 5
                    assert denominator != 1, (key, cell)
                # one form: a single fraction (or none), its denominator factored, never 5 + 5e beside 5(1 + e)
                assert re.fullmatch(r"-? ?\\frac\{.*\}\{.*\}|[^\\]*", shown), (key, cell)
                assert "5 + 5 e" not in shown, (key, cell)
    assert seen > 20


def test_rule_lines_end_with_one_form_or_a_rounded_value(shown_runs):
    nesterov = shown_runs[("ws23_optimizers", "4")]
    assert r"&= -1 + \frac{19 e}{5 \left(1 + e\right)} = \frac{14 e - 5}{5 \left(1 + e\right)} \approx 1.778" in nesterov
    for key, part in shown_runs.items():
        for line in re.findall(r"^&= .*$", part, re.MULTILINE):
            result = line.rstrip(" \\").split(" = ")[-1] if " = " in line else ""
            shown = result.split(r"\approx")[0].strip()
            assert re.fullmatch(r"-? ?\\frac\{.*\}\{.*\}|[^\\]*(\\cdot 10\^\{-?\d+\})?", shown), (key, line)


# --- the circuit's momentum run in exact fractions, written here

def circuit_momentum(steps=4, lr=Fraction(3, 20), mu=Fraction(9, 10)):
    """f = max(z, z/5), z = w·2 + b, L = (f − 1)²: per step the rows (g, v, Δθ, θ) of w and b and the loss after."""
    theta, velocity, history = {"w": Fraction(1, 4), "b": Fraction(-1)}, {"w": 0, "b": 0}, []

    def loss_and_gradients(p):
        z = 2 * p["w"] + p["b"]
        f, slope = (z, 1) if z > 0 else (z / 5, Fraction(1, 5))
        upstream = 2 * (f - 1) * slope
        return (f - 1) ** 2, {"w": upstream * 2, "b": upstream}

    for _ in range(steps):
        _, grads = loss_and_gradients(theta)
        rows = {}
        for name in ("w", "b"):
            velocity[name] = mu * velocity[name] + grads[name]
            update = -lr * velocity[name]
            rows[name] = (grads[name], velocity[name], update, theta[name] + update)
        theta = {name: rows[name][-1] for name in rows}
        history.append((rows, loss_and_gradients(theta)[0]))
    return history


def terminating_digits(value: Fraction) -> str | None:
    """The decimal of a fraction whose denominator has no prime but 2 and 5, else None."""
    power = 0
    while (value * 10**power).denominator != 1:
        if power > 40:
            return None
        power += 1
    numerator = int(value * 10**power)
    return format(Decimal(numerator).scaleb(-power).normalize(), "f")


def test_circuit_cells_are_decimals_as_they_terminate(shown_runs):
    part = shown_runs[("circuit_optimizers", "3")]
    table = part[part.index("**Every step**"):]
    for t, (rows, loss_after) in enumerate(circuit_momentum(), start=1):
        found = md_cells(table, str(t))
        assert [row[1] for row in found] == ["$w$", "$b$"]
        for row, name in zip(found, ("w", "b")):
            for cell, value in zip(row[2:-1], rows[name]):
                written = terminating_digits(value)
                digits = len(written.replace("-", "").replace(".", "").lstrip("0")) if written else None
                if written is not None and digits <= 6:
                    assert cell == f"${written}$", (t, name, cell, value)  # 0.12408, exactly, alone
                else:
                    assert cell.startswith(r"$\approx "), (t, name, cell, value)  # 36911/31250 as ≈ 1.181
                    assert_rounded(last_decimal(cell), float(value))
        assert_rounded(last_decimal(found[0][-1]), float(loss_after))  # L(θ_t): after the step


def test_training_tables_say_after_the_step_and_start_from_the_first_loss():
    problem = symback.load(XOR)
    for exercise in "123":
        md = render_exercise(symback.run_exercise(problem, exercise), "md")
        table = md[md.index("**Loss per step**"):md.index("**After training**")]
        assert "the loss over all 4 samples after" in table and "loss over all samples after the step |" in table
        assert "| | start |" in table  # the loss before step 1 on a row of its own, not as step 1's
        assert "before step" not in table and "| | after step" not in table


def test_latex_headings_stay_with_their_tables(tmp_path):
    for path in (OPTIMIZERS, XOR):
        tex = render_exercise(symback.run_exercise(symback.load(path), "2"), "tex")
        for heading in (r"\textbf{Every step}", r"\textbf{Loss per step}"):
            if heading in tex:
                start = tex.index(heading)
                opened, closed = tex.rfind(r"\begin{minipage}", 0, start), tex.find(r"\end{minipage}", start)
                assert opened >= 0 and tex.find(r"\end{minipage}", opened) == closed  # the heading's own box
                assert r"\begin{tabular}" in tex[start:closed]  # … holds the table


@needs_latex
def test_each_page_with_a_table_heading_shows_the_table(tmp_path):
    from symback.render.write import write_sheets

    write_sheets(symback.load(XOR), tmp_path, ("md", "tex", "pdf"))
    pdf = tmp_path / "xor_training.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                               check=True).stdout).group(1))
    headings = 0
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        if "Loss per step:" in text:
            headings += 1
            assert "after the step" in text.split("Loss per step:")[1] and "start" in text, page
    assert headings == 3

