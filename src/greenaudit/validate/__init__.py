"""Validation of the audit database: row-level schemas (Pandera) and the dataset (GX)."""
