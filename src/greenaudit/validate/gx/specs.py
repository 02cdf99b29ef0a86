"""What the GX suites check, as plain data: suites, their items, check ids and claims.

Nothing here imports great_expectations. The items of each suite are read from the
audit database (which groups two or more sources state, which indicators the
catalog lists, which values rules derived); what holds for them is decided by GX
(expectations.py) over the same database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from greenaudit.rules.load import DERIVED, DERIVED_SOURCE_PREFIX, RULES_LABEL
from greenaudit.formats.duckdb_memory import connect

from greenaudit.validate.gx.keys import group_key

# Hard bounds every indicator of a kind respects, whatever its catalog entry; an
# indicator's range is its catalog valid range within them. None is an open end.
KIND_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "share": (0, 100), "change_pp": (-100, 100), "change_percent": (-100, None),
    "growth_rate": (-100, None), "multiple": (0, None), "count": (0, None),
    "amount": (0, None), "intensity": (0, None), "ratio": (0, None), "duration": (0, None),
}

# GX costs a few milliseconds per expectation (building, validating, rendering), so a
# suite holds at most this many: beyond it, consecutive items share an expectation.
MAX_EXPECTATIONS = 200


@dataclass(frozen=True)
class SuiteKind:
    """One suite: its GX name, check-id prefix, expectation class and what it is about."""

    name: str
    prefix: str
    expectation: str
    target: str
    noun: str


AGREEMENT = SuiteKind("agreement", "gx.agreement", "ExpectStatementsToAgree", "observations",
                      "group")
RANGES = SuiteKind("indicator_ranges", "gx.range", "ExpectValuesInValidRange",
                   "observations.value_canonical", "indicator")
UNITS = SuiteKind("indicator_units", "gx.unit", "ExpectCanonicalUnit",
                  "observations.unit_canonical", "indicator")
IDENTITIES = SuiteKind("identities", "gx.identity", "ExpectDerivedValueToMatchSources",
                       RULES_LABEL, "derived value")
SUITES = (AGREEMENT, RANGES, UNITS, IDENTITIES)
SUITE_BY_NAME = {suite.name: suite for suite in SUITES}
# The tables each suite reads (besides observations, its batch).
SUITE_TABLES = {AGREEMENT.name: ("observations", "discrepancies", "indicators"),
                RANGES.name: ("observations", "catalog"), UNITS.name: ("observations", "catalog"),
                IDENTITIES.name: ("observations",)}


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite: the check it becomes and the items it covers."""

    suite: str
    check_id: str
    target: str
    items: tuple[str, ...]
    claim: str


@dataclass
class Plan:
    """Every suite's expectations, and the tables of the database that are missing."""

    expectations: dict[str, list[ExpectationSpec]]
    missing_tables: dict[str, list[str]]


def group_label(key: str) -> str:
    """hi_tech_mfg_share@2022 -> 'hi_tech_mfg_share 2022' (as the report names a group)."""
    indicator, _, rest = key.partition("@")
    period, _, breakdown = rest.partition("[")
    # The key closes the breakdown with one "]"; a value may end in "]" itself.
    return f"{indicator} {period}" + (f" ({breakdown.removesuffix(']')})" if breakdown else "")


def fmt_number(value: Decimal | float | int | None) -> str:
    """A bound as a plain number (15.45, 100, -0.5); '' for None."""
    if value is None:
        return ""
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0.0") else text


def fmt_interval(lower, upper) -> str:
    """[15.45, 15.55]; an open end is -inf or +inf."""
    low = "-inf" if lower is None else fmt_number(lower)
    high = "+inf" if upper is None else fmt_number(upper)
    return f"[{low}, {high}]"


