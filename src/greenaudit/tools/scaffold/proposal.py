"""Whole-row proposals for a source's uncovered mentions.

For each mention coverage reports missing: either a reason to set it aside in
raw/ignored.csv (noise.py), or a proposed row: quantity, indicator (scorer.py),
period (period.py), breakdown (from the catalog's breakdown vocabulary), and a
quote cut at clause boundaries. Nothing here decides: every proposal carries a
confidence and is written for a person to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ...catalog import Indicator
from ...coverage import CoverageRow
from ...errors import QuantityError, UnitError
from ...normalise import normalise_text
from ...quantity import Quantity, QuantityParser
from ...stage import StageContext
from ...units import UnitSystem
from . import layout
from .document import HAN, SENTENCE_ENDS, Document
from .noise import ignored_context, noise_reason
from .period import Period, PeriodFinder
from .scorer import Figure, Ranked, Scorer, bigrams, confidence
from .spans import breaks_of_digits, candidate_quantity
from .vocabulary import Vocabulary, load_vocabulary

WIDTH = 60           # characters of context read on each side of a figure
NEAR = 10.0          # a word this far from the figure weighs half as much
QUOTE_WORDS = 6      # Han characters a quote needs besides its figure
QUOTE_MAX = 150
_QUALIFIERS = "超过逾达到为约近接将了已高共计累至有在"
DECLINE = ("下降", "降低", "减少", "削减", "下滑", "回落", "减排")
GROWTH = ("增长", "增加", "增速", "增幅", "同比")


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
    def load(cls, workspace: Path, context: StageContext) -> "Tools":
        vocabulary = load_vocabulary(workspace / "schemas", context.catalog)
        names = tuple(normalise_text(n) for i in context.catalog.values()
                      for n in (i.name_zh, *i.aliases))
        return cls(context.catalog, context.units, context.parser,
                   Scorer(context.catalog, context.units), vocabulary, names)


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
    row: CoverageRow
    start: int
    end: int
    quantity: Quantity | None


def propose(doc: Document, missing: list[CoverageRow],
            tools: Tools) -> tuple[list[Proposal], list[SetAside]]:
    """Proposals and set-asides for the missing mentions of one document, in text order."""
    figures, set_aside = _figures(doc, missing, tools)
    spans = [(f.start, f.end) for f in figures]
    finder = PeriodFinder(doc, layout.labels(doc, spans))
    bare = {f.start for f in figures if f.quantity is None or not f.quantity.unit_text}
    written = tuple(sorted(tools.units.written, key=len, reverse=True))
    shared = layout.shared_units(doc, spans, bare, written)
    aligned = layout.respectively(doc, spans)
    cells = layout.tables(doc, spans)
    runs = layout.label_runs(doc, spans, finder.labels)
    proposals: list[Proposal] = []
    for f in figures:
        run = runs.get(f.start, (f.start, f.end))
        around = Around(run[0], run[1], tuple(spans), aligned.get(f.start), finder.labels)
        weights = _cell_weights(doc, cells[f.start]) if f.start in cells else \
            context_weights(doc, around)
        figure = _figure(doc, f, shared.get(f.start) or (cells[f.start].unit if f.start in cells
                                                       else ""), finder, tools)
        ranked = tools.scorer.rank(weights, figure)
        if not ranked:
            set_aside.append(SetAside(f.row, ignored_context(doc, f.row.text_start,
                                                             f.row.text_end),
                                      "no indicator of the catalog has this unit"))
            continue
        proposals.extend(_rows(doc, f, ranked, finder, tools, (aligned, cells, figure.target)))
    return _restatements(proposals, set_aside, doc)


def _figures(doc: Document, missing: list[CoverageRow], tools: Tools):
    figures, set_aside = [], []
    digit_breaks = breaks_of_digits(doc.normalised)
    by_start = {m.start: m for m in doc.mentions}
    for row in missing:
        mention = by_start.get(row.text_start)
        start, end = candidate_quantity(doc.normalised, row.text_start, row.text_end,
                                        tools.parser, digit_breaks)
        reason = noise_reason(doc, mention, end, tools.names) if mention is not None else None
        if reason:
            set_aside.append(SetAside(row, ignored_context(doc, row.text_start, row.text_end),
                                      reason))
            continue
        try:
            quantity = tools.parser.parse(doc.text[start:end])
        except QuantityError:
            quantity = None
        figures.append(_Figure(row, start, end, quantity))
    return figures, set_aside


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
    a, b = doc.sentence(f.start, f.end)
    year = doc.published.year
    future = any(a <= e.start < f.start and year is not None and e.last > year
                 for e in finder.expressions)
    return future or "目标" in doc.text[a:b]


@dataclass(frozen=True)
class Around:
    """Where a figure stands among the others (read from the layout)."""

    start: int                      # the figure, or the run of chart labels it is one of
    end: int
    figures: tuple[tuple[int, int], ...] = ()     # every candidate figure of the document
    aligned: tuple[tuple[int, int], list[tuple[int, int]]] | None = None
    labels: frozenset[int] = frozenset()          # starts of the document's chart labels

    @property
    def label(self) -> bool:
        return self.start in self.labels


def context_weights(doc: Document, around: Around) -> dict[str, float]:
    """Each bigram of the passage around a figure, weighted by nearness to it.

    A word weighs 1 / (1 + distance / NEAR), less for every clause mark and blank
    line between it and the figure. Words after the figure that lead up to another
    figure of their clause, nearer to it, are that figure's (…、水泥过剩产能3亿吨); a chart label
    reads its caption after it rather than before; in a 分别 list the figure's own
    item counts as adjacent and the other items hardly at all.
    """
    start, end = around.start, around.end
    a, b = doc.passage(start, end, WIDTH)
    weight = _distance_weights(doc, a, b, start, end)
    sentence_start, _ = doc.sentence(start, end)
    for p in _leading_to_others(doc, around, b):
        weight[p - a] *= 0.3
    if around.label:
        for p in range(a, sentence_start):
            weight[p - a] *= 0.5
    if around.aligned:
        item, others = around.aligned
        for s, e in others:
            for p in range(max(s, a), min(e, b)):
                weight[p - a] *= 0.15
        for p in range(max(item[0], a), min(item[1], b)):
            weight[p - a] = max(weight[p - a], 0.9)
    return _grams(doc, a, b, weight)


def _leading_to_others(doc: Document, around: Around, b: int) -> list[int]:
    """Positions after the figure that lead up to a later figure of their clause:
    past a mark (、,) from ours, or nearer the later figure than ours. Slides break
    words over blank lines, so only marks end these clauses; a chart label has no
    subject before it (its caption is elsewhere)."""
    end, found = around.end, []
    for s, e in doc.clauses(end, b, ",:;、", lines=False) if end < b else ():
        owners = [f for f in around.figures if s <= f[0] < e and f[0] >= end
                  and f[0] not in around.labels]
        previous = s
        for f in owners:
            found.extend(p for p in range(previous, f[0]) if s > end or f[0] - p < p - end)
            previous = f[1]
    return found


def _distance_weights(doc: Document, a: int, b: int, start: int, end: int) -> list[float]:
    weight = [1.0] * (b - a)
    damp = 1.0
    for p in range(start - 1, a - 1, -1):
        if doc.text[p] in ",:;" or doc.hard_stop(p):
            damp *= 0.7
        elif doc.text[p] == "、":
            damp *= 0.8
        weight[p - a] = damp / (1 + (start - p) / NEAR)
        if p in doc.paragraphs:
            damp *= 0.7
    damp = 1.0
    for p in range(end, b):
        if doc.text[p] in ",:;" or doc.hard_stop(p) or p in doc.paragraphs:
            damp *= 0.7
        elif doc.text[p] == "、":
            damp *= 0.8
        weight[p - a] = damp / (1 + (p - end + 1) / NEAR)
    return weight


def _grams(doc: Document, a: int, b: int, weight: list[float]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for p in range(a, b - 1):
        gram = doc.text[p:p + 2]
        if HAN.match(gram[0]) and HAN.match(gram[1]):
            w = min(weight[p - a], weight[p + 1 - a])
            weights[gram] = max(weights.get(gram, 0.0), w)
    for match in re.finditer(r"[A-Za-z0-9]{2,}", doc.text[a:b]):
        for gram in bigrams(match.group()):
            weights[gram] = max(weights.get(gram, 0.0), weight[match.start()])
    return weights


def _cell_weights(doc: Document, cell: layout.Cell) -> dict[str, float]:
    """A table cell reads its column header and row label as if adjacent."""
    weights: dict[str, float] = {}
    for a, b in (cell.header, cell.label):
        for gram in bigrams(doc.text[a:b]):
            weights[gram] = 1.0
    return weights


def _rows(doc: Document, f: _Figure, ranked: list[Ranked], finder: PeriodFinder,
          tools: Tools, where) -> list[Proposal]:
    aligned, cells, target = where
    indicator = tools.catalog[ranked[0].indicator_id]
    period = finder.find(f.start, f.end, indicator.kind, target and indicator.target)
    quote = _quote(doc, f, aligned.get(f.start))
    quantity = doc.readable(f.start, f.end)
    common = dict(mention=f.row, start=f.start, end=f.end, quantity=quantity, quote=quote,
                  indicator_id=indicator.indicator_id, period=period,
                  confidence=confidence(ranked), alternatives=ranked[1:4])
    values = _each_values(doc, f, indicator, tools.vocabulary)
    if len(values) >= 2:
        return [Proposal(breakdown=v, **common) for v in values]
    breakdown = _breakdown(doc, f, indicator, tools.vocabulary, (aligned, cells))
    return [Proposal(breakdown=breakdown, **common)]


def _word_in(doc: Document, span: tuple[int, int], words: list[tuple[str, str]],
             last: bool = True) -> str:
    text = doc.text[span[0]:span[1]]
    hits = [(text.rfind(w) if last else text.find(w), w, v) for w, v in words if w in text]
    if not hits:
        return ""
    return (max if last else min)(hits, key=lambda h: (h[0], len(h[1])))[2]


def _breakdown(doc: Document, f: _Figure, indicator: Indicator, vocabulary: Vocabulary,
               where) -> str:
    aligned, cells = where
    for key in indicator.breakdown_keys:
        words = vocabulary.words(key)
        if not words:
            continue
        value = ""
        if f.start in cells:
            value = _word_in(doc, cells[f.start].label, words) or \
                _word_in(doc, cells[f.start].header, words)
        if not value and f.start in aligned:
            value = _word_in(doc, aligned[f.start][0], words)
        if not value:
            value = _label_category(doc, f, words)
        if not value:
            a, b = doc.sentence(f.start, f.end)
            value = _word_in(doc, (a, f.start), words) or \
                _word_in(doc, (f.end, b), words, last=False)
        if value:
            return f"{key}={value}"
    return ""


def _label_category(doc: Document, f: _Figure, words: list[tuple[str, str]]) -> str:
    """A chart's value labels in one paragraph, then its category labels in order."""
    paragraphs = layout.paragraph_spans(doc)
    index = next((i for i, (a, b) in enumerate(paragraphs) if a <= f.start < b), None)
    if index is None:
        return ""
    a, b = paragraphs[index]
    values = [m for m in doc.mentions if a <= m.start < b]
    if len(values) < 2 or doc.words(a, b) > layout.LABEL_WORDS:
        return ""
    for c, d in paragraphs[index + 1:index + 3]:
        found = sorted((doc.text.find(w, c, d), w, v) for w, v in words
                       if doc.text.find(w, c, d) >= 0)
        found = [h for i, h in enumerate(found) if i == 0 or h[0] >= found[i - 1][0]
                 + len(found[i - 1][1])]
        if len(found) == len(values):
            order = [m.start for m in values]
            return found[order.index(f.row.text_start)][2] if f.row.text_start in order else ""
    return ""


