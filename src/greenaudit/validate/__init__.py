"""Validation (workflow/rules/validate.smk): Pandera models and Great Expectations suites."""
