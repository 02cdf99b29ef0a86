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
from pathlib import Path

from greenaudit.report.inputs import AuditData
from greenaudit.report.limits import Limits
from greenaudit.report.numbers import interval_text
from greenaudit.report.sourcetext import highlight, occurrence_number
from greenaudit.report.texts import source_texts, source_views
from greenaudit.report.views import (DERIVED_PREFIX, HEADLINE_VERDICTS, INDICATOR_COLUMNS, SEVERITIES, VERDICTS,
                    Attention, Cap, DerivedEntry, FindingLink, Headline, IndicatorRow,
                    ObservationRow, ReportView, slug, verdict_label)

# What other modules take from here.
__all__ = ["VERDICTS", "IndicatorRow", "ObservationRow", "ReportView", "build_view",
           "interval_text"]


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
    derived = sum(n for sid, (n, _) in source_counts.items() if sid.startswith(DERIVED_PREFIX))
    observations = sum(n for n, _ in source_counts.values())
    return Headline(
        sources=len(data.sources), observations=observations,
        transcribed=observations - derived, derived=derived,
        indicator_rows=sum(verdicts.values()), indicator_ids=tables.indicator_ids(),
        checks=sum(by_status.values()), checks_by_status=by_status, failed_by_severity=failed,
        verdicts=[(v, verdict_label(v), n) for v, n in verdicts.items()])


def _observation(record: dict, data: AuditData) -> ObservationRow:
    names = ObservationRow.__dataclass_fields__
    row = ObservationRow(**{k: record.get(k, "") or "" for k in names
                            if k not in ("anchor", "located", "pieces", "text_omitted")})
    source = data.sources.get(row.source_id)
    row.anchor = f"src-{slug(row.source_id)}-r{row.row_number}"
    row.pieces = [(row.quote, "")]
    if source is not None and row.quote:
        row.pieces = highlight(row.quote, row.quantity, source.cleaning,
                               occurrence_number(row.quantity_occurrence), row.context_qualifier)
    return row


def _indicator(record: dict, data: AuditData, used: set[str]) -> IndicatorRow:
    # A derived value has no wording of its own (its "quantity" is the computed number).
    stated = record.pop("stated_", "") or ""
    if (record.get("value_source") or "").startswith(DERIVED_PREFIX):
        stated = ""
    sources = [s for s in (record.get("sources") or "").split(";") if s]
    rules = [s[len(DERIVED_PREFIX):] for s in sources if s.startswith(DERIVED_PREFIX)]
    en, zh = data.names.get(record["indicator_id"], ("", ""))
    anchor = base = "ev-" + slug("-".join(
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
        extra={k: v for k, v in record.items() if k not in INDICATOR_COLUMNS and v},
        stated=stated)


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


def relative_link(target: Path, page_dir: Path) -> str:
    return Path(os.path.relpath(target, page_dir)).as_posix()


def _caps(head: Headline, limits: Limits, publishable: bool, errors: list[dict],
          shown: dict[str, int]) -> dict[str, Cap]:
    """How much of each list the page shows, of how many, and which file has them all."""
    indicators, checks = table_file("indicators", publishable), table_file("checks", publishable)
    caps = [
        Cap("status-errors", min(len(errors), limits.status_errors), len(errors),
            "results/validation/status.json"),
        Cap("indicators", shown["indicators"], head.indicator_rows, indicators),
        Cap("evidence", shown["evidence"], head.indicator_rows,
            table_file("observations", publishable)),
        Cap("failing-checks", shown["failing-checks"], head.checks_by_status.get("fail", 0),
            checks),
        Cap("checks", shown["checks"], head.checks, checks),
        Cap("sources", shown["sources"], shown["all-sources"], "raw/sources.csv"),
        Cap("texts", shown["texts"], shown["all-texts"], "results/staging/*/normalised/"),
    ]
    return {cap.name: cap for cap in caps}


def build_view(data: AuditData, page_dir: Path, failure_cases: Path | None,
               data_docs: Path | None, limits: Limits | None = None) -> ReportView:
    limits = limits or Limits()
    publishable = bool(data.status.get("publishable"))
    counts = data.tables.observation_counts()
    head = headline(data, counts)
    indicators = _indicators(data, limits)
    statements = [o for row in indicators for o in row.observations]
    texts = source_texts(data, statements, limits)
    sources, embedded = source_views(data, counts, texts, statements, limits.sources)
    attention = _attention(data, indicators, statements, limits)
    checks = data.tables.checks(limits.checks)
    columns, cases, n_cases = data.tables.failure_cases(limits.failure_cases)
    errors = list(data.status.get("errors", []))
    caps = _caps(head, limits, publishable, errors, {
        "indicators": len(indicators), "evidence": sum(row.has_evidence for row in indicators),
        "failing-checks": len(attention), "checks": len(checks), "sources": len(sources),
        "texts": len(embedded), "all-sources": len(data.sources),
        "all-texts": len(data.text_files)})
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
