"""One row of a transcription table checked into an observation.

Each problem becomes a located finding (`raw/tables/<id>.csv:line:column (name)`,
the column counted in the table's own header) under the check it fails, so one bad
row never hides another: the row's fields, its quantity (with a qualifier written
apart from the number, qualifier.py), its unit, its ranges, the period's basis
(period_basis.py), and the proof of quote, quantity and qualifier in the source
(evidence.py). Cost: linear in the row's text, plus one search of the source per
distinct quote (evidence.find_all); quantities are parsed and quotes proven once per
table (RowContext memoises them), so a table is O(rows x length of a row) plus one
search per distinct quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from greenaudit.workspace.catalog import Indicator, check_breakdown, check_period
from greenaudit.stage.coverage import line_column
from greenaudit.formats.csvfile import Row
from greenaudit.errors import QuantityError, excerpt
from greenaudit.stage.evidence import MAX_POSITIONS, Claim, Evidence, check_evidence
from greenaudit.stage.measure import measure
from greenaudit.workspace.manifest import Source
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise_text
from greenaudit.stage.period_basis import (INFERRED, INFERRED_FLAG, STATED, basis_problem, unwritten,
                                           unwritten_message)
from greenaudit.suggest import did_you_mean
from greenaudit.text.invisible import difference, listing, remaining
from greenaudit.stage.qualifier import apply_qualifier
from greenaudit.text.quantity import Quantity, QuantityParser
from greenaudit.text.units import UnitSystem

TABLE_COLUMNS = ("indicator_id", "period", "quantity", "quote")
# Optional: a table without them reads as if they were empty.
TABLE_OPTIONAL = ("breakdown", "note", "context_qualifier", "period_basis", "occurrence",
                  "quantity_occurrence")
FORMULA_PREFIXES = ("=", "+", "-", "@")
OCCURRENCE = re.compile(r"[1-9][0-9]{0,5}")
NO_EVIDENCE = {"evidence": "quote_not_found", "quote_start": None, "quote_end": None,
               "quantity_start": None, "quantity_end": None, "qualifier_start": None,
               "qualifier_end": None}
Where = Callable[[str], str]


@dataclass(frozen=True)
class Settings:
    approximate_band: Decimal = Decimal("0.05")
    near_band: Decimal = Decimal("0.05")
    # Longest quote (characters after normalisation): a statement, not a document.
    max_quote_chars: int = 300


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


@dataclass(frozen=True)
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
    # Per-table memos: a large table repeats quantities and quotes, and repeats its
    # periods, breakdowns and occurrence columns far more.
    parsed: dict = field(default_factory=dict, compare=False)
    proven: dict = field(default_factory=dict, compare=False)
    memo: dict = field(default_factory=dict, compare=False)
    cleaning: Cleaning = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cleaning", self.source.cleaning)   # built once, not per row

    def parse(self, text: str) -> Quantity | QuantityError:
        """The parsed quantity (normalised text), or the QuantityError it raises."""
        if text not in self.parsed:
            try:
                self.parsed[text] = self.parser.parse(text)
            except QuantityError as exc:
                self.parsed[text] = exc
        return self.parsed[text]

    def prove(self, quote: str, quantity: str, claim: Claim) -> Evidence:
        key = (quote, quantity, claim)
        if key not in self.proven:
            self.proven[key] = check_evidence(self.normalised, self.text, quote, quantity,
                                              self.cleaning, claim)
        return self.proven[key]

    def once(self, function: Callable, argument):
        """function(argument), computed once per table for each distinct argument."""
        key = (function, argument)
        try:
            return self.memo[key]
        except KeyError:
            result = self.memo[key] = function(argument)
            return result


def _columns(header: tuple[str, ...]) -> dict[str, int]:
    """Each declared column's number in the table (a missing optional one: its place in
    the declared order)."""
    declared = TABLE_COLUMNS + TABLE_OPTIONAL
    return {name: header.index(name) + 1 if name in header else declared.index(name) + 1
            for name in declared}


def locator(row: Row, table_name: str, context: RowContext | None = None) -> Where:
    """`where(column)`: the row's cell as file:line:column (name)."""
    header = tuple(row.values)
    columns = context.once(_columns, header) if context is not None else _columns(header)
    line = row.line

    def where(name: str) -> str:
        return f"{table_name}:{line}:{columns[name]} ({name})"

    return where


