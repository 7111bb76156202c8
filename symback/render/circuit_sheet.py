"""The solution sheet of an expression problem, as data for ``templates/{md,tex}/circuit_sheet.*.j2``.

Everything is picked from the problem and the circuit's step records (:mod:`symback.derive.steps`); nothing is
computed here but layout: which values are short enough to show exactly, where each node of the diagram sits,
and which exercise already showed a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..derive.steps import BackwardTableStep, ForwardTableStep
from ..derive.exercise import FORKS, node_remarks
from ..derive.node_formulas import target_name
from ..derive.exercise import ExerciseResult, run_exercise
from ..derive.formulas import (
    DecimalLeaf,
    as_display,
    name_symbol,
    operation_display,
    with_numbers,
)
from ..derive.steps import Quantity
from ..engine.circuit import build_circuit
from ..numbers.tidy import at_most
from ..numbers.tree import Apply as TreeApply
from ..numbers.tree import Constant, Name, parse_tree
from ..problem.losses import make_loss
from ..problem.model import Problem
from .circuit_diagram import CircuitDiagram, structure_diagram, value_diagram
from .notation import Notation

SHORT_EXACT = 60  # an exact form is shown up to this many characters of LaTeX, as on feedback sheets
MAX_FORMULA = 300  # the whole function in one formula, when its LaTeX is no longer than this
OPERATION_WORDS = {"id": "copy", "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide",
                   "neg": "negate", "pow": "power", "variable": "variable"}


@dataclass(frozen=True)
class Shown:
    """A value as the sheet shows it: the exact form where it is short (``exact``), the decimal always;
    ``equal`` where the decimal is the exact value itself (``=``, not ``≈``)."""

    quantity: Quantity
    exact: bool
    equal: bool

    @property
    def negative(self) -> bool:
        return self.quantity.decimal < 0


@dataclass(frozen=True)
class ForwardRow:
    name: str
    operation: str  # a word: add, multiply, sigmoid, ...
    definition: sympy.Expr | None
    substituted: sympy.Expr | None  # None where even the decimals would be too long
    approximate: bool  # substituted holds rounded decimals
    value: Shown


@dataclass(frozen=True)
class WireView:
    child: str
    parent: str
    formula: sympy.Expr
    substituted: sympy.Expr | None
    approximate: bool
    local: Shown
    upstream: Shown
    product: Shown
    tie: bool


@dataclass(frozen=True)
class GradientView:
    node: str
    name: str  # d{top}/d{node}
    value: Shown
    uses: tuple[str, ...]  # the nodes that use this one, one per wire
    terms: tuple[Shown, ...]  # what each use sends back; their sum is the gradient


@dataclass(frozen=True)
class CircuitExerciseView:
    id: str
    text: str | None
    task: str
    result: ExerciseResult
    point: tuple[tuple[str, sympy.Expr], ...]  # the variables' values where the exercise sets them anew
    target: sympy.Expr | None
    target_name: str | None
    output: str
    loss: str | None
    forward: tuple[ForwardRow, ...]
    forward_as_in: str | None  # an earlier exercise with the same forward pass: shown there, not again
    forward_exact: tuple[tuple[str, Shown], ...]  # values short enough to show exactly, but not in a table cell
    shown_values: tuple[tuple[str, Shown], ...]  # f (and L) when the forward pass is that of another exercise
    top: str | None
    wires: tuple[WireView, ...]
    gradients: tuple[GradientView, ...]
    backward_as_in: str | None
    backward_exact: tuple[tuple[str, Shown], ...]
    answers: tuple[tuple[str, Shown], ...]  # the asked gradients
    forks: tuple[GradientView, ...]
    updates: tuple  # UpdateStep records
    update_values: tuple[tuple[Shown, Shown], ...]  # (gradient, new value) per update
    claims: tuple
    diagram: CircuitDiagram | None
    runs: tuple = ()  # optimizer_run records: an optimizer over several steps


@dataclass(frozen=True)
class CircuitSheet:
    title: str
    notes: str | None
    source_name: str
    notation: Notation
    stages: tuple[tuple[str, sympy.Expr], ...]  # name = definition as written
    function: sympy.Expr | None  # the whole function in the variables (several stages only)
    output: str
    variables: tuple[tuple[str, sympy.Expr], ...]
    loss: tuple[str, str, sympy.Expr, str] | None  # the loss's kind, its target's name, L in f and the target, and
    # the loss node's name
    params: tuple[str, ...]
    conventions: tuple[str, ...]
    diagram: CircuitDiagram
    exercises: tuple[CircuitExerciseView, ...]
    digits: int
    template: str = "circuit_sheet"


def short(expr, notation: Notation) -> bool:
    """Whether an exact form is short enough to show: at most SHORT_EXACT characters of LaTeX, not counting
    spaces and ``\\left``/``\\right`` (the rule of symback.checker.feedback.right_value).

    >>> short(sympy.E / (1 + sympy.E), Notation()), short(sum(sympy.exp(sympy.Rational(1, k)) for k in range(2, 12)), Notation())
    (True, False)
    """
    if not at_most(expr, 4 * SHORT_EXACT):  # far too many nodes to print in SHORT_EXACT characters: don't print
        return False
    return len(_plain(notation.latex(expr))) <= SHORT_EXACT


def compact(expr, notation: Notation) -> bool:
    """Whether an exact form fits a table cell: short, and no fraction inside a fraction (inline, that prints
    too small to read).

    >>> compact(sympy.E / (1 + sympy.E), Notation()), compact(1 / (1 + 1 / (1 + sympy.E)), Notation())
    (True, False)
    """
    return short(expr, notation) and not _nested_fraction(notation.latex(expr))


def _nested_fraction(latex: str) -> bool:
    depth, inside = 0, []  # brace depth, and the depths at which the arguments of open fractions close
    for match in re.finditer(r"\\frac|\\\\.|[{}]", latex):
        token = match.group()
        if token == "\\frac":
            if inside:
                return True
            inside.append(depth)
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if inside and depth == inside[-1] and latex[match.end():match.end() + 1] != "{":
                inside.pop()  # the fraction's second argument has closed
    return False


def shown(quantity: Quantity, notation: Notation, table: bool = True) -> Shown:
    """How a value is shown: exact if compact enough for a table cell (``table``) or short enough for a
    display, the decimal always."""
    exact = quantity.exact
    equal = bool(exact.is_Rational and quantity.decimal.is_finite()
                 and Fraction(int(exact.p), int(exact.q)) == Fraction(quantity.decimal))
    return Shown(quantity, (compact if table else short)(exact, notation), equal)


def build_circuit_sheet(problem: Problem, digits: int | None = None) -> CircuitSheet:
    """The sheet of an expression problem: the stages, the point, the circuit, every exercise run.

    >>> import symback
    >>> sheet = build_circuit_sheet(symback.load("problems/circuit_cs231n.toml"))
    >>> [name for name, _ in sheet.stages], [e.forward_as_in for e in sheet.exercises]
    (['num', 'den', 'f'], [None, '1', '1'])
    """
    digits = problem.digits if digits is None else digits
    spec = problem.expression
    notation = Notation()
    stages = _stages(problem)
    output = stages[-1][0]
    function = _whole_function(stages, notation) if len(stages) > 1 else None
    circuit = build_circuit(spec)
    exercises = _exercise_views(problem, digits, notation)
    conventions = list(node_remarks(circuit)) + [FORKS]
    conventions += [c for e in exercises for c in (e.result.conventions.loss, *e.result.conventions.activations)]
    if any(e.updates for e in exercises):
        conventions.append(exercises[0].result.conventions.updates)
    loss = None
    if problem.loss is not None:
        target = target_name({node.name for node in circuit.nodes})
        made = make_loss(problem.loss.kind, 1)
        expression = made.expression.xreplace({made.outputs[0]: name_symbol(output), made.targets[0]: name_symbol(target)})
        with_loss = build_circuit(spec, problem.loss.kind)
        named = with_loss.nodes[with_loss.top].name  # L, unless a stage is called L
        loss = (made.name.replace("_", " "), target, as_display(expression), named)
        conventions.insert(0, made.remark)
    return CircuitSheet(
        title=problem.title,
        notes=problem.notes,
        source_name=problem.source_name,
        notation=notation,
        stages=stages,
        function=function,
        output=output,
        variables=tuple(spec.at.items()),
        loss=loss,
        params=tuple(spec.params) if spec.params is not None else spec.variables,
        conventions=tuple(c for c in dict.fromkeys(conventions) if c),
        diagram=structure_diagram(circuit, notation),
        exercises=exercises,
        digits=digits,
    )


def _whole_function(stages, notation: Notation) -> sympy.Expr | None:
    """f in the variables, the stages put in, when it prints in at most MAX_FORMULA characters (given up as soon
    as it grows past that many nodes: stages that use the one before twice double it a stage)."""
    whole = stages[-1][1]
    for name, definition in reversed(stages[:-1]):
        whole = whole.xreplace({name_symbol(name): definition})
        if not at_most(whole, MAX_FORMULA):
            return None
    return whole if len(notation.latex(whole)) <= MAX_FORMULA else None


def _stages(problem: Problem) -> tuple[tuple[str, sympy.Expr], ...]:
    """Each stage's definition as written, read by the safe parser into display operations."""
    names = list(problem.expression.variables)
    stages = []
    for name, text in problem.expression.stages:
        stages.append((name, _display(parse_tree(text, names))))
        names.append(name)
    return tuple(stages)


