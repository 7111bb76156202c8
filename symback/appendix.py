"""The appendix of a solution sheet: the sheet's follow-up questions, answered by computing on its own network.

:func:`build_appendix` returns plain frozen data for templates that print and never compute: exact SymPy
values, correctly rounded decimals (:class:`~symback.steps.Quantity`) and one sentence of interpretation per
section, put together from those numbers. Each section's ``kind`` names the template that prints it.
"""

from __future__ import annotations

import dataclasses
import functools
import string
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy

from .activations import Z, make_activation
from .api import BackpropResult, backprop, to_sympy
from .arithmetic import EXACT, decimal_from_sympy
from .derivation import Deriver
from .losses import REGISTRY as LOSSES, target_symbols
from .model import ActivationSpec, ExerciseSpec, LayerSpec, Problem
from .optimizers import ADAM_DEFAULTS, adam_step, sgd_step
from .problem_values import matrix_entry_names
from .rounding import correctly_rounded
from .steps import GradientStep, Quantity

RATE_FACTORS = (sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2), sympy.Integer(5), sympy.Integer(10))
COMPARISON_POINTS = (sympy.Integer(-4), sympy.Integer(0), sympy.Integer(4))
P = sympy.Symbol("p", positive=True)
FINE_DIGITS = 30  # losses rounded this finely are compared first (see lower() in learning_rates_section)


@dataclass(frozen=True)
class Appendix:
    """The sections that apply to the problem, in order; ``section(kind)`` finds one (None if skipped)."""

    title: str
    digits: int
    sections: tuple

    def section(self, kind: str):
        return next((s for s in self.sections if s.kind == kind), None)


def build_appendix(problem: Problem, digits: int = 4) -> Appendix:
    """Every appendix section the problem has an exercise for, decimals to ``digits`` significant digits.

    >>> import symback
    >>> appendix = build_appendix(symback.load("problems/ws23_backprop.toml"))
    >>> [section.kind for section in appendix.sections]
    ['learning_rates', 'relu', 'adam', 'loss_comparison', 'deeper']
    """
    builders = (learning_rates_section, relu_section, adam_section, loss_comparison_section, deeper_section)
    sections = (build(problem, digits) for build in builders)
    return Appendix(problem.title, digits, tuple(s for s in sections if s is not None))


# --- shared helpers


def _sgd_exercises(problem: Problem) -> list[ExerciseSpec]:
    return [e for e in problem.exercises if e.task == "sgd"]


def _plain_sgd_exercise(problem: Problem) -> ExerciseSpec | None:
    """The first SGD exercise that keeps the network's own activations (not an f ≡ 0 override)."""
    return next((e for e in _sgd_exercises(problem) if all(a.kind != "zero" for a in e.activations.values())), None)


def _pass(problem: Problem, exercise: ExerciseSpec, activation=None, parameters=None) -> BackpropResult:
    overrides = {**exercise.activations, **(activation or {})}
    loss = exercise.loss.kind if exercise.loss else None
    return backprop(problem, exercise.x, exercise.y, activation=overrides, loss=loss, parameters=parameters)


def _parameters(problem: Problem, exercise: ExerciseSpec) -> list[str]:
    return list(exercise.params) if exercise.params is not None else list(problem.network.trainable)


def _quantities(result: BackpropResult, compute, digits: int, exact: dict | None = None) -> dict[str, Quantity]:
    """name -> Quantity: decimals of ``compute(pass)`` correctly rounded; exact values as given, else from the
    exact pass. Given exact values come from the same rule run in SymPy (cheaper to read and to build)."""
    decimals = result.rounded(compute, digits)
    if exact is None:
        exact = {name: to_sympy(value) for name, value in compute(result.exact_pass).items()}
    return {name: Quantity(name, value, decimals[name]) for name, value in exact.items()}


