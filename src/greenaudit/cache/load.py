"""The large staged tables as last loaded into DuckDB, kept so a build reloads only changed shards.

Writing a million staged rows into DuckDB's storage costs seconds, and it is the
same work every build when one source changed. The store's `load` namespace has
one slot, `staged`: a database holding only the tables loaded per source
(transcriptions, observations, coverage), and as its meta, for each table, the
Parquet files loaded, their SHA-256 and the source ids each held.

A build whose files are the same list, in the same order, starts from a copy of
that database: the rows of every source of a changed file (as it was and as it
is) are deleted and the file's rows inserted, and the row counts are checked
against the files'. Anything unexpected loads the tables afresh. Rows then lie in
another physical order than a full load gives: no output depends on it (exports
and GX sort, pandera names failing rows by their key; tests/cache/test_pandera_verdicts.py
shuffles every table to check).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenaudit.formats.duckdb_memory import connect

from .fingerprint import code_fingerprint, file_sha256, fingerprint
from .store import Store

log = logging.getLogger("greenaudit")

NAMESPACE = "load"
SLOT = "staged"
DATABASE = "staged.duckdb"
# The staged tables whose every row belongs to one source (a `source_id` column).
BY_SOURCE = ("transcriptions", "observations", "coverage")
# Past this share of changed files a full load costs less than the deletions.
MAX_CHANGED_SHARE = 0.5
# DuckDB reuses the space deleted rows free, but an entry that has grown past this
# multiple of its size when loaded afresh is loaded afresh again.
MAX_GROWTH = 2.0


def load_key() -> str:
    return fingerprint(code_fingerprint(__name__))


def _quoted(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _parquet_rows(con: duckdb.DuckDBPyConnection, paths: list[str]) -> int:
    if not paths:
        return 0
    return int(con.execute(f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata("
                           f"{_quoted(paths)})").fetchone()[0])


def _sources_by_file(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, list[str]]:
    """The distinct source ids of each Parquet file (only their source_id column is read)."""
    if not paths:
        return {}
    rows = con.execute(f"""SELECT filename, list_sort(list(DISTINCT source_id))
        FROM read_parquet({_quoted(paths)}, filename = true) GROUP BY filename""").fetchall()
    found = {str(name): list(ids) for name, ids in rows}
    return {p: found.get(p, []) for p in paths}


@dataclass
class LoadPlan:
    """How the tables of BY_SOURCE get into a new database: afresh, or from the entry."""

    files: dict[str, list[str]]
    digests: dict[str, str]
    store: Store = field(default_factory=lambda: Store(None, NAMESPACE))
    reuse: bool = False                # start from the entry's database
    changed: dict[str, list[str]] = field(default_factory=dict)  # table -> changed files
    old_sources: dict[str, list[str]] = field(default_factory=dict)  # file -> ids it held
    new_sources: dict[str, list[str]] = field(default_factory=dict)  # changed file -> ids now
    fresh_size: int = 0                # bytes of the entry's database when loaded afresh

    @property
    def description(self) -> str:
        if not self.reuse:
            return "loaded afresh"
        n = sum(len(files) for files in self.changed.values())
        return f"reused from the last build, {n} changed file(s) reloaded"


def plan_load(files: dict[str, list[Path]], store: Store | None = None) -> LoadPlan:
    """Compare the staged files with the entry's record (when there is a store)."""
    names = {table: [str(p) for p in files.get(table, [])] for table in BY_SOURCE}
    if store is None or not store.enabled:
        return LoadPlan(names, {})
    store.retain((SLOT,))
    digests = {p: file_sha256(Path(p)) for paths in names.values() for p in paths}
    plan = LoadPlan(names, digests, store)
    try:
        recorded = store.entry(SLOT, load_key(), _unchecked=DATABASE)
        if recorded is None:
            return plan
        meta = recorded.meta
        plan.fresh_size = int(meta["fresh_size"])
        if recorded.file(DATABASE).stat().st_size > MAX_GROWTH * plan.fresh_size:
            return plan  # deletions left too much free space behind: start afresh
        changed: dict[str, list[str]] = {}
        old_sources: dict[str, list[str]] = {}
        for table in BY_SOURCE:
            entries = meta["tables"][table]
            if [e["path"] for e in entries] != names[table]:
                return plan
            changed[table] = [e["path"] for e in entries if e["sha256"] != digests[e["path"]]]
            old_sources.update({e["path"]: list(e["sources"]) for e in entries})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("cache load/%s: unreadable record (%s); loading afresh", SLOT, exc)
        return plan
    n_files = sum(len(paths) for paths in names.values())
    n_changed = sum(len(paths) for paths in changed.values())
    if n_files and n_changed > MAX_CHANGED_SHARE * n_files:
        return plan
    plan.reuse, plan.changed, plan.old_sources = True, changed, old_sources
    return plan


