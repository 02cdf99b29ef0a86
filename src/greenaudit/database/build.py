"""Build the DuckDB database from the staged Parquet files (one writer, atomic).

Cross-source agreement is computed here, in SQL, over every observation of the
same (indicator, period, breakdown).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from greenaudit.workspace.catalog import DISCREPANCIES_FILE, Discrepancy, Indicator
from greenaudit.checks import Check, outcome
from greenaudit.rules.derive import RuleOutcome, evaluate_rules, store_rule_outcome
from greenaudit.stage.evidence import EVIDENCE_STATUSES
from greenaudit.load_cache import open_loaded, plan_load
from greenaudit.workspace.manifest import Source
from greenaudit.formats.rowinsert import insert_rows
from greenaudit.rules.load import DERIVED, RULES_LABEL, Rule
from greenaudit.text.units import UnitSystem
from greenaudit.database.period_hints import inferred_period_hints

log = logging.getLogger("greenaudit")

COVERAGE_COLUMNS_SQL = ("source_id VARCHAR, start INTEGER, \"end\" INTEGER, mention VARCHAR, "
                       "status VARCHAR, reason VARCHAR")

# `derived`: the only statement of the (indicator, period, breakdown) is a value a
# rule of schemas/rules.yaml derived; no source states it.
AGREEMENTS = ("agree", "agree_within_rounding", "conflict", "single_source", DERIVED)
# Evidence of an observation: how its quote was proven, or `derived` (computed by a rule).
EVIDENCE_VALUES = (*EVIDENCE_STATUSES, DERIVED)

# A NULL bound is an open end: max() and min() skip NULLs, which is what an open
# end means for an intersection (and an all-NULL side stays unbounded).
# Derived values join the comparison like sources, but the published value is a
# source's whenever one states it: a derived value is shown only where none does.
# The published value is the most precise statement's: arg_min over a tuple that
# orders sources first, then the narrowest interval (unbounded last), then source
# id and row (unique), so one statement wins whatever the scan order. The sources
# are a sorted list of distinct ids (cheaper than DISTINCT aggregates).
AGREEMENT_SQL = f"""
CREATE TABLE indicators AS
WITH grouped AS (
    SELECT indicator_id, period, breakdown,
           min(unit_canonical) AS unit_canonical,
           count(DISTINCT unit_canonical) AS n_units,
           list_sort(list_distinct(list(source_id))) AS source_list,
           max(stated_lower) AS stated_lo, min(stated_upper) AS stated_hi,
           max(lower) AS lo, min(upper) AS hi,
           min(lower) AS hull_lo, max(upper) AS hull_hi,
           bool_or(lower IS NULL) AS any_open_lo, bool_or(upper IS NULL) AS any_open_hi,
           bool_and(evidence = '{DERIVED}') AS all_derived,
           arg_min({{'value': value_canonical, 'source_id': source_id}},
                   (evidence = '{DERIVED}', (upper - lower) IS NULL, coalesce(upper - lower, 0),
                    source_id, row_number)) AS most_precise
    FROM observations
    GROUP BY indicator_id, period, breakdown
),
verdicts AS (
    SELECT g.*, len(source_list) AS n_sources,
        CASE
            WHEN len(source_list) = 1 AND all_derived THEN '{DERIVED}'
            WHEN len(source_list) = 1 THEN 'single_source'
            WHEN stated_lo IS NULL OR stated_hi IS NULL OR stated_lo <= stated_hi THEN 'agree'
            WHEN lo IS NULL OR hi IS NULL OR lo <= hi THEN 'agree_within_rounding'
            ELSE 'conflict'
        END AS agreement
    FROM grouped g
)
SELECT v.indicator_id, v.period, v.breakdown, v.most_precise.value AS value, v.unit_canonical,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_lo THEN NULL ELSE v.hull_lo END)
            ELSE v.lo END AS lower,
       CASE WHEN v.agreement = 'conflict' THEN (CASE WHEN v.any_open_hi THEN NULL ELSE v.hull_hi END)
            ELSE v.hi END AS upper,
       CAST(v.n_sources AS INTEGER) AS n_sources, array_to_string(v.source_list, ';') AS sources,
       v.agreement,
       concat_ws(';',
           CASE WHEN v.n_units > 1 THEN 'mixed_units' END,
           CASE WHEN v.agreement = 'conflict' AND d.indicator_id IS NOT NULL THEN 'declared_discrepancy' END,
           CASE WHEN v.agreement = 'conflict' THEN 'interval_is_hull' END
       ) AS flags,
       v.most_precise.source_id AS value_source
FROM verdicts v
LEFT JOIN discrepancies d ON d.indicator_id = v.indicator_id AND d.period = v.period
             AND d.breakdown = v.breakdown AND d.sources = array_to_string(v.source_list, ';')
