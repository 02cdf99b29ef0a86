"""Insert Python rows into a DuckDB table: small batches as SQL VALUES, large ones via Arrow.

executemany is slow per row in DuckDB. Arrow inserts are fast but importing
pyarrow's Python-to-Arrow conversion pulls in pandas, whose import the small
inserts of a small corpus do not repay.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

# Up to this many rows go in one INSERT ... VALUES statement (its cost grows with the
# number of parameters; Arrow is cheaper beyond a few hundred rows).
SMALL_BATCH = 256


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list,
                columns: Sequence[str] | None = None) -> None:
    """Append `rows` to `table`: sequences in the order of `columns`, or of the table's
    columns when None (columns not named get their default, NULL)."""
    if not rows:
        return
    into = table if columns is None else f"{table} ({', '.join(columns)})"
    if len(rows) <= SMALL_BATCH:
        width = len(rows[0])
        marks = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows))
        con.execute(f"INSERT INTO {into} VALUES {marks}", [v for row in rows for v in row])
        return
    import pyarrow as pa

    names = columns or [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    batch = pa.table({name: pa.array([row[i] for row in rows])
                      for i, name in enumerate(names)})
    con.register("python_rows", batch)
    try:
        con.execute(f"INSERT INTO {into} SELECT * FROM python_rows")
    finally:
        con.unregister("python_rows")
