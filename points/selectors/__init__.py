"""Reads of points: the ledger, earning rules, scoring for the campaign site, sorting sheets."""
