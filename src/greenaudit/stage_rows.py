"""Check the rows of one transcription table: each row's fields, its quantity, units,
ranges and evidence, against the source and the catalog (stage.py runs it per source).

O(rows x length of a row), plus one search of the source text per distinct quote
(memoised per table, as are parsed quantities).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from .catalog import check_breakdown, check_period
from .errors import QuantityError, UnitError, excerpt
from .evidence import check_evidence
from .invisible import difference, listing, remaining
from .manifest import Source
from .normalise import Cleaning, NormalisedText, normalise_text
from .quantity import intervals

if TYPE_CHECKING:
    from .stage import StageContext

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


def _observe(row, record, rows: _Rows) -> dict | None:
    """Validate one row; return its observation, or None if it has no usable value.

    O(length of the row) once its quantity is parsed and its quote proven (both
    memoised per table; proving a quote is a search of the source text).
    """
    source, table_name, findings = rows.source, rows.table_name, rows.findings
    catalog, units = rows.context.catalog, rows.context.units
    settings, normalised, text = rows.context.settings, rows.normalised, rows.text
    column = {name: i + 1 for i, name in enumerate(TABLE_COLUMNS + TABLE_OPTIONAL)}

    def where(name: str) -> str:
        return f"{table_name}:{row.line}:{column[name]} ({name})"

    usable = True
    indicator = catalog.get(record["indicator_id"])
    if indicator is None:
        findings.add("indicator_known", row.line, f"{where('indicator_id')}: unknown indicator_id "
                     f"{excerpt(record['indicator_id'])}; expected an id of schemas/indicators.yaml")
        usable = False
    problem = check_period(record["period"])
    if problem:
        findings.add("period_format", row.line, f"{where('period')}: {problem}")
        usable = False
    problem = check_breakdown(record["breakdown"])
    if problem:
        findings.add("breakdown_format", row.line, f"{where('breakdown')}: {problem}")
        usable = False
    quote = record["quote"]
    if not quote:
        findings.add("quote_safe", row.line, f"{where('quote')}: empty quote; expected the sentence "
                     f"that states the figure")
        usable = False
    elif quote.startswith(FORMULA_PREFIXES):
        findings.add("quote_safe", row.line, f"{where('quote')}: quote starts with {excerpt(quote[0])}, which a "
                     f"spreadsheet would run as a formula; start the quote at a word")
        usable = False
    if record["note"].startswith(FORMULA_PREFIXES):
        findings.add("quote_safe", row.line, f"{where('note')}: note starts with "
                     f"{excerpt(record['note'][0])}, which a spreadsheet would run as a formula; start "
                     f"the note at a word")
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
    quantity = rows.parse(record["quantity"])
    if isinstance(quantity, QuantityError):
        findings.add("quantity_parse", row.line, f"{where('quantity')}: {quantity.reason}")
        return None
    if not usable or indicator is None:
        return None
    flags: list[str] = []
    if quantity.unit_text:
        written_unit = units.project_unit(quantity.unit_text)
    else:
        written_unit = indicator.unit
        flags.append("unit_implied")
    try:
        factor = units.factor(written_unit, indicator.unit)
    except UnitError as exc:
        findings.add("unit_compatible", row.line, f"{where('quantity')}: {quantity.unit or quantity.text}"
                     f" for {indicator.indicator_id}: {exc.reason}")
        return None
    stated, allowed = intervals(quantity, settings.approximate_band, settings.near_band)
    stated, allowed = stated.scaled(factor), allowed.scaled(factor)
    value_canonical = quantity.scaled * factor
    label = f"{where('quantity')}: {indicator.indicator_id} {record['period']} = {quantity.text}"
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
    evidence_fields = {"evidence": "quote_not_found", "quote_start": None, "quote_end": None,
                       "quantity_start": None, "quantity_end": None}
    if normalised is not None and text is not None:
        evidence = rows.evidence(quote, record["quantity"])
        evidence_fields = {"evidence": evidence.status, "quote_start": evidence.quote_start,
                           "quote_end": evidence.quote_end,
                           "quantity_start": evidence.quantity_start,
                           "quantity_end": evidence.quantity_end}
        flags += evidence.flags
        if evidence.status == "value_mismatch":
            findings.add("evidence", row.line, f"{where('quote')}: value_mismatch; the quote has "
                         f"{excerpt(evidence.nearest)} where the quantity is {excerpt(record['quantity'])}")
        elif not evidence.verified:
            findings.add("evidence", row.line, f"{where('quote')}: {evidence.status}; nearest text in "
                         f"{source.file}: {excerpt(evidence.nearest)}"
                         f"{difference(normalise_text(quote, rows.cleaning), evidence.nearest)}")
    else:
        findings.add("evidence", row.line, f"{where('quote')}: source text unavailable")
    return {
        "source_id": record["source_id"], "row_number": record["row_number"],
        "indicator_id": indicator.indicator_id, "period": record["period"],
        "breakdown": record["breakdown"], "quantity": quantity.text, "value": quantity.value,
        "value_text": format(quantity.value, "f"),
        "unit": quantity.unit, "qualifier": quantity.qualifier,
        "value_canonical": value_canonical, "unit_canonical": indicator.unit,
        "lower": allowed.lower, "upper": allowed.upper,
        "stated_lower": stated.lower, "stated_upper": stated.upper,
        "kind": indicator.kind, "quote": quote, **evidence_fields,
        "flags": ";".join(flags), "note": record["note"],
    }


def _within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)