def _constants(values: dict[str, sympy.Expr], digits: int) -> dict[str, Quantity]:
    """name -> Quantity for exact SymPy constants, correctly rounded (Ziv's loop over decimal passes)."""
    zeros = [name for name, value in values.items() if value == 0]
    rounded = correctly_rounded(lambda: {n: decimal_from_sympy(v) for n, v in values.items()}, digits, zeros)
    return {name: Quantity(name, value, _trimmed(rounded[name], value)) for name, value in values.items()}


def _trimmed(rounded: Decimal, exact: sympy.Expr) -> Decimal:
    """1/4 prints 0.25, not 0.2500: trailing zeros go where the decimal is the exact value."""
    if exact.is_Rational and Fraction(rounded) == Fraction(int(exact.p), int(exact.q)):
        return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded.normalize()
    return rounded


def _readable(value) -> sympy.Expr:
    """``to_sympy(value)``, skipping tidy where it would keep the value as it is: exp of a non-integer (as in the
    loss after a step) is no rational function of e, and tidy spends ~60 ms per such value finding that out."""
    raw = value._sympy_()
    if any(not power.args[0].is_Integer for power in raw.atoms(sympy.exp)):
        return raw
    return to_sympy(value)


def _gradient_steps(result: BackpropResult, names: list[str], digits: int) -> tuple[GradientStep, ...]:
    deriver = Deriver(result, digits)
    builders = [deriver.gradient_step(name) for name in names]
    quantity = deriver.finish()
    return tuple(build(quantity) for build in builders)


def _gradients(p, names, index) -> dict:
    return {n: p.gradient(index[n]) for n in names}


def _sign(quantity: Quantity) -> int:
    """The exact sign: a correctly rounded decimal is 0 only for 0 and otherwise has the exact value's sign."""
    return (quantity.decimal > 0) - (quantity.decimal < 0)


def _listed(values) -> str:
    return ", ".join(str(v) for v in values)


# --- a. larger learning rates


@dataclass(frozen=True)
class RateRow:
    """One SGD step with α = factor · (the exercise's α): the updated parameters and the loss after it."""

    factor: sympy.Expr
    rate: sympy.Expr
    updated: tuple[Quantity, ...]  # θ' per parameter of the exercise, named "b12'"
    loss: Quantity  # L' at the same x, y
    change: Quantity  # L' − L


@dataclass(frozen=True)
class LearningRateSection:
    exercise: str
    parameters: tuple[str, ...]
    rate: sympy.Expr  # the exercise's α
    loss: Quantity  # L before the step
    gradients: tuple[Quantity, ...]
    rows: tuple[RateRow, ...]
    lowering: tuple[sympy.Expr, ...]  # rates with L' < L
    raising: tuple[sympy.Expr, ...]  # rates with L' > L
    best: sympy.Expr  # the rate with the smallest L'
    growing: bool  # L' grows with α beyond the best rate
    conclusion: str
    kind: str = "learning_rates"


