"""The items of a pass: one builder for the steps of any exercise with a pass, a network's or an expression's,
presented as chain-rule paths or as a table of nodes and wires; a handler per kind of step.

* ``forward`` (paths) and ``forward_table``: an item per node computed (``z1_2``, ``h1_2``, ``yhat``; ``q1``,
  ``num``, ``f``) with its definition in its operands as the rule, and the loss ``L`` where there is a target.
  The leaves (a network's x and parameters, an expression's variables) are given, not asked.
* ``gradient`` (paths): each chain-rule factor ``dyhat/dh1_2`` (a local gradient) and the gradient
  ``dL/da22`` as the sum over paths of the products of the factors along them.
* ``backward_table``: each node's gradient ``dL/dz1_2`` (``df/dq3`` without a loss), the sum over the node's
  uses of the child's gradient times the wire's local gradient, and each wire's local gradient ``dq4/dq3``
  (∂child/∂operand, the partials of a child that uses one operand twice summed). The gradient of the top node
  by itself is 1 and not asked; a wire into the top node needs no item of its own, since its local gradient is
  the operand's gradient (``df/dnum = 1/den``).
* ``update``: each updated parameter ``a22'`` = a22 − α·dL/da22.

Rules read the student's own values, so that a slip is carried forward: a node's definition reads its operand
nodes (the leaves are put in exactly), a local gradient the forward values its partial needs
(:mod:`~symback.checker.items.local_rules`), a gradient the factors or the children's gradients and the wires'
local gradients. A table writes a single target's value into the loss's rules (its row says the target); chain-
rule paths keep y as a given constant (2(ŷ − y)).

>>> import symback
>>> from symback.derive.exercise import run_exercise
>>> p = symback.loads('title = "t"\\n[expression]\\nf = "(x + y) * z"\\nat = { x = -2, y = 5, z = -4 }\\n'
...                   '[[exercises]]\\nid = "1"\\ntask = "gradient"\\n')
>>> [(item.key, item.rule_text, item.asked) for item in step_items(run_exercise(p, "1", digits=50), 0, 4)]
... # doctest: +NORMALIZE_WHITESPACE
[('q1', 'q1 = x + y', False), ('f', 'f = q1*z', False), ('df/dq1', 'df/dq1 = z', False),
 ('dq1/dx', 'dq1/dx = 1', False), ('dq1/dy', 'dq1/dy = 1', False), ('df/dz', 'df/dz = q1', True),
 ('df/dy', 'df/dy = df/dq1 · dq1/dy', True), ('df/dx', 'df/dx = df/dq1 · dq1/dx', True)]
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Callable

import sympy

from ...derive.exercise import ExerciseResult
from ...derive.node_formulas import (
    definition,
    partial,
    shown_definition,
    target_symbols,
)
from ...derive.node_table import tied
from ...derive.steps import (
    BackwardTableStep,
    ForwardStep,
    ForwardTableStep,
    GradientStep,
    LossStep,
    Quantity,
    UpdateStep,
    WireRow,
)
from ...engine.result import to_sympy
from ...numbers.rounding import round_significant
from ...numbers.text import format_exact
from ..answer_parse import PRECISION
from .local_rules import local_rules
from .record import RATE, Item, Rule, compiled_rule, number_text, shown_decimal
from .words import loss_description, node_description


def step_items(precise: ExerciseResult, context: int, digits: int) -> list[Item]:
    """The items of an exercise's steps computed at 50 digits (its pass's; none without a pass), with decimals
    shown at ``digits``; an item that two steps show is the first's.

    >>> import symback
    >>> from symback.derive.exercise import run_exercise
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [item.key for item in step_items(run_exercise(p, "5", digits=50), 0, 4)][-2:]
    ["b12'", "a22'"]
    """
    if precise.result is None:
        return []
    return StepItemBuilder(precise, context, digits).items()


class StepItemBuilder:
    """Items from one exercise's steps (computed at 50 digits): each step kind's handler (:data:`STEP_ITEMS`)
    makes them; the builder compiles their rules over what a student answers and puts the rest in exactly."""

    def __init__(self, precise: ExerciseResult, context: int, digits: int):
        self.steps, self.exercise = precise.steps, precise.exercise
        self.context, self.digits = context, digits
        result = self.result = precise.result
        graph = self.graph = result.graph
        self.top = result.top
        computed = [node.name for node in graph.nodes if not node.is_leaf]
        gradients = [f"d{self.top}/d{node.name}" for node in graph.nodes if node.name != self.top]
        wires = [f"d{node.name}/d{graph.nodes[parent].name}" for child, node in enumerate(graph.nodes)
                 for parent in graph.parents(child)]
        self.answerable = set(computed) | set(gradients) | set(wires)
        self.constants = {node.name: self.exact(node.name) for node in graph.nodes if node.is_leaf}
        shown = target_symbols(graph)
        self.targets = {shown.get(s, s): value for s, value in zip(graph.targets, result.targets)}
        self.constants.update({s.name: value for s, value in self.targets.items()})
        self.results = {graph.nodes[o].name for o in graph.outputs} | {self.top}  # what a forward exercise asks

    def exact(self, name: str) -> sympy.Expr:
        """A node's exact value."""
        return to_sympy(self.result.exact(name))

    def items(self) -> list[Item]:
        """Every step's items in order, each key once."""
        found: dict[str, Item] = {}
        for step in self.steps:
            for item in STEP_ITEMS.get(step.kind, lambda builder, step: [])(self, step):
                found.setdefault(item.key, item)
        return list(found.values())

    # --- rules and items

    def rule(self, expression: sympy.Expr) -> Rule:
        """The rule compiled over the answerable symbols in it; constants (and α) are put in exactly."""
        symbols = sorted(expression.free_symbols, key=lambda s: s.name)
        inputs = [s for s in symbols if s.name in self.answerable]
        numbers = {s: self.constants[s.name] for s in symbols if s not in inputs and s.name in self.constants}
        if RATE in expression.free_symbols:
            numbers[RATE] = self.exercise.lr
        return compiled_rule(expression, inputs, numbers)

    def item(self, quantity: Quantity, kind: str, description: str, rule: sympy.Expr | None, asked: bool, *,
             alternatives: tuple[sympy.Expr, ...] = (), shown_rule: str = "") -> Item:
        """An item with its rule compiled (none where ``rule`` is None) and its decimal at the sheet's digits."""
        main = self.rule(rule) if rule is not None else None
        shown = quantity.with_decimal(shown_decimal(quantity.decimal, quantity, self.digits))
        return Item(self.exercise.id, self.context, quantity.name, kind, description, rule,
                    main.inputs if main else (), shown, quantity.decimal, asked, main.compute if main else None,
                    tuple(self.rule(expression) for expression in alternatives), shown_rule)

    def asked(self, name: str) -> bool:
        """Whether a value is what the exercise asks for: the output and the loss of a forward pass, a claim."""
        return name in self.results and self.exercise.task in ("forward", "loss") or name in self.exercise.show

    def node_item(self, i: int, quantity: Quantity) -> Item:
        """A node computed, with its definition in its operands as the rule."""
        node = self.graph.nodes[i]
        shown_rule = ""
        if node.kind == "activation":
            _, activation = self.graph.activation_of(i)
            if activation.name not in ("custom", "zero"):
                shown_rule = f"{activation.name}({self.graph.nodes[node.operands[0]].name})"
        elif node.kind == "operation":
            shown_rule = format_exact(shown_definition(self.graph, i))
        return self.item(quantity, "forward", node_description(self.graph, i), definition(self.graph, i),
                         self.asked(node.name), shown_rule=shown_rule)

    def local_item(self, quantity: Quantity, description: str, child: str, parent: str, put_in=None,
                   uses: int = 1) -> Item:
        """∂child/∂parent, a working item (the partials summed where the child uses the parent ``uses`` times)."""
        graph = self.graph
        node = graph.node(child)
        rules = local_rules(graph, graph.index[child], graph.index[parent], put_in,
                            lambda position: tied(graph, self.exact, node, position))
        if uses > 1:
            description += f" ({uses} wires, summed)"
        if rules.remark:
            description += f"; {rules.remark}"
        return self.item(quantity, "factor", description, rules.main, False, alternatives=rules.alternatives,
                         shown_rule=rules.shown_rule)

    @property
    def table_targets(self) -> dict:
        """The target a table writes into the loss's rules: its one target's value (none with several)."""
        return self.targets if len(self.targets) == 1 else {}


