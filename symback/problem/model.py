"""The typed, validated form of a problem file: plain immutable data, no behaviour.

A weight or bias entry is either a parameter name (``str``) or an exact constant (a SymPy number).
Layers, units and exercises are numbered from 1, as on an exercise sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Union

import sympy

from ..numbers.rounding import Rounding
from ..numbers.tolerance import Tolerance
from .limits import Limits

Entry = Union[str, sympy.Expr]
"""A matrix or bias entry: a parameter's name, or an exact constant."""

TASKS = ("forward", "loss", "gradient", "sgd", "optimize", "train", "cross_entropy_analysis")
PRESENTATIONS = ("paths", "table")
APPENDIX_SECTIONS = ("learning_rates", "relu", "adam", "loss_comparison", "deeper")  # in the sheet's order
"""How a pass may be derived: chain-rule paths from L to each parameter, or a table of nodes and wires."""


def _frozen_mapping(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ActivationSpec:
    """Which activation a layer uses, with its options.

    >>> ActivationSpec("sigmoid").kind
    'sigmoid'
    """

    kind: str
    slope: sympy.Expr | None = None  # leaky_relu: the slope for z < 0
    derivative_at_zero: sympy.Expr | None = None  # relu family: f'(0) by convention
    expression: str | None = None  # kind == "custom": the text, in the variable z


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: z = W h + b, then h' = f(z) elementwise.

    ``weights`` has one row per unit of this layer and one column per unit of the layer below.
    """

    weights: tuple[tuple[Entry, ...], ...]
    activation: ActivationSpec
    bias: tuple[Entry, ...] | None = None
    weights_label: str | None = None  # "A" when the matrix was given by a letter
    bias_label: str | None = None

    @property
    def units(self) -> int:
        return len(self.weights)

    @property
    def fan_in(self) -> int:
        return len(self.weights[0])


@dataclass(frozen=True)
class NetworkSpec:
    """Inputs, layers (first to last) and the exact value of every parameter."""

    inputs: tuple[str, ...]
    layers: tuple[LayerSpec, ...]
    parameters: Mapping[str, sympy.Expr]
    frozen: frozenset[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "parameters", _frozen_mapping(self.parameters))

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    @property
    def trainable(self) -> tuple[str, ...]:
        """Parameter names in order of first appearance, frozen ones left out."""
        return tuple(name for name in self.parameters if name not in self.frozen)


@dataclass(frozen=True)
class LossSpec:
    """A loss from the registry in :mod:`symback.problem.losses`."""

    kind: str


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer of the registry in :mod:`symback.runs.optimizers`: its learning rate and other options, exact.

    >>> OptimizerSpec("adam", sympy.Rational(1, 10)).options
    mappingproxy({})
    """

    kind: str
    lr: sympy.Expr
    options: Mapping[str, sympy.Expr] = field(default_factory=dict)  # beta1, beta2, eps, momentum, ...

    def __post_init__(self):
        object.__setattr__(self, "options", _frozen_mapping(self.options))


@dataclass(frozen=True)
class ExpressionSpec:
    """A function given as an expression, computed as a circuit: one node per operation.

    ``stages`` are (name, text) in order; each text may use the variables and earlier stages' names, and the
    last stage is the function f. ``at`` gives every variable's value; ``params`` are the variables a
    gradient-descent step may update (None: every variable). ``ties`` is how max and min share the gradient
    when their arguments are equal: ``split`` equally (the default) or all to the ``first``.
    """

    stages: tuple[tuple[str, str], ...]
    at: Mapping[str, sympy.Expr]
    params: tuple[str, ...] | None = None
    ties: str = "split"

    def __post_init__(self):
        object.__setattr__(self, "at", _frozen_mapping(self.at))

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self.at)