def learning_rates_section(problem: Problem, digits: int = 4) -> LearningRateSection | None:
    """SGD on the first plain SGD exercise with its α times 1/2, 1, 2, 5, 10; None without such an exercise.

    >>> import symback
    >>> s = learning_rates_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(row.rate, row.loss.decimal) for row in s.rows][:2], s.best
    ([(1, Decimal('1.599')), (2, Decimal('1.610'))], 1)
    """
    exercise = _plain_sgd_exercise(problem)
    if exercise is None:
        return None
    result, names = _pass(problem, exercise), _parameters(problem, exercise)
    index, loss_node = result.graph.index, result.graph.loss_node
    theta = {n: problem.network.parameters[n] for n in names}
    grad = {n: result.grad[n] for n in names}
    exact = {"L": result.loss, **{f"dL/d{n}": grad[n] for n in names}}
    before = _quantities(result, lambda p: {"L": p.values[loss_node], **_named(_gradients(p, names, index))},
                         digits, exact)
    rows, fine = [], []
    for factor in RATE_FACTORS:
        rate = exercise.lr * factor
        new = sgd_step(theta, grad, rate)[0]
        updated = _quantities(result, _sgd_update(names, index, rate), digits, {f"{n}'": new[n] for n in names})
        after = _pass(problem, exercise, parameters=new)
        new_loss = _readable(after.exact_pass.values[loss_node])
        loss = _quantities(after, _loss_change(loss_node, exact["L"]), digits,
                           {"L'": new_loss, "L' - L": new_loss - exact["L"]})
        fine.append(after.rounded(lambda p: {"L'": p.values[loss_node]}, FINE_DIGITS)["L'"])
        rows.append(RateRow(factor, rate, tuple(updated.values()), loss["L'"], loss["L' - L"]))

    def lower(i: int, j: int) -> bool:  # L'_i < L'_j exactly: differing correctly rounded values keep the order
        if fine[i] != fine[j]:
            return fine[i] < fine[j]
        return _sign(_constants({"d": rows[i].loss.exact - rows[j].loss.exact}, digits)["d"]) < 0

    best = 0
    for i in range(1, len(rows)):
        best = i if lower(i, best) else best
    growing = best + 1 < len(rows) and all(lower(i - 1, i) for i in range(best + 1, len(rows)))
    lowering = tuple(r.rate for r in rows if _sign(r.change) < 0)
    raising = tuple(r.rate for r in rows if _sign(r.change) > 0)
    gradients = tuple(before[f"dL/d{n}"] for n in names)
    conclusion = _rates_conclusion(exercise.lr, before["L"], rows, lowering, raising, rows[best].rate, growing)
    return LearningRateSection(exercise.id, tuple(names), exercise.lr, before["L"], gradients, tuple(rows),
                               lowering, raising, rows[best].rate, growing, conclusion)


def _named(gradients: dict) -> dict:
    return {f"dL/d{n}": g for n, g in gradients.items()}


def _sgd_update(names, index, rate):
    def compute(p):
        theta = {n: p.values[index[n]] for n in names}
        new = sgd_step(theta, _gradients(p, names, index), rate, arithmetic=p.arithmetic)[0]
        return {f"{n}'": value for n, value in new.items()}

    return compute


def _loss_change(loss_node, old):
    return lambda p: {"L'": p.values[loss_node], "L' - L": p.values[loss_node] - p.arithmetic.from_sympy(old)}


def _rates_conclusion(base, loss, rows, lowering, raising, best, growing) -> str:
    parts = [f"One SGD step with α = {_listed(r.rate for r in rows)} (the exercise's α = {base} times "
             f"{_listed(r.factor for r in rows)}) takes L = {loss.decimal} to "
             f"L' ≈ {_listed(r.loss.decimal for r in rows)}."]
    if len(lowering) == len(rows):
        parts.append("Every one of these rates lowers the loss.")
    elif lowering:
        parts.append(f"α = {_listed(lowering)} lower{'s' * (len(lowering) == 1)} the loss.")
    if raising:
        parts.append(f"α = {_listed(raising)} raise{'s' * (len(raising) == 1)} it: the step overshoots.")
    parts.append(f"The smallest L' is at α = {best}" + (
        "; beyond it L' grows with α: the longer steps overshoot." if growing else "."))
    return " ".join(parts)


# --- b. ReLU instead of the sigmoid


@dataclass(frozen=True)
class HiddenUnit:
    """One hidden unit of a layer switched to ReLU."""

    name: str  # h1_2
    z: Quantity  # its pre-activation in the ReLU network
    relu_derivative: Quantity  # ReLU'(z): 1 for z > 0, 0 for z ≤ 0
    sigmoid_derivative: Quantity  # σ'(z) of the same unit in the sigmoid network
    dead: bool  # z ≤ 0: no gradient passes through this unit


