"""Check the rows of one transcription table: each row's fields, its quantity, units,
ranges and evidence, against the source and the catalog (stage.py runs it per source).

O(rows x length of a row), plus one search of the source text per distinct quote
(memoised per table, as are parsed quantities).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from greenaudit.workspace.catalog import check_breakdown, check_period
from greenaudit.errors import QuantityError, UnitError, excerpt
from greenaudit.stage.evidence import check_evidence
from greenaudit.text.invisible import difference, listing, remaining
from greenaudit.workspace.manifest import Source
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise_text
from greenaudit.text.quantity import DB_QUANTUM, intervals

if TYPE_CHECKING:
    from greenaudit.stage.source import StageContext

TABLE_COLUMNS = ("indicator_id", "period", "quantity", "quote")
TABLE_OPTIONAL = ("breakdown", "note")
FORMULA_PREFIXES = ("=", "+", "-", "@")


class _Findings:
    """Failure lists per check, filled row by row, with the table line of each."""

    def __init__(self) -> None:
        self.failures: dict[str, list[tuple[int, str]]] = {}

    def add(self, name: str, line: int, message: str) -> None:
        self.failures.setdefault(name, []).append((line, message))

    def get(self, name: str) -> list[str]:
        return [message for _, message in self.failures.get(name, [])]

    def rows(self, name: str) -> list[tuple[int, str]]:
        return self.failures.get(name, [])


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


@dataclass
class _Rows:
    """What every row of one table is checked against, with per-table memos: a table of
    many rows repeats quantities and quotes, and each is parsed and proven once."""

    source: Source
    cleaning: Cleaning
    table_name: str
    context: "StageContext"
    normalised: NormalisedText | None
    text: str | None
    findings: _Findings
    parsed: dict = field(default_factory=dict)
    proven: dict = field(default_factory=dict)

    def parse(self, quantity: str):
        """The parsed quantity, or the QuantityError it raises (memoised)."""
        if quantity not in self.parsed:
            try:
                # Parsed in the source's own normal form, so 超過40% reads like 超过40%.
                self.parsed[quantity] = self.context.parser.parse(
                    normalise_text(quantity, self.cleaning))
            except QuantityError as exc:
                self.parsed[quantity] = exc
        return self.parsed[quantity]

    def evidence(self, quote: str, quantity: str):
        key = (quote, quantity)
        if key not in self.proven:
            self.proven[key] = check_evidence(self.normalised, self.text, quote, quantity,
                                              self.cleaning)
        return self.proven[key]


_COLUMN = {name: i + 1 for i, name in enumerate(TABLE_COLUMNS + TABLE_OPTIONAL)}


def _where(rows: _Rows, row, name: str) -> str:
    return f"{rows.table_name}:{row.line}:{_COLUMN[name]} ({name})"


def _fields_usable(row, record, rows: _Rows) -> bool:
    """Check the row's fields other than the quantity; False if any makes it unusable."""
    findings = rows.findings

    def where(name: str) -> str:
        return _where(rows, row, name)

    usable = True
    if rows.context.catalog.get(record["indicator_id"]) is None:
        findings.add("indicator_known", row.line, f"{where('indicator_id')}: unknown indicator_id "
                     f"{excerpt(record['indicator_id'])}; expected an id of schemas/indicators.yaml")
        usable = False
    for name, check in (("period", check_period), ("breakdown", check_breakdown)):
        problem = check(record[name])
        if problem:
            findings.add(f"{name}_format", row.line, f"{where(name)}: {problem}")
            usable = False
    quote = record["quote"]
    if not quote:
        findings.add("quote_safe", row.line, f"{where('quote')}: empty quote; expected the sentence "
                     f"that states the figure")
        usable = False
    for name in ("quote", "note"):
        if record[name].startswith(FORMULA_PREFIXES):
            findings.add("quote_safe", row.line, f"{where(name)}: {name} starts with "
                         f"{excerpt(record[name][0])}, which a spreadsheet would run as a "
                         f"formula; start the {name} at a word")
            usable = False
    for name in TABLE_COLUMNS + TABLE_OPTIONAL:
        # Quotes and quantities as the source's cleaning leaves them (what it declares
        # dropped is no error); the other fields as written.
        raw = record[name]
        if raw.isprintable():   # the common case, one C-level test
            continue
        hidden = remaining(raw, normalise_text(raw, rows.cleaning)
                           if name in ("quote", "quantity") else raw)
        if hidden:
            findings.add("quote_safe", row.line, f"{where(name)}: invisible character(s) "
                         f"{listing(raw, hidden)}; expected visible text (a format character "
                         f"can make the figure read otherwise than it is checked)")
            usable = False
    return usable


