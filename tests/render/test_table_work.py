"""A circuit's forward table works out the numbers put into its formulas once per table, not once per row
(found by the fuzzing campaign: a sum of 999 terms spent 20 s building a million of them). Work is counted."""

from __future__ import annotations

import symback
from symback.render import table
from symback.render.notation import Notation

SUM = "+".join(["x"] * 60)


def test_the_forward_table_puts_numbers_in_once(monkeypatch):
    calls = []
    original = table._decimal_numbers
    monkeypatch.setattr(table, "_decimal_numbers", lambda step: calls.append(step) or original(step))
    problem = symback.loads(f'title = "t"\n[expression]\nf = "{SUM}"\nat = {{ x = 1 }}\n'
                            '[[exercises]]\nid = "1"\ntask = "gradient"\n')
    view = table.table_view(symback.run_exercise(problem, "1"), Notation())
    assert len(view.forward) >= 59  # one row per addition
    assert len(calls) <= 2  # the forward table and the backward one: before, one more per row
    assert view.forward[-1].value.quantity.exact == 60
