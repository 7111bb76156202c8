"""Problem files: TOML text to a typed, validated :class:`~symback.problem.model.Problem`, and the vocabulary a
file may name (activations, losses, circuit operations) with their SymPy functions and derivatives."""
