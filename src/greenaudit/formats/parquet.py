"""Typed Parquet files for the staging products (pyarrow only; no pandas)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from greenaudit.formats.atomic import atomic_path
from greenaudit.checks import Check

DEC = pa.decimal128(38, 10)

TRANSCRIPTIONS = pa.schema([
    ("source_id", pa.string()), ("row_number", pa.int32()), ("indicator_id", pa.string()),
    ("period", pa.string()), ("quantity", pa.string()), ("quote", pa.string()),
    ("breakdown", pa.string()), ("note", pa.string()),
    # Optional columns of the table, as transcribed ('' when absent or empty).
    ("context_qualifier", pa.string()), ("period_basis", pa.string()),
    ("occurrence", pa.string()), ("quantity_occurrence", pa.string()),
])

OBSERVATIONS = pa.schema([
    ("source_id", pa.string()), ("row_number", pa.int32()), ("indicator_id", pa.string()),
    ("period", pa.string()), ("breakdown", pa.string()), ("quantity", pa.string()),
    ("value", DEC), ("value_text", pa.string()), ("unit", pa.string()), ("qualifier", pa.string()),
    ("value_canonical", DEC), ("unit_canonical", pa.string()),
    ("lower", DEC), ("upper", DEC), ("stated_lower", DEC), ("stated_upper", DEC),
    ("kind", pa.string()), ("quote", pa.string()), ("evidence", pa.string()),
    ("quote_start", pa.int32()), ("quote_end", pa.int32()),
    ("quantity_start", pa.int32()), ("quantity_end", pa.int32()),
    ("flags", pa.string()), ("note", pa.string()),
    # The row's context qualifier and where the evidence found it; the period's basis
    # (stated or inferred) and the occurrences the row names, as transcribed.
    ("context_qualifier", pa.string()), ("qualifier_start", pa.int32()),
    ("qualifier_end", pa.int32()), ("period_basis", pa.string()),
    ("occurrence", pa.string()), ("quantity_occurrence", pa.string()),
])

FINDINGS = pa.schema([
    ("check_id", pa.string()), ("severity", pa.string()), ("source_id", pa.string()),
    ("row_number", pa.int32()), ("indicator_id", pa.string()), ("period", pa.string()),
    ("breakdown", pa.string()), ("message", pa.string()),
])

COVERAGE = pa.schema([
    ("source_id", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
    ("mention", pa.string()), ("status", pa.string()), ("reason", pa.string()),
])

CHECKS = pa.schema([
    ("check_id", pa.string()), ("kind", pa.string()), ("severity", pa.string()),
    ("status", pa.string()), ("target", pa.string()), ("n_items", pa.int64()),
    ("n_failed", pa.int64()), ("message", pa.string()),
])


def arrow_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Rows as an Arrow table of `schema` (a missing key is NULL)."""
    # Column by column: Table.from_pylist would import pandas in every job.
    return pa.Table.from_arrays(
        [pa.array([row.get(name) for row in rows], type=schema.field(name).type)
         for name in schema.names], schema=schema)


def write_arrow(table: pa.Table, path: Path) -> None:
    """Write a table to Parquet atomically (temp file in the same directory, then rename).

    The chunks are combined first, so the file depends on the rows only, not on how
    the table was put together.
    """
    with atomic_path(path) as tmp:
        pq.write_table(table.combine_chunks(), tmp)


def write_table(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    write_arrow(arrow_table(rows, schema), path)


def write_checks(checks: list[Check], path: Path) -> None:
    write_table([c.as_dict() for c in checks], CHECKS, path)
