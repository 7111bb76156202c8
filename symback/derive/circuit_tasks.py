"""The exercises of an expression problem, run on its circuit: task name -> builder of step records.

:func:`symback.derive.exercise.run_exercise` dispatches here for a problem with an ``[expression]``. Every exact value
and decimal comes from the circuit's passes (:class:`symback.engine.result.BackpropResult`); this module arranges
them with their formulas as written (:mod:`symback.derive.circuit_steps`).

>>> import symback
>>> p = symback.loads('title = "t"\\n[expression]\\nf = "(x + y) * z"\\nat = { x = -2, y = 5, z = -4 }\\n'
...                   '[[exercises]]\\nid = "1"\\ntask = "sgd"\\nlr = "1/2"\\nparams = ["x"]\\n')
>>> steps = symback.run_exercise(p, "1").steps
>>> [(row.name, row.quantity.exact) for row in steps[0].rows]
[('x', -2), ('y', 5), ('z', -4), ('q1', 3), ('f', -12)]
>>> [(g.node, g.quantity.exact) for g in steps[1].gradients]
[('f', 1), ('q1', -4), ('z', 3), ('y', -4), ('x', -4)]
>>> steps[2].new
Quantity(name="x'", exact=0, decimal=Decimal('0'))
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Callable

import sympy

from ..engine.backprop import backprop_exercise
from ..engine.guards import EXACT_DECIDING
from ..engine.passes import run_pass
from ..engine.result import BackpropResult, to_sympy
from ..errors import NumericError, ProblemError
from ..numbers.arithmetic import DECIMAL
from ..numbers.rounding import correctly_rounded, trimmed
from ..problem.model import ExerciseSpec, Problem
from ..problem.operations import remark
from ..runs.optimize import run_optimizer
from .circuit_steps import (
    CircuitBackwardStep,
    CircuitForwardStep,
    NodeGradient,
    NodeRow,
    WireRow,
)
from .formulas import (
    as_display,
    local_partial_display,
    name_symbol,
    operation_display,
    with_numbers,
)
from .run_steps import optimizer_run_step
from .steps import ClaimStep, Conventions, Quantity, UpdateStep

FORKS = "gradients add at forks: a value used more than once gets the sum of what its uses send back"


def target_name(taken) -> str:
    """The name a loss's target is shown by: y, unless the circuit already has a y.

    >>> target_name({"x", "y", "f"})
    't'
    """
    return next((name for name in ("y", "t", "target") if name not in taken), "y_target")


class _Context:
    """One exercise's pass with its decimals, and the names and symbols the formulas use."""

    def __init__(self, problem: Problem, exercise: ExerciseSpec, digits: int):
        self.problem, self.exercise, self.digits = problem, exercise, digits
        self.result: BackpropResult = backprop_exercise(problem, exercise)
        self.circuit = self.result.circuit
        self.top = self.result.top
        self.decimals = self.result.decimals(digits)
        self.values = self.result.values
        self.target_name = target_name({node.name for node in self.circuit.nodes})
        self.target_symbol = name_symbol(self.target_name)
        self.numbers = {name_symbol(node.name): self.values[node.name] for node in self.circuit.nodes}
        if self.circuit.loss is not None:
            self.numbers[self.target_symbol] = self.result.target

    def quantity(self, name: str) -> Quantity:
        if name == f"d{self.top}/d{self.top}":
            return Quantity(name, sympy.Integer(1), Decimal(1))
        return Quantity(name, self.values[name], self.decimals[name])

    def shown(self, expr: sympy.Expr) -> sympy.Expr:
        """A formula of the loss node with its target's Dummy replaced by the symbol the sheet shows."""
        return expr.xreplace({self.circuit.target: self.target_symbol}) if self.circuit.target is not None else expr

    def operand_symbols(self, node) -> tuple:
        return tuple(name_symbol(self.circuit.nodes[o].name) if isinstance(o, int) else o for o in node.operands)


