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
import shutil
from collections import Counter
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import duckdb

from greenaudit.audit import datapackage
from greenaudit.formats.atomic import atomic_path
from greenaudit.formats.atomic import write_text_atomic as write_atomic  # noqa: F401 - imported from here by stages
from greenaudit.checks import CHECK_COLUMNS, Check

log = logging.getLogger("greenaudit")

OBSERVATION_COLUMNS = (
    "source_id", "row_number", "indicator_id", "period", "breakdown", "quantity", "value",
    "unit", "qualifier", "value_canonical", "unit_canonical", "lower", "upper", "quote",
    "evidence", "quote_start", "quote_end", "quantity_start", "quantity_end", "flags", "note",
    "context_qualifier", "qualifier_start", "qualifier_end", "occurrence", "quantity_occurrence",
)
INDICATOR_COLUMNS = (
    "indicator_id", "period", "breakdown", "value", "unit_canonical", "lower", "upper",
    "n_sources", "sources", "agreement", "flags", "value_source",
)
FINDING_COLUMNS = (
    "check_id", "severity", "source_id", "row_number", "indicator_id", "period", "breakdown",
    "message",
)
SOURCE_COLUMNS = ("source_id", "file", "sha256", "title", "publisher", "published", "script",
                  "kind", "drop_strings", "strip_patterns", "url", "retrieved")
# Rules that derived a value are published as sources too, so that every source_id
# of the observations and indicators tables resolves (the data package's foreign keys).
DERIVED_SOURCES_SQL = """
SELECT DISTINCT source_id, 'schemas/rules.yaml' AS file, '' AS sha256,
       'rule ' || substr(source_id, 9) || ' of schemas/rules.yaml' AS title,
       'greenaudit rules' AS publisher, '' AS published, '' AS script, 'derived' AS kind,
       '' AS drop_strings, '' AS strip_patterns, '' AS url, '' AS retrieved
FROM observations WHERE source_id LIKE 'derived:%'
"""
CATALOG_COLUMNS = (
    "indicator_id", "name_en", "name_zh", "kind", "unit", "valid_low", "valid_high",
    "plausible_low", "plausible_high", "plausible_reason", "target", "description",
)
COVERAGE_COLUMNS = ("source_id", "start", "end", "mention", "status", "reason")
AUDIT_TABLES = ("observations.csv", "indicators.csv", "checks.csv", "findings.csv",
                "coverage.csv", "sources.csv", "catalog.csv")
# Written last: it describes (and hashes) the tables above.
AUDIT_FILES = AUDIT_TABLES + ("datapackage.json",)
# The large tables depend on the database only, so `export_tables` writes them while
# the database is validated; `assemble` writes the rest once the checks are in.
EXPORTED_FILES = ("observations.csv", "indicators.csv", "findings.csv", "coverage.csv")
ASSEMBLED_FILES = tuple(name for name in AUDIT_FILES if name not in EXPORTED_FILES)


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
    """The published CSV text: the quoting DuckDB's COPY applies in write_table_csv."""
    lines = [",".join(_csv_field(c) for c in columns)]
    lines += [",".join(_csv_field(format_cell(v)) for v in row) for row in rows]
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
            text = f"CAST({source} AS VARCHAR)"
        # NULL and empty text alike are written as an empty field (see write_table_csv).
        expressions.append(f"nullif({text}, '') AS \"{column}\"")
    return expressions


