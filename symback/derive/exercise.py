"""Run one exercise of a problem by id and return all of its steps: a registry of tasks (task name -> builder)
and of presentations (name -> how a pass is written), the same for every kind of problem.

A pass is presented as chain-rule ``paths`` (the WS23 sheet's way: a product of local partials along every path
from L down to a parameter) or as a ``table`` of nodes and wires (CS231n's way: the local and upstream gradient
of every wire). An exercise names its presentation with ``presentation``; without one it takes its problem's
(paths for a network, a table for an expression).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..display import present
from ..engine.backprop import moving_parameters, problem_kind
from ..engine.graph import Graph
from ..engine.guards import DomainError
from ..engine.result import BackpropResult
from ..errors import ArgumentError, NumericError, ProblemError
from ..problem.losses import make_loss
from ..problem.model import ExerciseSpec, Problem
from ..problem.operations import remark
from .analysis import cross_entropy_analysis
from .chain_rule import Deriver
from .context import ExerciseContext
from .node_table import backward_table, forward_table
from .steps import Conventions

FORKS = "gradients add at forks: a value used more than once gets the sum of what its uses send back"


@dataclass(frozen=True)
class ExerciseResult:
    """The steps of one exercise in the order a solution sheet shows them.

    ``result`` is the pass the steps came from (None for tasks without one); ``presentation`` how the pass is
    written (``paths`` or ``table``).
    """

    problem: Problem
    exercise: ExerciseSpec
    steps: tuple
    conventions: Conventions
    result: BackpropResult | None = None
    presentation: str = "paths"

    def of_kind(self, kind: str) -> list:
        """The steps of one kind (``forward``, ``loss``, ``gradient``, ``update``, ...)."""
        return [step for step in self.steps if step.kind == kind]

    def _repr_markdown_(self) -> str:
        return present(self, "md")  # rendering sits above the derivation: through the one display hook

    def _repr_latex_(self) -> str:
        return present(self, "tex")

    def quantities(self) -> dict:
        """Every quantity the steps show, by name: name -> Quantity."""
        found = {}
        for step in self.steps:
            for attribute in ("quantity", "gradient", "new", "actual"):
                value = getattr(step, attribute, None)
                if value is not None and hasattr(value, "name"):
                    found[value.name] = value
        return found


class Paths:
    """Chain-rule paths: a forward step per node, the loss, then each asked gradient as a sum over paths of
    products of local partials. An optimizer run shows only its steps (its gradients are those of a gradient
    exercise)."""

    name = "paths"
    derives_first_step = False
    remarks: tuple[str, ...] = ()

    def steps(self, context: ExerciseContext, asked: tuple[str, ...] | None) -> list:
        """Forward (with the loss where the exercise gives a target), then the gradients of ``asked``."""
        deriver = Deriver(context.result, context.digits)
        pending = deriver.forward_steps()
        if not context.has_target and context.graph.loss is not None:
            pending = pending[:-1]
        pending += deriver.adjoint_steps(asked or ())
        pending += [deriver.gradient_step(name) for name in asked or ()]
        quantity = deriver.finish()
        return [build(quantity) for build in pending]


class Table:
    """A table of nodes forwards and of wires backwards; an optimizer run's first gradient is derived so too."""

    name = "table"
    derives_first_step = True
    remarks = (FORKS,)

    def steps(self, context: ExerciseContext, asked: tuple[str, ...] | None) -> list:
        """The forward table, then (where gradients are asked) the backward table."""
        steps = [forward_table(context)]
        if asked is not None:
            steps.append(backward_table(context, asked))
        return steps


PRESENTATIONS = {presentation.name: presentation for presentation in (Paths(), Table())}


def presentation_of(problem: Problem, exercise: ExerciseSpec):
    """The presentation an exercise asks for, else its problem's.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> presentation_of(p, p.exercise("4")).name
    'paths'
    """
    return PRESENTATIONS[exercise.presentation or problem_kind(problem).presentation]


def run_exercise(problem: Problem, exercise_id, digits: int | None = None) -> ExerciseResult:
    """All steps of exercise ``exercise_id``, with decimals to ``digits`` significant digits.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [step.quantity.exact for step in run_exercise(p, "4").of_kind("gradient")]
    [-4*E/(1 + E), 12*E/(1 + E)**2]
    """
    try:
        exercise = problem.exercise(str(exercise_id))
    except KeyError as err:
        raise ArgumentError(err.args[0]) from err
    digits = problem.rounding if digits is None else digits
    builder = TASKS.get(exercise.task)
    if builder is None:
        raise ArgumentError(f"exercise {exercise.id}: task {exercise.task} has no worked solution yet")
    presentation = presentation_of(problem, exercise)
    try:
        steps, result = builder(problem, exercise, digits, presentation)
    except DomainError as err:  # the exercise's numbers leave a function's domain: the file's key says which
        raise ProblemError(f"exercises[id={exercise.id}]", str(err), source=problem.source) from err
    except NumericError as err:  # a decimal overflow (e^{10^1000}): the line names the file and the exercise
        if err.located:
            raise
        raise err.in_exercise(problem.source, exercise.id) from err
    return ExerciseResult(problem, exercise, tuple(steps), conventions(problem, result, presentation), result,
                          presentation.name)


