"""A long chain of one operation (x/x/…/x, within the documented 2,000 nodes) derives the operation's local rule
once, not once per node (found by the fuzzing campaign: 1,000 divisions took `symback solve` 12 s, most of it
differentiating the same quotient 1,000 times). Work is counted, never timed; the gradients are held against
SymPy's diff of the whole function."""

from __future__ import annotations

import sympy

import symback
from symback.engine import circuit

CHAIN = "/".join(["x"] * 40) + "*y" + "*y" * 39  # 39 divisions, 40 products


def test_a_chain_derives_each_rule_once_and_its_gradient_is_right(monkeypatch):
    derived = []
    original = circuit.shortest_form
    monkeypatch.setattr(circuit, "shortest_form", lambda expr: derived.append(expr) or original(expr))
    problem = symback.loads(f'title = "t"\n[expression]\nf = "{CHAIN}"\nat = {{ x = 3, y = 2 }}\n')
    result = symback.backprop(problem)
    assert len(derived) <= 4  # ∂/∂a and ∂/∂b of a/b and of a·b (none if derived before): before, two per node
    x, y = sympy.symbols("x y")
    f = x**-38 * y**40  # x/x/…/x (40 x's) is x^(1 − 39); then 40 factors y
    for name, symbol in (("x", x), ("y", y)):
        assert sympy.simplify(result.grad[name] - sympy.diff(f, symbol).subs({x: 3, y: 2})) == 0