def write_table_csv(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
                    order_by: tuple[str, ...], path: Path, renamed: dict[str, str] = {},
                    where: str | None = None, params: list = (), header: bool = True) -> int:
    """Write a table, as published text, into a CSV atomically; return the number of rows.

    DuckDB writes the file itself (no row passes through Python). Its CSV is the one
    `to_csv` writes: fields quoted only when they hold a comma, a quote or a line
    break, quotes doubled, "\n" line ends. Empty text is written as NULL, which
    DuckDB leaves unquoted (an empty string it would quote as ""). Sorted on the
    stored values (row 9 before row 10), not on their text. `where` (a condition
    on the table as `src`, with `params`) writes only some rows.
    """
    select = ", ".join(_as_text(con, table, columns, renamed))
    order = ", ".join(f'src."{c}"' for c in order_by)
    condition = f" WHERE {where}" if where else ""
    query = f"SELECT {select} FROM {table} AS src{condition} ORDER BY {order}"
    with atomic_path(path) as tmp:
        escaped = str(tmp).replace("'", "''")
        count = con.execute(
            f"COPY ({query}) TO '{escaped}' (FORMAT csv, HEADER {str(header).lower()}, "
            f"DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '', NEW_LINE '\\n')",
            list(params)).fetchone()[0]
    return int(count)


# Each large table: its columns, its order, and the columns published under another name.
EXPORTS = {
    # `value` is published as written (34.0 stays 34.0), not as a normalised decimal.
    "observations": (OBSERVATION_COLUMNS,
                     ("source_id", "indicator_id", "period", "breakdown", "row_number"),
                     {"value": "value_text"}),
    "indicators": (INDICATOR_COLUMNS, ("indicator_id", "period", "breakdown"), {}),
    "findings": (FINDING_COLUMNS, ("source_id", "row_number", "check_id", "indicator_id",
                                   "period", "breakdown", "message"), {}),
    "coverage": (COVERAGE_COLUMNS, ("source_id", "start", "end"), {}),
}


def export_tables(db_path: Path, audit: Path, threads: int | None = None,
                  cache_dir: Path | None = None) -> None:
    """Write the large published tables (EXPORTED_FILES) from the database into `audit`.

    With a `cache_dir`, the tables sorted by source first are written through
    export_cache: only the rows of sources that changed are exported again.
    """
    from greenaudit.export_cache import BY_SOURCE, ExportCache

    cache = ExportCache(cache_dir) if cache_dir is not None else None
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        if threads:
            con.execute(f"SET threads TO {int(threads)}")
        for table, (columns, order_by, renamed) in EXPORTS.items():
            path = audit / f"{table}.csv"
            if cache is None or table not in BY_SOURCE:
                write_table_csv(con, table, columns, order_by, path, renamed)
                continue

            def export(where, params, target, header, table=table, columns=columns,
                       order_by=order_by, renamed=renamed) -> int:
                return write_table_csv(con, table, columns, order_by, target, renamed, where,
                                       params, header)

            how = cache.write(con, table, path, export, columns, order_by, renamed)
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
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        staged = [Check(*row) for row in con.execute(
            f"SELECT {', '.join(CHECK_COLUMNS)} FROM checks").fetchall()]
        sources = con.execute(f"""SELECT * FROM (
            SELECT {', '.join(SOURCE_COLUMNS)} FROM sources
            UNION ALL {DERIVED_SOURCES_SQL}) ORDER BY source_id""").fetchall()
        catalog = con.execute(
            f"SELECT {', '.join(CATALOG_COLUMNS)} FROM catalog ORDER BY indicator_id").fetchall()
    finally:
        con.close()
    checks = sorted(staged + extra_checks, key=lambda c: c.check_id)
    duplicated = sorted(i for i, n in Counter(c.check_id for c in checks).items() if n > 1)
    if duplicated:
        raise ValueError(f"check ids are not unique: {', '.join(duplicated)}")
    small = {
        "checks.csv": to_csv(CHECK_COLUMNS, [c.as_row() for c in checks]),
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


def publish(tables: dict[Path, Path], work_db: Path, published_db: Path) -> None:
    """Copy the validated tables ({staged: published}) and database into place.

    Every copy is written beside its target first; only when all of them are on
    disk are they renamed into place, one rename each, so a failure while copying
    leaves the published set exactly as it was.
    """
    with ExitStack() as renames:
        for source, target in [*tables.items(), (work_db, published_db)]:
            shutil.copyfile(source, renames.enter_context(atomic_path(target)))