@dataclass(frozen=True)
class DatasetSpec:
    """Samples for a training run: ``x[i]`` has one entry per input, ``y[i]`` one per output."""

    x: tuple[tuple[sympy.Expr, ...], ...]
    y: tuple[tuple[sympy.Expr, ...], ...]

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise of the sheet. ``x``/``y`` are exact; ``params`` None means every trainable one."""

    id: str
    task: str
    x: tuple[sympy.Expr, ...] | None = None
    y: tuple[sympy.Expr, ...] | None = None
    lr: sympy.Expr | None = None
    params: tuple[str, ...] | None = None
    activations: Mapping[int, ActivationSpec] = field(default_factory=dict)
    loss: LossSpec | None = None
    show: Mapping[str, sympy.Expr] = field(default_factory=dict)
    text: str | None = None
    optimizer: OptimizerSpec | None = None  # optimize and train: the rule (sgd with lr when only lr is given)
    steps: int | None = None  # optimize: how many steps at the same point
    batch: int | None = None  # train: samples per step (None: the whole dataset, full batch)
    epochs: int | None = None  # train: passes over the dataset
    values: Mapping[str, sympy.Expr] = field(default_factory=dict)  # expression problems: variables set anew
    presentation: str | None = None  # "paths" or "table" (None: the problem's, paths for a network, else a table)

    def __post_init__(self):
        object.__setattr__(self, "activations", _frozen_mapping(self.activations))
        object.__setattr__(self, "show", _frozen_mapping(self.show))
        object.__setattr__(self, "values", _frozen_mapping(self.values))


@dataclass(frozen=True)
class Problem:
    """A whole problem file.

    >>> from symback.problem.model import *
    >>> net = NetworkSpec(("x1",), (LayerSpec((("w",),), ActivationSpec("identity")),), {"w": sympy.Integer(2)})
    >>> Problem("demo", net, LossSpec("squared_error")).network.outputs
    1
    """

    title: str
    network: NetworkSpec | None  # None for an expression problem
    loss: LossSpec | None  # None for an expression problem whose exercises differentiate f itself
    exercises: tuple[ExerciseSpec, ...] = ()
    source: str | None = None
    notes: str | None = None  # remarks for the author: never printed
    digits: int = 4  # significant digits of the sheet's decimals (and the checker's)
    tolerance: Tolerance | None = None  # how close a student's answer must be (None: the checker's default)
    expression: ExpressionSpec | None = None  # a circuit instead of a network
    data: DatasetSpec | None = None  # samples for training runs
    decimals: int | None = None  # fixed decimal places instead of significant digits on sheets
    appendix: tuple[str, ...] = APPENDIX_SECTIONS  # the appendix sections wanted (those that fit are printed)
    intro: str | None = None  # text printed under the title
    limits: Limits = field(default=Limits(), compare=False, repr=False)  # read within these; runs keep to them

    @property
    def rounding(self) -> Rounding:
        """How the sheet rounds: ``decimals`` fixed places where given, else ``digits`` significant digits.

        >>> str(Problem("t", None, None, decimals=2).rounding), str(Problem("t", None, None).rounding)
        ('2 decimal places', '4 significant digits')
        """
        return Rounding(self.digits) if self.decimals is None else Rounding(self.decimals, fixed=True)

    @property
    def source_name(self) -> str:
        """The problem file's name without its folders, as sheets cite it ("problem" for text without a file).

        >>> Problem("t", None, None, source="C:/sheets/ws23.toml").source_name
        'ws23.toml'
        """
        return file_name(self.source or "problem")

    def exercise(self, exercise_id: str) -> ExerciseSpec:
        """The exercise with this id (a ``KeyError`` names the ids there are)."""
        for exercise in self.exercises:
            if exercise.id == str(exercise_id):
                return exercise
        known = ", ".join(e.id for e in self.exercises) or "none"
        raise KeyError(f"no exercise {exercise_id!r} (exercises: {known})")


_SEPARATOR = re.compile(r"/|\\(?!x[0-9a-f]{2})")  # a backslash too, but not one escaping a byte


def file_name(path: str) -> str:
    r"""A path's last part, read with either slash (a file name from Windows stays readable on Linux).

    A backslash before ``x`` and two hex digits is a byte escaped in the name (see ``shown_path``), no slash.

    >>> file_name("answers/anna.toml"), file_name(r"C:\hw\bob.toml"), file_name(r"hw/ws\xff.toml")
    ('anna.toml', 'bob.toml', 'ws\\xff.toml')
    """
    return _SEPARATOR.split(path)[-1]
