"""What a named slip gives: the exercise's pass again, with one weight read in place of another, or with the
network's own activation where the exercise sets another (f ≡ 0 ignored).

A hint holds a wrong answer against these values (:mod:`symback.checker.hints`). Each is the engine's decimal
pass over the exercise's graph at :data:`DIGITS` digits (a hint needs the tolerance's few digits, not 50), so a
value the student reached through working they left out is recognised as well as one they wrote step by step.
Only hand-sized networks are tried (:data:`MAX_NODES`): a slip is named where a student works by hand.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ..engine.backprop import problem_graph, problem_point
from ..engine.graph import Graph
from ..engine.passes import Pass, compute_pass
from ..errors import SymbackError
from ..numbers.arithmetic import DECIMAL
from ..problem.activations import make_activation
from ..problem.model import ExerciseSpec, LayerSpec, Problem

DIGITS = 30
MAX_NODES = 200  # a network worked by hand; a 784-unit layer has no slip worth a pass per weight
MAX_SWAPS = 48  # passes tried per answer, transposed entries first


@dataclass(frozen=True)
class Swap:
    """``used`` read in place of ``meant``, two weights of one layer, and how they sit in its matrix."""

    meant: str
    used: str
    relation: str

    @property
    def hint(self) -> str:
        return f"this is what {self.used} in place of {self.meant} gives; {self.relation}"


@dataclass(frozen=True)
class Override:
    """A layer whose activation the exercise sets (``used``), where the network has ``own``."""

    layer: int
    used: str
    own: str

    @property
    def hint(self) -> str:
        if self.used == "zero":
            return (f"this exercise sets f ≡ 0 in layer {self.layer}, so h = 0 and ∂h/∂z = 0 there; this value "
                    f"comes from {self.own}, the network's own activation")
        return (f"this exercise uses {self.used} in layer {self.layer}; this value comes from {self.own}, "
                f"the network's own activation")


def weight_swaps(problem: Problem) -> list[Swap]:
    """Every weight read in place of another of its layer: the transposed entry first (a12 for a21), then the
    neighbouring unit's weight from the same input (same column), then the same unit's weight from another input
    (same row); none for an expression or a network too large to work by hand.

    >>> import symback
    >>> swaps = weight_swaps(symback.load("problems/ws23_backprop.toml"))
    >>> swaps[0].hint
    'this is what a21 in place of a12 gives; a21 (row 2, column 1 of A) is the transposed entry of a12 (row 1, column 2)'
    >>> [(s.used, s.meant) for s in swaps if s.meant == "b12"]
    [('b11', 'b12')]
    """
    network = problem.network
    if network is None or len(network.parameters) > MAX_NODES:
        return []
    found: dict[str, list[Swap]] = {"transposed": [], "column": [], "row": []}
    for number, layer in enumerate(network.layers, start=1):
        entries = layer.weights
        for i, row in enumerate(entries):
            for j, meant in enumerate(row):
                if not isinstance(meant, str):
                    continue  # a constant weight is given, never misread
                for kind, (k, m) in _neighbours(layer, i, j):
                    used = entries[k][m]
                    if isinstance(used, str) and used != meant:
                        found[kind].append(Swap(meant, used, _relation(kind, layer, number, (i, j), (k, m))))
    swaps = [swap for kind in found.values() for swap in kind]
    return list(dict.fromkeys(swaps))[:MAX_SWAPS]


def _neighbours(layer: LayerSpec, i: int, j: int) -> Iterator[tuple[str, tuple[int, int]]]:
    """Positions of the entries a student may read for (i, j): transposed, same column, same row."""
    rows, columns = layer.units, layer.fan_in
    if i != j and j < rows and i < columns:
        yield "transposed", (j, i)
    for k in range(rows):
        if k != i:
            yield "column", (k, j)
    for m in range(columns):
        if m != j:
            yield "row", (i, m)


def _relation(kind: str, layer: LayerSpec, number: int, meant: tuple[int, int], used: tuple[int, int]) -> str:
    """How ``used`` sits beside ``meant`` in its layer's matrix, in words."""
    matrix = layer.weights_label or f"layer {number}'s weights"
    (i, j), (k, m) = meant, used
    name, other = layer.weights[i][j], layer.weights[k][m]
    if kind == "transposed":
        return (f"{other} (row {k + 1}, column {m + 1} of {matrix}) is the transposed entry of {name} "
                f"(row {i + 1}, column {j + 1})")
    if kind == "column":
        return (f"{other} is the neighbouring unit's weight from the same input (row {k + 1} of {matrix}; "
                f"{name} is in row {i + 1})")
    return (f"{other} is the same unit's weight from another input (column {m + 1} of {matrix}; "
            f"{name} is in column {j + 1})")