def _display(tree) -> sympy.Expr:
    if isinstance(tree, Constant):
        return tree.value
    if isinstance(tree, Name):
        return name_symbol(tree.name)
    assert isinstance(tree, TreeApply)
    return operation_display(tree.operation, tuple(_display(operand) for operand in tree.operands))


def _exercise_views(problem: Problem, digits: int, notation: Notation) -> tuple[CircuitExerciseView, ...]:
    views, forward_seen, backward_seen = [], {}, {}
    for exercise in problem.exercises:
        result = run_exercise(problem, exercise.id, digits)
        key = (tuple(sorted((k, str(v)) for k, v in exercise.values.items())), exercise.y,
               exercise.loss.kind if exercise.loss and exercise.y else None)
        view = exercise_view(result, notation, forward_seen.get(key), backward_seen.get(key))
        views.append(view)
        if view.forward:
            forward_seen.setdefault(key, exercise.id)
        if view.wires:
            backward_seen.setdefault(key, exercise.id)
    return tuple(views)


def exercise_view(result: ExerciseResult, notation: Notation, forward_as_in: str | None = None,
                  backward_as_in: str | None = None) -> CircuitExerciseView:
    """One exercise's steps as the sheet shows them (passes shown in an earlier exercise are referred to)."""
    exercise = result.exercise
    forward = next(step for step in result.steps if step.kind == "forward_table")
    backward = next((step for step in result.steps if step.kind == "backward_table"), None)
    at = result.problem.expression.at
    point = tuple((name, value) for name, value in exercise.values.items() if value != at.get(name))
    top_names = [forward.output] + ([forward.loss] if forward.loss else [])
    shown_values = tuple((name, shown(forward.row(name).quantity, notation, False)) for name in top_names)
    wires, gradients, answers, forks, diagram = (), (), (), (), None
    if backward is not None:
        answers = tuple((q.name, shown(q, notation, False)) for q in backward.answers)
        if backward_as_in is None:
            wires, gradients = _backward_views(backward, forward, notation)
            forks = tuple(g for g in gradients if len(g.uses) > 1)
            diagram = value_diagram(result.result.circuit, forward, backward, notation)
    updates = tuple(step for step in result.steps if step.kind == "update")
    rows = () if forward_as_in else tuple(_forward_row(row, forward, notation) for row in forward.rows)
    return CircuitExerciseView(
        id=exercise.id,
        text=exercise.text,
        task=exercise.task,
        result=result,
        point=point,
        target=forward.target,
        target_name=forward.target_name,
        output=forward.output,
        loss=forward.loss,
        forward=rows,
        forward_as_in=forward_as_in,
        forward_exact=_only_in_display([(row.name, row.value) for row in rows], notation),
        shown_values=shown_values,
        top=backward.top if backward else None,
        wires=wires,
        gradients=gradients,
        backward_as_in=backward_as_in if backward is not None else None,
        backward_exact=_only_in_display([(g.name, g.value) for g in gradients], notation),
        answers=answers,
        forks=forks,
        updates=updates,
        update_values=tuple((shown(u.gradient, notation, False), shown(u.new, notation, False)) for u in updates),
        claims=tuple(step for step in result.steps if step.kind == "claim"),
        diagram=diagram,
        runs=tuple(step for step in result.steps if step.kind == "optimizer_run"),
    )


