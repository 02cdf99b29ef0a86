"""Apply the rules during the database build: checks, findings and derived observations.

Runs inside `database.build_database`: the rules are evaluated over the staged
observations while they load, and what they add is stored before cross-source
agreement is computed, so that a derived value joins the comparison of its
(indicator, period, breakdown) like any source.

Rules read only what the sources state (never another rule's derived value), so
their order does not matter. Where several sources state a reference, the rule
reads the intersection of their allowed intervals (what all of them permit),
their stated intervals likewise (or the allowed intersection when the stated
digits differ, as 28% and 28.2% do), and the point value of the most precise
source; where the sources conflict it reads the hull of their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal
from typing import Protocol

import duckdb

from greenaudit.workspace.catalog import Indicator
from greenaudit.checks import Check, outcome
from greenaudit.text.intervals import NEAREST, PRECISION, Interval, format_bound
from greenaudit.rules.evaluate import Input, Key, RuleResult, evaluate
from greenaudit.formats.rowinsert import insert_rows
from greenaudit.rules.units import RuleUnits
from greenaudit.rules.load import DERIVED, RULES_LABEL, Rule
from greenaudit.text.units import UnitSystem

# The database stores DECIMAL(38,10): derived bounds are rounded outwards to it.
_QUANTUM = Decimal("1e-10")

_INPUT_COLUMNS = ("indicator_id", "period", "breakdown", "source_id", "row_number",
                  "value_canonical", "lower", "upper", "stated_lower", "stated_upper")
# Only the statements rules refer to, already in _precision_order.
INPUTS_SQL = f"""
SELECT {', '.join('o.' + c for c in _INPUT_COLUMNS)}
FROM observations o SEMI JOIN rule_keys k USING (indicator_id, period, breakdown)
WHERE o.evidence <> '{DERIVED}'
ORDER BY o.indicator_id, o.period, o.breakdown, (o.upper - o.lower) IS NULL,
         coalesce(o.upper - o.lower, 0), o.source_id, o.row_number