def forward_step(context: _Context) -> CircuitForwardStep:
    """One row per node: its definition as written, the numbers put in, its value."""
    rows = []
    for node in context.circuit.nodes:
        quantity = context.quantity(node.name)
        if node.operation == "variable":
            rows.append(NodeRow(node.name, "variable", None, (), None, None, quantity))
            continue
        if node.operation == "loss":
            definition = as_display(context.shown(node.function))
        else:
            definition = operation_display(node.operation, context.operand_symbols(node))
        operands = tuple(context.circuit.operand_name(o) for o in node.operands)
        substituted = with_numbers(definition, context.numbers)
        rows.append(NodeRow(node.name, node.operation, node.stage, operands, definition, substituted, quantity))
    circuit = context.circuit
    loss = circuit.nodes[circuit.top].name if circuit.loss is not None else None
    return CircuitForwardStep(tuple(rows), circuit.nodes[circuit.output].name, loss,
                              context.result.target if loss else None, context.target_name if loss else None)


def backward_step(context: _Context, asked: tuple[str, ...]) -> CircuitBackwardStep:
    """Every wire's local and upstream gradient and their product, backwards; every node's gradient."""
    circuit, result, top = context.circuit, context.result, context.top
    rounded = result.edge_decimals(context.digits)
    order = sorted(range(len(result.edges)), key=lambda k: -circuit.index[result.edges[k].child])
    wires = []
    for k in order:
        edge, decimals = result.edges[k], rounded[k]
        node = circuit.node(edge.child)
        operands = context.operand_symbols(node)
        partial = context.shown(edge.expression)
        formula = as_display(partial) if node.operation == "loss" else local_partial_display(
            node.operation, operands, edge.position, name_symbol(node.name), partial)
        tie = node.operation in ("max", "min") and _tied(context, node, edge.position)
        if tie:
            formula = edge.local  # the tie rule's share, stated in the conventions
        wires.append(WireRow(
            edge.child, edge.parent, edge.position, formula, with_numbers(formula, context.numbers),
            Quantity(f"d{edge.child}/d{edge.parent}", edge.local, decimals.local),
            Quantity(f"d{top}/d{edge.child}", edge.upstream, decimals.upstream),
            Quantity(f"d{top}/d{edge.child}*d{edge.child}/d{edge.parent}", edge.contribution, decimals.contribution),
            tie,
        ))
    gradients = []
    for index in range(circuit.top, -1, -1):
        name = circuit.nodes[index].name
        uses = tuple(k for k, wire in enumerate(wires) if wire.parent == name)
        gradients.append(NodeGradient(name, context.quantity(f"d{top}/d{name}"), uses))
    return CircuitBackwardStep(top, tuple(wires), tuple(gradients), asked)


def _tied(context: _Context, node, position: int) -> bool:
    """Whether the operand at ``position`` of a max or min node equals another of its operands."""
    values = [context.values[context.circuit.nodes[o].name] if isinstance(o, int) else o for o in node.operands]
    mine = values[position]
    return any(k != position and (value == mine or sympy.simplify(value - mine) == 0) for k, value in enumerate(values))


def update_steps(context: _Context, parameters: tuple[str, ...], rate: sympy.Expr) -> list[UpdateStep]:
    """θ' = θ − α · ∂top/∂θ for every parameter, exactly, with correctly rounded decimals."""
    result, circuit = context.result, context.circuit
    exact_pass = result.exact_pass
    arithmetic = exact_pass.arithmetic
    indices = {name: circuit.index[name] for name in parameters}
    step = arithmetic.from_sympy(-rate)
    exact = {name: arithmetic.add([exact_pass.values[i], arithmetic.mul([step, exact_pass.gradients[i]])])
             for name, i in indices.items()}

    def evaluate() -> dict[str, Decimal]:
        try:
            the_pass = run_pass(circuit, DECIMAL, result.point, result.targets, follow=exact_pass)
        except decimal.DecimalException as err:
            raise NumericError("a decimal value overflows or is undefined (a number far too large for an "
                               "exponential?)") from err
        rate_decimal = DECIMAL.from_sympy(-rate)
        return {name: the_pass.values[i] + rate_decimal * the_pass.gradients[i] for name, i in indices.items()}

    rounded = correctly_rounded(evaluate, context.digits, [name for name, value in exact.items() if _is_zero(value)])
    return [UpdateStep(name, result.point[name], rate, context.quantity(f"d{context.top}/d{name}"),
                       Quantity(f"{name}'", to_sympy(exact[name]), trimmed(rounded[name], exact[name])))
            for name in parameters]