ORDER BY v.indicator_id, v.period, v.breakdown
"""


# Who to blame for an undeclared conflict. The statements that can vote are the
# credible ones: proven against the source (evidence verified) or derived by a rule,
# and inside the indicator's valid and plausible ranges, so a misread or misprinted
# figure cannot outvote a sound one. If a strict majority of credible statements
# share a point, the statements that miss every such point are the outliers and are
# named alone; otherwise nobody can be singled out and every statement of the group
# is named (a derived row by the line of its rule), each with what the group says.
# Candidate points are the credible intervals' bounds: a maximal overlap of closed
# intervals always contains one of them.
CONFLICT_FINDINGS_SQL = f"""
INSERT INTO findings
WITH disputed AS (
    SELECT indicator_id, period, breakdown, sources FROM indicators
    WHERE agreement = 'conflict'
      AND NOT list_contains(string_split(flags, ';'), 'declared_discrepancy')
),
members AS (
    SELECT o.source_id, o.row_number, o.indicator_id, o.period, o.breakdown, o.quantity,
           o.lower, o.upper, d.sources,
           CASE WHEN o.evidence = '{DERIVED}' THEN '{RULES_LABEL}:'
                ELSE 'raw/tables/' || o.source_id || '.csv:' END || o.row_number AS place,
           o.evidence, o.evidence IN ('verified', '{DERIVED}')
               AND NOT list_has_any(string_split(o.flags, ';'),
                                    ['implausible', 'outside_valid_range']) AS credible
    FROM observations o JOIN disputed d USING (indicator_id, period, breakdown)
),
said AS (
    SELECT indicator_id, period, breakdown, string_agg(place || ' says ' || quantity, '; '
                                                       ORDER BY source_id, row_number) AS said
    FROM members GROUP BY ALL
),
points AS (
    SELECT DISTINCT indicator_id, period, breakdown, point FROM (
        SELECT indicator_id, period, breakdown, lower AS point FROM members
        WHERE credible AND lower IS NOT NULL
        UNION ALL
        SELECT indicator_id, period, breakdown, upper FROM members
        WHERE credible AND upper IS NOT NULL)
),
support AS (
    SELECT p.indicator_id, p.period, p.breakdown, p.point, count(*) AS n_support
    FROM points p JOIN members m USING (indicator_id, period, breakdown)
    WHERE m.credible AND (m.lower IS NULL OR m.lower <= p.point)
      AND (m.upper IS NULL OR m.upper >= p.point)
    GROUP BY ALL
),
groups AS (
    SELECT indicator_id, period, breakdown, count(*) AS n_members,
           count(*) FILTER (WHERE credible) AS n_credible
    FROM members GROUP BY ALL
),
majority AS (
    SELECT s.indicator_id, s.period, s.breakdown, s.point, s.n_support, g.n_members
    FROM support s JOIN groups g USING (indicator_id, period, breakdown)
    WHERE 2 * s.n_support > g.n_credible
      AND s.n_support = (SELECT max(t.n_support) FROM support t
                         WHERE t.indicator_id = s.indicator_id AND t.period = s.period
                           AND t.breakdown = s.breakdown)
),
verdicts AS (
    SELECT m.*,
           EXISTS (SELECT 1 FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown) AS has_majority,
           NOT EXISTS (SELECT 1 FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown
                   AND (m.lower IS NULL OR m.lower <= a.point)
                   AND (m.upper IS NULL OR m.upper >= a.point)) AS outlier,
           (SELECT any_value(a.n_support) FROM majority a WHERE a.indicator_id = m.indicator_id
                   AND a.period = m.period AND a.breakdown = m.breakdown) AS n_agreeing,
           g.n_members
    FROM members m JOIN groups g USING (indicator_id, period, breakdown)
),
attributed AS (
    SELECT *, bool_or(has_majority AND outlier) OVER (
        PARTITION BY indicator_id, period, breakdown) AS singled_out
    FROM verdicts
)
SELECT 'agreement.conflicts_declared', 'error', source_id, row_number, indicator_id, period,
       breakdown,
       place || ': ' || indicator_id || ' ' || period || ' = ' || quantity
       || CASE WHEN singled_out
               THEN ' is outside the range that ' || n_agreeing || ' of ' || n_members
                    || ' statements agree on'
               ELSE ': no majority of credible statements agrees, so every statement is named'
          END
       || ' (' || said || '); expected agreement or a declaration in {DISCREPANCIES_FILE}'
FROM attributed JOIN said USING (indicator_id, period, breakdown)
WHERE outlier OR NOT singled_out
"""


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
                           observations: list[Path], memo_path: Path | None = None) -> RuleOutcome:
    """The rules' outcome over the staged observations, read from their Parquet files."""
    rules = list(rules() if callable(rules) else rules)
    if not rules:
        return RuleOutcome([], [], [])
    if units is None:
        raise ValueError("rules need the unit system they were typed with")
    memo = None
    if memo_path is not None:
        from greenaudit.rule_cache import StoredRuleMemo

        memo = StoredRuleMemo(memo_path)
    staged = duckdb.connect()
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


