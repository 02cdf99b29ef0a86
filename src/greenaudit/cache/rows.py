"""Each source's rows of a database table, summarised in SQL: what the per-source caches compare.

A source's rows are summarised by their count and the sum of DuckDB's 64-bit hash
of every row, one SQL aggregate per table. Rows that changed leave the summary
unchanged only if their hashes collide, with a probability of about 2^-64. A
summary is only compared under a key that also fingerprints the table's column
types and the code (with the versions of the libraries that read the rows).
"""

from __future__ import annotations

import duckdb

from greenaudit.formats.duckframe import quote
from .fingerprint import fingerprint

Summary = tuple[int, int]  # rows, sum of row hashes


def table_key(con: duckdb.DuckDBPyConnection, table: str, code: str, *extra: object) -> str:
    """A fingerprint of `code` (a code_fingerprint), the table's column types and `extra`
    (whatever else the cached result depends on)."""
    types = con.execute("""SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""",
                        [table]).fetchall()
    return fingerprint(code, table, [list(t) for t in types], repr(extra))


def summaries(con: duckdb.DuckDBPyConnection, table: str) -> dict[str | None, Summary]:
    """Each source's (row count, sum of row hashes) in `table`, in ORDER BY source_id order."""
    rows = con.execute(f"""SELECT t.source_id, count(*), sum(hash(t)::HUGEINT)
        FROM {quote(table)} AS t GROUP BY t.source_id ORDER BY t.source_id""").fetchall()
    return {source_id: (int(n), int(total)) for source_id, n, total in rows}
