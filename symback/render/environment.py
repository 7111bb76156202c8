"""Render a :class:`~symback.render.sheet.Sheet` with Jinja2: Markdown and LaTeX.

Templates live in ``templates/`` (shipped inside the wheel as ``symback/templates``): a base per format
(``base.md.j2``, ``base.tex.j2``) that the solution sheet and the feedback sheet extend, the problem part of each
kind of problem (``problem_{kind}``), one exercise template that includes the body of the exercise's
presentation (``exercise_{presentation}``), and one template per kind of step (``steps/{kind}``). Undefined variables are errors (StrictUndefined). LaTeX templates use delimiters that
do not collide with TeX: ``((* block *))``, ``((( variable )))``, ``((= comment =))``.
Filters are small pure functions registered by name; every text from the problem file goes through an escape.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import jinja2

from ..derive import steps
from ..derive.prose import relation
from ..numbers.text import decimal_text
from .author_text import with_names
from .chains import conclusion, gradient_rows, step_rows, symbol_rows, update_rows
from .equations import breakable_cells, equation_rows
from .exercise import exercise_view
from .markdown import code_span, finish_markdown
from .notation import Notation, latex_number
from .prose import set_prose
from .sheet import Sheet, notation_for
from .tex_text import breakable_tex, escape_tex, heading_tex, shortened

FORMATS = ("md", "tex")


def templates_folder() -> Path:
    """The templates: the repository's ``templates/`` in a checkout, ``symback/templates`` when installed.

    >>> (templates_folder() / "md" / "base.md.j2").is_file()
    True
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "templates", package / "templates"):
        if (candidate / "md" / "sheet.md.j2").is_file():
            return candidate
    raise FileNotFoundError("symback's templates are missing (reinstall symback)")


def step_kinds() -> tuple[str, ...]:
    """Every kind of step record: the ``kind`` default of each record class of :mod:`symback.derive.steps` and
    :mod:`symback.derive.run_steps`, in the order the classes are written.

    >>> kinds = step_kinds()
    >>> kinds[:3], "backward_table" in kinds, "training_run" in kinds
    (('forward', 'probability', 'loss'), True, True)
    """
    from ..derive import run_steps

    found = []
    for module in (steps, run_steps):
        for _, record in inspect.getmembers(module, dataclasses.is_dataclass):
            if record.__module__ != module.__name__:
                continue  # imported from elsewhere: counted there
            kind = {field.name: field.default for field in dataclasses.fields(record)}.get("kind")
            if isinstance(kind, str):
                found.append((inspect.getsourcelines(record)[1], module.__name__, kind))
    return tuple(dict.fromkeys(kind for _, _, kind in sorted(found, key=lambda f: (f[1] != steps.__name__, f[0]))))


def missing_step_templates(folder: Path | None = None) -> list[str]:
    """The step templates missing from ``folder`` (default: :func:`templates_folder`): every step kind needs
    ``md/steps/{kind}.md.j2`` and ``tex/steps/{kind}.tex.j2``, since a sheet prints a step by its kind.

    >>> missing_step_templates()
    []
    """
    folder = templates_folder() if folder is None else Path(folder)
    wanted = [f"{kind}/steps/{step}.{kind}.j2" for step in step_kinds() for kind in FORMATS]
    return [name for name in wanted if not (folder / name).is_file()]


def escape_md(text) -> str:
    r"""Text from a file, safe in Markdown: no HTML, no emphasis, no stray math.

    >>> escape_md("<script>*x*_1 $a$")
    '&lt;script&gt;\\*x\\*\\_1 \\$a\\$'
    """
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|$~])", r"\\\1", text).replace("\n", " ")


def code_tex(text) -> str:
    r"""Text from a file in typewriter type, every character printed as it is.

    >>> code_tex("ws23_backprop.toml")
    '\\texttt{ws23\\_backprop.toml}'
    """
    return rf"\texttt{{{escape_tex(text)}}}"