def _only_in_display(values, notation: Notation) -> tuple[tuple[str, Shown], ...]:
    """The values a table shows as decimals whose exact form is still short enough for a displayed formula."""
    return tuple((name, shown(value.quantity, notation, False)) for name, value in values
                 if not value.exact and short(value.quantity.exact, notation))


def _decimal_numbers(step: ForwardTableStep) -> dict:
    numbers = {name_symbol(row.name): DecimalLeaf(row.quantity.decimal) for row in step.rows}
    if step.target is not None:
        numbers[name_symbol(step.target_name)] = step.target
    return numbers


def _substitution(expr, exact_form, value, numbers: dict, notation: Notation):
    """The formula with numbers: exact where that is short, else with the decimals (approximate), else none;
    none where it would print as the formula or as the value itself (x = x, 3 = 3)."""
    if compact(exact_form, notation):
        substituted, approximate = exact_form, False
    else:
        substituted, approximate = with_numbers(expr, numbers), True
        if not compact(substituted, notation):
            return None, False
    printed = _plain(notation.latex(substituted))
    if printed in (_plain(notation.latex(expr)), _plain(notation.latex(value))):
        return None, False
    return substituted, approximate


def _plain(latex: str) -> str:
    return re.sub(r"\\(?:left|right)\b|\s", "", latex)


