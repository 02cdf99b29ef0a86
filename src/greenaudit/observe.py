"""Validate one transcription row and make its observation (a staging step).

Every problem becomes a finding located at the row's file, line and column (the
column where this file's header has the field); a row with a problem that leaves
no usable value gives no observation, but all its other problems are still found.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .catalog import Indicator, check_breakdown, check_period
from .csvfile import Row
from .errors import QuantityError, UnitError
from .evidence import check_evidence
from .manifest import Source
from .normalise import NormalisedText, normalise_text
from .quantity import Quantity, QuantityParser, intervals
from .suggest import did_you_mean
from .units import UnitSystem

TABLE_COLUMNS = ("indicator_id", "period", "quantity", "quote")
TABLE_OPTIONAL = ("breakdown", "note")
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Settings:
    approximate_band: Decimal = Decimal("0.05")
    near_band: Decimal = Decimal("0.05")


class Findings:
    """Failure lists per check, filled row by row, with the table line of each."""

    def __init__(self) -> None:
        self.failures: dict[str, list[tuple[int, str]]] = {}

    def add(self, name: str, line: int, message: str) -> None:
        self.failures.setdefault(name, []).append((line, message))

    def get(self, name: str) -> list[str]:
        return [message for _, message in self.failures.get(name, [])]

    def rows(self, name: str) -> list[tuple[int, str]]:
        return self.failures.get(name, [])


@dataclass
class RowContext:
    """What every row of one source's table is checked against."""

    source: Source
    table_name: str
    catalog: dict[str, Indicator]
    units: UnitSystem
    parser: QuantityParser
    settings: Settings
    normalised: NormalisedText | None
    text: str | None
    findings: Findings