def remark_text(remark, escape) -> str:
    r"""A conventions-box remark for a sheet: the program's own remarks with their mathematics (``$…$`` kept),
    any other text escaped whole.

    >>> from symback.problem.remarks import Remark
    >>> remark_text(Remark("f ≡ 0", r"$f \equiv 0$ here_"), escape_tex), remark_text("a $b$", escape_tex)
    ('$f \\equiv 0$ here\\_', 'a \\$b\\$')
    """
    latex = getattr(remark, "latex", None)
    if latex is None:
        return escape(remark)
    parts = latex.split("$")
    return "".join(f"${part}$" if k % 2 else escape(part) for k, part in enumerate(parts))


def approximately(quantity) -> str:
    """``= 0.000244140625`` (after 1/4096) where the decimal is the exact value itself, else ``\\approx 0.7311``
    (LaTeX); nothing where the exact value already prints as that decimal (0.5 = 0.5 says nothing).

    >>> import sympy
    >>> from decimal import Decimal
    >>> from symback.derive.steps import Quantity
    >>> approximately(Quantity("h", sympy.Rational(1, 4096), Decimal("0.000244140625")))
    '= 0.000244140625'
    >>> approximately(Quantity("h", sympy.Rational(1, 2), Decimal("0.5"))), approximately(Quantity("h", sympy.E / 3, Decimal("0.9061")))
    ('', '\\\\approx 0.9061')
    """
    exact = quantity.exact
    if exact.is_Integer:
        return ""  # 4 = 4 says nothing
    if exact.is_Rational and Fraction(int(exact.p), int(exact.q)) == Fraction(quantity.decimal):
        shown = decimal_text(quantity.decimal)
        return "" if latex_number(exact) == shown else f"= {shown}"
    return f"\\approx {decimal_text(quantity.decimal)}"


def _plot_series(run):
    """:func:`symback.render.training_plot.plot_series`, its module loaded on first use (only sheets with a
    training run plot)."""
    from . import training_plot

    return training_plot.plot_series(run)


def _log_scale(run) -> bool:
    """:func:`symback.render.training_plot.log_scale`, its module loaded on first use."""
    from . import training_plot

    return training_plot.log_scale(run)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (compiling them is most of a small sheet's rendering time)."""
    folder = Path(tempfile.gettempdir()) / f"symback-templates-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if hasattr(os, "getuid") and (folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022):
            return None  # someone else's folder: never load code from it
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _environment(kind: str, notation: Notation) -> jinja2.Environment:
    folder = templates_folder()
    delimiters = {}
    if kind == "tex":
        delimiters = dict(
            block_start_string="((*", block_end_string="*))", variable_start_string="(((",
            variable_end_string=")))", comment_start_string="((=", comment_end_string="=))",
        )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        **delimiters,
    )
    environment.filters.update(
        math=notation.latex,
        name=notation.latex_name,
        plain=notation.plain_name,
        partial=notation.partial,
        decimal=decimal_text,
        approx=approximately,
        step_rows=lambda step: step_rows(step, notation),
        gradient_rows=lambda step: gradient_rows(step, notation),
        update_rows=lambda step: update_rows(step, True, notation),
        layered_symbol_rows=lambda step: symbol_rows(step, Notation(show_layers=True)),
        value=lambda quantity: (f"{notation.latex(quantity.exact)} {approximately(quantity)}".strip() if quantity.short
                                else rf"\approx {decimal_text(quantity.decimal)}"),
        author=lambda text, names: with_names(text, names, notation, escape_tex if kind == "tex" else escape_md),
        table_value=lambda quantity: decimal_text(quantity.decimal),  # a layer table's cell: its heading says rounded
        rows_of=lambda expr, lhs: equation_rows(lhs, [("=", expr)], notation),
        concluded=lambda quantity: " ".join(f"{relation} {notation.latex(value)}"
                                            for relation, value in conclusion(quantity)),
        layered_name=Notation(show_layers=True).latex_name,  # for networks shown beside the sheet's own
        layered_partial=Notation(show_layers=True).partial,
        text=escape_tex if kind == "tex" else escape_md,
        prose=functools.partial(set_prose, notation=notation, escape=escape_tex if kind == "tex" else escape_md),
        layered_prose=functools.partial(set_prose, notation=Notation(show_layers=True),
                                        escape=escape_tex if kind == "tex" else escape_md),
        rounded=lambda quantity: (decimal_text(quantity.decimal) if relation(quantity) == "=" else
                                  rf"\approx {decimal_text(quantity.decimal)}"),
        remark=functools.partial(remark_text, escape=escape_tex if kind == "tex" else escape_md),
        code=code_tex if kind == "tex" else code_span,
        breakable=breakable_tex if kind == "tex" else escape_md,
        breakable_cells=breakable_cells if kind == "tex" else str,  # wide math in a narrow table cell
        heading=heading_tex if kind == "tex" else escape_md,
        shortened=shortened,
        plot_series=_plot_series,
        log_scale=_log_scale,
    )
    return environment


