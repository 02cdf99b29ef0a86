"""What the page shows, computed from the audit tables (no HTML here).

The tables are read as published strings; nothing is recomputed that the audit
already decided (verdicts, intervals, statuses). Columns and values other branches
add are carried through: an unknown verdict gets its own count, `derived:<rule>`
entries in `sources` are shown as derived values with the rule's checks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from markupsafe import Markup

from ..manifest import Source
from .data import AuditData
from .sourcetext import Located, highlight, locate, render_text

# Verdicts in order of attention (a conflict matters most); labels as the page says them.
VERDICTS = ("conflict", "agree_within_rounding", "agree", "derived", "single_source")
HEADLINE_VERDICTS = ("agree", "agree_within_rounding", "conflict", "single_source", "derived")
VERDICT_LABELS = {"agree": "agree", "agree_within_rounding": "within rounding",
                  "conflict": "conflict", "single_source": "single source", "derived": "derived"}
SEVERITIES = ("error", "warning", "info")
DERIVED_PREFIX = "derived:"
INDICATOR_COLUMNS = {"indicator_id", "period", "breakdown", "value", "unit_canonical", "lower",
                     "upper", "n_sources", "sources", "agreement", "flags", "value_source"}
FAILURE_CASES_SHOWN = 50


def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict.replace("_", " "))


def interval_text(lower: str, upper: str) -> str:
    return f"[{lower or '−∞'}, {upper or '∞'}]"


def _slug(text: str) -> str:
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
    pieces: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def interval(self) -> str:
        return interval_text(self.lower, self.upper)

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
        return interval_text(self.lower, self.upper)

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


@dataclass
class ReportView:
    publishable: bool
    status_errors: list[dict]
    headline: Headline
    attention: list[Attention]
    indicators: list[IndicatorRow]
    sources: list[SourceView]
    checks: list[dict]
    failure_cases: list[dict]
    failure_case_columns: list[str]
    n_failure_cases: int
    failure_cases_link: str
    data_docs_link: str


def headline(data: AuditData) -> Headline:
    by_status: dict[str, int] = {"pass": 0, "fail": 0}
    failed = {severity: 0 for severity in SEVERITIES}
    for check in data.checks:
        by_status[check["status"]] = by_status.get(check["status"], 0) + 1
        if check["status"] == "fail":
            failed[check["severity"]] = failed.get(check["severity"], 0) + 1
    verdicts: dict[str, int] = {verdict: 0 for verdict in HEADLINE_VERDICTS}
    for row in data.indicators:
        verdicts[row["agreement"]] = verdicts.get(row["agreement"], 0) + 1
    return Headline(
        sources=len(data.sources), observations=len(data.observations),
        indicator_rows=len(data.indicators),
        indicator_ids=len({row["indicator_id"] for row in data.indicators}),
        checks=len(data.checks), checks_by_status=by_status, failed_by_severity=failed,
        verdicts=[(v, verdict_label(v), n) for v, n in verdicts.items()])


def _observations(data: AuditData) -> tuple[list[ObservationRow], dict[str, list[Located]]]:
    rows: list[ObservationRow] = []
    located: dict[str, list[Located]] = {}
    names = ObservationRow.__dataclass_fields__
    for record in data.observations:
        row = ObservationRow(**{k: record.get(k, "") or "" for k in names
                                if k not in ("anchor", "located", "pieces")})
        source = data.sources.get(row.source_id)
        row.anchor = f"src-{_slug(row.source_id)}-r{row.row_number}"
        row.pieces = [(row.quote, False)]
        if source is not None and row.quote:
            row.pieces = highlight(row.quote, row.quantity, source.cleaning)
            text = data.texts.get(row.source_id)
            if text is not None:
                where = locate(text, row.anchor, row.quote, row.quantity, source.cleaning)
                if where is not None:
                    row.located = True
                    located.setdefault(row.source_id, []).append(where)
        rows.append(row)
    return rows, located


def _rule_checks(checks: list[dict], rule_id: str) -> list[dict]:
    return [c for c in checks if rule_id in c["check_id"].split(".")
            or c["check_id"].endswith("." + rule_id) or c["check_id"] == rule_id]


def _indicators(data: AuditData, observations: list[ObservationRow]) -> list[IndicatorRow]:
    by_key: dict[tuple[str, str, str], list[ObservationRow]] = {}
    for obs in observations:
        by_key.setdefault((obs.indicator_id, obs.period, obs.breakdown), []).append(obs)
    rows, used = [], set()
    for record in data.indicators:
        sources = [s for s in (record.get("sources") or "").split(";") if s]
        rules = [s[len(DERIVED_PREFIX):] for s in sources if s.startswith(DERIVED_PREFIX)]
        en, zh = data.names.get(record["indicator_id"], ("", ""))
        anchor = base = "ev-" + _slug("-".join(
            p for p in (record["indicator_id"], record["period"], record.get("breakdown", "")) if p))
        counter = 2
        while anchor in used:
            anchor, counter = f"{base}-{counter}", counter + 1
        used.add(anchor)
        row = IndicatorRow(
            indicator_id=record["indicator_id"], period=record["period"],
            breakdown=record.get("breakdown", "") or "", value=record.get("value", "") or "",
            unit=record.get("unit_canonical", "") or "", lower=record.get("lower", "") or "",
            upper=record.get("upper", "") or "", n_sources=record.get("n_sources", "") or "",
            agreement=record.get("agreement", "") or "", flags=record.get("flags", "") or "",
            value_source=record.get("value_source", "") or "",
            source_ids=[s for s in sources if not s.startswith(DERIVED_PREFIX)],
            derived_rules=rules, name_en=en, name_zh=zh, anchor=anchor,
            extra={k: v for k, v in record.items() if k not in INDICATOR_COLUMNS and v})
        row.observations = sorted(by_key.get(row.key, []),
                                  key=lambda o: (o.is_derived, o.source_id, int(o.row_number or 0)))
        row.derived = [DerivedEntry(rule, _rule_checks(data.checks, rule)) for rule in rules]
        rows.append(row)
    return rows


def _attention(data: AuditData, indicators: list[IndicatorRow],
               observations: list[ObservationRow]) -> list[Attention]:
    evidence = {row.key: row.anchor for row in indicators}
    quotes = {(o.source_id, o.row_number): o.anchor for o in observations if o.located}
    failing = [c for c in data.checks if c["status"] == "fail"]
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    failing.sort(key=lambda c: (rank.get(c["severity"], len(rank)), c["check_id"]))
    items = []
    for check in failing:
        links = [FindingLink(f, evidence.get((f["indicator_id"], f["period"], f["breakdown"]), ""),
                             quotes.get((f["source_id"], f["row_number"]), ""))
                 for f in data.findings if f["check_id"] == check["check_id"]]
        items.append(Attention(check, links))
    return items


def cleaning_steps(source: Source) -> list[str]:
    steps = ["Unicode NFKC; whitespace and line breaks removed"]
    steps += [f"injected string removed: {s}" for s in source.drop_strings]
    steps += [f"pattern removed: {p}" for p in source.strip_patterns]
    if source.script == "Hant":
        steps.append("traditional script converted to simplified (OpenCC t2s)")
    return steps


def _sources(data: AuditData, observations: list[ObservationRow],
             located: dict[str, list[Located]]) -> list[SourceView]:
    checks = {c["check_id"]: c for c in data.checks}
    views = []
    for source_id, source in data.sources.items():
        mine = [o for o in observations if o.source_id == source_id]
        checksum = checks.get(f"source.checksum.{source_id}", {}).get("status", "not checked")
        coverage = None
        if data.coverage is not None:
            coverage = {}
            for row in data.coverage:
                if row.get("source_id") == source_id:
                    coverage[row.get("status", "")] = coverage.get(row.get("status", ""), 0) + 1
            coverage = dict(sorted(coverage.items()))
        text = data.texts.get(source_id)
        views.append(SourceView(
            source=source, n_observations=len(mine),
            n_verified=sum(o.evidence == "verified" for o in mine), checksum=checksum,
            cleaning=cleaning_steps(source), coverage=coverage,
            text_html=render_text(text, located.get(source_id, [])) if text is not None else Markup(""),
            has_text=text is not None))
    return views


def relative_link(target: Path, page_dir: Path) -> str:
    return Path(os.path.relpath(target, page_dir)).as_posix()


def build_view(data: AuditData, page_dir: Path, failure_cases: Path | None,
               data_docs: Path | None) -> ReportView:
    observations, located = _observations(data)
    indicators = _indicators(data, observations)
    columns = list(data.failure_cases[0]) if data.failure_cases else []
    return ReportView(
        publishable=bool(data.status.get("publishable")),
        status_errors=list(data.status.get("errors", [])),
        headline=headline(data),
        attention=_attention(data, indicators, observations),
        indicators=indicators,
        sources=_sources(data, observations, located),
        checks=data.checks,
        failure_cases=data.failure_cases[:FAILURE_CASES_SHOWN],
        failure_case_columns=columns,
        n_failure_cases=len(data.failure_cases),
        failure_cases_link=relative_link(failure_cases, page_dir) if failure_cases else "",
        data_docs_link=relative_link(data_docs / "index.html", page_dir) if data_docs else "",
    )
