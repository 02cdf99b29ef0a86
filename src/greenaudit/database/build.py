"""Build the DuckDB database from the staged Parquet files (one writer, atomic).

Cross-source agreement is computed in SQL (agreement.py) over every observation of
the same (indicator, period, breakdown).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenaudit.workspace.catalog import DISCREPANCIES_FILE, Discrepancy, Indicator
from greenaudit.formats.duckdb_memory import connect
from greenaudit.cache.load import open_loaded, plan_load
from greenaudit.cache.store import Store
from greenaudit.checks import Check, outcome
from greenaudit.rules.derive import RuleMemo, RuleOutcome, evaluate_rules, store_rule_outcome
from greenaudit import tables
from greenaudit.workspace.manifest import Source
from greenaudit.formats.rowinsert import insert_rows
from greenaudit.rules.load import Rule
from greenaudit.text.units import UnitSystem
from greenaudit.database.agreement import AGREEMENT_SQL, CONFLICT_FINDINGS_SQL
from greenaudit.database.period_hints import inferred_period_hints

log = logging.getLogger("greenaudit")

COVERAGE_COLUMNS_SQL = tables.sql_columns(tables.COVERAGE)

def _create_empty(con: duckdb.DuckDBPyConnection, name: str, parquet_glob: list[Path],
                  columns_sql: str) -> None:
    if parquet_glob:
        files = [str(p) for p in parquet_glob]
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?, union_by_name=false)",
                    [files])
    else:
        con.execute(f"CREATE TABLE {name} ({columns_sql})")


def _evaluate_staged_rules(rules: Sequence[Rule] | Callable[[], Sequence[Rule]],
                           catalog: dict[str, Indicator], units: UnitSystem | None,
                           observations: list[Path],
                           memo_factory: Callable[[], RuleMemo] | None = None) -> RuleOutcome:
    """The rules' outcome over the staged observations, read from their Parquet files."""
    rules = list(rules() if callable(rules) else rules)
    if not rules:
        return RuleOutcome([], [], [])
    if units is None:
        raise ValueError("rules need the unit system they were typed with")
    # Read here, in the rules' thread, beside the load.
    memo = memo_factory() if memo_factory is not None else None
    staged = connect()
    try:
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in observations)
        staged.execute(f"CREATE VIEW observations AS SELECT * FROM read_parquet([{files}])")
        result = evaluate_rules(staged, rules, catalog, units, memo)
    finally:
        staged.close()
    if memo is not None:
        log.info("rules: %d of %d outcomes reused (inputs unchanged)", memo.reused, len(rules))
        memo.save()
    return result


@dataclass(frozen=True)
class StagedFiles:
    """The staging products of every shard, one Parquet file per shard and table."""

    transcriptions: list[Path]
    observations: list[Path]
    checks: list[Path]
    findings: list[Path]
    coverage: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class References:
    """What the database is built against: the workspace's declarations, and the
    checks of the workspace itself (workspace/completeness.py)."""

    sources: dict[str, Source]
    catalog: dict[str, Indicator]
    discrepancies: list[Discrepancy]
    extra_checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class RuleSet:
    """The rules (or a function parsing them, so that parsing overlaps the load), the
    unit system that typed them, and a factory of the memo of their last outcomes."""

    rules: Sequence[Rule] | Callable[[], Sequence[Rule]] = ()
    units: UnitSystem | None = None
    memo: Callable[[], RuleMemo] | None = None


