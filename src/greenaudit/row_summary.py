"""Each source's rows of a database table, summarised in SQL: what the per-source caches compare.

A source's rows are summarised by their count and the sum of DuckDB's 64-bit hash
of every row (about 0.3 s for a million rows). Rows that changed leave the summary
unchanged only if their hashes collide, with a probability of about 2^-64. A
summary is only compared under a key that also digests the table's column types,
the greenaudit code and the versions of the libraries that read the rows.
"""

from __future__ import annotations

import hashlib
from importlib import metadata

import duckdb

from . import cachekey
from greenaudit.formats.duckframe import quote

Summary = tuple[int, int]  # rows, sum of row hashes


def table_key(con: duckdb.DuckDBPyConnection, table: str, libraries: tuple[str, ...],
              *extra: object) -> str:
    """A digest of the code, `libraries`' versions, DuckDB's, the table's column types and
    `extra` (whatever else the cached result depends on)."""
    digest = hashlib.sha256(cachekey.code_fingerprint().encode())
    for name in ("duckdb", *libraries):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"\0{name}={version}".encode())
    types = con.execute("""SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""",
                        [table]).fetchall()
    digest.update(repr((table, types, extra)).encode())
    return digest.hexdigest()


def summaries(con: duckdb.DuckDBPyConnection, table: str) -> dict[str | None, Summary]:
    """Each source's (row count, sum of row hashes) in `table`, in ORDER BY source_id order."""
    rows = con.execute(f"""SELECT t.source_id, count(*), sum(hash(t)::HUGEINT)
        FROM {quote(table)} AS t GROUP BY t.source_id ORDER BY t.source_id""").fetchall()
    return {source_id: (int(n), int(total)) for source_id, n, total in rows}
