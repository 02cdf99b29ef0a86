"""The source texts the page embeds, and the sources it describes.

The texts are budgeted (`Limits`): the sources quoted by the statements shown come
first, those quoted by a problem statement before the others; a text too long for
its share is shown as excerpts around its quotes.
"""

from __future__ import annotations

from markupsafe import Markup

from greenaudit.workspace.manifest import Source
from greenaudit.report.inputs import AuditData
from greenaudit.report.limits import Limits
from greenaudit.report.sourcetext import (Located, locate, occurrence_number, render_excerpts,
                                         render_text)
from greenaudit.report.views import ObservationRow, SourceView


def texts_to_embed(data: AuditData, statements: list[ObservationRow], limit: int) -> list[str]:
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


def source_texts(data: AuditData, statements: list[ObservationRow],
                  limits: Limits) -> dict[str, tuple[Markup, bool, int]]:
    """{source_id: (its text as HTML, whether excerpted, its length)} for the embedded
    texts; marks each statement located in the page, or its text omitted."""
    embedded = texts_to_embed(data, statements, limits.texts)
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


def cleaning_steps(source: Source) -> list[str]:
    steps = ["Unicode NFKC; whitespace and line breaks removed"]
    steps += [f"injected string removed: {s}" for s in source.drop_strings]
    steps += [f"pattern removed: {p}" for p in source.strip_patterns]
    if source.script == "Hant":
        steps.append("traditional script converted to simplified (OpenCC t2s)")
    return steps


def source_views(data: AuditData, counts: dict[str, tuple[int, int]],
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