def observe(row: Row, record: dict, context: RowContext, findings: Findings) -> dict | None:
    """Validate one row; return its observation, or None if it has no usable value."""
    where = locator(row, context.table_name, context)
    indicator, usable = _check_fields(row.line, record, context, findings, where)
    claim, claimed = _claim(row.line, record, context, findings, where)
    quantity = _parse(row.line, record, context, findings, where)
    if quantity is None or not (usable and claimed) or indicator is None:
        return None
    measured = measure(row.line, record, quantity, indicator, context, findings, where)
    if measured is None:
        return None
    evidence, evidence_flags = _prove(row.line, record, claim, context, findings, where)
    basis = record["period_basis"] or STATED
    flags = measured.pop("flags") + list(evidence_flags)
    if basis == INFERRED:
        flags.append(INFERRED_FLAG)
    return {
        "source_id": record["source_id"], "row_number": record["row_number"],
        "indicator_id": indicator.indicator_id, "period": record["period"],
        "breakdown": record["breakdown"], "quantity": quantity.text, "value": quantity.value,
        "value_text": format(quantity.value, "f"),
        "unit": quantity.unit, "qualifier": quantity.qualifier, **measured,
        "kind": indicator.kind, "quote": record["quote"], **evidence,
        "flags": ";".join(flags), "note": record["note"],
        "context_qualifier": record["context_qualifier"], "period_basis": basis,
        "occurrence": record["occurrence"], "quantity_occurrence": record["quantity_occurrence"],
    }


def _check_fields(line: int, record: dict, context: RowContext, findings: Findings,
                  where: Where) -> tuple[Indicator | None, bool]:
    """The indicator (None if unknown), and whether the row's fields are usable."""
    usable = True
    indicator = context.catalog.get(record["indicator_id"])
    if indicator is None:
        findings.add("indicator_known", line, f"{where('indicator_id')}: unknown indicator_id "
                     f"{excerpt(record['indicator_id'])}"
                     f"{did_you_mean(record['indicator_id'], context.catalog)}; expected an id of "
                     f"schemas/indicators.yaml")
        usable = False
    period_problem = context.once(check_period, record["period"])
    if period_problem:
        findings.add("period_format", line, f"{where('period')}: {period_problem}")
        usable = False
    problem = context.once(check_breakdown, record["breakdown"])
    if problem:
        findings.add("breakdown_format", line, f"{where('breakdown')}: {problem}")
        usable = False
    quote = record["quote"]
    if not quote:
        findings.add("quote_safe", line, f"{where('quote')}: empty quote; expected the sentence "
                     f"that states the figure")
        usable = False
    elif quote.startswith(FORMULA_PREFIXES):
        findings.add("quote_safe", line, f"{where('quote')}: quote starts with {excerpt(quote[0])}, "
                     f"which a spreadsheet would run as a formula; start the quote at a word")
        usable = False
    if record["note"].startswith(FORMULA_PREFIXES):
        findings.add("quote_safe", line, f"{where('note')}: note starts with "
                     f"{excerpt(record['note'][0])}, which a spreadsheet would run as a formula; "
                     f"start the note at a word")
        usable = False
    if not _visible(line, record, context, findings, where):
        usable = False
    problem = basis_problem(record["period_basis"], record["note"])
    if problem:
        findings.add("period_basis", line, f"{where('period_basis')}: {problem}")
    elif record["period_basis"] != INFERRED and quote and not period_problem:
        missing = unwritten(record["period"], normalise_text(quote, context.cleaning))
        if missing:
            findings.add("period_basis", line,
                         f"{where('period')}: {unwritten_message(record['period'], missing)}")
    return indicator, usable


def _visible(line: int, record: dict, context: RowContext, findings: Findings,
             where: Where) -> bool:
    """No field holds a format or control character its source's cleaning does not drop."""
    ok = True
    for name in TABLE_COLUMNS + TABLE_OPTIONAL:
        # Quotes, quantities and qualifiers as the source's cleaning leaves them (what it
        # declares dropped is no error); the other fields as written.
        raw = record[name]
        if raw.isprintable():   # the common case, one C-level test
            continue
        cleaned = (normalise_text(raw, context.cleaning)
                   if name in ("quote", "quantity", "context_qualifier") else raw)
        hidden = remaining(raw, cleaned)
        if hidden:
            findings.add("quote_safe", line, f"{where(name)}: invisible character(s) "
                         f"{listing(raw, hidden)}; expected visible text (a format character "
                         f"can make the figure read otherwise than it is checked)")
            ok = False
    return ok


def _read_claim(context: RowContext, cells: tuple[str, str, str]) -> tuple[Claim, tuple[str, ...]]:
    """The claim of (occurrence, quantity_occurrence, context_qualifier) cells, and the
    names of the occurrence cells that do not read."""
    numbers = [int(text) if OCCURRENCE.fullmatch(text) else None for text in cells[:2]]
    bad = tuple(name for name, text, number in zip(("occurrence", "quantity_occurrence"),
                                                    cells, numbers) if text and number is None)
    qualifier = normalise_text(cells[2], context.cleaning)
    return Claim(numbers[0], numbers[1], qualifier, context.settings.max_quote_chars), bad


