"""Assemble the audit tables, decide whether they may be published, publish them.

The published CSVs are sorted, use plain positional decimals (never exponents,
never float repr), and contain nothing run-dependent, so two rebuilds give the
same bytes.
"""

from __future__ import annotations

import decimal
import json
import logging
import re
from dataclasses import dataclass, field
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb

from greenaudit import tables
from greenaudit.audit import datapackage
from greenaudit.audit.formula import neutralise, neutralise_sql
from greenaudit.cache.store import Store
from greenaudit.checks import CHECK_COLUMNS, Check
from greenaudit.formats.atomic import atomic_path
from greenaudit.formats.duckdb_memory import connect
from greenaudit.formats.atomic import write_text_atomic as write_atomic  # noqa: F401 - imported from here by stages

log = logging.getLogger("greenaudit")

# The published columns of each table, in their order (greenaudit.tables declares them).
OBSERVATION_COLUMNS = tables.OBSERVATIONS.published_names
INDICATOR_COLUMNS = tables.INDICATORS.published_names
FINDING_COLUMNS = tables.FINDINGS.published_names
SOURCE_COLUMNS = tables.SOURCES.published_names
CATALOG_COLUMNS = tables.CATALOG.published_names
COVERAGE_COLUMNS = tables.COVERAGE.published_names
AUDIT_FILES = tables.AUDIT_FILES
EXPORTED_FILES = tables.EXPORTED_FILES
ASSEMBLED_FILES = tables.ASSEMBLED_FILES
# Rules that derived a value are published as sources too, so that every source_id
# of the observations and indicators tables resolves (the data package's foreign keys).
# Every column not named here is empty for them.
DERIVED_SOURCE = {
    "source_id": "source_id",
    "file": "'schemas/rules.yaml'",
    "title": "'rule ' || substr(source_id, 9) || ' of schemas/rules.yaml'",
    "publisher": "'greenaudit rules'",
    "kind": "'derived'",
}


def _derived_sources_sql() -> str:
    empty = {tables.STRING: "''"}
    columns = [f'{DERIVED_SOURCE.get(c.name, empty.get(c.type, "NULL"))} AS "{c.name}"'
               for c in tables.SOURCES.published_columns]
    return (f"SELECT DISTINCT {', '.join(columns)} FROM observations "
            f"WHERE source_id LIKE 'derived:%'")


DERIVED_SOURCES_SQL = _derived_sources_sql()


_EXACT = decimal.Context(prec=80)


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # A wide context: the default 28 digits would round DECIMAL(38,10) values.
        text = format(value.normalize(_EXACT), "f")
        return "0" if text in ("-0", "0.0") else text
    if isinstance(value, float):  # pragma: no cover - every number here is Decimal or int
        raise TypeError("floats are not published; use Decimal")
    return str(value)


_NEEDS_QUOTES = re.compile(r'[,"\n\r]')


def _csv_field(text: str) -> str:
    """Quoted only when it holds a comma, a quote or a line break (\\r too: a bare
    carriage return would end the record for many readers); quotes doubled."""
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(text) else text