def fmt(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


class _Row:
    """One row being checked: its record and where each of its fields is."""

    def __init__(self, row: Row, record: dict, ctx: RowContext) -> None:
        self.row, self.record, self.ctx = row, record, ctx

    def where(self, name: str) -> str:
        order = TABLE_COLUMNS + TABLE_OPTIONAL
        column = self.row.column(name) or order.index(name) + 1
        return f"{self.ctx.table_name}:{self.row.line}:{column} ({name})"

    def fail(self, check: str, name: str, message: str) -> None:
        self.ctx.findings.add(check, self.row.line, f"{self.where(name)}: {message}")


def _identity(r: _Row) -> tuple[Indicator | None, bool]:
    """The row's indicator, and whether its key, quote and note are usable."""
    record, catalog = r.record, r.ctx.catalog
    usable = True
    indicator = catalog.get(record["indicator_id"])
    if indicator is None:
        r.fail("indicator_known", "indicator_id", f"unknown indicator_id "
               f"{record['indicator_id']!r}{did_you_mean(record['indicator_id'], catalog)}; "
               f"expected an id of schemas/indicators.yaml")
        usable = False
    for check, name, problem in (("period_format", "period", check_period(record["period"])),
                                 ("breakdown_format", "breakdown",
                                  check_breakdown(record["breakdown"]))):
        if problem:
            r.fail(check, name, problem)
            usable = False
    quote = record["quote"]
    if not quote:
        r.fail("quote_safe", "quote", "empty quote; expected the sentence that states the figure")
        usable = False
    elif quote.startswith(FORMULA_PREFIXES):
        r.fail("quote_safe", "quote", f"quote starts with {quote[0]!r}, which a spreadsheet would "
               f"run as a formula; start the quote at a word")
        usable = False
    if record["note"].startswith(FORMULA_PREFIXES):
        r.fail("quote_safe", "note", f"note starts with {record['note'][0]!r}, which a "
               f"spreadsheet would run as a formula; start the note at a word")
        usable = False
    return indicator, usable


def _factor(r: _Row, quantity: Quantity, indicator: Indicator, flags: list[str]) -> Decimal | None:
    """The factor from the written unit to the indicator's (None: incompatible)."""
    units = r.ctx.units
    if quantity.unit_text:
        written_unit = units.project_unit(quantity.unit_text)
    else:
        written_unit = indicator.unit
        flags.append("unit_implied")
    try:
        return units.factor(written_unit, indicator.unit)
    except UnitError as exc:
        r.fail("unit_compatible", "quantity", f"{quantity.unit or quantity.text} for "
               f"{indicator.indicator_id}: {exc.reason}")
        return None


def _ranges(r: _Row, value: Decimal, label: str, indicator: Indicator, flags: list[str]) -> None:
    if not within(value, indicator.valid_low, indicator.valid_high):
        r.fail("valid_range", "quantity", f"{label} is outside the valid range "
               f"[{fmt(indicator.valid_low)}, {fmt(indicator.valid_high)}] {indicator.unit}")
        flags.append("outside_valid_range")
    if not within(value, indicator.plausible_low, indicator.plausible_high):
        r.fail("plausible_range", "quantity", f"{label} is outside the plausible range "
               f"[{fmt(indicator.plausible_low)}, {fmt(indicator.plausible_high)}] "
               f"{indicator.unit}: {indicator.plausible_reason}")
        flags.append("implausible")


def _evidence(r: _Row, flags: list[str]) -> dict:
    """The evidence fields of the row's observation (its quote proven against the source)."""
    ctx, record = r.ctx, r.record
    fields = {"evidence": "quote_not_found", "quote_start": None, "quote_end": None,
              "quantity_start": None, "quantity_end": None}
    if ctx.normalised is None or ctx.text is None:
        r.fail("evidence", "quote", "source text unavailable")
        return fields
    evidence = check_evidence(ctx.normalised, ctx.text, record["quote"], record["quantity"],
                              ctx.source.cleaning)
    fields = {"evidence": evidence.status, "quote_start": evidence.quote_start,
              "quote_end": evidence.quote_end, "quantity_start": evidence.quantity_start,
              "quantity_end": evidence.quantity_end}
    flags += evidence.flags
    if evidence.status == "value_mismatch":
        r.fail("evidence", "quote", f"value_mismatch; the quote has {evidence.nearest!r} where "
               f"the quantity is {record['quantity']!r}")
    elif not evidence.verified:
        r.fail("evidence", "quote", f"{evidence.status}; nearest text in {ctx.source.file}: "
               f"{evidence.nearest!r}")
    return fields


def observe(row: Row, record: dict, ctx: RowContext) -> dict | None:
    """Validate one row; return its observation, or None if it has no usable value."""
    r = _Row(row, record, ctx)
    indicator, usable = _identity(r)
    try:
        # Parsed in the source's own normal form, so 超過40% reads like 超过40%.
        quantity = ctx.parser.parse(normalise_text(record["quantity"], ctx.source.cleaning))
    except QuantityError as exc:
        r.fail("quantity_parse", "quantity", exc.reason)
        return None
    if not usable or indicator is None:
        return None
    flags: list[str] = []
    factor = _factor(r, quantity, indicator, flags)
    if factor is None:
        return None
    settings = ctx.settings
    stated, allowed = intervals(quantity, settings.approximate_band, settings.near_band)
    stated, allowed = stated.scaled(factor), allowed.scaled(factor)
    value_canonical = quantity.scaled * factor
    label = f"{indicator.indicator_id} {record['period']} = {quantity.text}"
    _ranges(r, value_canonical, label, indicator, flags)
    stated = stated.clamped(indicator.valid_low, indicator.valid_high)
    allowed = allowed.clamped(indicator.valid_low, indicator.valid_high)
    evidence_fields = _evidence(r, flags)
    return {
        "source_id": record["source_id"], "row_number": record["row_number"],
        "indicator_id": indicator.indicator_id, "period": record["period"],
        "breakdown": record["breakdown"], "quantity": quantity.text, "value": quantity.value,
        "value_text": format(quantity.value, "f"),
        "unit": quantity.unit, "qualifier": quantity.qualifier,
        "value_canonical": value_canonical, "unit_canonical": indicator.unit,
        "lower": allowed.lower, "upper": allowed.upper,
        "stated_lower": stated.lower, "stated_upper": stated.upper,
        "kind": indicator.kind, "quote": record["quote"], **evidence_fields,
        "flags": ";".join(flags), "note": record["note"],
    }