def _evidence_fields(row, record, rows: _Rows) -> tuple[dict, tuple[str, ...]]:
    """The evidence columns of the row's observation and its flags; failures recorded."""
    fields = {"evidence": "quote_not_found", "quote_start": None, "quote_end": None,
              "quantity_start": None, "quantity_end": None}
    where = _where(rows, row, "quote")
    if rows.normalised is None or rows.text is None:
        rows.findings.add("evidence", row.line, f"{where}: source text unavailable")
        return fields, ()
    quote = record["quote"]
    evidence = rows.evidence(quote, record["quantity"])
    fields = {"evidence": evidence.status, "quote_start": evidence.quote_start,
              "quote_end": evidence.quote_end, "quantity_start": evidence.quantity_start,
              "quantity_end": evidence.quantity_end}
    if evidence.status == "value_mismatch":
        rows.findings.add("evidence", row.line, f"{where}: value_mismatch; the quote has "
                          f"{excerpt(evidence.nearest)} where the quantity is "
                          f"{excerpt(record['quantity'])}")
    elif not evidence.verified:
        rows.findings.add("evidence", row.line, f"{where}: {evidence.status}; nearest text in "
                          f"{rows.source.file}: {excerpt(evidence.nearest)}"
                          f"{difference(normalise_text(quote, rows.cleaning), evidence.nearest)}")
    return fields, evidence.flags


def _observe(row, record, rows: _Rows) -> dict | None:
    """Validate one row; return its observation, or None if it has no usable value.

    O(length of the row) once its quantity is parsed and its quote proven (both
    memoised per table; proving a quote is a search of the source text).
    """
    findings, units, settings = rows.findings, rows.context.units, rows.context.settings
    usable = _fields_usable(row, record, rows)
    indicator = rows.context.catalog.get(record["indicator_id"])
    quantity = rows.parse(record["quantity"])
    if isinstance(quantity, QuantityError):
        findings.add("quantity_parse", row.line,
                     f"{_where(rows, row, 'quantity')}: {quantity.reason}")
        return None
    if not usable or indicator is None:
        return None
    flags: list[str] = []
    if quantity.unit_text:
        written_unit = units.project_unit(quantity.unit_text)
    else:
        written_unit = indicator.unit
        flags.append("unit_implied")
    label = f"{_where(rows, row, 'quantity')}: {indicator.indicator_id} {record['period']}"
    try:
        factor = units.factor(written_unit, indicator.unit)
    except UnitError as exc:
        findings.add("unit_compatible", row.line, f"{_where(rows, row, 'quantity')}: "
                     f"{quantity.unit or quantity.text} for {indicator.indicator_id}: {exc.reason}")
        return None
    stated, allowed = intervals(quantity, settings.approximate_band, settings.near_band)
    # Outwards to the database's 10 decimal places (a 5% band of 3.14% has 4).
    stated, allowed = (i.scaled(factor).outward(DB_QUANTUM) for i in (stated, allowed))
    value_canonical = quantity.scaled * factor
    label = f"{label} = {quantity.text}"
    if not _within(value_canonical, indicator.valid_low, indicator.valid_high):
        findings.add("valid_range", row.line, f"{label} is outside the valid range "
                     f"[{_fmt(indicator.valid_low)}, {_fmt(indicator.valid_high)}] {indicator.unit}")
        flags.append("outside_valid_range")
    if not _within(value_canonical, indicator.plausible_low, indicator.plausible_high):
        findings.add("plausible_range", row.line, f"{label} is outside the plausible range "
                     f"[{_fmt(indicator.plausible_low)}, {_fmt(indicator.plausible_high)}] "
                     f"{indicator.unit}: {indicator.plausible_reason}")
        flags.append("implausible")
    stated = stated.clamped(indicator.valid_low, indicator.valid_high)
    allowed = allowed.clamped(indicator.valid_low, indicator.valid_high)
    evidence_fields, evidence_flags = _evidence_fields(row, record, rows)
    flags += evidence_flags
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


def _within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)