def _is_zero(value) -> bool:
    try:
        return EXACT_DECIDING.sign(value) == 0
    except Exception:  # an undecidable sign: the decimal passes settle it
        return False


def _claims(context: _Context) -> list[ClaimStep]:
    steps = []
    for name, claimed in context.exercise.show.items():
        if name not in context.values:
            known = ", ".join(node.name for node in context.circuit.nodes)
            raise ProblemError(f"exercises[id={context.exercise.id}].show", f"no quantity named {name!r} "
                               f"(the circuit's nodes: {known})", source=context.problem.source)
        actual = context.quantity(name)
        steps.append(ClaimStep(name, claimed, actual, sympy.simplify(actual.exact - claimed) == 0))
    return steps


def _asked(context: _Context) -> tuple[str, ...]:
    return tuple(context.exercise.params) if context.exercise.params is not None else context.problem.expression.variables


def _updated(context: _Context) -> tuple[str, ...]:
    if context.exercise.params is not None:
        return tuple(context.exercise.params)
    spec = context.problem.expression
    return tuple(spec.params) if spec.params is not None else spec.variables


def forward_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """The forward table (with L where the exercise gives a target)."""
    context = _Context(problem, exercise, digits)
    return [forward_step(context)] + _claims(context), context.result


def gradient_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """The forward table, then the backward one."""
    context = _Context(problem, exercise, digits)
    steps = [forward_step(context), backward_step(context, _asked(context))]
    return steps + _claims(context), context.result


def sgd_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """Forward, backward, and one step of gradient descent on the parameters."""
    context = _Context(problem, exercise, digits)
    parameters = _updated(context)
    steps = [forward_step(context), backward_step(context, parameters)]
    steps += update_steps(context, parameters, exercise.lr)
    return steps + _claims(context), context.result


def optimize_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """Forward and backward at the start values (step 1's gradient, node by node), then every step of the
    exercise's optimizer."""
    context = _Context(problem, exercise, digits)
    steps = [forward_step(context), backward_step(context, _updated(context))]
    run = run_optimizer(problem, exercise, digits)
    given = exercise.optimizer.options if exercise.optimizer is not None else {}
    return steps + [optimizer_run_step(run, tuple(given))] + _claims(context), context.result


def circuit_conventions(problem: Problem, result: BackpropResult | None) -> Conventions:
    """The conventions box of an expression problem: the loss's remark, each operation's remark (ties, kinks,
    radians), and that gradients add at forks.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "relu(x) * x"\\nat = { x = 1 }\\n')
    >>> circuit_conventions(p, symback.backprop(p)).activations
    ("ReLU(a) = max(0, a); ReLU'(0) is taken to be 0", 'gradients add at forks: a value used more than once gets the sum of what its uses send back')
    """
    if result is None:
        return Conventions("", (FORKS,))
    circuit = result.circuit
    return Conventions(circuit.loss.remark if circuit.loss is not None else "", operation_remarks(circuit))


def operation_remarks(circuit) -> tuple[str, ...]:
    """Each operation's remark, once, in the order the operations first occur, then that gradients add at forks."""
    operations = dict.fromkeys(node.operation for node in circuit.nodes if node.operation not in ("variable", "loss"))
    remarks = [remark(operation, circuit.ties) for operation in operations]
    return tuple(r for r in dict.fromkeys(remarks) if r) + (FORKS,)


CIRCUIT_TASKS: dict[str, Callable] = {
    "forward": forward_task,
    "loss": forward_task,
    "gradient": gradient_task,
    "sgd": sgd_task,
    "optimize": optimize_task,
}
