"""Typed Parquet files for the staging products (pyarrow only; no pandas)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from greenaudit import tables
from greenaudit.formats.atomic import atomic_path
from greenaudit.checks import Check

DEC = pa.decimal128(38, 10)
ARROW_TYPES = {tables.STRING: pa.string(), tables.INT32: pa.int32(), tables.INT64: pa.int64(),
               tables.DECIMAL: DEC, tables.BOOLEAN: pa.bool_()}


def arrow_schema(table: tables.Table) -> pa.Schema:
    """The Arrow schema of a registry table: its columns in their stored order."""
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in table.columns])


# The staged products (greenaudit.tables declares them).
TRANSCRIPTIONS = arrow_schema(tables.TRANSCRIPTIONS)
OBSERVATIONS = arrow_schema(tables.OBSERVATIONS)
FINDINGS = arrow_schema(tables.FINDINGS)
COVERAGE = arrow_schema(tables.COVERAGE)
CHECKS = arrow_schema(tables.CHECKS)
STAGED_SCHEMAS = {t.name: arrow_schema(t) for t in tables.STAGED}


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
