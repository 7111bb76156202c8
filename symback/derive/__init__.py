"""Derivations: each exercise of a problem as immutable step records, a task per exercise kind, and the appendix."""
