"""The items of a training run (``task = "train"`` on a network): the loss, the gradient and the parameters of every
step, and the loss over the whole dataset at the end, each with its rule.

Steps k = 1, 2, … are counted across epochs (as :attr:`~symback.runs.training.TrainingStep.step`); for each, in order:

=============  =============================================================================================
``L[k]``       the batch loss before step k: the mean loss over step k's samples at the parameters after step
               k − 1 (the start values for k = 1)
``g[k]:p``     the mean gradient ∂L/∂p over the same batch, at the same parameters, for each trainable p
``p[k]``       trainable parameter p after step k (``w11[3]``), by the optimizer's step from p[k − 1] and g[k]:p
``L[final]``   the mean loss over all samples after the last step
=============  =============================================================================================

What the exercise asks for is the parameters after the last step and ``L[final]``; the rest is working.

Rules read the student's own values, so that a slip is carried forward: L[k] and g[k]:p are one network pass per
sample of the batch (:func:`~symback.engine.gradients.objective_and_gradients`, cached per set of parameter values) at
the student's own trainable parameters after step k − 1 (the parameters that are not trained keep their start
values); L[1] and g[1]:p are at the start values, constants. p[k] is the registry's step function
(:mod:`symback.runs.optimizers`) in decimal arithmetic on the student's own p[k − 1] and g[k]:p; an optimizer with
memories (momentum's velocity, RMSprop's s, Adam's m and v, which depend on the gradients only) rebuilds them
from the student's own g[1]:p … g[k − 1]:p, so those are inputs of p[k] too and a slip in a gradient is followed
through the memories into every later step. The memories are not items of their own (a training table shows the
loss and the parameters; an ``optimize`` exercise checks the memories column by column).

A run of more than :data:`MAX_STEPS` steps is checked by its final quantities only: the parameters after the
last step (right or wrong, without a rule) and ``L[final]`` from them.

Right values are the run's at 50 digits (:func:`~symback.runs.training.train`); the decimals shown are the sheet's
(``problem.digits``), correctly rounded.

>>> import symback
>>> p = symback.load("problems/xor_training.toml")
>>> [item.key for item in training_run_items(p, p.exercise("1"), 0)][:11]
['L[1]', 'g[1]:a11', 'g[1]:a12', 'g[1]:a21', 'g[1]:a22', 'g[1]:c1', 'g[1]:c2', 'g[1]:b11', 'g[1]:b12', 'g[1]:d1', 'a11[1]']
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from typing import Callable, Sequence

import sympy

from ...engine.gradients import objective_and_gradients
from ...numbers.arithmetic import DECIMAL
from ...numbers.parse import (
    exact_number,  # parameters are exact already; ints become Integers
)
from ...problem.model import ExerciseSpec, Problem
from ...runs.optimizers import SgdState, optimizer
from ...runs.training import TrainingRun, train
from ...runs.training_plan import plan_run
from ..answer_parse import PRECISION
from .record import RATE, WORKING, Item, Rule
from .runs import MAX_STEPS, RunItemBuilder, assignments, key

FINAL = "L[final]"


def training_run_items(problem: Problem, exercise: ExerciseSpec, context: int) -> list[Item]:
    """Every checked value of a train exercise's run, step by step, with its rules (see the module's docstring).

    >>> import symback
    >>> p = symback.load("problems/xor_training.toml")
    >>> training_run_items(p, p.exercise("1"), 0)[-1].key
    'L[final]'
    """
    return TrainingItemBuilder(problem, exercise, context).items()


def loss_key(step: int | str) -> str:
    """``L[3]``, ``L[final]``."""
    return f"L[{step}]"


class TrainingItemBuilder(RunItemBuilder):
    """Items of one train exercise: the run at 50 digits for the right values, network passes and the registry's
    step function for the rules."""

    def __init__(self, problem: Problem, exercise: ExerciseSpec, context: int):
        super().__init__(problem, exercise, context)
        self.plan = plan_run(problem, exercise, "none")
        self.run: TrainingRun = train(problem, exercise, digits=PRECISION, dataset_loss="epoch")
        self.names = self.run.trainable
        self.rule = optimizer(self.plan.optimizer.kind)
        self.lr = self.plan.optimizer.lr
        self.options = dict(self.plan.hyperparameters)
        with decimal.localcontext(prec=WORKING):
            self.start = {name: DECIMAL.from_sympy(exact_number(value)) for name, value in self.plan.start.items()}

    # --- items

    def items(self) -> list[Item]:
        steps = self.run.steps
        last = len(steps)
        items = []
        if last <= MAX_STEPS:
            for step in steps:
                k = step.step
                items.append(self._loss_item(k, step.samples, step.batch_loss))
                items.extend(self._gradient_item(k, step.samples, name, step.gradient[name]) for name in self.names)
                items.extend(self._parameter_item(k, name, step.parameters[name], k == last) for name in self.names)
        else:
            items.extend(self.final_parameter_item(last, name, steps[-1].parameters[name], None,
                                                   lambda run, name=name: run.steps[-1].parameters[name])
                         for name in self.names)
        if self.run.final_loss is not None:
            items.append(self._final_loss_item(last))
        return items

    def run_at_sheet_digits(self) -> TrainingRun:
        return train(self.problem, self.exercise, dataset_loss="epoch")

    def _item(self, name: str, kind: str, description: str, rule: Rule | None, reference: Decimal, asked: bool,
              shown_rule: str, at_sheet_digits: Callable[[TrainingRun], Decimal]) -> Item:
        """An item of the run; a training run's values are decimals only."""
        return self.run_item(name, kind, description, rule, reference, None, asked, at_sheet_digits,
                             shown_rule=shown_rule)

    def _before(self, k: int) -> tuple[str, ...]:
        """The keys of the trainable parameters before step k (none for k = 1: the start values are given)."""
        return () if k == 1 else tuple(key(k - 1, name, "new") for name in self.names)

    def _at(self, k: int) -> str:
        return "the start values" if k == 1 else "the parameters after step " + str(k - 1)

    def _loss_item(self, k: int, samples: tuple[int, ...], reference: Decimal) -> Item:
        name = loss_key(k)
        which = _samples(samples)
        description = (f"the batch loss before step {k}: the mean loss over {which} at {self._at(k)}" if k == 1
                       else f"the batch loss before step {k}: the mean loss over {which}")  # a line per step: short
        inputs = self._before(k)
        positions = tuple(i - 1 for i in samples)
        if k == 1:
            rule = Rule(sympy.Symbol("L"), (), lambda values: reference)
            shown_rule = f"mean loss over {which} at the start values"
        else:
            rule = self._pass_rule("L", inputs, positions, None)
            shown_rule = f"mean loss over {which} at " + assignments(self.names, inputs)
        return self._item(name, "loss", description, rule, reference, False, shown_rule,
                          lambda run: run.steps[k - 1].batch_loss)

    def _gradient_item(self, k: int, samples: tuple[int, ...], parameter: str, reference: Decimal) -> Item:
        name = key(k, parameter, "g")
        which = _samples(samples)
        description = (f"the mean gradient ∂L/∂{parameter} over {which} in step {k}, at {self._at(k)}" if k == 1
                       else f"the mean gradient ∂L/∂{parameter} over {which} in step {k}")
        inputs = self._before(k)
        positions = tuple(i - 1 for i in samples)
        if k == 1:
            rule = Rule(sympy.Symbol(f"dL/d{parameter}"), (), lambda values: reference)
            shown_rule = f"mean ∂L/∂{parameter} over {which} at the start values"
        else:
            rule = self._pass_rule(f"dL/d{parameter}", inputs, positions, parameter)
            shown_rule = f"mean ∂L/∂{parameter} over {which} at " + assignments(self.names, inputs)
        return self._item(name, "gradient", description, rule, reference, False, shown_rule,
                          lambda run: run.steps[k - 1].gradient[parameter])

    def _parameter_item(self, k: int, parameter: str, reference: Decimal, asked: bool) -> Item:
        name = key(k, parameter, "new")
        theta = key(k, parameter, "theta")  # p[k-1], or p itself (its start value) for k = 1
        gradient = key(k, parameter, "g")
        memories = bool(self.rule.state)
        earlier = tuple(key(t, parameter, "g") for t in range(1, k)) if memories else ()
        inputs = ((gradient,) if k == 1 else (theta, gradient)) + earlier
        step, lr, options, state_after = self.rule.step, self.lr, self.options, self._state_after
        start = self.start[parameter]

        def compute(values: Sequence[Decimal]) -> Decimal:
            with decimal.localcontext(prec=WORKING):
                theta_value, g = (start, values[0]) if k == 1 else (values[0], values[1])
                state = state_after(parameter, tuple(values[2:])) if memories else (SgdState(k - 1) if k > 1 else None)
                new, _, _ = step({parameter: theta_value}, {parameter: g}, lr, state, arithmetic=DECIMAL, **options)
                return +new[parameter]

        if self.rule.name == "sgd":
            shown_rule = f"{theta} - α·{gradient}"
            expression = sympy.Symbol(theta) - RATE * sympy.Symbol(gradient)
        else:
            shown_rule = (f"{self.rule.name} step from {theta}, {gradient}"
                          + (f" and the memories of g[1]:{parameter}" if k == 2 else "")
                          + (f" and the memories of g[1]:{parameter} … g[{k - 1}]:{parameter}" if k > 2 else ""))
            expression = sympy.Function(self.rule.name)(*map(sympy.Symbol, (theta, gradient)))
        description = f"{parameter} after step {k}" + (f" ({self.rule.rule})" if k == 1 else "")
        rule = Rule(expression, inputs, compute)
        return self._item(name, "parameter", description, rule, reference, asked, shown_rule,
                          lambda run: run.steps[k - 1].parameters[parameter])

    def _final_loss_item(self, last: int) -> Item:
        inputs = self._before(last + 1)
        everyone = tuple(range(len(self.plan.xs)))
        rule = self._pass_rule("L", inputs, everyone, None)
        description = f"the loss over all {len(everyone)} samples after the last step ({last}): their mean loss"
        shown_rule = "mean loss over all samples at " + assignments(self.names, inputs)
        return self._item(FINAL, "loss", description, rule, self.run.final_loss, True, shown_rule,
                          lambda run: run.final_loss)

    # --- rules

    def _pass_rule(self, symbol: str, inputs: tuple[str, ...], positions: tuple[int, ...],
                   parameter: str | None) -> Rule:
        """The batch's mean loss (``parameter`` None) or mean gradient at the student's own parameters."""
        mean = self._mean

        def compute(values: Sequence[Decimal]) -> Decimal:
            loss, gradients = mean(positions, tuple(values))
            return loss if parameter is None else gradients[parameter]

        return Rule(sympy.Function(symbol)(*map(sympy.Symbol, inputs)), inputs, compute)

    @functools.lru_cache(maxsize=4096)
    def _mean(self, positions: tuple[int, ...], values: tuple[Decimal, ...]) -> tuple[Decimal, dict[str, Decimal]]:
        with decimal.localcontext(prec=WORKING):
            passes = [self._pass(i, values) for i in positions]
            count = Decimal(len(passes))
            loss = sum((p[0] for p in passes), Decimal(0)) / count
            gradients = {name: sum((p[1][name] for p in passes), Decimal(0)) / count for name in self.names}
            return loss, gradients

    @functools.lru_cache(maxsize=8192)
    def _pass(self, position: int, values: tuple[Decimal, ...]) -> tuple[Decimal, dict[str, Decimal]]:
        """One sample's loss and gradients at these trainable values (the others at their start values)."""
        with decimal.localcontext(prec=WORKING):
            parameters = dict(self.start)
            parameters.update(zip(self.names, values))
            loss, grads = self._loss_and_gradients(position, parameters)
            return +loss, {name: +grads[name] for name in self.names}

    def _loss_and_gradients(self, position: int, parameters: dict):
        graph = self.plan.graph
        point = {graph.nodes[i].name: value for i, value in zip(graph.inputs, self.plan.xs[position])}
        return objective_and_gradients(graph, DECIMAL, point, self.plan.ys[position], parameters)[:2]

    # --- memories

    @functools.lru_cache(maxsize=4096)
    def _state_after(self, parameter: str, gradients: tuple[Decimal, ...]):
        """The optimizer's state for one parameter after the steps with these gradients (None before the first):
        its memories (velocity, s, m, v) depend on the gradients only, so θ is a stand-in."""
        if not gradients:
            return None
        before = self._state_after(parameter, gradients[:-1])
        with decimal.localcontext(prec=WORKING):
            _, state, _ = self.rule.step({parameter: Decimal(0)}, {parameter: gradients[-1]}, self.lr, before,
                                         arithmetic=DECIMAL, **self.options)
        return state


def _samples(samples: tuple[int, ...]) -> str:
    """``sample 3``, ``samples 1, 2``."""
    return ("sample " if len(samples) == 1 else "samples ") + ", ".join(map(str, samples))
