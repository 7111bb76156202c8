"""The engine: a problem as a computation graph, the exact and decimal passes over it, and the result types."""