def _forward_row(row, step: ForwardTableStep, notation: Notation) -> ForwardRow:
    operation = OPERATION_WORDS.get(row.operation, row.operation)
    if row.operation == "loss":
        operation = "loss"
    substituted, approximate = None, False
    if row.definition is not None:
        substituted, approximate = _substitution(row.definition, row.substituted, row.quantity.exact,
                                                 _decimal_numbers(step), notation)
    return ForwardRow(row.name, operation, row.definition, substituted, approximate, shown(row.quantity, notation))


def _backward_views(step: BackwardTableStep, forward: ForwardTableStep, notation: Notation):
    numbers = _decimal_numbers(forward)
    wires = []
    for wire in step.wires:
        substituted, approximate = _substitution(wire.formula, wire.substituted, wire.local.exact, numbers, notation)
        wires.append(WireView(wire.child, wire.parent, wire.formula, substituted, approximate,
                              shown(wire.local, notation), shown(wire.upstream, notation), shown(wire.product, notation),
                              wire.tie))
    gradients = []
    for gradient in step.gradients:
        uses = tuple(step.wires[k].child for k in gradient.wires)
        terms = tuple(wires[k].product for k in gradient.wires)
        gradients.append(GradientView(gradient.node, gradient.quantity.name, shown(gradient.quantity, notation),
                                      uses, terms))
    return tuple(wires), tuple(gradients)
