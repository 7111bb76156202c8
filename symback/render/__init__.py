"""Rendering: notation, the Jinja2 environment and its filters, sheets as data, diagrams, plots, PDF and the files
a solve writes."""