@dataclass(frozen=True)
class DerivativeBound:
    """σ'(z) ≤ 1/4, found by SymPy: σ' = p(1 − p) with p = σ(z) ∈ (0, 1), a parabola in p."""

    sigmoid_derivative: sympy.Expr  # σ'(z)
    in_p: sympy.Expr  # σ'(z) written in p = σ(z)
    critical_p: tuple[sympy.Expr, ...]  # solutions of d/dp σ' = 0
    argmax: sympy.Expr  # z where σ' is largest
    maximum: sympy.Expr  # 1/4
    at_ends: tuple[sympy.Expr, sympy.Expr]  # σ' as p → 0 and p → 1 (z → ∓∞)
    is_maximum: bool  # larger than at both ends: the maximum over all z, not just a critical value
    relu_derivative: sympy.Expr  # piecewise
    relu_values: tuple[sympy.Expr, ...]  # the values ReLU' takes: 0 and 1


@dataclass(frozen=True)
class ReluSection:
    exercise: str
    layers: tuple[int, ...]  # the layers switched from the sigmoid to ReLU
    sigmoid: tuple[GradientStep, ...]  # the gradients asked for, sigmoid network
    relu: tuple[GradientStep, ...]  # the same with ReLU
    units: tuple[HiddenUnit, ...]
    dead: tuple[str, ...]
    bound: DerivativeBound
    conclusion: str
    kind: str = "relu"


def relu_section(problem: Problem, digits: int = 4) -> ReluSection | None:
    """The first plain SGD exercise with ReLU for the sigmoid in the hidden layers; None without either.

    >>> import symback
    >>> s = relu_section(symback.load("problems/ws23_backprop.toml"))
    >>> [step.quantity.exact for step in s.relu], s.dead, s.bound.maximum
    ([-4, 12], (), 1/4)
    """
    exercise = _plain_sgd_exercise(problem)
    if exercise is None:
        return None
    sigmoid = _pass(problem, exercise)
    layers = tuple(
        number for number, activation in enumerate(sigmoid.graph.layer_activations[:-1], start=1)
        if activation.name == "sigmoid"
    )
    if not layers:
        return None
    relu = _pass(problem, exercise, activation={number: "relu" for number in layers})
    names = _parameters(problem, exercise)
    units = tuple(
        _hidden_unit(sigmoid, relu, number, unit, digits)
        for number in layers for unit in range(1, problem.network.layers[number - 1].units + 1)
    )
    dead = tuple(unit.name for unit in units if unit.dead)
    bound = sigmoid_bound()
    steps = _gradient_steps(sigmoid, names, digits), _gradient_steps(relu, names, digits)
    conclusion = _relu_conclusion(units, dead, bound, *steps)
    return ReluSection(exercise.id, layers, *steps, units, dead, bound, conclusion)


def _hidden_unit(sigmoid: BackpropResult, relu: BackpropResult, layer: int, unit: int, digits: int) -> HiddenUnit:
    z_id, h_id = relu.graph.index[f"z{layer}_{unit}"], relu.graph.index[f"h{layer}_{unit}"]
    in_relu = _quantities(relu, lambda p: {f"z{layer}_{unit}": p.values[z_id], "ReLU'": p.local_partial(h_id, z_id)},
                          digits)
    in_sigmoid = _quantities(sigmoid, lambda p: {"σ'": p.local_partial(h_id, z_id)}, digits)
    dead = EXACT.sign(relu.exact_pass.values[z_id]) <= 0
    return HiddenUnit(f"h{layer}_{unit}", in_relu[f"z{layer}_{unit}"], in_relu["ReLU'"], in_sigmoid["σ'"], dead)


def sigmoid_bound() -> DerivativeBound:
    """The largest value of σ'(z), and the values of ReLU', by SymPy.

    >>> b = sigmoid_bound()
    >>> b.in_p, b.argmax, b.maximum, b.is_maximum, b.relu_values
    (-p**2 + p, 0, 1/4, True, (0, 1))
    """
    sigmoid, relu = make_activation(ActivationSpec("sigmoid")), make_activation(ActivationSpec("relu"))
    # e^z = p/(1 − p) turns σ'(z) into a polynomial in p ∈ (0, 1), whose extrema are at its critical points
    in_p = sympy.cancel(sigmoid.derivative.subs(sympy.exp(Z), P / (1 - P)))
    critical = tuple(r for r in sympy.Poly(sympy.diff(in_p, P), P).real_roots() if 0 < r < 1)
    best = max(critical, key=lambda point: in_p.subs(P, point))
    maximum, ends = in_p.subs(P, best), (in_p.subs(P, 0), in_p.subs(P, 1))
    argmax = sympy.log(best / (1 - best))  # z = σ⁻¹(p)
    values = tuple(sorted({value for value, _ in relu.derivative.args}))
    return DerivativeBound(sigmoid.derivative, in_p, critical, argmax, maximum, ends,
                           all(maximum > end for end in ends), relu.derivative, values)


