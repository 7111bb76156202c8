"""Numbers: the safe parser for text from files, exact (SymEngine) and decimal arithmetic, correct rounding,
number text and tolerances. The bottom layer: it imports nothing of symback but :mod:`symback.errors`."""
