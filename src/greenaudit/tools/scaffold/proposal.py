"""Whole-row proposals for a source's uncovered mentions.

For each mention coverage reports missing: either a reason to set it aside in
raw/ignored.csv (noise.py), or a proposed row: quantity, indicator (scorer.py over
the words of context.py), period (period.py), breakdown (breakdown.py) and a quote
cut at clause boundaries (quote.py). Nothing here decides: every proposal carries
a confidence and is written for a person to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from greenaudit.workspace.catalog import Indicator
from greenaudit.stage.coverage import CoverageRow
from greenaudit.errors import QuantityError, UnitError
from greenaudit.text.normalise import normalise_text
from greenaudit.text.quantity import Quantity, QuantityParser
from greenaudit.stage.source import StageContext
from greenaudit.text.units import UnitSystem
from greenaudit.tools.scaffold.breakdown import breakdown, each_values
from greenaudit.tools.scaffold.context import Around, weights_for
from greenaudit.tools.scaffold.document import HAN, Document
from greenaudit.tools.scaffold.layout import Layout
from greenaudit.tools.scaffold.noise import ignored_context, noise_reason
from greenaudit.tools.scaffold.period import Period, PeriodFinder
from greenaudit.tools.scaffold.quote import quote
from greenaudit.tools.scaffold.scorer import Figure, Ranked, Scorer, bigrams, confidence
from greenaudit.tools.scaffold.spans import breaks_of_digits, candidate_quantity
from greenaudit.tools.scaffold.vocabulary import Vocabulary, load_vocabulary

_QUALIFIERS = "超过逾达到为约近接将了已高共计累至有在"
DECLINE = ("下降", "降低", "减少", "削减", "下滑", "回落", "减排")
GROWTH = ("增长", "增加", "增速", "增幅", "同比")
# Chart labels the layout ran together: 6.296.10 is 6.29 and 6.10.
_RUN_TOGETHER = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Tools:
    """What proposing needs besides the document (loaded once per workspace)."""

    catalog: dict[str, Indicator]
    units: UnitSystem
    parser: QuantityParser
    scorer: Scorer
    vocabulary: Vocabulary
    names: tuple[str, ...] = ()     # the catalog's Chinese names and aliases, normalised

    @classmethod
    def build(cls, schemas_dir: Path, catalog: dict[str, Indicator], units: UnitSystem,
              parser: QuantityParser) -> "Tools":
        names = tuple(normalise_text(n) for i in catalog.values() for n in (i.name_zh, *i.aliases))
        return cls(catalog, units, parser, Scorer(catalog, units),
                   load_vocabulary(schemas_dir, catalog), names)

    @classmethod
    def load(cls, context: StageContext) -> "Tools":
        """The tools of a staged workspace (its catalog, units and breakdown vocabulary)."""
        return cls.build(context.workspace / "schemas", context.catalog, context.units,
                         context.parser)


@dataclass
class Proposal:
    mention: CoverageRow
    start: int                      # quantity span of the normalised text
    end: int
    quantity: str
    quote: str
    indicator_id: str
    period: Period
    breakdown: str
    confidence: float
    alternatives: list[Ranked] = field(default_factory=list)
    value: str = ""                 # the figure read (scaled value and qualifier)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.indicator_id, self.period.period, self.breakdown


@dataclass(frozen=True)
class SetAside:
    """A mention proposed for raw/ignored.csv."""

    mention: CoverageRow
    context: str
    reason: str


@dataclass
class _Figure:
    row: CoverageRow | None         # None: a figure already accounted for (layout only)
    start: int
    end: int
    quantity: Quantity | None


def propose(doc: Document, missing: list[CoverageRow],
            tools: Tools) -> tuple[list[Proposal], list[SetAside]]:
    """Proposals and set-asides for the missing mentions of one document, in text order.

    The layout is read from every figure of the document, so a list, table or chart
    is recognised when only some of its figures are missing."""
    figures, set_aside = _figures(doc, {row.text_start: row for row in missing}, tools)
    spans = [(f.start, f.end) for f in figures]
    bare = {f.start for f in figures if f.quantity is None or not f.quantity.unit_text}
    written = tuple(sorted(tools.units.written, key=len, reverse=True))
    layout = Layout.read(doc, spans, bare, written)
    finder = PeriodFinder(doc, layout.labels)
    proposals: list[Proposal] = []
    for f in figures:
        if f.row is None:
            continue
        cell = layout.cells.get(f.start)
        implied = layout.shared.get(f.start) or (cell.unit if cell else "")
        figure = _figure(doc, f, implied, finder, tools)
        ranked = tools.scorer.rank(weights_for(doc, Around.of(layout, f.start, f.end)), figure)
        if not ranked:
            set_aside.append(SetAside(f.row, ignored_context(doc, f.start, f.end),
                                      "no indicator of the catalog has this unit"))
            continue
        proposals.extend(_rows(doc, f, ranked, (layout, finder, figure.target), tools))
    return _restatements(doc, proposals, set_aside, layout.labels)


def _figures(doc: Document, missing: dict[int, CoverageRow],
             tools: Tools) -> tuple[list[_Figure], list[SetAside]]:
    """Every candidate figure of the document (calendar expressions and noise left out);
    the set-asides of the missing ones."""
    figures: list[_Figure] = []
    set_aside: list[SetAside] = []
    digit_breaks = breaks_of_digits(doc.normalised)
    for mention in doc.mentions:
        if mention.kind == "calendar" or figures and mention.start < figures[-1].end:
            continue                 # the 50% of 40%-50%: inside the previous quantity
        row = missing.get(mention.start)
        start, end = candidate_quantity(doc.normalised, mention.start, mention.end,
                                        tools.parser, digit_breaks)
        reason = noise_reason(doc, mention, end, tools.names)
        if reason:
            if row is not None:
                set_aside.append(SetAside(row, ignored_context(doc, mention.start, mention.end),
                                          reason))
            continue
        for a, b in _pieces(doc.text, start, end):
            try:
                quantity = tools.parser.parse(doc.text[a:b])
            except QuantityError:
                quantity = None
            figures.append(_Figure(row, a, b, quantity))
    return figures, set_aside


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A quantity, or the two chart labels a layout ran together (same decimals)."""
    if not _RUN_TOGETHER.fullmatch(text[start:end]):
        return [(start, end)]
    splits = []
    for cut in range(start + 3, end - 2):
        left, right = text[start:cut], text[cut:end]
        if re.fullmatch(r"\d+\.\d+", left) and re.fullmatch(r"[1-9]\d*\.\d+|0\.\d+", right) \
                and len(left.split(".")[1]) == len(right.split(".")[1]):
            splits.append(cut)
    return [(start, splits[0]), (splits[0], end)] if len(splits) == 1 else [(start, end)]