def _relu_conclusion(units, dead, bound, sigmoid_steps, relu_steps) -> str:
    zs = ", ".join(f"{u.z.name} = {u.z.decimal}" for u in units)
    state = "no unit is dead"
    if dead:
        state = f"{_listed(dead)} {'is' if len(dead) == 1 else 'are'} dead (z ≤ 0, ReLU' = 0)"
    alive = [u for u in units if not u.dead]
    passes = (f"; where z > 0, ReLU' = 1 passes ∂L/∂h on unchanged, while the sigmoid's σ'(z) ≈ "
              f"{_listed(u.sigmoid_derivative.decimal for u in alive)} ≤ {bound.maximum} shrinks it") if alive else ""
    gradients = "; ".join(
        f"∂L/∂{s.parameter} = {r.quantity.decimal} with ReLU vs {s.quantity.decimal} with the sigmoid"
        for s, r in zip(sigmoid_steps, relu_steps)
    )
    return f"With ReLU: {zs}, so {state}{passes}. {gradients}."


# --- c. Adam instead of SGD


@dataclass(frozen=True)
class AdamParameterStep:
    """The first bias-corrected Adam step for one parameter, with SGD's step beside it."""

    parameter: str
    theta: Quantity
    g: Quantity
    m_hat: Quantity
    v_hat: Quantity
    update: Quantity  # Δθ = −α·m̂/(√v̂ + ε)
    new: Quantity  # θ' = θ + Δθ
    sgd_update: Quantity  # −α·g
    off_sign_step: Quantity  # Δθ + α·sign(g): how far Adam's step is from −α·sign(g)
    sign: int  # sign of g


@dataclass(frozen=True)
class AdamExercise:
    exercise: str
    rate: sympy.Expr
    steps: tuple[AdamParameterStep, ...]
    moved: tuple[str, ...]  # parameters with g ≠ 0
    still: tuple[str, ...]  # parameters with g = 0: Δθ = 0 exactly
    remark: str


@dataclass(frozen=True)
class AdamSection:
    beta1: sympy.Expr
    beta2: sympy.Expr
    eps: sympy.Expr
    exercises: tuple[AdamExercise, ...]
    kind: str = "adam"


def adam_section(problem: Problem, digits: int = 4) -> AdamSection | None:
    """The first Adam step (default hyperparameters) in place of SGD, for every SGD exercise; None without one.

    >>> import symback
    >>> s = adam_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(step.parameter, step.update.decimal) for step in s.exercises[0].steps]
    [('b12', Decimal('2.000')), ('a22', Decimal('-2.000'))]
    """
    exercises = tuple(_adam_exercise(problem, exercise, digits) for exercise in _sgd_exercises(problem))
    if not exercises:
        return None
    return AdamSection(ADAM_DEFAULTS["beta1"], ADAM_DEFAULTS["beta2"], ADAM_DEFAULTS["eps"], exercises)