"""


def _interval(lower: Decimal | None, upper: Decimal | None) -> Interval | None:
    """An interval from stored bounds; None for a reversed one (a value outside its valid range)."""
    if lower is not None and upper is not None and lower > upper:
        return None
    return Interval(lower, upper)


def _combine(intervals: list[Interval]) -> tuple[Interval, bool]:
    """(intersection, False), or (hull, True) when the intervals have no common point."""
    common: Interval | None = intervals[0]
    for interval in intervals[1:]:
        common = common.intersection(interval) if common is not None else None
    if common is not None:
        return common, False
    hull = intervals[0]
    for interval in intervals[1:]:
        hull = hull.hull(interval)
    return hull, True


def load_inputs(con: duckdb.DuckDBPyConnection, keys: set[Key]) -> dict[Key, Input]:
    """What the sources state for each (indicator, period, breakdown) of `keys`, as rule inputs.

    Only the keys the rules refer to are read: a corpus of a million statements
    typically has rules over a small part of them, and each row read costs Decimals.
    """
    con.execute("CREATE TEMP TABLE rule_keys (indicator_id VARCHAR, period VARCHAR, "
                "breakdown VARCHAR)")
    try:
        insert_rows(con, "rule_keys", sorted(keys))
        rows = [dict(zip(_INPUT_COLUMNS, row)) for row in con.execute(INPUTS_SQL).fetchall()]
    finally:
        con.execute("DROP TABLE rule_keys")
    return inputs_from_observations(rows)


def _precision_order(row: dict) -> tuple:
    """As in database/agreement.py: narrowest interval first, then source and row."""
    lower, upper = row["lower"], row["upper"]
    width = None if lower is None or upper is None else upper - lower
    return (row["indicator_id"], row["period"], row["breakdown"], width is None,
            width or 0, row["source_id"], row["row_number"])


def inputs_from_observations(observations: list[dict]) -> dict[Key, Input]:
    """Rule inputs from observation rows (as staged): one per (indicator, period, breakdown)."""
    grouped: dict[Key, list[dict]] = {}
    for row in sorted(observations, key=_precision_order):
        if row.get("evidence") == DERIVED:
            continue
        grouped.setdefault((row["indicator_id"], row["period"], row["breakdown"]), []).append(row)
    inputs: dict[Key, Input] = {}
    for key, rows in grouped.items():
        usable = [(r, _interval(r["lower"], r["upper"]),
                   _interval(r["stated_lower"], r["stated_upper"])) for r in rows]
        usable = [(r, a, s) for r, a, s in usable if a is not None and s is not None]
        if not usable:
            continue
        allowed, conflict = _combine([a for _, a, _ in usable])
        stated, stated_conflict = _combine([s for _, _, s in usable])
        if stated_conflict or conflict:
            stated = allowed
        inputs[key] = Input(allowed, stated, usable[0][0]["value_canonical"],
                            tuple((r["source_id"], r["row_number"]) for r, _, _ in usable),
                            conflict)
    return inputs


@dataclass
class _Derivation:
    """What one deriving rule adds: a row, or the reason it could not."""

    row: dict | None = None
    invalid: str = ""
    implausible: str = ""


def _round(value: Decimal, rounding: str) -> Decimal:
    return value.quantize(_QUANTUM, rounding=rounding, context=NEAREST)


def _representative(point: Decimal, lower: Decimal | None, upper: Decimal | None) -> Decimal:
    """The point value to the fewest significant digits that move it by at most a quarter
    of its interval's width: 3109100.585 in [3108007.4, 3110194.3] is shown as 3109000.

    The interval, not this value, is what the derivation establishes; more digits than
    the interval supports would only suggest a precision no source gave.
    """
    if lower is None or upper is None:
        return point
    point = min(max(point, lower), upper)
    quarter = (upper - lower) / 4
    for digits in range(1, PRECISION):
        candidate = _round(Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(point),
                           ROUND_HALF_EVEN)
        if abs(candidate - point) <= quarter and lower <= candidate <= upper:
            return candidate
    return point


def _inputs_note(rule: Rule, inputs: dict[Key, Input]) -> str:
    parts = []
    for ref in rule.inputs:
        source = inputs[ref.key]
        sources = ", ".join(sorted({s for s, _ in source.rows}))
        parts.append(f"{ref.text} = {format_bound(source.point)} {source.allowed} ({sources}"
                     f"{'; sources conflict, hull used' if source.conflict else ''})")
    return "Inputs: " + "; ".join(parts) + "."


def _derive(result: RuleResult, indicator: Indicator, inputs: dict[Key, Input]) -> _Derivation:
    rule, value = result.rule, result.derived
    assert rule.derive is not None and value is not None
    where = f"{rule.location}: rule {rule.rule_id}: {rule.derive.text}"
    valid = Interval(indicator.valid_low, indicator.valid_high)
    allowed = value.allowed.intersection(valid)
    if allowed is None:
        return _Derivation(invalid=f"{where} = {value.allowed} lies outside the valid range "
                                   f"{valid} {indicator.unit}")
    lower = None if allowed.lower is None else _round(allowed.lower, ROUND_FLOOR)
    upper = None if allowed.upper is None else _round(allowed.upper, ROUND_CEILING)
    stated = value.stated.intersection(allowed) if value.stated is not None else None
    stated = stated or allowed
    point = value.point
    if point is None and lower is not None and upper is not None:
        point = NEAREST.divide(lower + upper, 2)
    if point is None:
        return _Derivation(invalid=f"{where} has no point value (interval {value.allowed})")
    point = _representative(_round(point, ROUND_HALF_EVEN), lower, upper)
    flags = [DERIVED]
    implausible = ""
    if not Interval(indicator.plausible_low, indicator.plausible_high).contains(point):
        flags.append("implausible")
        low, high = indicator.plausible_low, indicator.plausible_high
        implausible = (f"{where} = {format_bound(point)} is outside the plausible range "
                       f"{Interval(low, high)} {indicator.unit}: {indicator.plausible_reason}")
    text = format(point.normalize(), "f")
    text = "0" if text in ("-0", "0.0") else text
    indicator_id, period, breakdown = rule.derive.key
    row = {
        "source_id": rule.source_id, "row_number": rule.line, "indicator_id": indicator_id,
        "period": period, "breakdown": breakdown, "quantity": text, "value": point,
        "value_text": text, "unit": "", "qualifier": DERIVED, "value_canonical": point,
        "unit_canonical": indicator.unit, "lower": lower, "upper": upper,
        "stated_lower": None if stated.lower is None else _round(stated.lower, ROUND_FLOOR),
        "stated_upper": None if stated.upper is None else _round(stated.upper, ROUND_CEILING),
        "kind": indicator.kind,
        "quote": f"rule {rule.rule_id}: {' '.join(rule.expression.split())}",
        "evidence": DERIVED, "quote_start": None, "quote_end": None, "quantity_start": None,
        "quantity_end": None, "flags": ";".join(flags),
        "note": f"{rule.description} {_inputs_note(rule, inputs)}",
        "context_qualifier": "", "qualifier_start": None, "qualifier_end": None,
        "period_basis": "", "occurrence": "", "quantity_occurrence": "",
    }
    return _Derivation(row=row, implausible=implausible)


def _rule_check(result: RuleResult) -> Check:
    rule = result.rule
    message = result.message()
    n_items = len(rule.inputs) + (1 if rule.derive is not None else 0)
    if result.passed:
        return Check(rule.check_id, rule.kind, rule.severity, "pass", rule.location, n_items, 0,
                     message)
    # A rule that lacks data is a warning at most: missing data is not a violation, but
    # it should not go unnoticed. An undefined operation (a divisor that can be 0) keeps
    # the rule's severity: the rule as written cannot be checked, and derives nothing.
    severity = (rule.severity if not result.missing or rule.severity == "info"
                else "warning")
    return Check(rule.check_id, rule.kind, severity, "fail", rule.location, n_items, 1,
                 f"{rule.location}: {message}")


def _rule_findings(result: RuleResult, check: Check, inputs: dict[Key, Input]) -> list[tuple]:
    rows: dict[tuple, None] = {}
    for ref in result.missing:
        rows[(check.check_id, check.severity, "", None, *ref.key, check.message)] = None
    if result.evaluated:
        for ref in result.rule.references:
            source = inputs.get(ref.key)
            for source_id, row_number in (source.rows if source else ()):
                rows[(check.check_id, check.severity, source_id, row_number, *ref.key,
                      check.message)] = None
    if not rows:
        rows[(check.check_id, check.severity, "", None, "", "", "", check.message)] = None
    return list(rows)


@dataclass
class RuleOutcome:
    """What evaluating the rules gives: their checks, findings and derived observations."""

    checks: list[Check]
    findings: list[tuple]
    derived_rows: list[dict]


def apply_rules(con: duckdb.DuckDBPyConnection, rules: list[Rule],
                catalog: dict[str, Indicator], units: UnitSystem) -> list[Check]:
    """Evaluate every rule over `con`'s observations, store what they add; return the checks."""
    return store_rule_outcome(con, evaluate_rules(con, rules, catalog, units))


