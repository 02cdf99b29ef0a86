"""Insert Python rows into a DuckDB table: small batches as SQL VALUES, large ones via Arrow.

executemany costs ~10 ms a row in DuckDB. Arrow inserts are fast but importing
pyarrow's Python-to-Arrow conversion pulls in pandas (~0.3 s), which the small
inserts of a small corpus do not repay.
"""

from __future__ import annotations

import duckdb

# Up to this many rows go in one INSERT ... VALUES statement (its cost grows with the
# number of parameters; Arrow is cheaper beyond a few hundred rows).
SMALL_BATCH = 256


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list) -> None:
    """Append `rows` (sequences in the table's column order) to `table`."""
    if not rows:
        return
    if len(rows) <= SMALL_BATCH:
        width = len(rows[0])
        marks = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows))
        con.execute(f"INSERT INTO {table} VALUES {marks}", [v for row in rows for v in row])
        return
    import pyarrow as pa

    names = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    batch = pa.table({name: pa.array([row[i] for row in rows])
                      for i, name in enumerate(names)})
    con.register("python_rows", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM python_rows")
    finally:
        con.unregister("python_rows")
