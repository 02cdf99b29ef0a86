"""Stage one source: verify it, parse its transcription table, prove every quote,
audit the coverage of its numeric mentions.

Runs once per source, in parallel with the others. It never writes the database
and never imports pandas: its products are Parquet files that one later job loads.
Problems with the input become failing checks (with file, line and column) rather
than exceptions, so that one bad row does not hide the others.

Time: O(length of the source) to verify and normalise it and find its mentions,
O(rows) for the table (observe.py: each distinct quote searched once in the
source), and O(mentions + quotes log quotes) for coverage (coverage.py). Output is
bounded: a check's message names its first failures and counts the rest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from greenaudit.workspace.catalog import Indicator, load_catalog
from greenaudit.checks import Check, outcome
from greenaudit.stage.coverage import (IGNORED_FILE, CoverageResult, IgnoredRow, Span,
                                       audit_coverage, context_of, read_ignored)
from greenaudit.formats.csvfile import Row, read_rows
from greenaudit.errors import GreenauditError, excerpt
from greenaudit.workspace.manifest import Source, load_manifest
from greenaudit.text.mentions import Mention, mentions_in
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise
from greenaudit.text.quantity import QuantityParser
from greenaudit.stage.checksum import invisible_check, verify_source
from greenaudit.stage.observe import (FORMULA_PREFIXES, TABLE_COLUMNS, TABLE_OPTIONAL, Findings,
                                      RowContext, Settings, observe)
from greenaudit.stage.unfilled import CHECK as ROW_FILLED, is_unfilled, quote_spans, unfilled_message
from greenaudit.suggest import did_you_mean
from greenaudit.text.units import UnitSystem

__all__ = ["FORMULA_PREFIXES", "TABLE_COLUMNS", "TABLE_OPTIONAL", "Settings", "StageContext",
           "Staged", "all_findings", "prepare_source", "stage_source"]


@dataclass
class Staged:
    """What staging one source produced."""

    source_id: str
    transcriptions: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    normalised_text: str = ""
    findings: list[dict] = field(default_factory=list)
    original: str | None = None
    normalised: NormalisedText | None = None
    coverage: CoverageResult | None = None
    mentions: tuple[Mention, ...] = ()
    _by_line: dict[int, dict] = field(default_factory=dict, repr=False)

    def by_line(self) -> dict[int, dict]:
        """The transcriptions by table line (built once the table is read: O(rows))."""
        if len(self._by_line) != len(self.transcriptions):
            self._by_line = {r["row_number"]: r for r in self.transcriptions}
        return self._by_line

    @property
    def coverage_rows(self) -> list[dict]:
        return [row.record() for row in self.coverage.rows] if self.coverage else []


# (finding name, check id prefix, kind, severity, message when nothing fails)
ROW_CHECKS = (
    ROW_FILLED,
    ("indicator_known", "table.indicator_known", "table", "error",
     "every indicator_id is in schemas/indicators.yaml"),
    ("period_format", "table.period_format", "table", "error",
     "periods are YYYY, YYYY-MM or YYYY-YYYY"),
    ("breakdown_format", "table.breakdown_format", "table", "error",
     "breakdowns are sorted key=value pairs"),
    ("quote_safe", "table.quote_safe", "table", "error",
     "quotes are present; quotes and notes cannot act as formulas"),
    ("occurrence_format", "table.occurrence_format", "table", "error",
     "occurrences are empty or whole numbers from 1"),
    ("quantity_parse", "table.quantity_parse", "table", "error",
     "every quantity (with its context qualifier) parses"),
    ("unit_compatible", "table.unit_compatible", "unit", "error",
     "every unit fits its indicator's dimension"),
    ("key_unique", "table.key_unique", "table", "error",
     "one row per indicator_id, period and breakdown"),
    ("valid_range", "range.valid", "range", "error",
     "every value lies in its indicator's valid range"),
    ("plausible_range", "range.plausible", "plausibility", "warning",
     "every value lies in its plausible range"),
    ("evidence", "evidence", "evidence", "error",
     "every quote is found once in the source (or its occurrence named), with the quantity "
     "once inside it and any context qualifier"),
    ("period_basis", "period.basis", "evidence", "error",
     "every period is written in its quote, or marked inferred with the reason in note"),
)
# Checks over observations count observations; the others count table rows.
OBSERVATION_CHECKS = ("valid_range", "plausible_range", "evidence")


@dataclass
class StageContext:
    """What every source of a workspace is staged against, loaded once per job."""

    workspace: Path
    settings: Settings
    units: UnitSystem
    catalog: dict[str, Indicator]
    manifest: dict[str, Source]
    parser: QuantityParser
    ignored: list[IgnoredRow]
    ignored_error: str = ""

    @classmethod
    def load(cls, workspace: Path, settings: Settings = Settings()) -> "StageContext":
        schemas = workspace / "schemas"
        units = UnitSystem.load(schemas)
        catalog = load_catalog(schemas, units)
        manifest = load_manifest(workspace)
        try:
            ignored, ignored_error = read_ignored(workspace), ""
        except GreenauditError as exc:
            ignored, ignored_error = [], exc.located()
        return cls(workspace, settings, units, catalog, manifest,
                   QuantityParser.for_units(units.written), ignored, ignored_error)


@lru_cache(maxsize=8)
def prepare_source(text: str, cleaning: Cleaning) -> tuple[NormalisedText, tuple[Mention, ...]]:
    """A source's normalised text and numeric mentions (read-only; cached because
    scaffolding and the mutation tests stage the same document many times)."""
    normalised = normalise(text, cleaning)
    return normalised, tuple(mentions_in(normalised, text))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while one source is staged.

    Staging allocates several objects per table row and frees them by reference
    counting; the collector would otherwise run over every live object again and again
    as they accumulate. The objects of one source are bounded by its table, and the
    collector runs as usual between sources.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stage_source(workspace: Path, source_id: str, settings: Settings = Settings(),
                 context: StageContext | None = None) -> Staged:
    """Stage one source (pass a `context` to stage several sources of one workspace)."""
    with _no_cycle_collection():
        return _stage_source(workspace, source_id, settings, context)


def _stage_source(workspace: Path, source_id: str, settings: Settings,
                  context: StageContext | None) -> Staged:
    if context is None:
        context = StageContext.load(workspace, settings)
    staged = Staged(source_id)
    workspace = context.workspace
    source = context.manifest.get(source_id)
    table_path = workspace / "raw" / "tables" / f"{source_id}.csv"
    table_name = f"raw/tables/{source_id}.csv"
    if source is None:
        staged.checks.append(Check(f"manifest.listed.{source_id}", "manifest", "error", "fail",
                                   source_id, 1, 1, f"{source_id} has no row in raw/sources.csv"
                                   f"{did_you_mean(source_id, context.manifest)}"))
        return staged
    text = verify_source(workspace, source, staged.checks)
    normalised, mentions = prepare_source(text, source.cleaning) if text is not None else (None, ())
    invisible = invisible_check(source, text, normalised) if normalised else None
    if invisible is not None:
        staged.checks.append(invisible)
    staged.normalised_text = normalised.text if normalised else ""
    staged.original, staged.normalised, staged.mentions = text, normalised, mentions
    try:
        rows = read_rows(table_path, TABLE_COLUMNS, TABLE_OPTIONAL)
    except GreenauditError as exc:
        staged.checks.append(Check(f"table.read.{source_id}", "table", "error", "fail",
                                   table_name, 1, 1, exc.located()))
        _coverage(context, source, staged, table_name, table_read=False)
        return staged
    staged.checks.append(Check(f"table.read.{source_id}", "table", "error", "pass", table_name,
                               len(rows), 0, f"{len(rows)} rows read"))
    rows_context = RowContext(source, table_name, context.catalog, context.units, context.parser,
                              context.settings, normalised, text)
    waiting = _stage_rows(rows, staged, rows_context, Findings())
    _coverage(context, source, staged, table_name,
              waiting=quote_spans(waiting, normalised, text, source.cleaning))
    return staged


def _stage_rows(rows: list[Row], staged: Staged, ctx: RowContext,
                findings: Findings) -> list[Row]:
    """Check every row and make the observations; add the row checks and findings.

    Returns the rows that are not filled in yet or have an error of their own."""
    table_name = ctx.table_name
    seen: dict[tuple[str, str, str], int] = {}
    waiting = [row for row in rows if is_unfilled(row)]
    for row in waiting:
        findings.add("row_filled", row.line, unfilled_message(table_name, row))
    columns = TABLE_COLUMNS + TABLE_OPTIONAL
    for row in (row for row in rows if not is_unfilled(row)):
        # Row.get, inlined: every value read_rows gives is a string.
        values = row.values
        record = {"source_id": staged.source_id, "row_number": row.line,
                  **{c: values.get(c, "") for c in columns}}
        staged.transcriptions.append(record)
        observation = observe(row, record, ctx, findings)
        key = (record["indicator_id"], record["period"], record["breakdown"])
        if key in seen:
            findings.add("key_unique", row.line, f"{table_name}:{row.line}: duplicate key "
                         f"{'/'.join(k for k in key if k)} (first on line {seen[key]}); expected "
                         f"one row per indicator_id, period and breakdown")
        else:
            seen[key] = row.line
        if observation is not None:
            staged.observations.append(observation)
        else:
            waiting.append(row)
    n, n_obs = len(rows), len(staged.observations)
    for name, prefix, kind, severity, ok_message in ROW_CHECKS:
        check = outcome(f"{prefix}.{staged.source_id}", kind, severity, table_name,
                        n_obs if name in OBSERVATION_CHECKS else n, findings.get(name), ok_message)
        staged.checks.append(check)
        for line, message in findings.rows(name):
            staged.findings.append(_finding(staged, check.check_id, severity, line, message))
    return waiting


def _finding(staged: Staged, check_id: str, severity: str, line: int | None,
             message: str) -> dict:
    record = staged.by_line().get(line, {})
    return {"check_id": check_id, "severity": severity, "source_id": staged.source_id,
            "row_number": line, "indicator_id": record.get("indicator_id", ""),
            "period": record.get("period", ""), "breakdown": record.get("breakdown", ""),
            "message": message}


def _coverage(context: StageContext, source: Source, staged: Staged, table_name: str,
              table_read: bool = True, waiting: list[Span] | None = None) -> None:
    """The coverage audit of one source: its checks, findings and coverage rows.

    Without a readable table every mention is missing (what `scaffold` starts a new
    table from), but the check then says so once instead of once per mention. A mention
    in the quote of a row not filled in yet or with an error of its own (`waiting`) is
    left to that row's message: fixing the row covers it, or shows it missing then.
    """
    sid = source.source_id
    check_id, ignored_id = f"coverage.{sid}", f"coverage.ignored.{sid}"
    if staged.original is None or staged.normalised is None:
        staged.checks.append(Check(check_id, "coverage", "error", "fail", source.file, 0, 1,
                                   f"{source.file}: source text unavailable; coverage not audited"))
        return
    if context.ignored_error:
        staged.checks.append(Check(ignored_id, "coverage", "error", "fail", IGNORED_FILE, 0, 1,
                                   context.ignored_error))
        staged.checks.append(Check(check_id, "coverage", "error", "fail", source.file, 0, 1,
                                   f"{source.file}: coverage not audited: {IGNORED_FILE} "
                                   f"cannot be read"))
        return
    verified = [o for o in staged.observations if o["evidence"] == "verified"]
    quantities = [Span(o["quantity_start"], o["quantity_end"], o["row_number"]) for o in verified]
    quotes = [Span(o["quote_start"], o["quote_end"], o["row_number"])
              for o in staged.observations if o["quote_start"] is not None] + (waiting or [])
    result = audit_coverage(sid, staged.original, staged.normalised, staged.mentions,
                            source.cleaning, quantities, quotes, context.ignored)
    staged.coverage = result
    if not table_read:
        staged.checks.append(Check(check_id, "coverage", "error", "fail", source.file,
                                   len(result.rows), len(result.missing),
                                   f"{source.file}: coverage not audited: {table_name} cannot "
                                   f"be read"))
        return
    failures = _missing(staged, source.file, table_name, [
        m for m in result.missing if not set(m[1]) & {span.line for span in waiting or []}])
    staged.checks.append(outcome(
        check_id, "coverage", "error", source.file, len(result.rows), failures,
        f"{len(result.rows)} numeric mentions: "
        f"{sum(r.status == 'transcribed' for r in result.rows)} transcribed, "
        f"{sum(r.status == 'ignored' for r in result.rows)} ignored, "
        + (f"{len(result.missing)} in the quotes of rows still to fix" if result.missing
           else "none missing")))
    problems = [message for _, message in result.problems]
    staged.checks.append(outcome(
        ignored_id, "coverage", "error", IGNORED_FILE, result.n_ignored_rows, problems,
        f"{result.n_ignored_rows} rows of {IGNORED_FILE} each set aside a mention, with a reason"))
    for _, message in result.problems:
        staged.findings.append(_finding(staged, ignored_id, "error", None, message))


def _missing(staged: Staged, file: str, table_name: str, missing: list) -> list[str]:
    """One message (and finding) per mention that no row accounts for."""
    failures = []
    for row, lines in missing:
        around = context_of(staged.normalised, row.text_start, row.text_end)
        message = (f"{file}:{row.line}:{row.column}: {excerpt(row.mention)} (in {excerpt(around)}) is neither "
                   f"transcribed nor set aside in {IGNORED_FILE}")
        if lines:
            message += (f"; it lies inside the quote of "
                        f"{', '.join(f'{table_name}:{line}' for line in lines)}")
        failures.append(message)
        staged.findings.append(_finding(staged, f"coverage.{staged.source_id}", "error",
                                        lines[0] if lines else None, message))
    return failures


def all_findings(staged: Staged) -> list[dict]:
    """Row-level findings, plus one finding for each failing check that has no rows."""
    with_rows = {f["check_id"] for f in staged.findings}
    whole = [{"check_id": c.check_id, "severity": c.severity, "source_id": staged.source_id,
              "row_number": None, "indicator_id": "", "period": "", "breakdown": "",
              "message": c.message}
             for c in staged.checks if c.status == "fail" and c.check_id not in with_rows]
    return staged.findings + whole