def overrides(problem: Problem, exercise: ExerciseSpec) -> list[Override]:
    """The layers whose activation the exercise sets, with the network's own.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> overrides(p, p.exercise("6")), overrides(p, p.exercise("3"))
    ([Override(layer=1, used='zero', own='sigmoid')], [])
    """
    if problem.network is None:
        return []
    layers = problem.network.layers
    return [Override(number, make_activation(spec).name, make_activation(layers[number - 1].activation).name)
            for number, spec in sorted(exercise.activations.items())
            if 1 <= number <= len(layers) and spec != layers[number - 1].activation]


class SlipPasses:
    """The exercise's pass with a slip made, read by quantity name as the checklist names them; each pass is
    made once (:func:`slip_passes` keeps them for every student marked against one checklist).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> passes = SlipPasses(p, p.exercise("2"))
    >>> passes.value("z1_2", swap=weight_swaps(p)[1])  # a12 read for a21: 0·1 + 1·1
    Decimal('1')
    >>> passes.value("m[1]:b12") is None  # not a quantity of the pass
    True
    """

    def __init__(self, problem: Problem, exercise: ExerciseSpec):
        self.problem, self.exercise = problem, exercise
        small = problem.network is not None and len(problem.network.parameters) <= MAX_NODES
        self.point = problem_point(problem, exercise.x) if small else {}  # the parameters, and x where given
        outputs = problem.network.outputs if problem.network is not None else 0
        self.targets = exercise.y if exercise.y is not None else (sympy.Integer(0),) * outputs
        self._graphs: dict[int | None, Graph | None] = {}
        self._passes: dict[tuple[Swap | None, Override | None], Pass | None] = {}

    def value(self, key: str, *, swap: Swap | None = None, override: Override | None = None) -> Decimal | None:
        """The quantity ``key`` with ``swap`` made or ``override``'s layer left as the network has it; None where
        the key is not a quantity of the pass (a run's value) or the pass leaves a domain."""
        the_pass = self._pass(swap, override)
        if the_pass is None:
            return None
        with decimal.localcontext(prec=DIGITS):
            return _quantity(the_pass, key, self.point, self.exercise)

    def parameter(self, name: str) -> Decimal:
        """A parameter's value as given."""
        with decimal.localcontext(prec=DIGITS):
            return _decimal(self.point[name])

    def _pass(self, swap: Swap | None, override: Override | None) -> Pass | None:
        if (swap, override) not in self._passes:
            self._passes[(swap, override)] = self._make_pass(swap, override)
        return self._passes[(swap, override)]

    def _make_pass(self, swap: Swap | None, override: Override | None) -> Pass | None:
        graph = self._graph(override)
        if graph is None or self.exercise.x is None:  # a training run's samples: no one point to make again
            return None
        point = dict(self.point)
        if swap is not None:
            point[swap.meant] = self.point[swap.used]
        try:
            with decimal.localcontext(prec=DIGITS):
                return compute_pass(graph, DECIMAL, point, self.targets)
        except (SymbackError, ArithmeticError, ValueError, OverflowError):
            return None

    def _graph(self, override: Override | None) -> Graph | None:
        layer = override.layer if override is not None else None
        network = self.problem.network
        if network is None or len(network.parameters) > MAX_NODES:  # never build a large network's graph here
            return None
        if layer not in self._graphs:
            activations = {n: spec for n, spec in self.exercise.activations.items() if n != layer}
            try:
                graph = problem_graph(self.problem, activations, self.exercise.loss)
            except SymbackError:
                graph = None
            self._graphs[layer] = graph if graph is not None and len(graph.nodes) <= MAX_NODES else None
        return self._graphs[layer]


def _quantity(the_pass: Pass, key: str, point: dict, exercise: ExerciseSpec) -> Decimal | None:
    """A node's value (``z1_2``), a gradient (``dL/da22``), a local partial (``dyhat/dh1_2``) or an update
    (``a22'``, from the parameter's value as given) in a pass; None for any other key."""
    graph = the_pass.graph
    index = graph.index
    if key.endswith("'"):
        name = key[:-1]
        if name not in point or exercise.lr is None or name not in index:
            return None
        gradient = the_pass.gradient(index[name])
        return None if gradient is None else _decimal(point[name]) - _decimal(exercise.lr) * gradient
    if key in index:
        return the_pass.values[index[key]]
    numerator, slash, denominator = key.partition("/")
    if not slash or not numerator.startswith("d") or not denominator.startswith("d"):
        return None
    child, parent = numerator[1:], denominator[1:]
    if child not in index or parent not in index:
        return None
    if index[child] == graph.top:
        return the_pass.gradient(index[parent])
    if index[parent] not in graph.parents(index[child]):
        return None
    return the_pass.local_partial(index[child], index[parent])


def _decimal(value) -> Decimal:
    return DECIMAL.from_sympy(value)
