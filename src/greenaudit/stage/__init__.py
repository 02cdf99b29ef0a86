"""Staging (workflow/rules/stage.smk): verify each source, parse its table, prove quotes, audit coverage."""