@dataclass
class RuleDone:
    """One rule's part of the outcome: its check, its findings and what it derives."""

    check: Check
    findings: list[tuple]
    derivation: _Derivation | None = None


def evaluate_rule(rule: Rule, inputs: dict[Key, Input], typing: RuleUnits,
                  catalog: dict[str, Indicator]) -> RuleDone:
    result = evaluate(rule, inputs, typing)
    check = _rule_check(result)
    done = RuleDone(check, _rule_findings(result, check, inputs) if check.status == "fail" else [])
    if rule.derive is not None and result.derived is not None and result.evaluated:
        done.derivation = _derive(result, catalog[rule.derive.indicator_id], inputs)
    return done


class RuleMemo(Protocol):
    """Outcomes of earlier evaluations, looked up by rule and the inputs it reads."""

    def recall(self, rule: Rule, signature: str) -> RuleDone | None: ...

    def remember(self, rule: Rule, signature: str, done: RuleDone) -> None: ...


def input_signature(keys: list[Key], inputs: dict[Key, Input]) -> str:
    """What a rule reads, exactly: repr tells 1.0 from 1.00, which messages print apart."""
    return repr([inputs.get(key) for key in keys])


def evaluate_rules(con: duckdb.DuckDBPyConnection, rules: list[Rule],
                   catalog: dict[str, Indicator], units: UnitSystem,
                   memo: RuleMemo | None = None) -> RuleOutcome:
    """Evaluate every rule over the `observations` of `con`, which it does not change.

    `con` may be another connection than the database's (a view over the staged
    Parquet), so that rules are evaluated while the database loads. With a `memo`,
    a rule whose inputs are those of an earlier evaluation gets that outcome back
    (evaluation is a function of the rule, its inputs, the units and the catalog,
    which the memo's owner keys on).
    """
    references = [sorted({ref.key for ref in rule.references}) for rule in rules]
    inputs = load_inputs(con, {key for keys in references for key in keys})
    typing = RuleUnits(units.registry, catalog)
    checks: list[Check] = []
    findings: list[tuple] = []
    derived_rows: list[dict] = []
    invalid: list[tuple[Rule, str]] = []
    implausible: list[tuple[Rule, str]] = []
    for rule, keys in zip(rules, references):
        signature = input_signature(keys, inputs) if memo is not None else ""
        done = memo.recall(rule, signature) if memo is not None else None
        if done is None:
            done = evaluate_rule(rule, inputs, typing, catalog)
            if memo is not None:
                memo.remember(rule, signature, done)
        checks.append(done.check)
        findings += done.findings
        derivation = done.derivation
        if derivation is None:
            continue
        if derivation.row is not None:
            derived_rows.append(derivation.row)
        if derivation.invalid:
            invalid.append((rule, derivation.invalid))
        if derivation.implausible:
            implausible.append((rule, derivation.implausible))
    n_derivations = sum(1 for rule in rules if rule.derive is not None)
    for check_id, severity, kind, problems, ok in (
            ("range.valid.derived", "error", "range", invalid,
             "every derived value lies in its indicator's valid range"),
            ("range.plausible.derived", "warning", "plausibility", implausible,
             "every derived value lies in its plausible range")):
        check = outcome(check_id, kind, severity, RULES_LABEL, n_derivations,
                        [message for _, message in problems], ok)
        checks.append(check)
        for rule, message in problems:
            assert rule.derive is not None
            findings.append((check_id, severity, rule.source_id, rule.line, *rule.derive.key,
                             message))
    return RuleOutcome(checks, findings, derived_rows)


def store_rule_outcome(con: duckdb.DuckDBPyConnection, result: RuleOutcome) -> list[Check]:
    """Insert the derived observations and rule findings into `con`; return the checks."""
    if result.derived_rows:
        from greenaudit.formats.parquet import OBSERVATIONS

        columns = OBSERVATIONS.names
        rows = [[row[c] for c in columns] for row in result.derived_rows]
        insert_rows(con, "observations", rows, columns)
    if result.findings:
        insert_rows(con, "findings", result.findings)
    return result.checks
