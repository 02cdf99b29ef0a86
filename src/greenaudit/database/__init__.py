"""The database build (workflow/rules/database.smk): the single DuckDB writer."""
