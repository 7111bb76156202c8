"""The appendix fits the network and the lecturer's choice: sections that speak of the network only, the
``appendix`` key and ``--no-appendix``, and a learning-rate table on four sigmoid layers that finishes, its
numbers held against a forward pass and a numerical gradient written here in mpmath."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import run
from deadline import no_hang
from test_appendix import runs_of

import symback
from symback.derive.appendix import build_appendix
from symback.render.environment import render
from symback.render.sheet import build_sheet

WS23 = Path(__file__).resolve().parents[2] / "problems" / "ws23_backprop.toml"
SIG4 = {"A": [[0.5, -0.3], [0.2, 0.7]], "B": [[0.4, 0.1], [-0.6, 0.9]], "C": [[1.2, -0.8], [0.3, 0.5]],
        "D": [[0.7, -1.1], [0.2, 0.4]]}
X, Y, LR = [1, -1], [1, 0], "0.5"


def toml_of(matrices, activation="sigmoid", loss="half_squared_error", extra="") -> str:
    layers = "".join(f'[[network.layers]]\nweights = "{k}"\nvalues = {v}\nactivation = "{activation}"\n'
                     for k, v in matrices.items())
    return (f'title = "t"\n{extra}\n[network]\ninputs = 2\n{layers}[loss]\nkind = "{loss}"\n'
            f'[[exercises]]\nid = "1"\ntask = "sgd"\nx = {X}\ny = {Y}\nlr = {LR}\nparams = ["a11", "d12"]\n')


def sig4_loss(params: dict) -> mpmath.mpf:
    """½‖σ(D σ(C σ(B σ(A x)))) − y‖², the matrices from SIG4 with ``params`` put in (mpmath, current precision)."""
    h = [mpmath.mpf(v) for v in X]
    for letter, rows in SIG4.items():
        h = [1 / (1 + mpmath.exp(-sum(params.get(f"{letter.lower()}{i + 1}{j + 1}", mpmath.mpf(str(w))) * h[j]
                                        for j, w in enumerate(row)))) for i, row in enumerate(rows)]
    return sum((a - b) ** 2 for a, b in zip(h, Y)) / 2


def four(value) -> Decimal:
    return Context(prec=4, rounding=ROUND_HALF_UP).create_decimal(mpmath.nstr(value, 40))


def test_learning_rates_on_four_sigmoid_layers_finish_and_hold_against_mpmath():
    problem = symback.loads(toml_of(SIG4))
    with no_hang():
        section = build_appendix(problem, 4, kinds=("learning_rates",)).section("learning_rates")
    with mpmath.workdps(60):
        start = {"a11": mpmath.mpf("0.5"), "d12": mpmath.mpf("-1.1")}
        grad = {n: mpmath.diff(lambda t, n=n: sig4_loss({**start, n: t}), start[n]) for n in start}
        before = sig4_loss(start)
        assert section.loss.decimal == four(before)
        losses = []
        for row in section.rows:
            rate = mpmath.mpf(row.rate.p) / row.rate.q
            new = {n: start[n] - rate * grad[n] for n in start}
            assert [q.decimal for q in row.updated] == [four(new[n]) for n in ("a11", "d12")]
            after = sig4_loss(new)
            assert row.loss.decimal == four(after)
            losses.append(after)
    shown = [four(v) for v in losses]
    assert section.trend == runs_of(shown)
    assert ("overshoot" in str(section.conclusion).replace("not an overshoot", "")) == any(v > before for v in losses)
    assert section.loss.exact is None  # a tower of exponentials: decimals only


def test_no_sigmoid_output_comparison_for_a_softmax_network():
    matrices = {"W": [[0.5, -0.2], [0.1, 0.4], [-0.3, 0.8]], "V": [[0.7, -0.5, 0.2], [-0.4, 0.6, 0.3]]}
    text = toml_of(matrices, "identity", "softmax_cross_entropy").replace('["a11", "d12"]', '["w11", "v12"]')
    kinds = [s.kind for s in build_appendix(symback.loads(text)).sections]
    assert "loss_comparison" not in kinds and "learning_rates" in kinds
    sigmoid_output = toml_of({"A": [[1, 2]]}, "sigmoid", "binary_cross_entropy").replace(
        'params = ["a11", "d12"]', 'params = ["a11"]').replace("y = [1, 0]", "y = 1")
    assert "loss_comparison" in [s.kind for s in build_appendix(symback.loads(sigmoid_output)).sections]


def test_the_appendix_key_chooses_sections():
    ws23 = symback.load(WS23)
    text = WS23.read_text(encoding="utf-8")
    chosen = symback.loads(text.replace("[network]", 'appendix = ["deeper", "relu"]\n\n[network]', 1))
    assert [s.kind for s in build_appendix(chosen).sections] == ["relu", "deeper"]
    assert [s.kind for s in build_appendix(ws23).sections] == list(symback.problem.model.APPENDIX_SECTIONS)
    none = symback.loads(text.replace("[network]", "appendix = false\n\n[network]", 1))
    assert build_sheet(none).appendix is None and "Appendix" not in render(build_sheet(none), "md")
    for value, message in [('"yes"', "appendix: expected true, false or a list"),
                           ('["relu", "adamm"]', "appendix[2]: unknown appendix section 'adamm'"),
                           ('["relu", "relu"]', "appendix[2]: section 'relu' is listed twice")]:
        with pytest.raises(symback.errors.ProblemError, match=message.replace("[", r"\[")):
            symback.loads(text.replace("[network]", f"appendix = {value}\n\n[network]", 1))


def test_no_appendix_on_the_command_line(capsys, tmp_path):
    code, _, err = run(capsys, "solve", WS23, "-o", tmp_path, "--format", "md",
                       "--no-appendix")
    assert code == 0, err
    assert "Appendix" not in (tmp_path / "ws23_backprop.md").read_text(encoding="utf-8")


def test_notes_stay_with_the_author_and_intro_is_printed_escaped():
    text = toml_of({"A": [[1, 2]]}, "sigmoid", "squared_error",
                   'notes = "numbers from the 2023 exam"\nintro = "Work in pairs: <b>50%</b> $x$ \\\\input{a}"')
    text = text.replace('params = ["a11", "d12"]', 'params = ["a11"]').replace("y = [1, 0]", "y = 1")
    sheet = build_sheet(symback.loads(text), appendix=False)
    md, tex = render(sheet, "md"), render(sheet, "tex")
    assert "2023 exam" not in md and "2023 exam" not in tex
    assert "Work in pairs" in md and "<b>" not in md and r"\$x\$" in md
    assert r"50\%" in tex and r"\input{a}" not in tex and r"\textbackslash{}input" in tex