# --- chain-rule paths


def _forward_items(builder: StepItemBuilder, step: ForwardStep) -> list[Item]:
    """The node a forward step computes."""
    return [builder.node_item(builder.graph.index[step.quantity.name], step.quantity)]


def _loss_items(builder: StepItemBuilder, step: LossStep) -> list[Item]:
    """The loss, in the outputs and y."""
    return [builder.item(step.quantity, "loss", "the loss", step.definition, builder.asked(step.quantity.name))]


def _gradient_items(builder: StepItemBuilder, step: GradientStep) -> list[Item]:
    """Each chain-rule factor (an adjoint ∂L/∂node, where the paths start at one, is given), then the gradient."""
    top = builder.top
    items, paths = [], []
    for path in step.paths:
        factors = []
        for factor in path:
            key = f"d{factor.numerator}/d{factor.denominator}"
            factors.append(sympy.Symbol(key))
            quantity = Quantity(key, factor.value.value, factor.decimal)  # not converted: it may be large
            if factor.formula == sympy.Symbol(key):  # an adjoint: given, not derived here
                items.append(builder.item(quantity, "factor", f"∂{top}/∂{factor.denominator}, the adjoint", None,
                                          False))
                continue
            description = f"∂{factor.numerator}/∂{factor.denominator}, a chain-rule factor of d{top}/d{step.parameter}"
            uses = sum(1 for operand in builder.graph.parents(builder.graph.index[factor.numerator])
                       if builder.graph.nodes[operand].name == factor.denominator)
            items.append(builder.local_item(quantity, description, factor.numerator, factor.denominator, uses=uses))
        paths.append(sympy.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0])
    rule = sympy.Add(*paths, evaluate=False) if len(paths) > 1 else paths[0]
    asked = builder.exercise.task == "gradient" or step.quantity.name in builder.exercise.show
    items.append(builder.item(step.quantity, "gradient", f"∂{top}/∂{step.parameter} by the chain rule", rule, asked))
    return items


