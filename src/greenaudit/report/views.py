"""What the page shows, as plain records (no queries, no HTML).

Each record keeps the published strings as they are (`value`, `lower`, `upper`)
and offers them as a reader writes them (`value_text`, `interval`): a number with
digit groups or a magnitude word, an interval to the precision of the statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from markupsafe import Markup

from greenaudit.workspace.manifest import Source
from greenaudit.report.numbers import interval_text, number_text
from greenaudit import tables

# Verdicts in order of attention (a conflict matters most); labels as the page says them.
VERDICTS = ("conflict", "agree_within_rounding", "agree", "derived", "single_source")
HEADLINE_VERDICTS = ("agree", "agree_within_rounding", "conflict", "single_source", "derived")
VERDICT_LABELS = {"agree": "agree", "agree_within_rounding": "within rounding",
                  "conflict": "conflict", "single_source": "single source", "derived": "derived"}
SEVERITIES = ("error", "warning", "info")
DERIVED_PREFIX = "derived:"
INDICATOR_COLUMNS = set(tables.INDICATORS.published_names)


@dataclass(frozen=True)
class Cap:
    """How many of a list the page shows, of how many, and where all of them are."""

    name: str
    shown: int
    total: int
    where: str

    @property
    def capped(self) -> bool:
        return self.shown < self.total


def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict.replace("_", " "))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def sort_number(text: str) -> str:
    """A numeric sort key for the table's script (empty when not a number)."""
    try:
        return format(Decimal(text), "f") if text else ""
    except InvalidOperation:
        return ""


@dataclass
class ObservationRow:
    source_id: str
    row_number: str
    indicator_id: str
    period: str
    breakdown: str
    quantity: str
    value: str
    unit: str
    qualifier: str
    value_canonical: str
    unit_canonical: str
    lower: str
    upper: str
    quote: str
    evidence: str
    flags: str
    note: str
    anchor: str = ""
    located: bool = False
    pieces: list[tuple[str, str]] = field(default_factory=list)
    # The source has a normalised text, but the page does not show this quote in it.
    text_omitted: bool = False
    context_qualifier: str = ""
    occurrence: str = ""
    quantity_occurrence: str = ""

    @property
    def interval(self) -> str:
        return interval_text(self.lower, self.upper, self.value_canonical)

    @property
    def canonical_text(self) -> str:
        return number_text(self.value_canonical)

    @property
    def is_derived(self) -> bool:
        return self.source_id.startswith(DERIVED_PREFIX)


@dataclass
class DerivedEntry:
    rule_id: str
    checks: list[dict]


@dataclass
class IndicatorRow:
    indicator_id: str
    period: str
    breakdown: str
    value: str
    unit: str
    lower: str
    upper: str
    n_sources: str
    agreement: str
    flags: str
    value_source: str
    source_ids: list[str]
    derived_rules: list[str]
    name_en: str
    name_zh: str
    anchor: str
    extra: dict[str, str] = field(default_factory=dict)
    observations: list[ObservationRow] = field(default_factory=list)
    derived: list[DerivedEntry] = field(default_factory=list)
    has_evidence: bool = True
    n_statements: int = 0
    # The quantity as the value's source wrote it (22.03万亿元); empty for a derived value.
    stated: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.indicator_id, self.period, self.breakdown

    @property
    def label(self) -> str:
        return f"{self.indicator_id} {self.period}" + (f" [{self.breakdown}]" if self.breakdown else "")

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return self.key

    @property
    def interval(self) -> str:
        return interval_text(self.lower, self.upper, self.value)

    @property
    def value_text(self) -> str:
        return number_text(self.value)

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.agreement)

    @property
    def value_sort(self) -> str:
        return sort_number(self.value)


@dataclass
class FindingLink:
    finding: dict
    evidence_anchor: str
    source_anchor: str


@dataclass
class Attention:
    check: dict
    findings: list[FindingLink]
    n_findings: int = 0


@dataclass
class SourceView:
    source: Source
    n_observations: int
    n_verified: int
    checksum: str
    cleaning: list[str]
    coverage: dict[str, int] | None
    text_html: Markup
    has_text: bool
    text_staged: bool = False
    excerpted: bool = False
    text_chars: int = 0


@dataclass
class Headline:
    sources: int
    observations: int
    indicator_rows: int
    indicator_ids: int
    checks: int
    checks_by_status: dict[str, int]
    failed_by_severity: dict[str, int]
    verdicts: list[tuple[str, str, int]]
    # Of `observations`: those transcribed from a document, and those a rule derived.
    transcribed: int = 0
    derived: int = 0


@dataclass
class ReportView:
    publishable: bool
    status_errors: list[dict]
    headline: Headline
    attention: list[Attention]
    indicators: list[IndicatorRow]
    sources: list[SourceView]
    texts: list[SourceView]
    checks: list[dict]
    caps: dict[str, Cap]
    failure_cases: list[dict]
    failure_case_columns: list[str]
    n_failure_cases: int
    failure_cases_link: str
    data_docs_link: str