def to_csv(columns: tuple[str, ...], rows: list[tuple]) -> str:
    """The published CSV text: the quoting DuckDB's COPY applies in write_table_csv, every
    field neutralised (formula.py)."""
    lines = [",".join(_csv_field(c) for c in columns)]
    lines += [",".join(_csv_field(neutralise(format_cell(v))) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


# DECIMAL as a plain positional decimal without trailing zeros, as format_cell writes it.
_DECIMAL_SQL = ("CASE WHEN contains(CAST({c} AS VARCHAR), '.') THEN "
                "rtrim(rtrim(CAST({c} AS VARCHAR), '0'), '.') ELSE CAST({c} AS VARCHAR) END")


def _as_text(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
             renamed: dict[str, str]) -> list[str]:
    """SQL expressions giving each column as the text the published CSV holds."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
    expressions = []
    for column in columns:
        source = f'src."{renamed.get(column, column)}"'
        if types[renamed.get(column, column)].startswith("DECIMAL"):
            text = _DECIMAL_SQL.format(c=source)
        else:
            text = neutralise_sql(f"CAST({source} AS VARCHAR)")
        # NULL and empty text alike are written as an empty field (see write_table_csv).
        expressions.append(f"nullif({text}, '') AS \"{column}\"")
    return expressions


@dataclass(frozen=True)
class Export:
    """A table as published: its columns in order, its sort, and the database columns
    published under another name."""

    table: str
    columns: tuple[str, ...]
    order_by: tuple[str, ...]
    renamed: dict[str, str] = field(default_factory=dict)


def write_table_csv(con: duckdb.DuckDBPyConnection, export: Export, path: Path,
                    where: str | None = None, params: list = (), header: bool = True) -> int:
    """Write a table, as published text, into a CSV atomically; return the number of rows.

    DuckDB writes the file itself (no row passes through Python). Its CSV is the one
    `to_csv` writes: fields quoted only when they hold a comma, a quote or a line
    break, quotes doubled, "\n" line ends, text neutralised (formula.py). Empty text
    is written as NULL, which DuckDB leaves unquoted (an empty string it would quote
    as ""). Sorted on the stored values (row 9 before row 10), not on their text.
    `where` (a condition on the table as `src`, with `params`) writes only some rows.
    """
    select = ", ".join(_as_text(con, export.table, export.columns, export.renamed))
    order = ", ".join(f'src."{c}"' for c in export.order_by)
    condition = f" WHERE {where}" if where else ""
    query = f"SELECT {select} FROM {export.table} AS src{condition} ORDER BY {order}"
    with atomic_path(path) as tmp:
        escaped = str(tmp).replace("'", "''")
        count = con.execute(
            f"COPY ({query}) TO '{escaped}' (FORMAT csv, HEADER {str(header).lower()}, "
            f"DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '', NEW_LINE '\\n')",
            list(params)).fetchone()[0]
    return int(count)


# Each large table: its columns, its order, and the columns published under another name
# (observations: `value` is published as written, value_text, not as a normalised decimal).
EXPORTS = {t.name: Export(t.name, t.published_names, t.sort, t.renamed)
           for t in tables.PUBLISHED if t.published == "exported"}


def export_tables(db_path: Path, audit: Path, threads: int | None = None,
                  store: Store | None = None) -> None:
    """Write the large published tables (EXPORTED_FILES) from the database into `audit`.

    With a `store`, the tables sorted by source first are written through the
    export cache (cache/export.py): only the rows of sources that changed are
    exported again.
    """
    from greenaudit.cache.export import BY_SOURCE, ExportCache

    cache = ExportCache(store) if store is not None and store.enabled else None
    con = connect(db_path, read_only=True)
    try:
        if threads:
            con.execute(f"SET threads TO {int(threads)}")
        for table, spec in EXPORTS.items():
            path = audit / f"{table}.csv"
            if cache is None or table not in BY_SOURCE:
                write_table_csv(con, spec, path)
                continue

            def export(where, params, target, header, spec=spec) -> int:
                return write_table_csv(con, spec, target, where, params, header)

            how = cache.write(con, table, path, export, spec.columns, spec.order_by,
                              spec.renamed)
            log.info("%s: %s", path, how)
    finally:
        con.close()


def assemble(db_path: Path, extra_checks: list[Check], out_dir: Path) -> dict:
    """Write the rest of the would-be published tables and status.json under `out_dir`.

    The exported tables (`export_tables`) must be in `out_dir`/audit already: the data
    package describes them too.
    """
    audit = out_dir / "audit"
    missing = [name for name in EXPORTED_FILES if not (audit / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{audit}: {', '.join(missing)} not exported (export_tables)")
    con = connect(db_path, read_only=True)
    try:
        staged = [Check(*row) for row in con.execute(
            f"SELECT {', '.join(CHECK_COLUMNS)} FROM checks").fetchall()]
        sources = _published_rows(con, tables.SOURCES, DERIVED_SOURCES_SQL)
        catalog = _published_rows(con, tables.CATALOG)
    finally:
        con.close()
    checks = sorted(staged + extra_checks, key=lambda c: c.check_id)
    duplicated = sorted(i for i, n in Counter(c.check_id for c in checks).items() if n > 1)
    if duplicated:
        raise ValueError(f"check ids are not unique: {', '.join(duplicated)}")
    small = {
        "checks.csv": to_csv(tables.CHECKS.published_names, [c.as_row() for c in checks]),
        "sources.csv": to_csv(SOURCE_COLUMNS, sources),
        "catalog.csv": to_csv(CATALOG_COLUMNS, catalog),
    }
    for name, text in small.items():
        write_atomic(audit / name, text)
    package = datapackage.descriptor(audit, list(EXPORTED_FILES) + list(small),
                                     [dict(zip(SOURCE_COLUMNS, row)) for row in sources])
    write_atomic(audit / datapackage.DESCRIPTOR_NAME, datapackage.to_json(package))
    errors = [c for c in checks if c.is_error]
    status = {
        "publishable": not errors,
        "counts": _counts(checks),
        "errors": [{"check_id": c.check_id, "message": c.message} for c in errors],
        "warnings": [{"check_id": c.check_id, "message": c.message}
                     for c in checks if c.status == "fail" and c.severity == "warning"],
    }
    write_atomic(out_dir / "status.json", json.dumps(status, ensure_ascii=False, indent=2,
                                                     sort_keys=True) + "\n")
    return status


def _published_rows(con: duckdb.DuckDBPyConnection, table: tables.Table,
                    union: str = "") -> list[tuple]:
    """The rows of a table as published: its columns, in its order (and the rows of `union`)."""
    columns = ", ".join(f'"{table.renamed.get(n, n)}" AS "{n}"' for n in table.published_names)
    more = f" UNION ALL {union}" if union else ""
    order = ", ".join(f'"{c}"' for c in table.sort)
    return con.execute(f"SELECT * FROM (SELECT {columns} FROM {table.name}{more}) "
                       f"ORDER BY {order}").fetchall()


def _counts(checks: list[Check]) -> dict:
    counts: dict[str, int] = {}
    for c in checks:
        key = f"{c.status}_{c.severity}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def gate(status_path: Path) -> list[str]:
    """The one-line messages of the errors that forbid publication (empty: publish)."""
    status = json.loads(status_path.read_text(encoding="utf-8"))
    return [f"{error['check_id']}: {error['message']}" for error in status["errors"]]


def publish(tables: dict[Path, Path], work_db: Path, published_db: Path,
            record: Path | None = None) -> None:
    """Put the validated tables ({staged: published}) and database in place, all at once.

    The published files share one directory, which `published.switch` replaces
    in one rename by a complete, verified copy: a failure or a kill leaves the
    published set exactly as it was, or entirely new. With a `record` path, what
    was published (and what differed before) is written there.
    """
    from . import published

    directory = published_db.parent
    repaired = published.damaged(directory)
    if published_db.name != published.DATABASE or any(
            target.parent != directory for target in tables.values()):
        raise ValueError(f"publish: the tables and {published.DATABASE} must be published "
                         f"into one directory")
    published.switch(directory, {target.name: source for source, target in tables.items()},
                     work_db)
    if record is not None:
        published.write_record(record, directory, repaired)