def conventions(problem: Problem, result: BackpropResult | None, presentation=None) -> Conventions:
    """The conventions box: the loss's remark, each distinct activation's and operation's remark, and what the
    presentation needs said (that gradients add at forks).

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "relu(x) * x"\\nat = { x = 1 }\\n')
    >>> [remark[:25] for remark in conventions(p, symback.backprop(p), PRESENTATIONS["table"]).activations]
    ['ReLU(a) = max(0, a), so R', 'gradients add at forks: a']
    """
    extra = presentation.remarks if presentation is not None else ()
    if result is None:  # a run over several steps: the problem's loss (its remark is the same for any outputs)
        return Conventions(make_loss(problem.loss.kind, 1).remark if problem.loss is not None else "", extra)
    graph = result.graph
    return Conventions(graph.loss.remark if graph.loss is not None else "", node_remarks(graph) + extra)


def node_remarks(graph: Graph) -> tuple[str, ...]:
    """Each activation's remark (layer by layer, as given) and each operation's (once, in the order they first
    occur), without the empty ones of operations that need none.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> node_remarks(build_circuit(ExpressionSpec((("f", "log(x) * x"),), {"x": 1})))
    ('log is the natural logarithm',)
    """
    operations = dict.fromkeys(node.operation for node in graph.nodes if node.kind == "operation")
    found = [activation.remark for activation in graph.layer_activations]
    found += [text for text in dict.fromkeys(remark(operation, graph.ties) for operation in operations) if text]
    return tuple(dict.fromkeys(found))


def _pass_steps(problem, exercise, digits, presentation, asked=None, rate=None):
    context = ExerciseContext(problem, exercise, digits)
    steps = presentation.steps(context, asked)
    if rate is not None:
        steps += context.updates(asked, rate)
    return steps + context.claims(), context.result


def forward_task(problem, exercise, digits, presentation):
    """The forward pass (with the loss where the exercise gives a target).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> steps, result = forward_task(p, p.exercise("3"), 4, PRESENTATIONS["paths"])
    >>> [step.kind for step in steps]
    ['forward', 'forward', 'forward', 'forward', 'forward', 'loss', 'claim']
    """
    return _pass_steps(problem, exercise, digits, presentation)


def gradient_task(problem, exercise, digits, presentation):
    """The forward pass and the gradients asked (``params``, else every one).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> steps, result = gradient_task(p, p.exercise("4"), 4, PRESENTATIONS["table"])
    >>> [step.kind for step in steps], steps[1].asked
    (['forward_table', 'backward_table'], ('b12', 'a22'))
    """
    context = ExerciseContext(problem, exercise, digits)
    asked = tuple(exercise.params) if exercise.params is not None else tuple(context.result.grad)
    return presentation.steps(context, asked) + context.claims(), context.result


def sgd_task(problem, exercise, digits, presentation):
    """Forward, backward, and one step of gradient descent on the parameters that move.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> steps, result = sgd_task(p, p.exercise("5"), 4, PRESENTATIONS["paths"])
    >>> [step.new.exact for step in steps if step.kind == "update"]
    [-1 + 8*E/(1 + E), -24*E/(1 + E)**2 + 1]
    """
    return _pass_steps(problem, exercise, digits, presentation, moving_parameters(problem, exercise), exercise.lr)


def optimize_task(problem, exercise, digits, presentation):
    """``exercise.steps`` steps of the exercise's optimizer at its point (one ``optimizer_run`` step); in a
    table, step 1's gradient derived node by node first.

    >>> import symback
    >>> p = symback.load("problems/circuit_optimizers.toml")
    >>> steps, result = optimize_task(p, p.exercise("2"), 4, PRESENTATIONS["table"])
    >>> [step.kind for step in steps][-1]
    'optimizer_run'
    """
    from ..runs.optimize import (
        run_optimizer,  # here: a sheet without runs loads none of symback.runs' machinery
    )
    from .run_steps import optimizer_run_step

    run = run_optimizer(problem, exercise, digits)
    given = exercise.optimizer.options if exercise.optimizer is not None else {}
    if not presentation.derives_first_step:
        return [optimizer_run_step(run, tuple(given))], None
    context = ExerciseContext(problem, exercise, digits)
    steps = presentation.steps(context, moving_parameters(problem, exercise))
    return steps + [optimizer_run_step(run, tuple(given))] + context.claims(), context.result


def train_task(problem, exercise, digits, presentation):
    """The exercise's training run: one ``training_run`` step (the loss over all samples measured as often as
    the run's limit of sample passes allows, :func:`~symback.runs.training_plan.dataset_loss_mode`).

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> toy = symback.loads(TOY)
    >>> [step.kind for step in train_task(toy, toy.exercise("fit"), 4, PRESENTATIONS["paths"])[0]]
    ['training_run']
    """
    from ..runs.training import train  # here: a sheet without training loads none of it
    from ..runs.training_plan import dataset_loss_mode
    from .run_steps import training_run_step

    mode = dataset_loss_mode(problem, exercise)
    run = train(problem, exercise, digits=digits, dataset_loss=mode)
    return [training_run_step(run, problem, mode)], None


def analysis_task(problem, exercise, digits, presentation):
    """Binary cross-entropy as a function of the prediction: limits, derivative, best and worst case.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> analysis_task(p, p.exercise("7"), 4, PRESENTATIONS["paths"])[0][0].kind
    'cross_entropy_analysis'
    """
    return [cross_entropy_analysis(digits)], None


TASKS: dict[str, Callable] = {
    "forward": forward_task,
    "loss": forward_task,
    "gradient": gradient_task,
    "sgd": sgd_task,
    "optimize": optimize_task,
    "train": train_task,
    "cross_entropy_analysis": analysis_task,
}