def build_database(out_path: Path, staged: StagedFiles, references: References,
                   rules: RuleSet = RuleSet(), threads: int | None = None,
                   load_store: Store | None = None) -> list[Check]:
    """Write the database to a temp file and rename it into place.

    Returns the checks computed here: the rules' (which also add derived
    observations, before agreement is computed) and the agreement checks.

    The rules are evaluated over the staged Parquet while DuckDB loads it (DuckDB
    releases the GIL), so the rules' Python work costs no extra wall time. With a
    `load_store`, the large staged tables come from the last build's load where
    their files are unchanged (cache/load.py); with a rule memo, a rule whose inputs
    are unchanged is not evaluated again (cache/rules.py).
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    partial = (tmp, tmp.with_name(tmp.name + ".wal"))
    for leftover in partial:
        leftover.unlink(missing_ok=True)
    con: duckdb.DuckDBPyConnection | None = None
    try:
        con, rule_outcome = _load(tmp, staged, references, rules, threads, load_store)
        computed = _compute(con, rule_outcome, references)
    except BaseException:
        if con is not None:
            con.close()
        for leftover in partial:
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out_path)
    return computed


def _load(tmp: Path, staged: StagedFiles, references: References, rules: RuleSet,
          threads: int | None, load_store: Store | None):
    """The staged and reference tables loaded into `tmp`, and the rules' outcome."""
    plan = plan_load({"transcriptions": staged.transcriptions,
                      "observations": staged.observations,
                      "coverage": list(staged.coverage)}, load_store)
    with ThreadPoolExecutor(max_workers=1) as pool:
        evaluating = pool.submit(_evaluate_staged_rules, rules.rules, references.catalog,
                                 rules.units, staged.observations, rules.memo)
        # Every aggregate that could depend on thread scheduling is ordered (string_agg
        # ORDER BY, ranked windows, min over units), so any thread count gives the same
        # tables; nor does any depend on the rows' physical order, which a reused load
        # changes.
        con = None
        try:
            con = open_loaded(tmp, plan, {"coverage": COVERAGE_COLUMNS_SQL}, threads)
            log.info("staged tables: %s", plan.description)
            _create_empty(con, "staged_checks", staged.checks, tables.sql_columns(tables.CHECKS))
            _create_empty(con, "findings", staged.findings, tables.sql_columns(tables.FINDINGS))
            _create_reference_tables(con, references.sources, references.catalog,
                                     references.discrepancies)
        except BaseException:
            if con is not None:
                con.close()
            # A rule's error names the line of schemas/rules.yaml to fix: report it first.
            if evaluating.exception() is not None:
                evaluating.result()
            raise
        try:
            return con, evaluating.result()
        except BaseException:
            con.close()
            raise


def _compute(con: duckdb.DuckDBPyConnection, rule_outcome: RuleOutcome,
             references: References) -> list[Check]:
    """Derived observations, agreement, conflict findings and the checks table."""
    rule_checks = store_rule_outcome(con, rule_outcome)
    con.execute(AGREEMENT_SQL)
    computed = rule_checks + _agreement_checks(con, references.discrepancies)
    con.execute(CONFLICT_FINDINGS_SQL)
    con.execute(f"CREATE TABLE computed_checks ({tables.sql_columns(tables.CHECKS)})")
    insert_rows(con, "computed_checks", [c.as_row() for c in references.extra_checks + computed])
    con.execute("""CREATE TABLE checks AS SELECT * FROM (
        SELECT * FROM staged_checks UNION ALL SELECT * FROM computed_checks) ORDER BY ALL""")
    con.execute("DROP TABLE staged_checks")
    con.execute("DROP TABLE computed_checks")
    con.execute("CHECKPOINT")
    return computed


def _create_reference_tables(con: duckdb.DuckDBPyConnection, sources: dict[str, Source],
                             catalog: dict[str, Indicator],
                             discrepancies: list[Discrepancy]) -> None:
    """The sources, catalog and declared discrepancies, as read from the workspace."""
    _create(con, tables.SOURCES, [[s.record()[c] for c in tables.SOURCES.column_names]
                                  for s in sorted(sources.values(), key=lambda s: s.source_id)])
    _create(con, tables.CATALOG, [[getattr(i, c) for c in tables.CATALOG.column_names]
                                  for i in sorted(catalog.values(), key=lambda i: i.indicator_id)])
    _create(con, tables.DISCREPANCIES, [
        [d.indicator_id, d.period, d.breakdown, ";".join(d.sources), d.reason]
        for d in discrepancies])


