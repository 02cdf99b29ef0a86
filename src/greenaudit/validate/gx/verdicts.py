"""What each item of a suite shows and whether it passes, from its metric row (sql.py).

Plain Python, no GX: the expectations (expectations.py) call these on the rows their
metric computed, and the checks and the Data Docs show what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from greenaudit.rules.load import DERIVED, DERIVED_SOURCE_PREFIX

from greenaudit.validate.gx.specs import AGREEMENT, IDENTITIES, RANGES, UNITS, fmt_interval, fmt_number, group_label

PASSING_AGREEMENT = ("agree", "agree_within_rounding")
_SHOWN = 5
# An expectation over at most this many items keeps every item's verdict in full,
# passing or not; over more, the failing ones (the passing are counted).
SHOWN_ITEMS = 20


@dataclass
class ItemVerdict:
    """One item's outcome: pass or fail, a one-line summary and the rows behind it."""

    item: str
    ok: bool
    verdict: str
    summary: str
    n_values: int
    n_failed: int
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def source_label(source_id: str, others: list[str]) -> str:
    """'000' for 000_451eeb3f8d9b8ea0 where no other source of the group shares the
    prefix; 'derived' for a value a rule derived; else the whole id."""
    if source_id.startswith(DERIVED_SOURCE_PREFIX):
        return DERIVED
    prefix = source_id.split("_", 1)[0]
    clash = [o for o in others if o != source_id and o.split("_", 1)[0] == prefix]
    return source_id if clash or prefix == source_id else prefix


def _statement_rows(statements: list[list[str]] | None) -> list[list[str]]:
    """[source, row, quantity, interval] per statement, sources labelled briefly."""
    statements = statements or []
    ids = [s[0] for s in statements]
    return [[source_label(source_id, ids), row, quantity or "", fmt_interval(lower, upper)]
            for source_id, row, quantity, lower, upper in statements]


def _said(rows: list[list[str]]) -> str:
    return ", ".join(f"{source} {quantity} {interval}" for source, _, quantity, interval in rows)


def agreement_verdict(row: dict) -> ItemVerdict:
    """Statements agree (or agree within rounding), or conflict as declared; the verdict
    the published indicators table gives must be the same."""
    verdict, declared, published = row["verdict"], row.get("declared"), row.get("published")
    rows = _statement_rows(row.get("statements"))
    ok = agreement_passes(row)
    shown = verdict + (", declared" if verdict == "conflict" and declared else "")
    note = f"declared in schemas/known_discrepancies.yaml: {declared}" if declared else ""
    if published != verdict:
        note = "; ".join(n for n in (note, "the indicators table says " + (
            published or "nothing (no row)")) if n)
    summary = f"{group_label(row['item'])}: {_said(rows)} → {shown}" + (f" ({note})" if note else "")
    n = int(row.get("n_statements") or len(rows))
    return ItemVerdict(row["item"], ok, shown, summary, n, 0 if ok else n,
                       ["source", "row", "statement", f"interval ({row.get('unit') or ''})"],
                       rows, note)


def agreement_passes(row: dict) -> bool:
    """The statements agree (or conflict as declared) and the indicators table says so."""
    verdict = row["verdict"]
    return ((verdict in PASSING_AGREEMENT or (verdict == "conflict" and bool(row.get("declared"))))
            and row.get("published") == verdict)


def range_verdict(row: dict) -> ItemVerdict:
    interval = f"{fmt_interval(row.get('low'), row.get('high'))} {row.get('unit') or ''}".rstrip()
    n, bad = int(row.get("n_values") or 0), int(row.get("n_outside") or 0)
    rows = [[source, line, fmt_number(value) if value is not None else "null"]
            for source, line, value in (row.get("outside") or [])]
    if bad:
        listed = "; ".join(f"{s}:{line} = {v}" for s, line, v in rows[:_SHOWN])
        more = f" and {bad - _SHOWN} more" if bad > _SHOWN else ""
        summary = f"{row['item']}: {bad} of {n} value(s) outside {interval}: {listed}{more}"
    else:
        summary = f"{row['item']}: {n} value(s), all in {interval}"
    return ItemVerdict(row["item"], bad == 0, "outside" if bad else "in range", summary, n, bad,
                       ["source", "row", "value"], rows)