def _claim(line: int, record: dict, context: RowContext, findings: Findings,
           where: Where) -> tuple[Claim, bool]:
    """What the row claims beyond quote and quantity, and whether it reads."""
    cells = (record["occurrence"], record["quantity_occurrence"], record["context_qualifier"])
    key = (_read_claim, cells)
    if key not in context.memo:   # most rows of a table share one claim (all empty)
        context.memo[key] = _read_claim(context, cells)
    claim, bad = context.memo[key]
    for name in bad:
        findings.add("occurrence_format", line, f"{where(name)}: {name} {record[name][:20]!r}; "
                     f"expected a whole number from 1 (which occurrence the row means), "
                     f"or empty")
    return claim, not bad


def _parse(line: int, record: dict, context: RowContext, findings: Findings,
           where: Where) -> Quantity | None:
    cleaning = context.cleaning
    # Parsed in the source's own normal form, so 超過40% reads like 超过40%.
    quantity = context.parse(normalise_text(record["quantity"], cleaning))
    if isinstance(quantity, QuantityError):
        findings.add("quantity_parse", line, f"{where('quantity')}: {quantity.reason}")
        return None
    if not record["context_qualifier"]:
        return quantity
    try:
        return apply_qualifier(context.parser, quantity,
                               normalise_text(record["context_qualifier"], cleaning))
    except QuantityError as exc:
        findings.add("quantity_parse", line, f"{where('context_qualifier')}: {exc.reason}")
        return None


def _prove(line: int, record: dict, claim: Claim, context: RowContext, findings: Findings,
           where: Where) -> tuple[dict, tuple[str, ...]]:
    """The evidence fields of the observation, and the flags the proof adds."""
    if context.normalised is None or context.text is None:
        findings.add("evidence", line, f"{where('quote')}: source text unavailable")
        return dict(NO_EVIDENCE), ()
    evidence = context.prove(record["quote"], record["quantity"], claim)
    if not evidence.verified:
        column, message = _problem(evidence, record, claim, context)
        findings.add("evidence", line, f"{where(column)}: {evidence.status}; {message}")
    return {"evidence": evidence.status, "quote_start": evidence.quote_start,
            "quote_end": evidence.quote_end, "quantity_start": evidence.quantity_start,
            "quantity_end": evidence.quantity_end, "qualifier_start": evidence.qualifier_start,
            "qualifier_end": evidence.qualifier_end}, evidence.flags


def _positions(context: RowContext, offsets: tuple[int, ...]) -> str:
    """Every position as file:line:column (the first MAX_POSITIONS, then a count)."""
    assert context.text is not None
    shown = [f"{context.source.file}:{':'.join(map(str, line_column(context.text, offset)))}"
             for offset in offsets[:MAX_POSITIONS]]
    more = len(offsets) - MAX_POSITIONS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _problem(evidence: Evidence, record: dict, claim: Claim,
             context: RowContext) -> tuple[str, str]:
    """(the column to fix, what is wrong) for evidence that did not verify."""
    status, n = evidence.status, len(evidence.positions)
    file, quantity = context.source.file, record["quantity"]
    at = _positions(context, evidence.positions) if evidence.positions else ""
    if status == "value_mismatch":
        return "quote", (f"the quote has {excerpt(evidence.nearest)} where the quantity is "
                         f"{excerpt(quantity)}")
    if status == "quote_too_long":
        return "quote", (f"the quote is {evidence.length} characters long, expected at most "
                         f"{claim.max_quote_chars} (the sentence or clause that states the "
                         f"figure; max_quote_chars in config/config.yaml)")
    if status == "quote_repeated":
        return "quote", (f"the quote occurs {n} times in {file}, at {at}; expected the "
                         f"occurrence the row means in the occurrence column (1-based), or a "
                         f"longer quote")
    if status == "quantity_repeated":
        return "quantity", (f"{quantity!r} occurs {n} times in the quote, at {at}; expected "
                            f"the occurrence the row means in the quantity_occurrence column "
                            f"(1-based)")
    if status == "occurrence_not_found" and evidence.quote_start is None:
        return "occurrence", (f"occurrence {claim.occurrence}, but the quote occurs {n} "
                              f"time(s) in {file}, at {at}")
    if status == "occurrence_not_found":
        return "quantity_occurrence", (f"quantity_occurrence {claim.quantity_occurrence}, but "
                                       f"{quantity!r} occurs {n} time(s) in the quote, at {at}")
    if status == "qualifier_not_in_quote":
        return "context_qualifier", (f"{record['context_qualifier']!r} is not in the quote "
                                     f"apart from the quantity; nearest text in the quote: "
                                     f"{evidence.nearest!r}")
    quote = normalise_text(record["quote"], context.source.cleaning)
    return "quote", (f"nearest text in {file}: {excerpt(evidence.nearest)}"
                     f"{difference(quote, evidence.nearest)}")
