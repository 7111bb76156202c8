"""The items of an optimizer run (``task = "optimize"``): every value of every step, with its rule.

Names follow the run's columns (:attr:`~symback.runs.optimize.OptimizerRun.columns`), one item per step ``t``
(1, 2, …), moving parameter ``p`` and column, in the order of the rows:

================  ==========================================================================
``g[t]:p``        the gradient ∂L/∂p in step t, at the parameters after step t − 1
``m[t]:p``        Adam's and AdamW's moving averages after step t (also ``v[t]:p``)
``m_hat[t]:p``    their bias-corrected forms in step t (also ``v_hat[t]:p``)
``velocity[t]:p`` momentum's and Nesterov's velocity after step t (``direction[t]:p``: Nesterov's g + μv)
``s[t]:p``        RMSprop's moving average of g² after step t
``decayed[t]:p``  AdamW's p after the weight decay of step t
``update[t]:p``   the change Δθ of p in step t
``p[t]``          p after step t (``b12[1]``, ``a22[3]``): what the exercise asks for
================  ==========================================================================

θ before step t is not an item of its own: it is ``p[t-1]`` (the start value, given, for t = 1).

Rules read the student's own values, so that a slip is carried forward. Every column of step t follows from
θ after step t − 1, the gradient g[t] and the memories after step t − 1, through the registry's own step
function (:mod:`symback.runs.optimizers`) in decimal arithmetic; the columns computed from others of the same
step have a second rule in those (``m_hat[t]:p = m[t]:p/(1 − β₁ᵗ)``, ``p[t] = p[t-1] + update[t]:p``), so a
student who works from their own m is followed too. g[t] for t ≥ 2 is the gradient (of the network, or of
the expression's circuit) at the student's own parameters after step t − 1 (the parameters that do not move
keep their start values); g[1] is at the start values, a constant.

>>> import symback
>>> p = symback.load("problems/ws23_optimizers.toml")
>>> [item.key for item in optimizer_run_items(p, p.exercise("1"), 0)][:8]
['g[1]:b12', 'update[1]:b12', 'b12[1]', 'g[1]:a22', 'update[1]:a22', 'a22[1]', 'g[2]:b12', 'update[2]:b12']
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from typing import Sequence

import sympy

from ...numbers.arithmetic import DECIMAL
from ...numbers.parse import (
    exact_number,  # parameters are exact already; ints become Integers
)
from ...problem.model import ExerciseSpec, Problem
from ...runs.gradient_source import gradient_source
from ...runs.optimize import OptimizerRun, run_optimizer
from ..answer_parse import PRECISION
from .record import HYPERPARAMETERS, WORKING, Item, Rule, compiled_rule
from .runs import MAX_STEPS, RunItemBuilder, assignments, key

_WORDS = {
    "g": "the gradient ∂{top}/∂{p} in step {t}, at the parameters after step {t1}",
    "m": "m after step {t} for {p}: β₁m + (1 − β₁)g",
    "v": "v after step {t} for {p}: β₂v + (1 − β₂)g²",
    "m_hat": "m̂ in step {t} for {p}, the bias-corrected m: m/(1 − β₁ᵗ)",
    "v_hat": "v̂ in step {t} for {p}, the bias-corrected v: v/(1 − β₂ᵗ)",
    "velocity": "the velocity v after step {t} for {p}: μv + g",
    "direction": "Nesterov's direction in step {t} for {p}: g + μv",
    "s": "s after step {t} for {p}: ρs + (1 − ρ)g²",
    "decayed": "{p} after the weight decay of step {t}: θ − αλθ",
    "update": "the change Δθ of {p} in step {t}",
    "new": "{p} after step {t}",
}


_HYPER_SYMBOLS = {"lr": "alpha", "beta1": "beta1", "beta2": "beta2", "eps": "epsilon", "momentum": "mu", "rho": "rho",
                  "weight_decay": "lambda"}  # rules name the hyperparameters, so their text stays short at any step


def optimizer_run_items(problem: Problem, exercise: ExerciseSpec, context: int,
                        run: OptimizerRun | None = None) -> list[Item]:
    """Every value of an optimize exercise's run, step by step and parameter by parameter, with its rules.

    Right values are the run's at 50 digits (``run``, where the exercise's steps have it already); the decimals
    shown are the sheet's (``problem.digits``).

    >>> import symback
    >>> p = symback.load("problems/circuit_optimizers.toml")
    >>> [item.key for item in optimizer_run_items(p, p.exercise("2"), 0)][:3]
    ['g[1]:w', 'update[1]:w', 'w[1]']
    """
    return OptimizerItemBuilder(problem, exercise, context, run).items()


class _Symbolic:
    """An arithmetic in which the registry's step functions give their rule as a SymPy expression."""

    name = "symbolic"
    symbolic = True  # hyperparameters stay symbols (optimizers_base.constant)

    @staticmethod
    def from_sympy(value):
        return value

    @staticmethod
    def power(base, exponent):
        return base**exponent