def effective_range(kind: str | None, low, high) -> tuple[Decimal | None, Decimal | None]:
    """An indicator's range: its catalog valid range within its kind's hard bounds."""
    kind_low, kind_high = KIND_BOUNDS.get(str(kind), (None, None))
    lows = [Decimal(x) for x in (low, kind_low) if x is not None]
    highs = [Decimal(x) for x in (high, kind_high) if x is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def catalog_from_database(db_path: Path) -> dict[str, dict]:
    """{indicator_id: {kind, unit, valid_range}} from the database's catalog table.

    The catalog build_database loaded (and checked units of) is the one the data was
    staged against; reading it here keeps pint and the YAML out of this job.
    """
    import duckdb

    con = connect(db_path, read_only=True)
    try:
        rows = con.execute("SELECT indicator_id, kind, unit, valid_low, valid_high "
                           "FROM catalog ORDER BY indicator_id").fetchall()
    except duckdb.CatalogException:
        return {}  # no catalog table: the range and unit suites have nothing to check
    finally:
        con.close()
    return {ind: {"kind": kind, "unit": unit, "valid_range": [low, high]}
            for ind, kind, unit, low, high in rows}


def slices(items: list[str], limit: int) -> list[tuple[str, ...]]:
    """One item per expectation, or consecutive runs of items when there are more than
    `limit` (at most `limit` runs of near-equal length)."""
    if len(items) <= limit:
        return [(item,) for item in items]
    size = math.ceil(len(items) / limit)
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


def _check_id(suite: SuiteKind, items: tuple[str, ...]) -> str:
    name = items[0] if len(items) == 1 else f"{items[0]}..{items[-1]}"
    return f"{suite.prefix}.{name}"


def _claim(suite: SuiteKind, items: tuple[str, ...], catalog: dict[str, dict]) -> str:
    """What the expectation requires, in words (its prescriptive text in the Data Docs)."""
    what = (group_label(items[0]) if suite is AGREEMENT else items[0]) if len(items) == 1 \
        else f"{len(items)} {suite.noun}s, {items[0]} to {items[-1]}"
    if suite is AGREEMENT:
        return (f"{what}: the statements' intervals share a point, or the conflict is "
                "declared in schemas/known_discrepancies.yaml")
    if suite is IDENTITIES:
        return (f"{what}: the interval the rule evaluates to meets the sources' "
                "statements of the value it derives")
    if len(items) > 1:
        return (f"{what}: every value lies in its indicator's valid range" if suite is RANGES
                else f"{what}: every value is in its indicator's canonical unit")
    entry = catalog.get(items[0]) or {}
    if suite is RANGES:
        low, high = effective_range(entry.get("kind"), *(list(entry.get("valid_range")
                                                              or [None, None]) + [None])[:2])
        return f"{what}: every value lies in {fmt_interval(low, high)} {entry.get('unit', '')}"
    return f"{what}: every value is in {entry.get('unit', '')}"


def plan_expectations(items: dict[str, list[str]], catalog: dict[str, dict],
                      lines: dict[str, int], limit: int = MAX_EXPECTATIONS
                      ) -> dict[str, list[ExpectationSpec]]:
    """The expectations of every suite, by suite name, in SUITES order."""
    planned: dict[str, list[ExpectationSpec]] = {}
    for suite in SUITES:
        specs = []
        for run in slices(items.get(suite.name, []), limit):
            target = suite.target
            if suite is IDENTITIES and len(run) == 1 and run[0] in lines:
                target = f"{RULES_LABEL}:{lines[run[0]]}"
            specs.append(ExpectationSpec(suite.name, _check_id(suite, run), target, run,
                                         _claim(suite, run, catalog)))
        planned[suite.name] = specs
    return planned


def read_plan(db_path: Path, catalog: dict[str, dict], limit: int = MAX_EXPECTATIONS) -> Plan:
    """The suites' expectations for the database at `db_path`, and its missing tables."""
    con = connect(db_path, read_only=True)
    try:
        tables = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        items: dict[str, list[str]] = {suite.name: [] for suite in SUITES}
        lines: dict[str, int] = {}
        if "observations" in tables:
            # Sorted as strings: a run of items is then a range of keys (the report
            # finds a group's expectation by bisection).
            items[AGREEMENT.name] = sorted(group_key(*row) for row in con.execute(
                "SELECT indicator_id, period, breakdown FROM observations GROUP BY ALL "
                "HAVING count(DISTINCT source_id) > 1").fetchall())
            derived = con.execute(
                "SELECT source_id, min(row_number) FROM observations WHERE evidence = ? "
                "GROUP BY ALL ORDER BY ALL", [DERIVED]).fetchall()
            for source_id, line in derived:
                rule_id = str(source_id).removeprefix(DERIVED_SOURCE_PREFIX)
                items[IDENTITIES.name].append(rule_id)
                lines[rule_id] = int(line)
        items[RANGES.name] = items[UNITS.name] = sorted(catalog)
    finally:
        con.close()
    missing = {suite: sorted(set(needed) - tables) for suite, needed in SUITE_TABLES.items()}
    return Plan(plan_expectations(items, catalog, lines, limit),
                {suite: names for suite, names in missing.items() if names})
