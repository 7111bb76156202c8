"""The items of an expression problem's exercise: every node of its circuit, forwards and backwards.

Names are the sheet's: each operation node by its name (``q1``, ``num``, ``f``, ``L`` with a loss; the
variables are given, not asked); each wire's local gradient ``dq4/dq3`` (∂child/∂operand, the partials of a
child that uses one operand twice summed); each node's gradient ``df/dq3`` (``dL/dq3`` with a loss), the
variables' too, as the sum over the node's uses of the child's gradient times the wire's local gradient; each
updated variable ``x'``. The gradient of the top node by itself is 1 and not asked; a wire into the top node
needs no item of its own, since its local gradient is the operand's gradient (``df/dnum = 1/den``).

Rules read the student's own values: a node's function reads its operand nodes (variables and constants are
put in exactly), a local gradient reads the forward values its partial needs (σ' as q(1 − q) in the node's
own value, as the sheet writes it, and in its operand as well), a gradient reads the gradients of the node's
children and the local gradients of its wires.

>>> import symback
>>> p = symback.loads('title = "t"\\n[expression]\\nf = "(x + y) * z"\\nat = { x = -2, y = 5, z = -4 }\\n'
...                   '[[exercises]]\\nid = "1"\\ntask = "gradient"\\n')
>>> [(item.key, item.rule_text, item.asked) for item in circuit_items(p, p.exercise("1"), 0)]
... # doctest: +NORMALIZE_WHITESPACE
[('q1', 'q1 = x + y', False), ('f', 'f = q1*z', False), ('df/dq1', 'df/dq1 = z', False),
 ('dq1/dx', 'dq1/dx = 1', False), ('dq1/dy', 'dq1/dy = 1', False), ('df/dz', 'df/dz = q1', True),
 ('df/dy', 'df/dy = df/dq1 · dq1/dy', True), ('df/dx', 'df/dx = df/dq1 · dq1/dx', True)]
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import sympy

from ..derive.steps import BackwardTableStep, ForwardTableStep, WireRow
from ..derive.exercise import ExerciseResult, run_exercise
from ..derive.formulas import local_partial_display, name_symbol, operation_display
from ..derive.steps import Quantity
from ..engine.graph import Graph, Node
from ..numbers.rounding import round_significant
from ..numbers.text import format_exact
from ..problem.model import ExerciseSpec, Problem
from ..problem.operations import OPERATIONS, remark
from .answer_parse import PRECISION
from .items import Item, ItemBuilder, number_text

CIRCUIT_CHECKED_TASKS = ("forward", "loss", "gradient", "sgd", "optimize")  # every task an expression has

# Local gradients as the sheet writes them, in the node's own value q: σ' = q(1 − q), (eᵃ)' = q, tanh' = 1 − q².
_IN_OUTPUT = {
    "sigmoid": lambda q: q * (1 - q),
    "exp": lambda q: q,
    "tanh": lambda q: 1 - q**2,
}
_INFIX = ("add", "sub", "mul", "div")
# A tied argument of max or min: [a > b] is 0 there whatever the rule, so the rule is said in words.
_TIE_RULES = {
    "split": 'an equal share among the tied arguments (a tie, ties = "split")',
    "first": 'all of it if the first tied argument, else 0 (a tie, ties = "first")',
}


def circuit_items(problem: Problem, exercise: ExerciseSpec, context: int) -> list[Item]:
    """Every quantity of one exercise of an expression problem, in the order of the sheet, with its rule.

    Right values come from the circuit's pass at 50 digits; the decimals shown are the sheet's, correctly
    rounded from them.
    """
    precise = run_exercise(problem, exercise.id, digits=PRECISION)
    return CircuitItemBuilder(precise, context, problem.digits).items()


class CircuitItemBuilder(ItemBuilder):
    """Items from an expression exercise's steps (forward table, backward table, updates) at 50 digits.

    The compiling of rules (constants put in exactly, the rest read from the student's values), the sheet's
    decimals and the update items are the network's (:class:`~symback.checker.items.ItemBuilder`).
    """

    def __init__(self, precise: ExerciseResult, context: int, digits: int):  # not the network's: no graph here
        self.steps = precise.steps
        self.exercise = precise.exercise
        self.context, self.digits = context, digits
        result = precise.result
        self.circuit: Graph = result.graph
        self.top = result.top
        self.target = {result.circuit.target: result.target} if result.circuit.target is not None else {}
        operations = [node.name for node in self.circuit.nodes if node.operation != "variable"]
        gradients = [f"d{self.top}/d{node.name}" for node in self.circuit.nodes if node.name != self.top]
        locals_ = [f"d{self.circuit.nodes[child].name}/d{self.circuit.nodes[parent].name}"
                   for child, node in enumerate(self.circuit.nodes) for _, parent in node.node_operands()]
        self.answerable = set(operations) | set(gradients) | set(locals_)
        self.constants = dict(result.point)  # the variables: given, put in exactly
        self.outputs = {self.circuit.nodes[self.circuit.output].name, self.top}

    # forward: one item per operation node -------------------------------------------------------------------

    def _forward_table(self, step: ForwardTableStep) -> list[Item]:
        items = []
        for row in step.rows:
            if row.operation == "variable":
                continue  # given
            node = self.circuit.node(row.name)
            asked = (row.name in self.outputs and self.exercise.task in ("forward", "loss")
                     or row.name in self.exercise.show)
            rule = node.function.xreplace(self.target)
            if row.operation == "loss":
                description = (f"the loss of {step.output} against the target {step.target_name} = "
                               f"{number_text(step.target)}: {self.circuit.loss.remark}")
                items.append(self.item(row.quantity, "forward", description, rule, asked))
                continue
            shown_rule = format_exact(operation_display(node.operation, self._operand_symbols(node)))
            items.append(self.item(row.quantity, "forward", self._node_description(node), rule, asked,
                                   shown_rule=shown_rule))
        return items

    def _node_description(self, node: Node) -> str:
        definition = f"{node.name} = {self._definition(node)}"
        if node.name == self.circuit.nodes[self.circuit.output].name:
            return f"the function {definition}"
        if node.name == node.stage:
            return f"stage {definition}"
        return f"{definition}, a node of stage {node.stage}"

    def _definition(self, node: Node) -> str:
        """The node's operation in its operands' names as a person writes it: ``σ(y)``, ``num / den``."""
        operands = [self._operand_text(operand) for operand in node.operands]
        operation = OPERATIONS[node.operation]
        if node.operation == "id":
            return operands[0]
        if node.operation == "neg":
            return f"−{operands[0]}"
        if node.operation in _INFIX:
            return f" {operation.text} ".join(operands)
        if node.operation == "pow":
            return "^".join(operands)
        if node.operation == "abs":
            return f"|{operands[0]}|"
        return f"{operation.text}({', '.join(operands)})"

    def _operand_text(self, operand) -> str:
        if isinstance(operand, int):
            return self.circuit.nodes[operand].name
        text = number_text(operand).replace("-", "−")
        return text if text.replace(".", "").isdigit() else f"({text})"

    def _operand_symbols(self, node: Node) -> tuple:
        return tuple(name_symbol(self.circuit.nodes[o].name) if isinstance(o, int) else o for o in node.operands)

    # backward: per node, top down, its gradient and then the local gradients of the wires into it ------------

    def _backward_table(self, step: BackwardTableStep) -> list[Item]:
        task = self.exercise.task
        items = []
        for gradient in step.gradients:
            name = gradient.node
            if name == self.top:
                continue  # ∂top/∂top = 1; the wires into the top node are its operands' gradients
            uses = _grouped((step.wires[k] for k in gradient.wires), by="child")
            terms = [self._term(child, wires) for child, wires in uses.items()]
            rule = sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0] if terms else sympy.Integer(0)
            key = gradient.quantity.name
            description = f"∂{self.top}/∂{name} by the chain rule"
            if len(gradient.wires) > 1:
                description += f", summed over its {len(gradient.wires)} uses"
            asked = task == "gradient" and name in step.asked or key in self.exercise.show
            items.append(self.item(gradient.quantity, "backward", description, rule, asked))
            into = _grouped((wire for wire in step.wires if wire.child == name), by="parent")
            items.extend(self._local(name, wires) for wires in into.values())
        return items

    def _term(self, child: str, wires: list[WireRow]) -> sympy.Expr:
        """What the uses of a node by ``child`` send back: ∂top/∂child · ∂child/∂node (the partial itself when
        the child is the top node)."""
        if child == self.top:
            return self._partial(wires)
        upstream, local = sympy.Symbol(f"d{self.top}/d{child}"), sympy.Symbol(wires[0].local.name)
        return sympy.Mul(upstream, local, evaluate=False)

    def _partial(self, wires: list[WireRow]) -> sympy.Expr:
        node = self.circuit.node(wires[0].child)
        partials = [node.partials[wire.position].xreplace(self.target) for wire in wires]
        return sympy.Add(*partials)

    def _local(self, child: str, wires: list[WireRow]) -> Item:
        """∂child/∂parent, a working item: the local gradient of the wire (of both wires, summed, when the child
        uses the operand twice)."""
        node = self.circuit.node(child)
        parent = wires[0].parent
        description = f"∂{child}/∂{parent}, the local gradient of the wire {parent} → {child}"
        partial = self._partial(wires)
        if len(wires) > 1:
            description += f" ({len(wires)} wires, summed)"
            exact = sympy.Add(*[wire.local.exact for wire in wires])
            with decimal.localcontext(prec=PRECISION + 10):
                total = sum((wire.local.decimal for wire in wires), Decimal(0))
            quantity = Quantity(wires[0].local.name, exact, round_significant(total, PRECISION) if total else total)
        else:
            quantity = wires[0].local
        in_output = _IN_OUTPUT.get(node.operation)
        if in_output is not None and len(wires) == 1:  # the sheet's form first; the partial in the operand too
            rule = in_output(name_symbol(child))
            return self.item(quantity, "factor", description, rule, False, alternatives=(self.rule(partial),))
        shown_rule = ""
        if OPERATIONS[node.operation].piecewise_linear:  # [a > b] as the sheet writes it, not a Piecewise
            operands = self._operand_symbols(node)
            parts = [_TIE_RULES[self.circuit.ties] if wire.tie else format_exact(local_partial_display(
                node.operation, operands, wire.position, name_symbol(child), partial)) for wire in wires]
            same = len(parts) > 1 and len(set(parts)) == 1 and all(wire.tie for wire in wires)
            shown_rule = f"{len(parts)} × {parts[0]}" if same else " + ".join(parts)
            description += f"; {remark(node.operation, self.circuit.ties)}"
        return self.item(quantity, "factor", description, partial, False, shown_rule=shown_rule)


def _grouped(wires, by: str) -> dict[str, list[WireRow]]:
    """Wires grouped by their child or their parent, in their order."""
    grouped: dict[str, list[WireRow]] = {}
    for wire in wires:
        grouped.setdefault(getattr(wire, by), []).append(wire)
    return grouped
