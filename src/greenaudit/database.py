"""Build the DuckDB database from the staged Parquet files (one writer, atomic).

Cross-source agreement is computed here, in SQL, over every observation of the
same (indicator, period, breakdown).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from .catalog import Discrepancy, Indicator
from .checks import Check, outcome
from .manifest import Source

AGREEMENTS = ("agree", "agree_within_rounding", "conflict", "single_source")

# A NULL bound is an open end: max() and min() skip NULLs, which is what an open
# end means for an intersection (and an all-NULL side stays unbounded).
AGREEMENT_SQL = """
CREATE TABLE indicators AS
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY indicator_id, period, breakdown
        ORDER BY (upper - lower) ASC NULLS LAST, source_id, row_number) AS precision_rank
    FROM observations
),
grouped AS (
    SELECT indicator_id, period, breakdown,
           any_value(unit_canonical) AS unit_canonical,
           count(DISTINCT unit_canonical) AS n_units,
           count(DISTINCT source_id) AS n_sources,
           string_agg(DISTINCT source_id, ';' ORDER BY source_id) AS sources,
           max(stated_lower) AS stated_lo, min(stated_upper) AS stated_hi,
           max(lower) AS lo, min(upper) AS hi,
           min(lower) AS hull_lo, max(upper) AS hull_hi,
           bool_or(lower IS NULL) AS any_open_lo, bool_or(upper IS NULL) AS any_open_hi
    FROM observations
    GROUP BY indicator_id, period, breakdown
),
verdicts AS (
    SELECT g.*,
        CASE
            WHEN n_sources = 1 THEN 'single_source'
            WHEN stated_lo IS NULL OR stated_hi IS NULL OR stated_lo <= stated_hi THEN 'agree'
            WHEN lo IS NULL OR hi IS NULL OR lo <= hi THEN 'agree_within_rounding'
            ELSE 'conflict'
        END AS agreement
    FROM grouped g
)
SELECT v.indicator_id, v.period, v.breakdown, r.value_canonical AS value, v.unit_canonical,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_lo THEN NULL ELSE v.hull_lo END)
            ELSE v.lo END AS lower,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_hi THEN NULL ELSE v.hull_hi END)
            ELSE v.hi END AS upper,
       CAST(v.n_sources AS INTEGER) AS n_sources, v.sources, v.agreement,
       concat_ws(';',
           CASE WHEN v.n_units > 1 THEN 'mixed_units' END,
           CASE WHEN v.agreement = 'conflict' AND d.indicator_id IS NOT NULL THEN 'declared_discrepancy' END,
           CASE WHEN v.agreement = 'conflict' THEN 'interval_is_hull' END
       ) AS flags,
       r.source_id AS value_source
FROM verdicts v
JOIN ranked r ON r.indicator_id = v.indicator_id AND r.period = v.period
             AND r.breakdown = v.breakdown AND r.precision_rank = 1
LEFT JOIN discrepancies d ON d.indicator_id = v.indicator_id AND d.period = v.period
             AND d.breakdown = v.breakdown
ORDER BY v.indicator_id, v.period, v.breakdown
"""


# One finding per observation of an undeclared conflict, so each disputed row is named.
CONFLICT_FINDINGS_SQL = """
INSERT INTO findings
SELECT 'agreement.conflicts_declared', 'error', o.source_id, o.row_number, o.indicator_id,
       o.period, o.breakdown,
       'raw/tables/' || o.source_id || '.csv:' || o.row_number || ': ' || o.indicator_id || ' '
       || o.period || ' = ' || o.quantity || ' conflicts with ' || i.sources