def unit_verdict(row: dict) -> ItemVerdict:
    unit = row.get("unit") or ""
    n, bad = int(row.get("n_values") or 0), int(row.get("n_other") or 0)
    rows = [list(entry) for entry in (row.get("other") or [])]
    if bad:
        listed = "; ".join(f"{s}:{line} in {u}" for s, line, u in rows[:_SHOWN])
        more = f" and {bad - _SHOWN} more" if bad > _SHOWN else ""
        summary = f"{row['item']}: {bad} of {n} value(s) not in {unit}: {listed}{more}"
    else:
        summary = f"{row['item']}: {n} value(s), all in {unit}"
    return ItemVerdict(row["item"], bad == 0, "other unit" if bad else unit, summary, n, bad,
                       ["source", "row", "unit"], rows)


def identity_verdict(row: dict) -> ItemVerdict:
    """A derived value's interval against the sources' statements of what it derives."""
    derived = [DERIVED, str(row.get("line") or ""), row.get("quantity") or "",
               fmt_interval(row.get("lower"), row.get("upper"))]
    stated = _statement_rows(row.get("statements"))
    head = (f"rule {row['item']} derives {row['derives']} = {derived[2]} {derived[3]} "
            f"{row.get('unit') or ''}").rstrip()
    if not stated:
        verdict, tail = "nothing to compare", "no source states it"
    else:
        verdict = "holds" if row.get("holds") else "fails"
        met = "their hull (they conflict)" if row.get("sources_conflict") else "their intersection"
        tail = (f"sources state {_said(stated)}; {met} "
                f"{fmt_interval(row.get('sources_lower'), row.get('sources_upper'))}")
    ok = bool(row.get("holds"))
    n = int(row.get("n_statements") or 0) + 1
    return ItemVerdict(row["item"], ok, verdict, f"{head}: {tail} → {verdict}", n,
                       0 if ok else n, ["source", "row", "statement", "interval"],
                       [derived, *stated], str(row.get("rule") or ""))


VERDICTS: dict[str, Callable[[dict], ItemVerdict]] = {
    AGREEMENT.name: agreement_verdict, RANGES.name: range_verdict,
    UNITS.name: unit_verdict, IDENTITIES.name: identity_verdict,
}


def _counts(suite: str, row: dict) -> tuple[bool, int, int]:
    """(passes, values judged, values failing) of an item, as its verdict counts them."""
    if suite == AGREEMENT.name:
        ok = agreement_passes(row)
        n = int(row.get("n_statements") or len(row.get("statements") or []))
        return ok, n, 0 if ok else n
    if suite == IDENTITIES.name:
        ok, n = bool(row.get("holds")), int(row.get("n_statements") or 0) + 1
        return ok, n, 0 if ok else n
    bad = int(row.get("n_outside" if suite == RANGES.name else "n_other") or 0)
    return bad == 0, int(row.get("n_values") or 0), bad


def passes(suite: str, row: dict) -> bool:
    return _counts(suite, row)[0]


def judge_run(suite: str, rows: list[dict]) -> list[ItemVerdict]:
    """The verdicts of a run of items: in full where the run is shown whole (at most
    SHOWN_ITEMS items), else in full for the failing items and counted for the rest,
    whose summaries and statements nobody reads."""
    judge = VERDICTS[suite]
    if len(rows) <= SHOWN_ITEMS:
        return [judge(row) for row in rows]
    verdicts = []
    for row in rows:
        ok, n, failed = _counts(suite, row)
        verdicts.append(ItemVerdict(row["item"], ok, "", "", n, failed) if ok else judge(row))
    return verdicts


def missing_item(suite: str, item: str) -> ItemVerdict:
    """An item the suite expects but its metric did not return: a failure, never a pass."""
    return ItemVerdict(item, False, "missing", f"{item}: not found in the data by GX", 0, 1)


def combined(suite: str, verdicts: list[ItemVerdict], noun: str) -> dict:
    """An expectation's result from its items' verdicts (one item, or a run of them)."""
    failing = [v for v in verdicts if not v.ok]
    if len(verdicts) == 1:
        observed = verdicts[0].summary
    else:
        observed = f"{len(verdicts) - len(failing)} of {len(verdicts)} {noun}s pass"
        if failing:
            observed += ": failing " + "; ".join(v.summary for v in failing[:_SHOWN])
            if len(failing) > _SHOWN:
                observed += f"; and {len(failing) - _SHOWN} more"
    # A run of many items keeps the failing ones in full (the passing are counted).
    kept = verdicts if len(verdicts) <= SHOWN_ITEMS else failing[:50]
    return {
        "success": not failing,
        "result": {
            "observed_value": observed,
            "element_count": sum(v.n_values for v in verdicts),
            "unexpected_count": sum(v.n_failed for v in verdicts),
            "details": {"suite": suite, "n_items": len(verdicts), "n_failing": len(failing),
                        "items": [v.as_dict() for v in kept]},
        },
    }