def _create(con: duckdb.DuckDBPyConnection, table: tables.Table, rows: list[list]) -> None:
    """A table of the registry, created with its declared columns and filled with `rows`."""
    con.execute(f"CREATE TABLE {table.name} ({tables.sql_columns(table)})")
    insert_rows(con, table.name, rows)


def _agreement_checks(con: duckdb.DuckDBPyConnection,
                      discrepancies: list[Discrepancy]) -> list[Check]:
    """Undeclared conflicts (errors) and declarations that match no conflict (warnings).

    A declaration covers a conflict only if it names exactly the sources that state
    the figure: a source added to the group, or ids that state nothing, void it.
    O(groups + declarations).
    """
    declared = {d.key: d for d in discrepancies}
    multi = con.execute("""SELECT indicator_id, period, breakdown, agreement, sources
        FROM indicators WHERE n_sources > 1 ORDER BY ALL""").fetchall()
    conflicts = {(i, p, b): tuple(s.split(";")) for i, p, b, a, s in multi if a == "conflict"}
    stating = {(i, p, b): tuple(s.split(";")) for i, p, b, _, s in multi}
    # What each source says, for every conflicting group, in one query.
    statements = con.execute("""SELECT o.indicator_id, o.period, o.breakdown,
            string_agg('raw/tables/' || o.source_id || '.csv:' || o.row_number || ' says '
                       || o.quantity,
                       '; ' ORDER BY o.source_id, o.row_number)
        FROM observations o JOIN indicators i USING (indicator_id, period, breakdown)
        WHERE i.agreement = 'conflict'
        GROUP BY ALL ORDER BY ALL""").fetchall()
    undeclared = [f"{'/'.join(k for k in (i, p, b) if k)}: sources disagree ({said}); expected "
                  f"agreement or a declaration in {DISCREPANCIES_FILE}"
                  f"{_declared_otherwise(declared.get((i, p, b)), conflicts[(i, p, b)])}"
                  for i, p, b, said in statements
                  if not _covers(declared.get((i, p, b)), conflicts[(i, p, b)])]
    stale = [_stale(d, stating.get(d.key)) for d in sorted(discrepancies, key=lambda d: d.line)
             if not _covers(d, conflicts.get(d.key))]
    return [
        outcome("agreement.conflicts_declared", "agreement", "error", "indicators", len(multi),
                undeclared, "every cross-source conflict is declared with a reason"),
        outcome("agreement.declarations_current", "agreement", "warning",
                DISCREPANCIES_FILE, len(declared), stale,
                "every declared discrepancy is still a conflict"),
        *inferred_period_hints(con),
    ]


def _covers(declaration: Discrepancy | None, sources: tuple[str, ...] | None) -> bool:
    return declaration is not None and sources is not None and declaration.sources == sources


def _declared_otherwise(declaration: Discrepancy | None, sources: tuple[str, ...]) -> str:
    if declaration is None:
        return ""
    return (f" ({DISCREPANCIES_FILE}:{declaration.line} declares it for sources "
            f"{';'.join(declaration.sources)}, but the sources stating it are {';'.join(sources)})")


def _stale(declaration: Discrepancy, stating: tuple[str, ...] | None) -> str:
    where = f"{DISCREPANCIES_FILE}:{declaration.line}"
    what = "/".join(k for k in declaration.key if k)
    if stating is None:
        return f"{where}: {what} is declared but fewer than two sources state it"
    if set(stating) != set(declaration.sources):
        return (f"{where}: {what} is declared for sources {';'.join(declaration.sources)}, but "
                f"the sources stating it are {';'.join(stating)}")
    return f"{where}: {what} is declared but its sources no longer conflict"
