"""An exercise's steps line by line as plain text for the terminal (``symback exercise``), exact values in the
syntax problem files accept, each with its correctly rounded decimal."""

from __future__ import annotations

from ..numbers.text import format_exact


def _line_for(step) -> list[str]:
    kind = step.kind
    if kind in ("forward", "loss"):
        q = step.quantity
        return [f"{q.name} = {format_exact(step.definition)} = {format_exact(step.substituted)}"
                f" = {format_exact(q.exact)} ≈ {q.decimal}"]
    if kind == "claim":
        verdict = "holds" if step.holds else "does NOT hold"
        return [f"claim {step.name} = {format_exact(step.claimed)}: {verdict} ({step.name} = {format_exact(step.actual.exact)})"]
    if kind == "gradient":
        rule = " + ".join(" · ".join(f"∂{f.numerator}/∂{f.denominator}" for f in path) for path in step.paths)
        numbers = " + ".join(" · ".join(f"({format_exact(f.exact)})" for f in path) for path in step.paths)
        q = step.quantity
        lines = [f"{q.name} = {rule}", f"    = {numbers}", f"    = {format_exact(q.exact)} ≈ {q.decimal}"]
        if step.vanishes:
            lines.append("    (every path holds a derivative of f ≡ 0, so the gradient is 0 for any values)")
        return lines
    if kind == "update":
        return [f"{step.parameter}' = {step.parameter} − α·{step.gradient.name} = {format_exact(step.old)} − "
                f"{format_exact(step.rate)}·({format_exact(step.gradient.exact)}) = {format_exact(step.new.exact)}"
                f" ≈ {step.new.decimal}"]
    if kind == "forward_table":
        return [_node_line(row) for row in step.rows]
    if kind == "backward_table":
        lines = [f"backward from d{step.top}/d{step.top} = 1, wire by wire: upstream · local = sent back"]
        for wire in step.wires:
            formula = format_exact(wire.formula)
            numbers = format_exact(wire.substituted)
            parts = [formula] + ([numbers] if len(numbers) <= SHORT else [])
            local = _equation([f"∂{wire.child}/∂{wire.parent}", *parts], wire.local)
            lines.append(f"  {wire.parent} → {wire.child}: {local}; upstream {_equation([wire.upstream.name], wire.upstream)};"
                         f" product {_value(wire.product)}")
        for gradient in step.gradients:
            uses = [step.wires[k].child for k in gradient.wires]
            source = f" (sum over its uses: {', '.join(uses)})" if gradient.fork else ""
            lines.append(_equation([gradient.quantity.name], gradient.quantity) + source)
        return lines
    if kind == "cross_entropy_analysis":
        lines = [f"L(p, y) = {format_exact(step.expression)}"]
        lines += [f"  y = {r.target}: lim p→{r.approach} {format_exact(r.loss)} = {r.limit}" for r in step.limits]
        lines += [f"  ∂L/∂p = {format_exact(step.derivative)}; ∂L/∂p = 0 at p = {', '.join(map(str, step.stationary))}",
                  f"  for p = σ(z): ∂L/∂z = {format_exact(step.through_sigmoid)}",
                  f"  {'minimise' if step.minimise else 'maximise'} it; best: {step.best}", f"  worst: {step.worst}"]
        return lines
    if kind in ("optimizer_run", "training_run"):  # symback.derive.run_steps: a cell's exact form is there where short
        def shown(cell) -> str:
            decimal_text = str(cell.decimal).replace("E", "e")  # 1e-8, as Python and TOML write it
            return decimal_text if cell.exact is None else f"{format_exact(cell.exact)} ≈ {decimal_text}"

        def table(row) -> list[str]:
            gap = [f"  … {step.left_out} steps left out"] if step.left_out else []
            return [*map(row, step.head), *gap, *map(row, step.tail)]

        settings = ", ".join(f"{h.name} = {shown(h.value)}" + (" (default)" if h.default else "")
                             for h in step.hyperparameters)
    if kind == "optimizer_run":
        def optimizer_row(r) -> str:
            cells = [f"{step.objective} = {shown(r.loss)}"] if r.loss else []
            cells += [f"{label} = {shown(c)}" for label, c in zip(step.labels, r.cells)]
            return f"  t = {r.t}, {r.parameter}: " + "; ".join(cells)

        return [f"{step.title}, {step.steps} steps: {settings}", f"  rule: {step.run.rule.rule}",
                *table(optimizer_row), f"  after {step.steps} steps: {step.objective} = {shown(step.final_loss)}"]
    if kind == "training_run":
        def training_row(s) -> str:
            samples = "-".join(map(str, dict.fromkeys((s.samples[0], s.samples[-1]))))
            whole = "" if s.dataset_loss is None else f", loss over all samples {s.dataset_loss}"
            which = "sample" if len(set(s.samples)) == 1 else "samples"
            return f"  epoch {s.epoch}, step {s.step}, {which} {samples}: batch loss {s.batch_loss}{whole}"

        count = len(step.run.steps)
        batches = {"full": "full batch", "single": "one sample at a time"}.get(step.batching,
                                                                              f"mini-batches of {step.batch_size}")
        final = [f"  after step {count}: loss over all samples {step.final_loss}"] if step.final_loss is not None else []
        return [f"{step.title}: {settings}; {batches} in file order, {step.run.epochs} epochs, {count} steps",
                *table(training_row), *final,
                "  parameters after training: " + ", ".join(f"{p.name} = {p.end}" for p in step.parameters)]
    return [repr(step)]


SHORT = 60  # exact forms longer than this many characters are left to the decimal


def _value(quantity) -> str:
    """``exact ≈ decimal``, or the decimal alone where the exact form is long or the decimal is exact."""
    exact = format_exact(quantity.exact)
    if exact == str(quantity.decimal):
        return exact
    return f"{exact} ≈ {quantity.decimal}" if len(exact) <= SHORT else f"≈ {quantity.decimal}"


def _equation(parts: list[str], quantity) -> str:
    """``name = formula = numbers = exact ≈ decimal``, leaving out repeats (and ``=`` before a lone ``≈``)."""
    exact = format_exact(quantity.exact)
    shown = [part for part in dict.fromkeys(parts) if part != exact]
    value = _value(quantity)
    return " = ".join(shown) + (" " if value.startswith("≈") else " = ") + value


def _node_line(row) -> str:
    """One node of a circuit's forward pass: name = definition = with numbers = value."""
    if row.definition is None:
        return _equation([row.name], row.quantity)
    parts = [format_exact(row.definition), format_exact(row.substituted)]
    return _equation([row.name, *[part for part in parts if len(part) <= SHORT]], row.quantity)


def format_steps(result) -> str:
    """An exercise's steps as plain text, one quantity a line.

    >>> import symback
    >>> print(format_steps(symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "3")).splitlines()[-2])
    L = (yhat - y)**2 = (0 - 2)**2 = 4 ≈ 4
    """
    exercise = result.exercise
    lines = [f"Exercise {exercise.id} ({exercise.task})"]
    if exercise.text:
        lines.append(exercise.text)
    for step in result.steps:
        lines.extend(_line_for(step))
    return "\n".join(lines) + "\n"
