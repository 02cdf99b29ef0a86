"""Pandera's verdict on each source's rows, kept so that unchanged sources are not validated again.

Every check of the models validated by source reads one row at a time, or (the
uniqueness keys, which all start with source_id) the rows of one source, so a
source's failure cases depend on its rows alone. A source whose rows have the
summary of the last run (row_summary.py: about 0.3 s for a million rows, against
5 s to read and validate them) gets its stored failure cases back.

An entry (`cache_dir`/pandera/<table>.pickle) is used only under the same key:
the code fingerprint, the versions of DuckDB, pandas and pandera, and the table's
column types.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenaudit.formats.atomic import write_bytes_atomic
from greenaudit.formats.duckframe import quote
from .row_summary import Summary, table_key

log = logging.getLogger("greenaudit")

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
    return table_key(con, table, ("pandas", "pandera"))


def columns_with_nulls(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> set[str]:
    if not columns:
        return set()
    counts = con.execute("SELECT " + ", ".join(f"count(*) - count({quote(c)})" for c in columns)
                         + f" FROM {quote(table)}").fetchone()
    return {c for c, n in zip(columns, counts) if n}


class VerdictStore:
    """The entries under `cache_dir`/pandera/, one per table."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "pandera"

    def load(self, table: str, key: str) -> dict[str | None, SourceVerdict]:
        path = self.root / f"{table}.pickle"
        try:
            stored_key, verdicts = pickle.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except Exception as exc:  # a damaged entry of any kind: validate afresh
            log.warning("unreadable pandera cache entry %s (%s); validating afresh", path, exc)
            return {}
        if stored_key != key or not isinstance(verdicts, dict):
            return {}
        return verdicts

    def save(self, table: str, key: str, verdicts: dict[str | None, SourceVerdict]) -> None:
        path = self.root / f"{table}.pickle"
        try:
            write_bytes_atomic(path, pickle.dumps((key, verdicts),
                                                  protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:  # a cache that cannot be written costs speed, not the run
            log.warning("pandera cache entry %s not written (%s)", path, exc)
