"""Read a DuckDB table into pandas through Arrow, cheaply enough for a million rows.

DuckDB's `.df()` turns DECIMAL columns into floats through a slow per-value path and
holds its own copy of the result while pandas builds another: at a million
observations that is seconds and about a gigabyte more than needed. Here DECIMALs are
cast to DOUBLE in SQL (correctly rounded), the result is fetched as Arrow, the
connection is closed (freeing DuckDB's buffers) and only then converted to pandas.

The frame has the dtypes `.df()` gives: integer and boolean columns holding NULLs
become pandas nullable dtypes (Int32, boolean) rather than floats or objects, so
dtype checks report the same thing either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from greenaudit.formats.duckdb_memory import connect

_NULLABLE = {
    pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(),
}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table of the main schema, in table order ({} if absent)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()
    return {str(name): str(dtype) for name, dtype in rows}


def select_list(types: dict[str, str], columns: Sequence[str]) -> str:
    """SELECT items for `columns`, DECIMALs cast to DOUBLE. A column the table lacks is
    selected as is, so DuckDB names it in its error."""
    items = []
    for name in columns:
        q = quote(name)
        if types.get(name, "").upper().startswith(("DECIMAL", "NUMERIC", "HUGEINT")):
            items.append(f"CAST({q} AS DOUBLE) AS {q}")
        else:
            items.append(q)
    return ", ".join(items)


def arrow_to_frame(table: pa.Table, with_nulls: Collection[str] | None = None) -> pd.DataFrame:
    """A pandas frame of an Arrow table, with `.df()`'s dtypes for columns holding NULLs.

    Each column becomes one contiguous array: DuckDB hands over one chunk per row
    group, and filtering a many-chunk column (as GX does for a row condition) is
    several times slower. Columns are combined one at a time, so that the caller,
    holding no reference to `table`, never holds two copies of it. `with_nulls`
    names the columns to treat as holding NULLs, for a part of a table to get the
    whole table's dtypes.
    """
    for i, name in enumerate(table.column_names):
        if table.column(i).num_chunks > 1:
            table = table.set_column(i, name, table.column(i).combine_chunks())
    nullable = {name: table.column(name).to_pandas(types_mapper=_NULLABLE.get)
                for name, field in zip(table.column_names, table.schema)
                if field.type in _NULLABLE and (table.column(name).null_count if with_nulls is None
                                                else name in with_nulls)}
    rest = table.drop_columns(list(nullable)) if nullable else table
    frame = rest.to_pandas(date_as_object=False, self_destruct=True)
    del rest, table
    for name, series in nullable.items():
        frame[name] = series.array
    return frame


def read_frame(db_path: Path, table: str, columns: Sequence[str] | None = None,
               order_by: Sequence[str] = (), where: tuple[str, list] | None = None,
               with_nulls: Collection[str] | None = None,
               ties_by_row_hash: bool = False) -> pd.DataFrame | None:
    """`columns` of `table` (all when None) as pandas, rows sorted by `order_by` (NULLs
    last); None when the table does not exist. `where` is a condition on the table's
    columns (as t.x) with its parameters; `with_nulls` as for arrow_to_frame.

    `ties_by_row_hash` orders rows equal on `order_by` by the hash of the whole row: an
    order that does not depend on how the rows are stored, at the cost of one column
    (sorting on every column costs DuckDB a key as wide as the row). Only identical
    rows, which nothing can tell apart, and rows whose hashes collide stay tied."""
    con = connect(db_path, read_only=True)
    fetched: list[pa.Table] = []  # popped below, so that no name keeps the Arrow copy alive
    try:
        types = column_types(con, table)
        if not types:
            return None
        names = list(types) if columns is None else list(columns)
        # ORDER BY names the stored columns (t.x), not the DOUBLE casts of DECIMALs.
        sql = f"SELECT {select_list(types, names)} FROM {quote(table)} AS t"
        parameters: list = []
        if where is not None:
            sql += f" WHERE {where[0]}"
            parameters = list(where[1])
        if order_by:
            sql += " ORDER BY " + ", ".join("t." + quote(c) for c in order_by) + " NULLS LAST"
            if ties_by_row_hash:
                sql += ", hash(t)"
        fetched.append(con.sql(sql, params=parameters or None).to_arrow_table())
    finally:
        con.close()  # frees DuckDB's buffers before pandas allocates
    frame = arrow_to_frame(fetched.pop(), with_nulls)
    return frame[names] if list(frame.columns) != names else frame
