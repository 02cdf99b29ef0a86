"""Query the audit tables the report shows (the inputs themselves are found by `inputs`).

The audit tables may hold a million rows, so they are never read whole into Python:
DuckDB queries the CSV files, every count is taken over the full tables, and only
the bounded row sets the page shows become Python objects. Source texts are read
only for the sources whose text the page embeds. pandas and pint are not imported
here: the report job is on the critical path of every rebuild.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from greenaudit.errors import InputError
from greenaudit.formats.duckdb_memory import connect

REQUIRED_TABLES = ("checks", "findings", "indicators", "observations")
OPTIONAL_TABLES = ("coverage",)
# Columns a query needs; the first ones of each table must be there, the others
# are read as empty when absent (runs of other versions add or lack columns).
KEY_COLUMNS = {
    "checks": ("check_id", "kind", "severity", "status"),
    "findings": ("check_id",),
    "indicators": ("indicator_id", "period", "agreement"),
    "observations": ("source_id", "row_number", "indicator_id", "period"),
    "coverage": ("source_id", "status"),
}
OTHER_COLUMNS = {
    "checks": ("target", "n_items", "n_failed", "message"),
    "findings": ("severity", "source_id", "row_number", "indicator_id", "period", "breakdown",
                 "message"),
    "indicators": ("breakdown", "value", "unit_canonical", "lower", "upper", "n_sources",
                   "sources", "flags", "value_source"),
    "observations": ("breakdown", "quantity", "value", "unit", "qualifier", "value_canonical",
                     "unit_canonical", "lower", "upper", "quote", "evidence", "flags", "note",
                     "context_qualifier", "occurrence", "quantity_occurrence"),
    "coverage": (),
}
# Tables read into DuckDB once, in file order (their rowid is the line order); the
# large ones (observations, coverage) are only aggregated or filtered, straight from
# the file.
MATERIALISED = ("checks", "findings", "indicators", "failure_cases")
SEVERITY_RANK_SQL = ("CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 "
                     "WHEN 'info' THEN 2 ELSE 3 END")
# Indicator-periods in order of attention: one a finding names or in conflict, then
# unknown verdicts or flagged ones, then the looser verdicts, plain agreement last.
INDICATOR_RANK_SQL = """CASE
    WHEN agreement = 'conflict' OR named THEN 0
    WHEN agreement NOT IN ('agree_within_rounding', 'single_source', 'derived', 'agree')
         OR flags <> '' THEN 1
    WHEN agreement = 'agree_within_rounding' THEN 2
    WHEN agreement = 'single_source' THEN 3
    WHEN agreement = 'derived' THEN 4
    ELSE 5 END"""
KEY = ("indicator_id", "period", "breakdown")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_header(path: Path) -> list[str]:
    """The column names on a table's first line."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"not a readable CSV table: {exc}", file=str(path), line=1) from None
    if not header:
        raise InputError("expected a header line naming the columns", file=str(path), line=1)
    return header