def _adam_exercise(problem: Problem, exercise: ExerciseSpec, digits: int) -> AdamExercise:
    result, names = _pass(problem, exercise), _parameters(problem, exercise)
    index, rate = result.graph.index, exercise.lr
    signs = {n: EXACT.sign(result.exact_pass.gradient(index[n])) for n in names}
    theta = {n: problem.network.parameters[n] for n in names}
    exact = _adam_values(adam_step(theta, {n: result.grad[n] for n in names}, rate)[2], rate, signs, lambda v: v)

    def compute(p):
        rows = adam_step({n: p.values[index[n]] for n in names}, _gradients(p, names, index), rate,
                         arithmetic=p.arithmetic)[2]
        return _adam_values(rows, p.arithmetic.from_sympy(rate), signs, p.arithmetic.from_sympy)

    q = _quantities(result, compute, digits, exact)
    fields = ("{}", "dL/d{}", "m̂({})", "v̂({})", "Δ{}", "{}'", "−α·dL/d{}", "Δ{} + α·sign(g)")
    steps = tuple(AdamParameterStep(n, *(q[f.format(n)] for f in fields), signs[n]) for n in names)
    moved = tuple(s.parameter for s in steps if s.sign)
    still = tuple(s.parameter for s in steps if not s.sign)
    return AdamExercise(exercise.id, rate, steps, moved, still, _adam_remark(problem, rate, steps, moved, still))


def _adam_values(rows, rate, signs, number) -> dict:
    """The values a sheet shows for Adam's rows, in the rows' arithmetic (``number`` converts exact integers)."""
    found = {}
    for row in rows:
        n, sign = row.parameter, number(sympy.Integer(signs[row.parameter]))
        found.update({n: row.theta, f"dL/d{n}": row.g, f"m̂({n})": row.m_hat, f"v̂({n})": row.v_hat,
                      f"Δ{n}": row.update, f"{n}'": row.new, f"−α·dL/d{n}": -rate * row.g,
                      f"Δ{n} + α·sign(g)": row.update + rate * sign})
    return found


def _adam_remark(problem: Problem, rate, steps, moved, still) -> str:
    parts = []
    if moved:
        taken = [s for s in steps if s.sign]
        off = max(abs(s.off_sign_step.decimal) for s in taken)
        parts.append(
            f"In the first step m̂ = g and v̂ = g², so Δθ = −α·g/(|g| + ε): {_listed(moved)} move by "
            f"{_listed(s.update.decimal for s in taken)}, which is −α·sign(g) = "
            f"{_listed(-rate * s.sign for s in taken)} to within {off}, whatever the size of g "
            f"(SGD: {_listed(s.sgd_update.decimal for s in taken)})."
        )
    if still:
        matrices = [
            layer.weights_label for layer in problem.network.layers
            if layer.weights_label and {e for row in layer.weights for e in row if isinstance(e, str)} <= set(still)
        ]
        whole = f"; {_listed(matrices)} does not move" if matrices else ""
        parts.append(f"g = 0 for {_listed(still)}, so m̂ = v̂ = 0 and Δθ = 0 exactly{whole}.")
    return " ".join(parts)


# --- d. squared error vs binary cross-entropy on a sigmoid output


@dataclass(frozen=True)
class LossGradientRow:
    z: sympy.Expr
    p: Quantity  # σ(z)
    sigmoid_derivative: Quantity  # σ'(z)
    squared_error: Quantity  # ∂L/∂z for L = (p − y)²
    cross_entropy: Quantity  # ∂L/∂z for binary cross-entropy
    ratio: Quantity | None  # squared error's ∂L/∂z over cross-entropy's (None where that is 0)


@dataclass(frozen=True)
class LossComparisonSection:
    """∂L/∂z = ∂L/∂p · ∂p/∂z for p = σ(z), each factor by sympy.diff, the product simplified in p."""

    target: sympy.Expr  # the y of the table
    squared_error: sympy.Expr  # L(p, y)
    cross_entropy: sympy.Expr
    sigmoid_derivative: sympy.Expr  # ∂p/∂z in p: p(1 − p)
    squared_error_dp: sympy.Expr  # ∂L/∂p
    cross_entropy_dp: sympy.Expr
    squared_error_dz: sympy.Expr  # ∂L/∂z in p and y
    cross_entropy_dz: sympy.Expr
    rows: tuple[LossGradientRow, ...]
    conclusion: str
    kind: str = "loss_comparison"


