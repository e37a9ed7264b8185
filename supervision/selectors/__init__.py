"""Reads of supervision by topic: work orders, inspections, campaign tallies, and the
set-based figures the assessment platform reads."""