def _read_csv_sql(path: Path, header: list[str]) -> str:
    # Every value as the string it is in the file, in the published dialect: nothing
    # is left to DuckDB's sniffer (which may guess a different dialect or skip lines).
    columns = "{" + ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in header) + "}"
    return (f"read_csv({_literal(str(path))}, header = true, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"')")


class AuditTables:
    """The audit tables as DuckDB relations over their CSV files (strings, as published)."""

    def __init__(self, paths: dict[str, Path], threads: int | None = None) -> None:
        import duckdb

        self._duckdb = duckdb
        self.con = connect()
        if threads:
            self.con.execute(f"SET threads TO {int(threads)}")
        self.names = set(paths)
        self.paths = dict(paths)
        self.columns: dict[str, list[str]] = {}
        for name, path in paths.items():
            self._attach(name, path)

    def _attach(self, name: str, path: Path) -> None:
        header = read_header(path)
        source = _read_csv_sql(path, header)
        missing = [c for c in KEY_COLUMNS.get(name, ()) if c not in header]
        if missing:
            raise InputError(f"expected column(s) {', '.join(missing)} in the header of the "
                             f"{name} table", file=str(path), line=1)
        # Empty fields are empty strings (DuckDB reads them as NULL), as csv would read them.
        columns = [f"coalesce({_ident(c)}, '') AS {_ident(c)}" for c in header]
        columns += [f"'' AS {_ident(c)}" for c in OTHER_COLUMNS.get(name, ()) if c not in header]
        kind = "TABLE" if name in MATERIALISED else "VIEW"
        try:
            self.con.execute(f"CREATE {kind} {_ident(name)} AS SELECT {', '.join(columns)} "
                             f"FROM {source}")
        except self._duckdb.Error as exc:
            line = re.search(r"CSV Error on Line: (\d+)", str(exc))
            raise InputError(f"not a readable CSV table: {str(exc).splitlines()[0]}",
                             file=str(path), line=int(line[1]) if line else None) from None
        self.columns[name] = header

    def _failed(self, exc: Exception) -> InputError:
        """The error of a query: a malformed line in a table read lazily (observations,
        coverage), located by reading each such table again."""
        for name, path in self.paths.items():
            if name in MATERIALISED:
                continue
            try:
                self.con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchall()
            except self._duckdb.Error as bad:
                message = str(bad)
                line = re.search(r"CSV Error on Line: (\d+)", message)
                return InputError(f"not a readable CSV table: {message.splitlines()[0]}",
                                  file=str(path), line=int(line[1]) if line else None)
        return InputError(f"cannot query the audit tables: {str(exc).splitlines()[0]}")

    def _dicts(self, sql: str, params: list | None = None) -> list[dict]:
        try:
            cursor = self.con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        except self._duckdb.Error as exc:
            raise self._failed(exc) from None

    def _scalar_rows(self, sql: str, params: list | None = None) -> list[tuple]:
        try:
            return self.con.execute(sql, params or []).fetchall()
        except self._duckdb.Error as exc:
            raise self._failed(exc) from None

    # ------------------------------------------------------------- counts

    def count(self, name: str) -> int:
        return self._scalar_rows(f"SELECT count(*) FROM {_ident(name)}")[0][0]

    def verdict_counts(self) -> list[tuple[str, int]]:
        """(agreement, n) over all indicator rows, in the order each verdict first appears."""
        return [(v, n) for v, n, _ in self._scalar_rows(
            "SELECT agreement, count(*), min(rowid) AS first FROM indicators "
            "GROUP BY agreement ORDER BY first")]

    def indicator_ids(self) -> int:
        return self._scalar_rows("SELECT count(DISTINCT indicator_id) FROM indicators")[0][0]

    def check_counts(self) -> list[tuple[str, str, str, int]]:
        """(kind, status, severity, n) over all checks, in the order each first appears."""
        return [(k, st, sev, n) for k, st, sev, n, _ in self._scalar_rows(
            "SELECT kind, status, severity, count(*), min(rowid) AS first FROM checks "
            "GROUP BY ALL ORDER BY first")]

    def observation_counts(self) -> dict[str, tuple[int, int]]:
        """{source_id: (observations, verified)} over the full table (one scan)."""
        return {sid: (n, verified) for sid, n, verified in self._scalar_rows(
            "SELECT source_id, count(*), count(*) FILTER (WHERE evidence = 'verified') "
            "FROM observations GROUP BY source_id ORDER BY source_id")}

    def coverage_counts(self) -> dict[str, dict[str, int]] | None:
        """{source_id: {status: n}}, or None when the run has no coverage table."""
        if "coverage" not in self.names:
            return None
        counts: dict[str, dict[str, int]] = {}
        for sid, status, n in self._scalar_rows(
                "SELECT source_id, status, count(*) FROM coverage GROUP BY ALL ORDER BY ALL"):
            counts.setdefault(sid, {})[status] = n
        return counts

    def check_status(self, prefix: str) -> dict[str, str]:
        """{check_id: status} of the checks whose id starts with `prefix` (last one wins)."""
        return {cid: status for cid, status in self._scalar_rows(
            "SELECT check_id, status FROM checks WHERE starts_with(check_id, ?) ORDER BY rowid",
            [prefix])}

    def sources_named_by_findings(self) -> set[str]:
        return {sid for (sid,) in self._scalar_rows(
            "SELECT DISTINCT source_id FROM findings WHERE source_id <> ''")}

    # ------------------------------------------------------- bounded rows

    def failing_checks(self, limit: int) -> list[dict]:
        """The failing checks, errors first, then by id (ties in file order)."""
        return self._dicts(
            f"SELECT * FROM checks WHERE status = 'fail' "
            f"ORDER BY {SEVERITY_RANK_SQL}, check_id, rowid LIMIT ?", [limit])

    def findings(self, check_ids: list[str], limit: int) -> dict[str, tuple[list[dict], int]]:
        """{check_id: (its first `limit` findings in file order, how many it has)}."""
        if not check_ids:
            return {}
        rows = self._dicts(
            "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY check_id ORDER BY pos) "
            "AS rank_, count(*) OVER (PARTITION BY check_id) AS total_ FROM "
            "(SELECT rowid AS pos, * FROM findings WHERE check_id IN (SELECT unnest(?)))) "
            "WHERE rank_ <= ? ORDER BY pos", [check_ids, limit])
        found: dict[str, tuple[list[dict], int]] = {}
        for row in rows:
            total = row.pop("total_")
            row.pop("rank_"), row.pop("pos")
            found.setdefault(row["check_id"], ([], total))[0].append(row)
        return found

    def indicators(self, limit: int) -> list[dict]:
        """The first `limit` indicator rows in order of attention, each with its
        attention rank (`rank_`), line position (`pos_`) and the quantity as its value
        source wrote it (`stated_`)."""
        return self._dicts(
            f"""WITH named AS (SELECT DISTINCT indicator_id, period, breakdown FROM findings),
                ranked AS (
                  SELECT i.rowid AS pos_, i.*, n.indicator_id IS NOT NULL AS named
                  FROM indicators i LEFT JOIN named n USING (indicator_id, period, breakdown)),
                shown AS (SELECT * EXCLUDE (named), {INDICATOR_RANK_SQL} AS rank_ FROM ranked
                          ORDER BY rank_, pos_ LIMIT ?)
                SELECT s.*, coalesce(first(o.quantity ORDER BY o."row_number"), '') AS stated_
                FROM shown s LEFT JOIN observations o ON o.source_id = s.value_source
                  AND o.indicator_id = s.indicator_id AND o.period = s.period
                  AND o.breakdown = s.breakdown
                GROUP BY ALL ORDER BY s.rank_, s.pos_""", [limit])

    def statements(self, keys: list[tuple[str, str, str]],
                   limit: int) -> dict[tuple[str, str, str], tuple[list[dict], int]]:
        """{indicator key: (up to `limit` of its observations, how many it has)}.

        An indicator stated by many sources shows the observations a finding names or
        whose evidence failed first, then the others by source and row.
        """
        if not keys:
            return {}
        self.con.execute("CREATE OR REPLACE TEMP TABLE shown_keys "
                         "(indicator_id VARCHAR, period VARCHAR, breakdown VARCHAR)")
        self.con.executemany("INSERT INTO shown_keys VALUES (?, ?, ?)", [list(k) for k in keys])
        rows = self._dicts(
            f"""WITH named AS (SELECT DISTINCT source_id, "row_number" FROM findings),
                stated AS (
                  SELECT o.*, (n.source_id IS NOT NULL
                               OR o.evidence NOT IN ('verified', 'derived')) AS problem_
                  FROM observations o SEMI JOIN shown_keys k USING ({', '.join(KEY)})
                  LEFT JOIN named n USING (source_id, "row_number"))
                SELECT * FROM (
                  SELECT *, row_number() OVER (PARTITION BY {', '.join(KEY)} ORDER BY
                           problem_ DESC, starts_with(source_id, 'derived:'), source_id,
                           TRY_CAST("row_number" AS BIGINT), "row_number") AS rank_,
                         count(*) OVER (PARTITION BY {', '.join(KEY)}) AS total_
                  FROM stated)
                WHERE rank_ <= ? ORDER BY {', '.join(KEY)}, rank_""", [limit])
        found: dict[tuple[str, str, str], tuple[list[dict], int]] = {}
        for row in rows:
            total = row.pop("total_")
            row.pop("rank_"), row.pop("problem_")
            found.setdefault(tuple(row[k] for k in KEY), ([], total))[0].append(row)
        return found

    def rule_checks(self, rules: list[str]) -> dict[str, list[dict]]:
        """{rule_id: the checks about it, in file order}: an id that has the rule as a
        dotted part or ends with it."""
        if not rules:
            return {}
        rows = self._dicts(
            "SELECT r.rule AS rule_, c.* FROM checks c, (SELECT unnest(?) AS rule) r "
            "WHERE list_contains(string_split(c.check_id, '.'), r.rule) "
            "OR suffix(c.check_id, '.' || r.rule) OR c.check_id = r.rule "
            "ORDER BY r.rule, c.rowid", [rules])
        found: dict[str, list[dict]] = {rule: [] for rule in rules}
        for row in rows:
            found[row.pop("rule_")].append(row)
        return found

    def checks(self, limit: int) -> list[dict]:
        """Up to `limit` checks, failing ones first (by severity), shown in file order."""
        rows = self._dicts(
            f"SELECT rowid AS pos_, * FROM checks ORDER BY status <> 'fail', "
            f"{SEVERITY_RANK_SQL}, rowid LIMIT ?", [limit])
        rows.sort(key=lambda row: row["pos_"])
        for row in rows:
            row.pop("pos_")
        return rows

    def failure_cases(self, limit: int) -> tuple[list[str], list[dict], int]:
        """The pandera failure cases' columns, the first `limit` of them and their number."""
        if "failure_cases" not in self.names:
            return [], [], 0
        rows = self._dicts("SELECT * FROM failure_cases ORDER BY rowid LIMIT ?", [limit])
        total = self.count("failure_cases")
        return (self.columns["failure_cases"] if total else []), rows, total