def loss_comparison_section(problem: Problem | None = None, digits: int = 4) -> LossComparisonSection:
    """∂L/∂z through a sigmoid output for squared error and binary cross-entropy, and a table for y = 1.

    The same for every problem (``problem`` is not used), so it is computed once per ``digits``.

    >>> s = loss_comparison_section()
    >>> s.squared_error_dz, s.cross_entropy_dz
    (2*p*(-p + y)*(p - 1), p - y)
    """
    return _loss_comparison(digits)


@functools.lru_cache(maxsize=8)
def _loss_comparison(digits: int) -> LossComparisonSection:
    sigmoid = make_activation(ActivationSpec("sigmoid"))
    dp_dz = sympy.cancel(sigmoid.derivative.subs(sympy.exp(Z), P / (1 - P)))  # e^z = p/(1 − p)
    (y,) = target_symbols(1)
    forms = {}
    for kind in ("squared_error", "binary_cross_entropy"):
        in_p = LOSSES[kind].expression((P,), (y,))
        dl_dp = sympy.factor(sympy.diff(in_p, P))
        forms[kind] = in_p, dl_dp, sympy.factor(sympy.cancel(dl_dp * dp_dz))
    target = sympy.Integer(1)
    rows = tuple(_loss_row(z, dp_dz, forms, y, target, digits) for z in COMPARISON_POINTS)
    (se, se_dp, se_dz), (ce, ce_dp, ce_dz) = forms.values()
    return LossComparisonSection(target, se, ce, dp_dz, se_dp, ce_dp, se_dz, ce_dz, rows,
                                 _loss_conclusion(rows, target))


def _loss_row(z, dp_dz, forms, y, target, digits) -> LossGradientRow:
    p = 1 / (1 + sympy.exp(-z))  # σ(z); the table's other values follow from the formulas in p
    names = ("p", "σ'(z)", "∂L/∂z (squared error)", "∂L/∂z (cross-entropy)")
    se, ce = (forms[kind][2].subs({P: p, y: target}) for kind in ("squared_error", "binary_cross_entropy"))
    values = dict(zip(names, (p, dp_dz.subs(P, p), se, ce)))
    if ce != 0:
        values["ratio"] = se / ce
    q = _constants(values, digits)
    return LossGradientRow(z, *(q[name] for name in names), q.get("ratio"))


def _loss_conclusion(rows, target) -> str:
    # the most confidently wrong output of the table: p furthest from the target
    wrong = max(rows, key=lambda row: abs(row.p.decimal - Decimal(int(target))))
    times = f" (squared error's is {wrong.ratio.decimal} times cross-entropy's)" if wrong.ratio is not None else ""
    return (
        f"For y = {target} and z = {wrong.z} (p ≈ {wrong.p.decimal}, confidently wrong), ∂L/∂z is "
        f"{wrong.squared_error.decimal} under squared error but {wrong.cross_entropy.decimal} under cross-entropy"
        f"{times}: squared error's gradient carries the factor σ'(z) ≈ {wrong.sigmoid_derivative.decimal}, "
        f"cross-entropy's p − y does not."
    )


# --- e. one more hidden layer


@dataclass(frozen=True)
class DeeperGradient:
    parameter: str
    before: GradientStep  # in the sheet's network
    after: GradientStep  # with the extra layer
    factors_before: int  # local partials on one chain-rule path
    factors_after: int
    ratio: Quantity | None  # after / before (None where before is 0)


@dataclass(frozen=True)
class DeeperSection:
    exercise: str
    problem: Problem  # the deeper network
    layer: int  # the inserted layer's number
    label: str  # its weight matrix's letter
    weights: tuple[tuple[str, ...], ...]  # its entry names, set to the identity
    gradients: tuple[DeeperGradient, ...]
    conclusion: str
    kind: str = "deeper"


