"""The checker's items: every quantity a student can be asked for, with its right value and its rules.

* :mod:`~symback.checker.items.record`: the :class:`Item` and :class:`Rule` records and what all items share
  (compiled rules, the sheet's decimals, rules as plain text);
* :mod:`~symback.checker.items.steps`: the items of a pass's steps, one handler per kind of step, for a network
  or an expression, presented as chain-rule paths or as a table of nodes and wires;
* :mod:`~symback.checker.items.local_rules` and :mod:`~symback.checker.items.words`: a local gradient's rules
  and each node in words, for any graph;
* :mod:`~symback.checker.items.runs`: what the items of runs share; :mod:`~symback.checker.items.optimizer_run`
  the values of an optimizer run, :mod:`~symback.checker.items.training_run` those of a training run.
"""

from .record import HYPERPARAMETERS, RATE, Item, Rule, plain_rule

__all__ = ["HYPERPARAMETERS", "RATE", "Item", "Rule", "plain_rule"]
