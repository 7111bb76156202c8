"""The loss plot of a training run: an SVG file beside a Markdown sheet, pgfplots coordinates in LaTeX.

Losses are plotted against t, the number of steps taken: the batch loss of step k at t = k − 1, the loss over all
samples after t steps at t (:attr:`TrainingRun.batch_loss_points` and :attr:`TrainingRun.dataset_loss_points`).
For full batch the two are the same, and one curve is drawn.
"""

from __future__ import annotations

from .plot_svg import line_plot_svg, pgfplots_coordinates, wants_log_scale

BATCH, WHOLE = "batch loss", "loss over all samples"


def log_scale(run) -> bool:
    """Whether the plot draws the loss on a log scale: the losses span more than six orders of magnitude (a run
    that diverges, or one that fits its data to 10⁻¹⁰).

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> log_scale(symback.train(symback.loads(TOY), "fit"))
    False
    """
    return wants_log_scale([loss for _, loss in run.batch_loss_points + run.dataset_loss_points])


def _full_batch(run) -> bool:
    return run.batch is None or run.batch == run.samples


def training_svg(run, title: str | None = None) -> str:
    """The loss per step as an SVG line plot: the batch loss, and the loss over all samples where measured (one
    curve for full batch, where the two are the same); ``title`` None is "<title>: exercise <id>".

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> training_svg(symback.train(symback.loads(TOY), "fit")).count("<polyline")
    2
    """
    series = [(BATCH, run.batch_loss_points)]
    if run.dataset_loss_points:
        whole = (WHOLE, run.dataset_loss_points)
        series = [whole] if _full_batch(run) else series + [whole]
    heading = title if title is not None else f"{run.title}: exercise {run.exercise_id}"
    return line_plot_svg(series, title=heading, x_label="steps taken", y_label="loss", log_y=log_scale(run))


def pgfplots(run) -> dict[str, str]:
    """pgfplots ``coordinates {...}`` text per series: ``batch`` and, where measured, ``dataset`` (in exponent
    notation on a log scale, :func:`log_scale`).

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> pgfplots(symback.train(symback.loads(TOY), "fit"))["batch"]
    'coordinates {(0,0.5) (1,0.09) (2,0.5960) (3,0.03240)}'
    """
    log = log_scale(run)
    found = {"batch": pgfplots_coordinates(run.batch_loss_points, log_y=log)}
    if run.dataset_loss_points:
        found["dataset"] = pgfplots_coordinates(run.dataset_loss_points, log_y=log)
    return found


def plot_series(run) -> tuple[tuple[str, str], ...]:
    """(label, pgfplots coordinates) of each curve a LaTeX sheet draws for ``run``.

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> [label for label, _ in plot_series(symback.train(symback.loads(TOY), "fit"))]
    ['batch loss', 'loss over all samples']
    """
    coordinates = pgfplots(run)
    series = ((BATCH, coordinates["batch"]),)
    if "dataset" in coordinates:
        whole = (WHOLE, coordinates["dataset"])
        series = (whole,) if _full_batch(run) else series + (whole,)
    return series


def present(run, form: str, title: str | None = None) -> str:
    """The presenter of :mod:`symback.display` for a training run: ``form`` "svg".

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> present(symback.train(symback.loads(TOY), "fit"), "svg").startswith("<svg")
    True
    """
    if form != "svg":
        raise ValueError(f"a training run is shown as svg, not {form!r}")
    return training_svg(run, title)