class OptimizerItemBuilder(RunItemBuilder):
    """Items of one optimize exercise: the run at 50 digits for the right values, the registry's step function
    for the rules."""

    def __init__(self, problem: Problem, exercise: ExerciseSpec, context: int, run: OptimizerRun | None = None):
        super().__init__(problem, exercise, context)
        self.run: OptimizerRun = run if run is not None else run_optimizer(problem, exercise, digits=PRECISION)
        self.rule = self.run.rule
        self.names = self.run.parameters
        hyper = self.run.hyperparameters
        self.lr = hyper["lr"].exact
        self.options = {name: hyper[name].exact for name in self.rule.defaults}
        self.hyper = {"lr": self.lr, **self.options}
        self.named = {name: HYPERPARAMETERS[_HYPER_SYMBOLS[name]] for name in self.hyper}  # rules show symbols
        source = gradient_source(problem, exercise)
        self.start = dict(source.start)  # exact
        self.gradient_at = source.gradient_at
        self.objective = source.objective
        with decimal.localcontext(prec=WORKING):
            self.start_decimal = {name: DECIMAL.from_sympy(exact_number(value)) for name, value in self.start.items()}
        _, state, _ = self.rule.step({self.names[0]: Decimal(0)}, {self.names[0]: Decimal(0)}, self.lr, None,
                                     arithmetic=DECIMAL, **self.options)
        self.state_type = type(state)
        self._gradient_passes: dict[int, object] = {}

    # --- items

    def items(self) -> list[Item]:
        last = len(self.run.steps)
        if last > MAX_STEPS:
            return [self._final_item(last, parameter) for parameter in self.names]
        items = []
        for step in self.run.steps:
            t = step.t
            for parameter in self.names:
                for column in self.run.columns:
                    if column == "theta":
                        continue  # θ before the step: p[t-1], or the start value
                    items.append(self._item(t, parameter, column))
        return items

    def run_at_sheet_digits(self) -> OptimizerRun:
        return run_optimizer(self.problem, self.exercise)

    def _final_item(self, last: int, parameter: str) -> Item:
        value = self.run.steps[-1].rows[parameter]["new"]
        return self.final_parameter_item(last, parameter, value.decimal, value.exact, _cell(last, parameter, "new"))

    def _item(self, t: int, parameter: str, column: str) -> Item:
        name = key(t, parameter, column)
        value = self.run.steps[t - 1].rows[parameter][column]
        reference = value.decimal
        top = self.objective
        description = _WORDS[column].format(p=parameter, t=t, t1=t - 1, top=top)
        if column == "g" and t == 1:
            description = f"the gradient ∂{top}/∂{parameter} in step 1, at the start values"
        if column == "g":
            main = self._gradient_rule(t, parameter, reference)
            after = [key(t - 1, name, "new") for name in self.names]
            shown_rule = f"∂{top}/∂{parameter} at " + (
                "the start values" if t == 1 else assignments(self.names, after, f"the parameters after step {t - 1}"))
            alternatives = ()
        else:
            main = self._step_rule(t, parameter, column)
            alternatives = self._in_step_rules(t, parameter, column)
            shown_rule = ""
        kind = "gradient" if column == "g" else "parameter" if column == "new" else "optimizer"
        return self.run_item(name, kind, description, main, reference, value.exact, column == "new",
                             _cell(t, parameter, column), alternatives=alternatives, shown_rule=shown_rule)

    # --- rules

    def _step_inputs(self, t: int, parameter: str) -> list[str]:
        """What the registry's step reads for one parameter, in this order: θ after step t − 1 (t ≥ 2), g[t],
        the memories after step t − 1 (t ≥ 2)."""
        if t == 1:
            return [key(t, parameter, "g")]
        memories = [key(t - 1, parameter, m) for m in self.rule.state]
        return [key(t, parameter, "theta"), key(t, parameter, "g")] + memories

    def _step_rule(self, t: int, parameter: str, column: str) -> Rule:
        """The column from the step's inputs through the registry's step function."""
        inputs = self._step_inputs(t, parameter)
        step, lr, options, state_type = self.rule.step, self.lr, self.options, self.state_type
        memories = self.rule.state
        start = self.start_decimal[parameter]

        def compute(values: Sequence[Decimal]) -> Decimal:
            with decimal.localcontext(prec=WORKING):
                if t == 1:
                    theta, gradient, state = start, values[0], None
                else:
                    theta, gradient = values[0], values[1]
                    state = state_type(t - 1, **{m: {parameter: v} for m, v in zip(memories, values[2:])})
                _, _, (row,) = step({parameter: theta}, {parameter: gradient}, lr, state, arithmetic=DECIMAL,
                                    **options)
                return +getattr(row, column)

        return Rule(self._step_expression(t, parameter, column, inputs), tuple(inputs), compute)

    def _step_expression(self, t: int, parameter: str, column: str, inputs: list[str]) -> sympy.Expr:
        """The registry's rule for the column in the symbols of its inputs (for display)."""
        symbols = [sympy.Symbol(name) for name in inputs]
        if t == 1:
            theta, gradient, state = sympy.Symbol(parameter), symbols[0], None
        else:
            theta, gradient = symbols[0], symbols[1]
            state = self.state_type(t - 1, **{m: {parameter: s} for m, s in zip(self.rule.state, symbols[2:])})
        named = self.named
        _, _, (row,) = self.rule.step({parameter: theta}, {parameter: gradient}, named["lr"], state,
                                      arithmetic=_Symbolic(), **{name: named[name] for name in self.options})
        return getattr(row, column)

    def _in_step_rules(self, t: int, parameter: str, column: str) -> tuple[Rule, ...]:
        """The column from other columns of the same step, as the rule's equations write it."""
        k = lambda c: sympy.Symbol(key(t, parameter, c))  # noqa: E731
        o, lr = self.named, self.named["lr"]
        theta = sympy.Symbol(key(t, parameter, "theta"))
        kind = self.rule.name
        formulas = []
        if column == "m_hat":
            formulas.append(k("m") / (1 - o["beta1"] ** t))
        elif column == "v_hat":
            formulas.append(k("v") / (1 - o["beta2"] ** t))
        elif column == "direction":
            formulas.append(k("g") + o["momentum"] * k("velocity"))
        elif column == "update":
            if kind == "momentum":
                formulas.append(-lr * k("velocity"))
            elif kind == "nesterov":
                formulas.append(-lr * k("direction"))
            elif kind == "rmsprop":
                formulas.append(-lr * k("g") / (sympy.sqrt(k("s")) + o["eps"]))
            elif kind == "adam":
                formulas.append(-lr * k("m_hat") / (sympy.sqrt(k("v_hat")) + o["eps"]))
            elif kind == "adamw":
                formulas.append(-lr * o["weight_decay"] * theta
                                - lr * k("m_hat") / (sympy.sqrt(k("v_hat")) + o["eps"]))
        elif column == "new":
            formulas.append(theta + k("update"))
            if kind == "adamw":
                formulas.append(k("decayed") - lr * k("m_hat") / (sympy.sqrt(k("v_hat")) + o["eps"]))
        return tuple(self._compiled(formula, t, parameter) for formula in formulas)

    def _compiled(self, expression: sympy.Expr, t: int, parameter: str) -> Rule:
        """A rule in item symbols and the hyperparameters' symbols; θ before step 1 is the start value, put in
        exactly, and the hyperparameters' values are put in to compute."""
        if t == 1:
            expression = expression.xreplace({sympy.Symbol(key(1, parameter, "theta")): self.start[parameter]})
        numbers = {symbol: self.hyper[name] for name, symbol in self.named.items()}
        inputs = sorted(expression.free_symbols - set(numbers), key=lambda s: s.name)
        return compiled_rule(expression, inputs, numbers)

    def _gradient_rule(self, t: int, parameter: str, reference: Decimal) -> Rule:
        """g[1]: a constant (the start values are given); g[t]: the gradient at the student's own parameters
        after step t − 1."""
        symbol = sympy.Symbol(f"d{self.objective}/d{parameter}")
        if t == 1:
            return Rule(symbol, (), lambda values: reference)
        inputs = tuple(key(t - 1, q, "new") for q in self.names)
        gradients = self._gradients(t)
        run_parameters = tuple(self.run.steps[t - 2].rows[q]["new"].decimal for q in self.names)

        def compute(values: Sequence[Decimal]) -> Decimal:
            if all(_same(mine, theirs) for mine, theirs in zip(values, run_parameters)):
                return reference  # the run's own point: its gradient took the branch the exact values decided
            return gradients(tuple(values))[parameter]

        return Rule(sympy.Function(f"d{self.objective}/d{parameter}")(*map(sympy.Symbol, inputs)), inputs, compute)

    def _gradients(self, t: int):
        """One pass per set of parameter values, shared by every parameter's g[t] (cached)."""
        if t not in self._gradient_passes:
            gradient_at, names, start = self.gradient_at, self.names, self.start_decimal

            @functools.lru_cache(maxsize=64)
            def gradients(values: tuple[Decimal, ...]) -> dict[str, Decimal]:
                with decimal.localcontext(prec=WORKING):
                    parameters = dict(start)
                    parameters.update(zip(names, values))
                    _, grads = gradient_at(DECIMAL, parameters)
                    return {name: +grads[name] for name in names}

            self._gradient_passes[t] = gradients
        return self._gradient_passes[t]


def _cell(t: int, parameter: str, column: str):
    """A value of the run, looked up in the run at the sheet's digits."""
    return lambda run: run.steps[t - 1].rows[parameter][column].decimal


def _same(value: Decimal, run_value: Decimal) -> bool:
    """Whether a student's value is the run's to all but the last few of the checker's digits (1/3 written
    exactly is, 0.3333 is not): at a kink of relu or abs, decimals alone cannot tell the sides apart there."""
    with decimal.localcontext(prec=WORKING):
        return abs(value - run_value) <= abs(run_value).scaleb(5 - PRECISION) + Decimal(10) ** (-2 * PRECISION)