def with_extra_layer(problem: Problem, after: int = 1) -> tuple[Problem, str]:
    """The problem with a sigmoid layer of the same width after layer ``after``, weights the identity matrix.

    Returns the new problem and the new matrix's letter; exercises' activation overrides move with their layers.

    >>> import symback
    >>> deeper, letter = with_extra_layer(symback.load("problems/ws23_backprop.toml"))
    >>> letter, deeper.network.layers[1].weights, [deeper.network.parameters[n] for n in ("c11", "c12")]
    ('C', (('c11', 'c12'), ('c21', 'c22')), [1, 0])
    """
    network = problem.network
    width = network.layers[after - 1].units
    used = {layer.weights_label for layer in network.layers} | {layer.bias_label for layer in network.layers}
    letter = next(
        letter for letter in string.ascii_uppercase
        if letter not in used and not set(sum(matrix_entry_names(letter, width, width), [])) & set(network.parameters)
    )
    names = matrix_entry_names(letter, width, width)
    layer = LayerSpec(tuple(map(tuple, names)), ActivationSpec("sigmoid"), weights_label=letter)
    identity = {names[i][j]: sympy.Integer(int(i == j)) for i in range(width) for j in range(width)}
    layers = network.layers[:after] + (layer,) + network.layers[after:]
    values = {**network.parameters, **identity}
    entries = [e for lay in layers for block in (lay.weights, (lay.bias or (),)) for row in block for e in row]
    ordered = {name: values[name] for name in dict.fromkeys(e for e in entries if isinstance(e, str))}
    exercises = tuple(
        dataclasses.replace(e, activations={n + (n > after): spec for n, spec in e.activations.items()})
        for e in problem.exercises
    )
    deeper = dataclasses.replace(network, layers=layers, parameters=ordered)
    return dataclasses.replace(problem, network=deeper, exercises=exercises), letter


def deeper_section(problem: Problem, digits: int = 4) -> DeeperSection | None:
    """The gradient exercise's first-layer parameters again, with one more sigmoid layer (C = I) after layer 1.

    >>> import symback
    >>> s = deeper_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(g.parameter, g.factors_before, g.factors_after) for g in s.gradients]
    [('a22', 4, 6)]
    """
    exercise = next((e for e in problem.exercises if e.task == "gradient"), None) or _plain_sgd_exercise(problem)
    if exercise is None or len(problem.network.layers) < 2:
        return None
    first = problem.network.layers[0]
    entries = {e for block in (first.weights, (first.bias or (),)) for row in block for e in row}
    names = [n for n in _parameters(problem, exercise) if n in entries]
    if not names:
        return None
    deeper, letter = with_extra_layer(problem)
    deeper_exercise = deeper.exercise(exercise.id)
    before = _gradient_steps(_pass(problem, exercise), names, digits)
    after = _gradient_steps(_pass(deeper, deeper_exercise), names, digits)
    gradients = tuple(_deeper_gradient(b, a, digits) for b, a in zip(before, after))
    weights = deeper.network.layers[1].weights
    return DeeperSection(exercise.id, deeper, 2, letter, weights, gradients, _deeper_conclusion(letter, 2, gradients))


def _path_length(step: GradientStep) -> int:
    return max((len(path) for path in step.paths), default=0)


def _deeper_gradient(before: GradientStep, after: GradientStep, digits: int) -> DeeperGradient:
    ratio = None
    if before.quantity.exact != 0:
        ratio = _constants({"ratio": sympy.powsimp(after.quantity.exact / before.quantity.exact)}, digits)["ratio"]
    return DeeperGradient(before.parameter, before, after, _path_length(before), _path_length(after), ratio)


def _deeper_conclusion(letter: str, k: int, gradients) -> str:
    parts = []
    for g in gradients:
        change = f" (× {g.ratio.decimal})" if g.ratio is not None else ""
        parts.append(
            f"∂L/∂{g.parameter}: {g.factors_before} factors per chain-rule path become {g.factors_after} "
            f"(the extra pair ∂h{k}/∂z{k} · ∂z{k}/∂h{k - 1}), and the gradient goes from "
            f"{g.before.quantity.decimal} to {g.after.quantity.decimal}{change}."
        )
    return f"With one more sigmoid layer ({letter} = I): " + " ".join(parts)
