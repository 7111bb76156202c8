"""The two ways a fuzzed input goes through symback: the Python API, stage by stage, and one command of the
command line, in-process, with the files in a sandbox."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grammar import INJECTIONS, number_texts
from harness import (
    FRESH_SHARE,
    PDF_SHARE,
    Sandbox,
    Slowest,
    assert_escaped_tex,
    ends_well,
    sandbox,
)
from hypothesis import strategies as st
from serialise import dumps_json
from strategies import answers_seed, answers_seeds, problem_seeds

import symback
from symback.checker.answers_file import loads_answers
from symback.checker.checklist import build_checklist
from symback.checker.feedback import render_feedback
from symback.checker.skeleton import answers_skeleton
from symback.checker.terminal import format_report
from symback.derive.exercise import run_exercise
from symback.render.environment import render
from symback.render.questions import build_questions
from symback.render.sheet import build_sheet
from symback.render.terminal import format_steps


def problem_via_api(case: tuple[str, str], base, findings) -> None:
    """A problem file (seed name, text) through the API in a sandbox under ``base``: the campaign's property."""
    with findings.kept("problem via API", case), sandbox(base) as box:
        path = box.add("problem.toml", case[1])
        with box.watch():
            problem_through_api(path)


def problem_via_cli(case: CommandCase, base, slowest: Slowest, findings) -> None:
    """A command on a problem file in a sandbox under ``base``: the campaign's property."""
    with findings.kept("problem via CLI", vars(case)), sandbox(base) as box:
        command_through_cli(case, box, slowest)


def problem_through_api(path: Path) -> None:
    """Load the problem; backpropagate at its first point; run each exercise; build and render its sheet and its
    questions; write its answers skeleton and mark it. Each stage ends in a result or the project's own error."""
    problem = ends_well(lambda: symback.load(path))
    if problem is None:
        return
    point = next((e for e in problem.exercises if e.x is not None), None)
    if problem.expression is not None or point is not None:
        at = {} if point is None else {"x": point.x, "y": point.y or 0}
        result = ends_well(lambda: symback.backprop(problem, **at))
        if result is not None:
            ends_well(lambda: result.decimals(4))
    for exercise in problem.exercises:
        result = ends_well(lambda exercise=exercise: run_exercise(problem, exercise.id))
        if result is not None:
            ends_well(lambda result=result: format_steps(result))
    sheet = ends_well(lambda: build_sheet(problem))
    if sheet is not None:
        ends_well(lambda: render(sheet, "md"))
        assert_escaped_tex(ends_well(lambda: render(sheet, "tex")) or "")
    questions = ends_well(lambda: build_questions(problem))
    if questions is not None:
        assert_escaped_tex(ends_well(lambda: render(questions, "tex")) or "")
    checklist = ends_well(lambda: build_checklist(problem))
    if checklist is not None:
        skeleton = ends_well(lambda: answers_skeleton(checklist))
        if skeleton is not None:
            answers_through_api(checklist, skeleton, json_format=False)


def answers_through_api(checklist, text: str, *, json_format: bool) -> None:
    """Read the answers; mark them; the report as text, JSON and feedback sheets."""
    sheet = ends_well(lambda: loads_answers(text, "fuzzed-answers", json_format=json_format))
    if sheet is None:
        return
    report = ends_well(lambda: symback.check(checklist, sheet))
    if report is not None:
        ends_well(lambda: format_report(report))
        ends_well(report.as_dict)
        ends_well(lambda: render_feedback(report, "md"))
        assert_escaped_tex(ends_well(lambda: render_feedback(report, "tex")) or "")


@functools.cache
def seed_checklist(name: str):
    """The checklist of an unchanged seed problem (built once: marking many answers files against it)."""
    return build_checklist(symback.loads(problem_seeds()[name], source=name))


# --- the command line --------------------------------------------------------------------------------------

@dataclass
class CommandCase:
    """One command line: ``argv`` with {problem}, {answers} and {out} standing for the sandbox's paths."""

    argv: list[str]
    problem: str
    answers: str | None = None
    answers_suffix: str = ".toml"
    problem_name: str = "problem.toml"
    fresh: bool = False  # run as `python -m symback` in a process of its own

    @property
    def command(self) -> str:
        return self.argv[0]


ROUNDINGS = ["--digits=4", "--digits=1", "--digits=30", "--digits=1000", "--digits=0", "--digits=1001",
             "--decimals=0", "--decimals=2", "--decimals=1000", "--decimals=-1", "--digits=99999999999999999999"]