def _figure(doc: Document, f: _Figure, implied: str, finder: PeriodFinder,
            tools: Tools) -> Figure:
    q = f.quantity
    written = q.unit_text if q is not None and q.unit_text else implied
    try:
        unit = tools.units.project_unit(written) if written else None
    except UnitError:
        unit = None
    two_digit = q is not None and q.qualifier == "two_digit"
    if two_digit:
        unit = "percent"
    value: Decimal | None = q.scaled if q is not None and written else None
    return Figure(unit, value, _cue(doc, f.start, f.end), _is_target(doc, f, finder), two_digit)


def _cue(doc: Document, start: int, end: int) -> str:
    """The verb before a figure: decline (下降), growth (增长) or a level (达到)."""
    a, _ = doc.sentence(start, end)
    before = doc.text[max(a, start - 8):start].rstrip(_QUALIFIERS)
    after = doc.text[end:end + 2]
    if before.endswith(("到", "至", "为")):
        return "level"
    if before.endswith(DECLINE):
        return "decline"
    if before.endswith(GROWTH) or after.startswith(("增速", "增长")):
        return "growth"
    return "level"


def _is_target(doc: Document, f: _Figure, finder: PeriodFinder) -> bool:
    """Governed by a year after publication (到2030年) or stated as a 目标."""
    a, b = doc.sentence(f.start, f.end)
    year = doc.published.year
    future = any(a <= e.start < f.start and year is not None and e.last > year
                 for e in finder.expressions)
    return future or "目标" in doc.text[a:b]


def _rows(doc: Document, f: _Figure, ranked: list[Ranked], where, tools: Tools
          ) -> list[Proposal]:
    layout, finder, target = where
    indicator = tools.catalog[ranked[0].indicator_id]
    period = finder.find(f.start, f.end, indicator.kind, target and indicator.target)
    def names(text: str) -> float:
        return tools.scorer.words(indicator.indicator_id, dict.fromkeys(bigrams(text), 1.0))

    common = dict(mention=f.row, start=f.start, end=f.end,
                  quantity=doc.normalised.original_characters(doc.original, f.start, f.end),
                  quote=quote(doc, layout, (f.start, f.end), period, names),
                  indicator_id=indicator.indicator_id, period=period,
                  confidence=confidence(ranked), alternatives=ranked[1:4],
                  value=(f"{f.quantity.scaled.normalize()} {f.quantity.qualifier}" if f.quantity
                         else normalise_text(doc.text[f.start:f.end])))
    values = each_values(doc, f.start, indicator, tools.vocabulary)
    if len(values) >= 2:
        return [Proposal(breakdown=v, **common) for v in values]
    value = breakdown(doc, layout, (f.start, f.end), indicator, tools.vocabulary)
    return [Proposal(breakdown=value, **common)]


def _restatements(doc: Document, proposals: list[Proposal], set_aside: list[SetAside],
                  labels: frozenset[int]) -> tuple[list[Proposal], list[SetAside]]:
    """The same row and figure proposed from two mentions: one restates the other. A
    chart label or the headline (the first line) restates the body; else the one
    quoted with more words is kept."""
    leading = len(doc.original) - len(doc.original.lstrip())
    first_line = doc.original.count("\n", 0, leading) + 1
    groups: dict[tuple, list[Proposal]] = {}
    for p in proposals:
        groups.setdefault((*p.key, p.value), []).append(p)
    dropped: set[int] = set()
    for group in groups.values():
        mentions = {id(p.mention): p for p in group}
        if len(mentions) < 2:
            continue
        keep = max(mentions.values(), key=lambda p: (p.start not in labels,
                                                     p.mention.line != first_line,
                                                     doc_words(p.quote), -p.start))
        for p in mentions.values():
            if p is not keep:
                dropped.add(id(p.mention))
                set_aside.append(SetAside(p.mention, ignored_context(doc, p.start, p.end),
                                          f"restates the figure at line {keep.mention.line}, "
                                          f"column {keep.mention.column} ({p.indicator_id} "
                                          f"{p.period.period})"))
    set_aside.sort(key=lambda s: s.mention.text_start)
    return [p for p in proposals if id(p.mention) not in dropped], set_aside


def doc_words(text: str) -> int:
    return len(HAN.findall(text))