def _each_values(doc: Document, f: _Figure, indicator: Indicator,
                 vocabulary: Vocabulary) -> list[str]:
    items = layout.each_items(doc, f.start)
    for key in indicator.breakdown_keys if items else ():
        words = vocabulary.words(key)
        values = [_word_in(doc, item, words, last=False) for item in items]
        if words and all(values) and len(set(values)) == len(values):
            return [f"{key}={v}" for v in values]
    return []


def _quote(doc: Document, f: _Figure, aligned) -> str:
    """The clauses that state the figure: its own, back to its subject, period and list."""
    a, _ = doc.passage(f.start, f.end, QUOTE_MAX)
    while a < f.start and doc.hard_stop(a):
        a += 1
    bullets = [i for i in range(a, f.start) if doc.hard_stop(i)]
    a = bullets[-1] + 1 if bullets else a
    clauses = doc.clauses(a, f.end)
    k = next(i for i, (s, e) in enumerate(clauses) if s <= f.start < max(e, s + 1)
             or s <= f.start <= e)
    start = clauses[k][0]
    need = min([aligned[0][0]] if aligned else [f.start])
    sentence_start, _ = doc.sentence(f.start, f.end)
    year = re.search(r"(?:19|20)\d{2}年|十[一二三四五六七八九]?五", doc.text[sentence_start:f.start])
    if year:
        need = min(need, sentence_start + year.start())
    while k > 0 and (start > need or doc.words(start, f.end) - doc.words(f.start, f.end)
                     < QUOTE_WORDS) and f.end - clauses[k - 1][0] <= QUOTE_MAX:
        k -= 1
        start = clauses[k][0]
    end = f.end
    while end < len(doc.text) and doc.text[end] not in SENTENCE_ENDS + ",:" and \
            not doc.hard_stop(end) and end not in doc.paragraphs and end - f.end < 40:
        end += 1
    return doc.readable(doc.quote_start(start, f.start), end)


def _restatements(proposals: list[Proposal], set_aside: list[SetAside], doc: Document):
    """A second proposal of the same row and figure restates the first (a chart label)."""
    kept: list[Proposal] = []
    seen: dict[tuple, Proposal] = {}
    for p in proposals:
        key = (*p.key, re.sub(r"\s", "", p.quantity))
        if key in seen and seen[key].mention is not p.mention:
            first = seen[key].mention
            set_aside.append(SetAside(p.mention, ignored_context(doc, p.mention.text_start,
                                                                 p.mention.text_end),
                                      f"restates the figure at line {first.line}, column "
                                      f"{first.column} ({p.indicator_id} {p.period.period})"))
            continue
        seen.setdefault(key, p)
        kept.append(p)
    set_aside.sort(key=lambda s: s.mention.text_start)
    return kept, set_aside
