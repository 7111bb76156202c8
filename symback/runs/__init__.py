"""Runs over several steps: optimizer rules, optimizer runs at one point and training runs on data."""