def build_database(out_path: Path, sources: dict[str, Source], catalog: dict[str, Indicator],
                   discrepancies: list[Discrepancy], transcriptions: list[Path],
                   observations: list[Path], checks: list[Path], findings: list[Path],
                   extra_checks: list[Check],
                   rules: Sequence[Rule] | Callable[[], Sequence[Rule]] = (),
                   units: UnitSystem | None = None, threads: int | None = None,
                   coverage: list[Path] = (), cache_dir: Path | None = None,
                   rule_memo: Path | None = None) -> list[Check]:
    """Write the database to a temp file and rename it into place.

    Returns the checks computed here: the rules' (which also add derived
    observations, before agreement is computed) and the agreement checks.

    The rules are evaluated over the staged Parquet while DuckDB loads it (DuckDB
    releases the GIL), so the rules' Python work costs no extra wall time. `rules`
    may be a function returning them: parsing a large rules file then overlaps the
    load too. With a `cache_dir`, the large staged tables come from the last build's
    load where their files are unchanged (load_cache); with a `rule_memo` file, a
    rule whose inputs are unchanged is not evaluated again (rule_cache).
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    partial = (tmp, tmp.with_name(tmp.name + ".wal"))
    for leftover in partial:
        leftover.unlink(missing_ok=True)
    con: duckdb.DuckDBPyConnection | None = None
    try:
        plan = plan_load({"transcriptions": transcriptions, "observations": observations,
                          "coverage": list(coverage)}, cache_dir)
        with ThreadPoolExecutor(max_workers=1) as pool:
            evaluating = pool.submit(_evaluate_staged_rules, rules, catalog, units, observations,
                                     rule_memo)
            # Every aggregate that could depend on thread scheduling is ordered (string_agg
            # ORDER BY, ranked windows, min over units), so any thread count gives the same
            # tables; nor does any depend on the rows' physical order, which a reused load
            # changes.
            try:
                con = open_loaded(tmp, plan, {"coverage": COVERAGE_COLUMNS_SQL}, threads)
                log.info("staged tables: %s", plan.description)
                _create_empty(con, "staged_checks", checks, "")
                _create_empty(con, "findings", findings, "")
                _create_reference_tables(con, sources, catalog, discrepancies)
            except BaseException:
                # A rule's error names the line of schemas/rules.yaml to fix: report it first.
                if evaluating.exception() is not None:
                    evaluating.result()
                raise
            rule_outcome = evaluating.result()
        rule_checks = store_rule_outcome(con, rule_outcome)
        con.execute(AGREEMENT_SQL)
        computed = rule_checks + _agreement_checks(con, discrepancies)
        con.execute(CONFLICT_FINDINGS_SQL)
        con.execute("""CREATE TABLE computed_checks (check_id VARCHAR, kind VARCHAR,
            severity VARCHAR, status VARCHAR, target VARCHAR, n_items BIGINT, n_failed BIGINT,
            message VARCHAR)""")
        insert_rows(con, "computed_checks", [c.as_row() for c in extra_checks + computed])
        con.execute("""CREATE TABLE checks AS SELECT * FROM (
            SELECT * FROM staged_checks UNION ALL SELECT * FROM computed_checks) ORDER BY ALL""")
        con.execute("DROP TABLE staged_checks")
        con.execute("DROP TABLE computed_checks")
        con.execute("CHECKPOINT")
    except BaseException:
        if con is not None:
            con.close()
        for leftover in partial:
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out_path)
    return computed


def _create_reference_tables(con: duckdb.DuckDBPyConnection, sources: dict[str, Source],
                             catalog: dict[str, Indicator],
                             discrepancies: list[Discrepancy]) -> None:
    """The sources, catalog and declared discrepancies, as read from the workspace."""
    con.execute("""CREATE TABLE sources (source_id VARCHAR, file VARCHAR, sha256 VARCHAR,
        title VARCHAR, publisher VARCHAR, published VARCHAR, script VARCHAR, kind VARCHAR,
        drop_strings VARCHAR, strip_patterns VARCHAR, url VARCHAR, retrieved VARCHAR)""")
    insert_rows(con, "sources", [list(s.record().values())
                                 for s in sorted(sources.values(), key=lambda s: s.source_id)])
    con.execute("""CREATE TABLE catalog (indicator_id VARCHAR, name_en VARCHAR, name_zh VARCHAR,
        kind VARCHAR, unit VARCHAR, valid_low DECIMAL(38,10), valid_high DECIMAL(38,10),
        plausible_low DECIMAL(38,10), plausible_high DECIMAL(38,10), plausible_reason VARCHAR,
        target BOOLEAN, description VARCHAR)""")
    insert_rows(con, "catalog", [
        [i.indicator_id, i.name_en, i.name_zh, i.kind, i.unit, i.valid_low, i.valid_high,
         i.plausible_low, i.plausible_high, i.plausible_reason, i.target, i.description]
        for i in sorted(catalog.values(), key=lambda i: i.indicator_id)])
    con.execute("""CREATE TABLE discrepancies (indicator_id VARCHAR, period VARCHAR,
        breakdown VARCHAR, sources VARCHAR, reason VARCHAR)""")
    insert_rows(con, "discrepancies", [
        [d.indicator_id, d.period, d.breakdown, ";".join(d.sources), d.reason]
        for d in discrepancies])


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