# file names as people and tools make them: spaces, other scripts, a leading dash, bytes that are not UTF-8
PROBLEM_NAMES = ["problem.toml"] * 12 + ["mein Blatt (v2).toml", "Übung_3.toml", "東京.toml", "-rf.toml",
                                         "a" * 200 + ".toml", "x.y.z.toml", "no_suffix", ".hidden.toml",
                                         "ws\udcff.toml", "$(touch pwned).toml", "sheet\\input.toml"]


@st.composite
def command_cases(draw, problems: st.SearchStrategy[tuple[str, str]], *, long: bool = False) -> CommandCase:
    """A command (solve, grad, exercise, answers or check) on a problem drawn from ``problems``; ``long``: the
    long run's, which compiles a PDF now and then and runs some in a process of their own."""
    pdf = long
    seed, text = draw(problems)
    command = draw(st.sampled_from(["solve", "solve", "grad", "exercise", "answers", "check"]))
    rounding = draw(st.sampled_from([None] * 6 + ROUNDINGS))
    argv = [command, "{problem}"]
    case = CommandCase(argv, text, problem_name=draw(st.sampled_from(PROBLEM_NAMES)))
    if command == "solve":
        formats = draw(st.sampled_from(["md", "tex", "md,tex", "md,tex", "md, tex", "MD", "", "docx"]))
        if pdf and draw(st.integers(1, PDF_SHARE)) == 1:
            formats = draw(st.sampled_from(["pdf", "md,tex,pdf"]))
        argv += ["-o", "{out}", f"--format={formats}"]
        argv += draw(st.sampled_from([[], [], ["--no-appendix"], ["--questions"]]))
    elif command == "grad":
        count = draw(st.integers(1, 3))
        x = ",".join(draw(number_texts()) for _ in range(count)) if draw(st.booleans()) else "1,3"
        y = draw(number_texts()) if draw(st.booleans()) else "2"
        argv += [f"--x={x}", f"--y={y}"]
        if draw(st.integers(0, 3)) == 0:
            argv.append(f"--params={draw(st.sampled_from(['a22', 'a22,b12', 'w', 'x', 'nope', '', ',,', 'x' * 300]))}")
    elif command == "exercise":
        argv += draw(st.sampled_from([[], [], ["1"], ["2"], ["3"], ["4"], ["7"], ["99"], [""], ["x" * 300],
                                      [draw(st.sampled_from(INJECTIONS))]]))
    elif command == "answers":
        argv += draw(st.sampled_from([["-o", "{out}/answers.toml"], ["-o", "{out}/answers.toml", "--force"], []]))
    else:
        seeds = answers_seeds()
        own = [name for name, problem_name in seeds.items() if problem_name == seed]
        case.answers = answers_seed(draw(st.sampled_from(own))) if own else '[exercises.1]\n"yhat" = "0"\n'
        case.answers_suffix = draw(st.sampled_from([".toml", ".toml", ".json"]))
        if case.answers_suffix == ".json":
            case.answers = dumps_json(tomllib.loads(case.answers))
        argv.append("{answers}")
        argv += draw(st.sampled_from([[], [], ["-o", "{out}/feedback.md"], ["-o", "{out}/feedback.tex"],
                                      ["-o", "{out}/feedback.json"], ["--json"], ["--tolerance=significant_figures=3"],
                                      ["--tolerance=relative=1e-1000"], ["-o", "{out}/feedback.docx"]]))
        if pdf and draw(st.integers(1, PDF_SHARE)) == 1:
            argv += ["-o", "{out}/feedback.pdf"]
        rounding = None  # check takes none
    if rounding and command != "answers":
        argv.append(rounding)
    case.fresh = long and draw(st.integers(1, FRESH_SHARE)) == 1
    return case


def command_through_cli(case: CommandCase, box: Sandbox, slowest: Slowest) -> int:
    """Run the case's command in the sandbox (the property is checked by :meth:`Sandbox.run`); its exit code."""
    paths = {"{problem}": str(box.add(case.problem_name, case.problem)), "{out}": str(box.output)}
    files = {case.problem_name: case.problem}
    if case.answers is not None:
        paths["{answers}"] = str(box.add("answers" + case.answers_suffix, case.answers))
        files["answers" + case.answers_suffix] = case.answers
    argv = [_filled(arg, paths) for arg in case.argv]
    code, _, _ = slowest.timed(case.command, case.argv, files, lambda: box.run(argv, fresh=case.fresh))
    return code


def _filled(arg: str, paths: dict[str, str]) -> str:
    for placeholder, path in paths.items():
        arg = arg.replace(placeholder, path)
    return arg
