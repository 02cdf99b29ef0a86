"""Validation (workflow/rules/validate.smk): Pandera models of each table (rows) and Great
Expectations suites of the dataset (ranges, units, agreement, identities)."""