FROM observations o
JOIN indicators i USING (indicator_id, period, breakdown)
WHERE i.agreement = 'conflict' AND NOT list_contains(string_split(i.flags, ';'), 'declared_discrepancy')
"""


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list) -> None:
    if rows:
        marks = ",".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _create_empty(con: duckdb.DuckDBPyConnection, name: str, parquet_glob: list[Path],
                  columns_sql: str) -> None:
    if parquet_glob:
        files = [str(p) for p in parquet_glob]
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?, union_by_name=false)",
                    [files])
    else:  # pragma: no cover - a manifest always lists at least one source
        con.execute(f"CREATE TABLE {name} ({columns_sql})")


def build_database(out_path: Path, sources: dict[str, Source], catalog: dict[str, Indicator],
                   discrepancies: list[Discrepancy], transcriptions: list[Path],
                   observations: list[Path], checks: list[Path], findings: list[Path],
                   extra_checks: list[Check]) -> list[Check]:
    """Write the database to a temp file and rename it into place; return agreement checks."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET threads TO 1")  # deterministic aggregation order, small data
        con.execute("""CREATE TABLE sources (source_id VARCHAR, file VARCHAR, sha256 VARCHAR,
            title VARCHAR, publisher VARCHAR, published VARCHAR, script VARCHAR, kind VARCHAR,
            drop_strings VARCHAR, strip_patterns VARCHAR)""")
        _insert(con, "sources", [list(s.record().values())
                                 for s in sorted(sources.values(), key=lambda s: s.source_id)])
        con.execute("""CREATE TABLE catalog (indicator_id VARCHAR, name_en VARCHAR, name_zh VARCHAR,
            kind VARCHAR, unit VARCHAR, valid_low DECIMAL(38,10), valid_high DECIMAL(38,10),
            plausible_low DECIMAL(38,10), plausible_high DECIMAL(38,10), plausible_reason VARCHAR,
            target BOOLEAN, description VARCHAR)""")
        _insert(con, "catalog", [
            [i.indicator_id, i.name_en, i.name_zh, i.kind, i.unit, i.valid_low, i.valid_high,
             i.plausible_low, i.plausible_high, i.plausible_reason, i.target, i.description]
            for i in sorted(catalog.values(), key=lambda i: i.indicator_id)])
        con.execute("""CREATE TABLE discrepancies (indicator_id VARCHAR, period VARCHAR,
            breakdown VARCHAR, sources VARCHAR, reason VARCHAR)""")
        _insert(con, "discrepancies", [
            [d.indicator_id, d.period, d.breakdown, ";".join(d.sources), d.reason]
            for d in discrepancies])
        _create_empty(con, "transcriptions", transcriptions, "")
        _create_empty(con, "observations", observations, "")
        _create_empty(con, "staged_checks", checks, "")
        _create_empty(con, "findings", findings, "")
        con.execute(AGREEMENT_SQL)
        agreement_checks = _agreement_checks(con, discrepancies)
        con.execute(CONFLICT_FINDINGS_SQL)
        all_checks = sorted([*con.execute("SELECT * FROM staged_checks").fetchall()], key=str)
        con.execute("DROP TABLE staged_checks")
        con.execute("""CREATE TABLE checks (check_id VARCHAR, kind VARCHAR, severity VARCHAR,
            status VARCHAR, target VARCHAR, n_items BIGINT, n_failed BIGINT, message VARCHAR)""")
        rows = [tuple(r) for r in all_checks] + [tuple(c.as_dict().values())
                                                 for c in extra_checks + agreement_checks]
        _insert(con, "checks", sorted(rows))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, out_path)
    return agreement_checks


def _agreement_checks(con: duckdb.DuckDBPyConnection,
                      discrepancies: list[Discrepancy]) -> list[Check]:
    declared = {(d.indicator_id, d.period, d.breakdown) for d in discrepancies}
    multi = con.execute("""SELECT indicator_id, period, breakdown, agreement, sources
        FROM indicators WHERE n_sources > 1 ORDER BY ALL""").fetchall()
    undeclared, stale = [], []
    conflicts = {(i, p, b) for i, p, b, a, _ in multi if a == "conflict"}
    for indicator_id, period, breakdown, agreement, srcs in multi:
        key = (indicator_id, period, breakdown)
        if agreement == "conflict" and key not in declared:
            detail = con.execute("""SELECT 'raw/tables/' || source_id || '.csv:' || row_number
                || ' says ' || quantity FROM observations WHERE indicator_id = ? AND period = ?
                AND breakdown = ? ORDER BY source_id, row_number""", list(key)).fetchall()
            label = "/".join(k for k in key if k)
            undeclared.append(f"{label}: sources disagree ({'; '.join(d[0] for d in detail)}); "
                              f"expected agreement or a declaration in schemas/known_discrepancies.yaml")
    for key in sorted(declared - conflicts):
        stale.append(f"{'/'.join(k for k in key if k)} is declared in "
                     f"schemas/known_discrepancies.yaml but its sources no longer conflict")
    return [
        outcome("agreement.conflicts_declared", "agreement", "error", "indicators", len(multi),
                undeclared, "every cross-source conflict is declared with a reason"),
        outcome("agreement.declarations_current", "agreement", "warning",
                "schemas/known_discrepancies.yaml", len(declared), stale,
                "every declared discrepancy is still a conflict"),
    ]
