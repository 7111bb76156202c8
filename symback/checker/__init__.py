"""Checking hand calculations: answers files, the checklist of every quantity, verdicts, hints, reports,
feedback sheets and marking a folder."""