def _update_items(builder: StepItemBuilder, step: UpdateStep) -> list[Item]:
    """θ' = θ − α·∂L/∂θ, asked."""
    gradient = sympy.Symbol(step.gradient.name)
    rule = sympy.Add(sympy.Symbol(step.parameter), sympy.Mul(-1, RATE, gradient, evaluate=False), evaluate=False)
    description = f"{step.parameter} after one step of gradient descent, α = {number_text(step.rate)}"
    return [builder.item(step.new, "update", description, rule, True)]


# --- a table of nodes and wires


def _forward_table_items(builder: StepItemBuilder, step: ForwardTableStep) -> list[Item]:
    """Every node computed, in the table's order; the loss against the target its row says."""
    graph, items = builder.graph, []
    for row in step.rows:
        i = graph.index[row.name]
        node = graph.nodes[i]
        if node.is_leaf:
            continue  # given
        if node.kind != "loss":
            items.append(builder.node_item(i, row.quantity))
            continue
        target = f"{step.target_name} = {number_text(step.target)}" if step.target is not None else None
        rule = definition(graph, i).xreplace(builder.table_targets)
        items.append(builder.item(row.quantity, "loss", loss_description(graph, target), rule,
                                  builder.asked(row.name)))
    return items


def _backward_table_items(builder: StepItemBuilder, step: BackwardTableStep) -> list[Item]:
    """Per node, top down, its gradient and then the local gradients of the wires into it."""
    exercise, top, items = builder.exercise, builder.top, []
    for gradient in step.gradients:
        name = gradient.node
        if name == top:
            continue  # ∂top/∂top = 1; the wires into the top node are its operands' gradients
        uses = _grouped((step.wires[k] for k in gradient.wires), by="child")
        terms = [_sent_back(builder, child, wires) for child, wires in uses.items()]
        rule = sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0] if terms else sympy.Integer(0)
        description = f"∂{top}/∂{name} by the chain rule"
        if len(gradient.wires) > 1:
            description += f", summed over its {len(gradient.wires)} uses"
        asked = exercise.task == "gradient" and name in step.asked or gradient.quantity.name in exercise.show
        items.append(builder.item(gradient.quantity, "backward", description, rule, asked))
        into = _grouped((wire for wire in step.wires if wire.child == name), by="parent")
        items.extend(_wire_item(builder, wires) for wires in into.values())
    return items


def _sent_back(builder: StepItemBuilder, child: str, wires: list[WireRow]) -> sympy.Expr:
    """What the uses of a node by ``child`` send back: ∂top/∂child · ∂child/∂node (the partial itself when the
    child is the top node)."""
    if child == builder.top:
        graph = builder.graph
        return partial(graph, graph.index[child], graph.index[wires[0].parent]).xreplace(builder.table_targets)
    upstream, local = sympy.Symbol(f"d{builder.top}/d{child}"), sympy.Symbol(wires[0].local.name)
    return sympy.Mul(upstream, local, evaluate=False)


def _wire_item(builder: StepItemBuilder, wires: list[WireRow]) -> Item:
    """The local gradient of a wire (of the wires, summed, where the child uses the operand more than once)."""
    child, parent = wires[0].child, wires[0].parent
    description = f"∂{child}/∂{parent}, the local gradient of the wire {parent} → {child}"
    quantity = wires[0].local
    if len(wires) > 1:
        exact = sympy.Add(*[wire.local.exact for wire in wires])
        with decimal.localcontext(prec=PRECISION + 10):
            total = sum((wire.local.decimal for wire in wires), Decimal(0))
        quantity = Quantity(quantity.name, exact, round_significant(total, PRECISION) if total else total)
    return builder.local_item(quantity, description, child, parent, builder.table_targets, uses=len(wires))


def _grouped(wires, by: str) -> dict[str, list[WireRow]]:
    """Wires grouped by their child or their parent, in their order."""
    grouped: dict[str, list[WireRow]] = {}
    for wire in wires:
        grouped.setdefault(getattr(wire, by), []).append(wire)
    return grouped


STEP_ITEMS: dict[str, Callable[[StepItemBuilder, object], list[Item]]] = {
    "forward": _forward_items,
    "loss": _loss_items,
    "gradient": _gradient_items,
    "update": _update_items,
    "forward_table": _forward_table_items,
    "backward_table": _backward_table_items,
}
"""Step kind -> the handler that makes its items; other steps (claims, runs, discussions) have none here."""
