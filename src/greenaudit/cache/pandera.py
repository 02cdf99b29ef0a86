"""Pandera's verdict on each source's rows, kept so that unchanged sources are not validated again.

Every check of the models validated by source reads one row at a time, or (the
uniqueness keys, which all start with source_id) the rows of one source, so a
source's failure cases depend on its rows alone. A source whose rows have the
summary of the last run (rows.py: far cheaper than reading and validating them)
gets its stored failure cases back.

One slot per table in the store's `pandera` namespace, a JSON payload (codec.py),
keyed by the code (with the versions of DuckDB, pandas and pandera) and the
table's column types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from greenaudit.formats.duckframe import quote
from . import codec
from .fingerprint import code_fingerprint
from .rows import Summary, table_key
from .store import DamagedEntry, Store

NAMESPACE = "pandera"
PAYLOAD = "verdicts.json"
# The tables validated source by source (each row has a source_id).
BY_SOURCE = ("transcriptions", "observations", "coverage")

CheckKey = tuple[str, str]  # (column, check) as pandera names them


@dataclass
class SourceVerdict:
    """One source's failure cases and, per check, how many of its rows fail it."""

    summary: Summary
    failed_rows: dict[CheckKey, int] = field(default_factory=dict)
    cases: list[tuple[str, str, str, str]] = field(default_factory=list)  # column, check, case, row


def entry_key(con: duckdb.DuckDBPyConnection, table: str) -> str:
    # The validating module: its code reaches the pandera models and this adapter.
    return table_key(con, table, code_fingerprint("greenaudit.validate.pandera"))


def columns_with_nulls(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> set[str]:
    if not columns:
        return set()
    counts = con.execute("SELECT " + ", ".join(f"count(*) - count({quote(c)})" for c in columns)
                         + f" FROM {quote(table)}").fetchone()
    return {c for c, n in zip(columns, counts) if n}


class VerdictStore:
    """The verdicts of each table validated by source."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.retain(BY_SOURCE)

    def load(self, table: str, key: str) -> dict[str | None, SourceVerdict]:
        def read(entry) -> dict:
            verdicts = codec.loads(entry.read_bytes(PAYLOAD), (SourceVerdict,))
            if not isinstance(verdicts, dict) or not all(
                    isinstance(v, SourceVerdict) for v in verdicts.values()):
                raise DamagedEntry("not a mapping of verdicts")
            for verdict in verdicts.values():
                verdict.summary = tuple(verdict.summary)
            return verdicts

        return self.store.load(table, key, read) or {}

    def save(self, table: str, key: str, verdicts: dict[str | None, SourceVerdict]) -> None:
        self.store.put(table, key, {PAYLOAD: codec.dumps(verdicts)})