@functools.lru_cache(maxsize=8)
def _cached_environment(kind: str, notation: Notation) -> jinja2.Environment:
    return _environment(kind, notation)


def render_exercise(result, kind: str, *, markdown: str = "github") -> str:
    """One exercise's worked solution alone (what a notebook shows for an :class:`ExerciseResult`), in the
    exercise's presentation, whatever the kind of problem.

    >>> import symback
    >>> text = render_exercise(symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "4"), "md")
    >>> "Exercise 4" in text
    True
    """
    return render_for_problem("exercise", kind, result.problem, markdown=markdown,
                              exercise=exercise_view(result, notation_for(result.problem)))


def present(result, form: str) -> str:
    """The presenter of :mod:`symback.display` for an exercise's result: ``form`` is "md" or "tex".

    >>> import symback
    >>> "Exercise 1" in present(symback.run_exercise(symback.load("problems/circuit_cs231n.toml"), "1"), "tex")
    True
    """
    return render_exercise(result, form, markdown="math-first")  # Jupyter shows a ```math fence as code


def render_for_problem(template: str, kind: str, problem, *, markdown: str = "github", **context) -> str:
    """Render ``templates/{kind}/{template}.{kind}.j2`` with the notation ``problem``'s names print in
    (:func:`~symback.render.sheet.notation_for`: layer numbers shown from two hidden layers on). Markdown is
    finished for where it is read (``markdown``: :data:`~symback.render.markdown.MARKDOWN_TARGETS`).

    >>> import symback
    >>> from symback.render.exercise import exercise_view
    >>> p = symback.load("problems/circuit_cs231n.toml")
    >>> view = exercise_view(symback.run_exercise(p, "1"), notation_for(p))
    >>> render_for_problem("exercise", "md", p, exercise=view).startswith("## Exercise 1")
    True
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r} (known: {', '.join(FORMATS)})")
    text = _cached_environment(kind, notation_for(problem)).get_template(f"{kind}/{template}.{kind}.j2").render(**context)
    return finish_markdown(text, markdown) if kind == "md" else text


def render(sheet: Sheet, kind: str, *, markdown: str = "github") -> str:
    """The sheet as Markdown (``kind="md"``, finished for ``markdown``: see
    :func:`~symback.render.markdown.finish_markdown`) or LaTeX (``kind="tex"``); a solution sheet or, for a
    :class:`~symback.render.questions.QuestionSheet`, the exercise sheet without solutions.

    >>> import symback
    >>> from symback.render.sheet import build_sheet
    >>> text = render(build_sheet(symback.load("problems/ws23_backprop.toml"), appendix=False), "md")
    >>> text.startswith("# Backpropagation")
    True
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r} (known: {', '.join(FORMATS)})")
    name = "questions" if sheet.questions else "sheet"
    template = _cached_environment(kind, sheet.notation).get_template(f"{kind}/{name}.{kind}.j2")
    text = template.render(sheet=sheet)
    return finish_markdown(text, markdown) if kind == "md" else text
