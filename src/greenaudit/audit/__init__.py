"""The audit (workflow/rules/audit.smk): export, assemble, gate and publish the tables."""
