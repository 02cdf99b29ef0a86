"""File formats: located reading of CSV and YAML, typed Parquet, DuckDB helpers, atomic writes."""
