"""What the page shows, computed from the audit tables (no HTML here).

The tables are read as published strings; nothing is recomputed that the audit
already decided (verdicts, intervals, statuses). Columns and values other branches
add are carried through: an unknown verdict gets its own count, `derived:<rule>`
entries in `sources` are shown as derived values with the rule's checks.

The page is bounded: every count is over the full tables, but each long list shows
at most a fixed number of rows (`Limits`), chosen in order of attention (failures
before passes, conflicts before agreement, problem rows before clean ones) and
shown in the tables' own order, with a note saying how many of how many are shown
and which published file holds them all.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from markupsafe import Markup

from greenaudit import tables
from greenaudit.workspace.manifest import Source
from .data import AuditData
from .limits import Limits
from .sourcetext import (Located, highlight, locate, occurrence_number, render_excerpts,
                         render_text)

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
    pieces: list[tuple[str, str]] = field(default_factory=list)
    # The source has a normalised text, but the page does not show this quote in it.
    text_omitted: bool = False
    context_qualifier: str = ""
    occurrence: str = ""
    quantity_occurrence: str = ""

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
    has_evidence: bool = True
    n_statements: int = 0

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


def table_file(name: str, publishable: bool) -> str:
    """Where the full table is: published, or (when the gate failed) only validated."""
    return f"results/{'audit' if publishable else 'validation/audit'}/{name}.csv"


def headline(data: AuditData, source_counts: dict[str, tuple[int, int]]) -> Headline:
    tables = data.tables
    by_status: dict[str, int] = {"pass": 0, "fail": 0}
    failed = {severity: 0 for severity in SEVERITIES}
    for _kind, status, severity, n in tables.check_counts():
        by_status[status] = by_status.get(status, 0) + n
        if status == "fail":
            failed[severity] = failed.get(severity, 0) + n
    verdicts: dict[str, int] = {verdict: 0 for verdict in HEADLINE_VERDICTS}
    for verdict, n in tables.verdict_counts():
        verdicts[verdict] = verdicts.get(verdict, 0) + n
    return Headline(
        sources=len(data.sources),
        observations=sum(n for n, _ in source_counts.values()),
        indicator_rows=sum(verdicts.values()), indicator_ids=tables.indicator_ids(),
        checks=sum(by_status.values()), checks_by_status=by_status, failed_by_severity=failed,
        verdicts=[(v, verdict_label(v), n) for v, n in verdicts.items()])


def _observation(record: dict, data: AuditData) -> ObservationRow:
    names = ObservationRow.__dataclass_fields__
    row = ObservationRow(**{k: record.get(k, "") or "" for k in names
                            if k not in ("anchor", "located", "pieces", "text_omitted")})
    source = data.sources.get(row.source_id)
    row.anchor = f"src-{_slug(row.source_id)}-r{row.row_number}"
    row.pieces = [(row.quote, "")]
    if source is not None and row.quote:
        row.pieces = highlight(row.quote, row.quantity, source.cleaning,
                               occurrence_number(row.quantity_occurrence), row.context_qualifier)
    return row


def _indicator(record: dict, data: AuditData, used: set[str]) -> IndicatorRow:
    sources = [s for s in (record.get("sources") or "").split(";") if s]
    rules = [s[len(DERIVED_PREFIX):] for s in sources if s.startswith(DERIVED_PREFIX)]
    en, zh = data.names.get(record["indicator_id"], ("", ""))
    anchor = base = "ev-" + _slug("-".join(
        p for p in (record["indicator_id"], record["period"], record.get("breakdown", "")) if p))
    counter = 2
    while anchor in used:
        anchor, counter = f"{base}-{counter}", counter + 1
    used.add(anchor)
    return IndicatorRow(
        indicator_id=record["indicator_id"], period=record["period"],
        breakdown=record.get("breakdown", "") or "", value=record.get("value", "") or "",
        unit=record.get("unit_canonical", "") or "", lower=record.get("lower", "") or "",
        upper=record.get("upper", "") or "", n_sources=record.get("n_sources", "") or "",
        agreement=record.get("agreement", "") or "", flags=record.get("flags", "") or "",
        value_source=record.get("value_source", "") or "",
        source_ids=[s for s in sources if not s.startswith(DERIVED_PREFIX)],
        derived_rules=rules, name_en=en, name_zh=zh, anchor=anchor,
        extra={k: v for k, v in record.items() if k not in INDICATOR_COLUMNS and v})


def _indicators(data: AuditData, limits: Limits) -> list[IndicatorRow]:
    """The indicator rows the table shows, in file order; the first `limits.evidence` in
    order of attention also get an evidence entry with their statements."""
    records = data.tables.indicators(limits.indicators)
    with_evidence = {record["pos_"] for record in records[:limits.evidence]}
    records.sort(key=lambda record: record["pos_"])
    rows, used = [], set()
    for record in records:
        position = record.pop("pos_")
        record.pop("rank_")
        row = _indicator(record, data, used)
        row.has_evidence = position in with_evidence
        rows.append(row)
    shown = [row for row in rows if row.has_evidence]
    statements = data.tables.statements([row.key for row in shown], limits.statements)
    rules = sorted({rule for row in shown for rule in row.derived_rules})
    rule_checks = data.tables.rule_checks(rules)
    for row in shown:
        records_here, row.n_statements = statements.get(row.key, ([], 0))
        row.observations = sorted((_observation(r, data) for r in records_here),
                                  key=lambda o: (o.is_derived, o.source_id, int(o.row_number or 0)))
        row.derived = [DerivedEntry(rule, rule_checks.get(rule, [])) for rule in row.derived_rules]
    return rows


def _texts_to_embed(data: AuditData, statements: list[ObservationRow], limit: int) -> list[str]:
    """The sources whose texts the page may embed, most important first: those the
    shown statements quote, the ones quoted by a problem statement first, then by how
    many shown statements they have."""
    order = {sid: i for i, sid in enumerate(data.sources)}
    weight: dict[str, list[int]] = {}
    for o in statements:
        if o.source_id in data.text_files and o.source_id in data.sources and o.quote:
            w = weight.setdefault(o.source_id, [0, 0])
            w[0] += o.evidence not in ("verified", "derived")
            w[1] += 1
    return sorted(weight, key=lambda sid: (-weight[sid][0], -weight[sid][1], order[sid]))[:limit]


def _source_texts(data: AuditData, statements: list[ObservationRow],
                  limits: Limits) -> dict[str, tuple[Markup, bool, int]]:
    """{source_id: (its text as HTML, whether excerpted, its length)} for the embedded
    texts; marks each statement located in the page, or its text omitted."""
    embedded = _texts_to_embed(data, statements, limits.texts)
    by_source: dict[str, list[ObservationRow]] = {}
    for o in statements:
        by_source.setdefault(o.source_id, []).append(o)
    # Problem statements first, so their quotes are the ones kept when a long text is excerpted.
    for rows in by_source.values():
        rows.sort(key=lambda o: o.evidence in ("verified", "derived"))
    texts = {source_id: data.text(source_id) for source_id in embedded}
    # Whole texts when they all fit; otherwise excerpts around the quotes, so that the
    # budget serves the quotes of as many sources as it can.
    whole = sum(len(text) for text in texts.values()) <= limits.text_total
    html: dict[str, tuple[Markup, bool, int]] = {}
    remaining = limits.text_total
    for source_id, text in texts.items():
        if remaining <= 0:
            break
        cleaning = data.sources[source_id].cleaning
        located: list[Located] = []
        rows: dict[str, ObservationRow] = {}
        for o in by_source.get(source_id, []):
            if o.quote:
                where = locate(text, o.anchor, o.quote, o.quantity, cleaning,
                               occurrence_number(o.occurrence),
                               occurrence_number(o.quantity_occurrence))
                if where is not None:
                    located.append(where)
                    rows[o.anchor] = o
        budget = min(limits.text_chars, remaining)
        if whole and len(text) <= budget:
            kept = {loc.anchor for loc in located}
            html[source_id] = (render_text(text, located), False, len(text))
            remaining -= len(text)
        else:
            markup, kept, shown = render_excerpts(text, located, budget)
            html[source_id] = (markup, True, len(text))
            remaining -= shown
        for anchor, o in rows.items():
            o.located = anchor in kept
            o.text_omitted = not o.located
    for o in statements:
        if o.source_id in data.text_files and o.source_id not in html and not o.is_derived:
            o.text_omitted = True
    return html


def _attention(data: AuditData, indicators: list[IndicatorRow],
               statements: list[ObservationRow], limits: Limits) -> list[Attention]:
    evidence = {row.key: row.anchor for row in indicators if row.has_evidence}
    quotes = {(o.source_id, o.row_number): o.anchor for o in statements if o.located}
    failing = data.tables.failing_checks(limits.failing_checks)
    findings = data.tables.findings([c["check_id"] for c in failing], limits.findings)
    items = []
    for check in failing:
        rows, total = findings.get(check["check_id"], ([], 0))
        links = [FindingLink(f, evidence.get((f["indicator_id"], f["period"], f["breakdown"]), ""),
                             quotes.get((f["source_id"], f["row_number"]), ""))
                 for f in rows]
        items.append(Attention(check, links, total))
    return items


def cleaning_steps(source: Source) -> list[str]:
    steps = ["Unicode NFKC; whitespace and line breaks removed"]
    steps += [f"injected string removed: {s}" for s in source.drop_strings]
    steps += [f"pattern removed: {p}" for p in source.strip_patterns]
    if source.script == "Hant":
        steps.append("traditional script converted to simplified (OpenCC t2s)")
    return steps


def _sources(data: AuditData, counts: dict[str, tuple[int, int]],
             texts: dict[str, tuple[Markup, bool, int]], statements: list[ObservationRow],
             limit: int) -> tuple[list[SourceView], list[SourceView]]:
    """The sources described (those a finding names or whose checksum failed first,
    then those whose text or statements are shown), and the embedded texts."""
    checksums = data.tables.check_status("source.checksum.")
    coverage = data.tables.coverage_counts()
    named = data.tables.sources_named_by_findings()
    quoted = {o.source_id for o in statements}
    order = list(data.sources)

    def attention(index: int) -> tuple[int, int]:
        sid = order[index]
        checksum = checksums.get(f"source.checksum.{sid}", "not checked")
        rank = (0 if sid in named or checksum == "fail" else 1 if sid in texts
                else 2 if sid in quoted else 3)
        return rank, index

    chosen = sorted(sorted(range(len(order)), key=attention)[:limit])
    views: dict[str, SourceView] = {}
    for index in sorted(set(chosen) | {order.index(sid) for sid in texts}):
        source_id = order[index]
        source = data.sources[source_id]
        n, verified = counts.get(source_id, (0, 0))
        html, excerpted, length = texts.get(source_id, (Markup(""), False, 0))
        views[source_id] = SourceView(
            source=source, n_observations=n, n_verified=verified,
            checksum=checksums.get(f"source.checksum.{source_id}", "not checked"),
            cleaning=cleaning_steps(source),
            coverage=None if coverage is None else coverage.get(source_id, {}),
            text_html=html, has_text=source_id in texts,
            text_staged=source_id in data.text_files, excerpted=excerpted, text_chars=length)
    described = [views[order[i]] for i in chosen]
    embedded = [view for view in views.values() if view.has_text]
    return described, embedded


def relative_link(target: Path, page_dir: Path) -> str:
    return Path(os.path.relpath(target, page_dir)).as_posix()


def build_view(data: AuditData, page_dir: Path, failure_cases: Path | None,
               data_docs: Path | None, limits: Limits | None = None) -> ReportView:
    limits = limits or Limits()
    publishable = bool(data.status.get("publishable"))
    counts = data.tables.observation_counts()
    head = headline(data, counts)
    indicators = _indicators(data, limits)
    statements = [o for row in indicators for o in row.observations]
    texts = _source_texts(data, statements, limits)
    sources, embedded = _sources(data, counts, texts, statements, limits.sources)
    attention = _attention(data, indicators, statements, limits)
    checks = data.tables.checks(limits.checks)
    columns, cases, n_cases = data.tables.failure_cases(limits.failure_cases)
    n_failing = head.checks_by_status.get("fail", 0)
    errors = list(data.status.get("errors", []))
    caps = {
        "status-errors": Cap("status-errors", min(len(errors), limits.status_errors),
                             len(errors), "results/validation/status.json"),
        "indicators": Cap("indicators", len(indicators), head.indicator_rows,
                          table_file("indicators", publishable)),
        "evidence": Cap("evidence", sum(row.has_evidence for row in indicators),
                        head.indicator_rows, table_file("observations", publishable)),
        "failing-checks": Cap("failing-checks", len(attention), n_failing,
                              table_file("checks", publishable)),
        "checks": Cap("checks", len(checks), head.checks, table_file("checks", publishable)),
        "sources": Cap("sources", len(sources), len(data.sources), "raw/sources.csv"),
        "texts": Cap("texts", len(embedded), len(data.text_files),
                     "results/staging/*/normalised/"),
    }
    return ReportView(
        publishable=publishable,
        status_errors=errors[:limits.status_errors],
        headline=head,
        attention=attention,
        indicators=indicators,
        sources=sources,
        texts=embedded,
        checks=checks,
        caps=caps,
        failure_cases=cases,
        failure_case_columns=columns,
        n_failure_cases=n_cases,
        failure_cases_link=relative_link(failure_cases, page_dir) if failure_cases else "",
        data_docs_link=relative_link(data_docs / "index.html", page_dir) if data_docs else "",
    )