def load_afresh(con: duckdb.DuckDBPyConnection, plan: LoadPlan, empty_sql: dict[str, str]) -> None:
    """Create the tables of BY_SOURCE from every staged file (`empty_sql`: columns if none)."""
    for table in BY_SOURCE:
        paths = plan.files[table]
        if paths:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?, "
                        f"union_by_name=false)", [paths])
        else:
            con.execute(f"CREATE TABLE {table} ({empty_sql.get(table, '')})")


def update_from_entry(con: duckdb.DuckDBPyConnection, plan: LoadPlan) -> None:
    """Replace, in the entry's tables, the rows of every source of a changed file.

    Raises ValueError when a table's row count then differs from its files'.
    """
    for table in BY_SOURCE:
        changed = plan.changed[table]
        if changed:
            now = _sources_by_file(con, changed)
            plan.new_sources.update(now)
            ids = sorted({s for p in changed for s in plan.old_sources.get(p, []) + now[p]})
            con.execute(f"DELETE FROM {table} WHERE source_id IN (SELECT unnest(?::VARCHAR[]))",
                        [ids])
            con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet(?, union_by_name=false)",
                        [changed])
        stored = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        expected = _parquet_rows(con, plan.files[table])
        if stored != expected:
            raise ValueError(f"{table}: {stored} rows after the update, {expected} in the files")


def open_loaded(path: Path, plan: LoadPlan, empty_sql: dict[str, str],
                threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A new database at `path` holding the tables of BY_SOURCE; the entry is refreshed.

    With a reusable entry, its database is copied to `path` (verified as it is
    copied) and updated there; otherwise the tables are loaded afresh. Either way
    the result is saved as the new entry before anything else is added to it.
    """
    if plan.reuse:
        con = None
        try:
            if plan.store.copy_out(SLOT, load_key(), DATABASE, path) is None:
                raise ValueError("the entry did not verify")
            con = connect(path)
            _set_threads(con, threads)
            update_from_entry(con, plan)
            _save(con, path, plan)
            return con
        except (duckdb.Error, OSError, ValueError) as exc:
            log.warning("cache load/%s: not usable (%s); loading afresh", SLOT, exc)
            if con is not None:
                con.close()
            plan.reuse = False
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
    con = connect(path)
    _set_threads(con, threads)
    load_afresh(con, plan, empty_sql)
    if plan.store.enabled:
        _save(con, path, plan)
    return con


def _set_threads(con: duckdb.DuckDBPyConnection, threads: int | None) -> None:
    if threads:
        con.execute(f"SET threads TO {int(threads)}")


def _save(con: duckdb.DuckDBPyConnection, path: Path, plan: LoadPlan) -> None:
    """Save the loaded tables as the entry; a cache that cannot be written is skipped."""
    try:
        con.execute("CHECKPOINT")  # the file holds every row: no write-ahead log to copy
        if not plan.reuse:
            plan.fresh_size = path.stat().st_size
        if plan.reuse:
            sources = {**plan.old_sources, **plan.new_sources}
        else:
            sources = {}
            for table in BY_SOURCE:
                sources.update(_sources_by_file(con, plan.files[table]))
    except (duckdb.Error, OSError) as exc:
        log.warning("cache load/%s: entry not written (%s)", SLOT, exc)
        return
    meta = {"fresh_size": plan.fresh_size, "tables": {
        table: [{"path": p, "sha256": plan.digests[p], "sources": sources[p]}
                for p in plan.files[table]] for table in BY_SOURCE}}
    plan.store.put(SLOT, load_key(), {DATABASE: path}, meta)
