"""The words around a figure, each weighted by how likely it is to name the figure.

The weights feed the scorer: a bigram's weight is the largest weight of its
occurrences in the passage around the figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from greenaudit.tools.scaffold.document import HAN, Document
from greenaudit.tools.scaffold.layout import Cell, Layout, Span
from greenaudit.tools.scaffold.scorer import bigrams

WIDTH = 60           # characters of context read on each side of a figure
NEAR = 10.0          # a word this far from the figure weighs half as much
CLAUSE = 0.7         # per clause mark, bullet or blank line between word and figure
ITEM = 0.8           # per 、 between them
OTHERS = 0.3         # a word that leads up to another figure
CAPTION_BEFORE = 0.5  # a chart label's words before it (its caption usually follows)
OTHER_ITEMS = 0.15   # the other items of a 分别 list


@dataclass(frozen=True)
class Around:
    """A figure and where it stands among the others."""

    start: int                      # the figure, or the run of chart labels it is one of
    end: int
    layout: Layout
    own: int                        # the figure's own start (its key in the layout)

    @property
    def label(self) -> bool:
        return self.own in self.layout.labels

    @classmethod
    def of(cls, layout: Layout, start: int, end: int) -> "Around":
        run = layout.runs.get(start, (start, end))
        return cls(run[0], run[1], layout, start)


def weights_for(doc: Document, around: Around) -> dict[str, float]:
    cell = around.layout.cells.get(around.own)
    return cell_weights(doc, cell) if cell is not None else context_weights(doc, around)


def context_weights(doc: Document, around: Around) -> dict[str, float]:
    """Each bigram of the passage around a figure, weighted by nearness to it.

    A word weighs 1 / (1 + distance / NEAR), less for every clause mark and blank
    line between it and the figure. Words after the figure that lead up to another
    figure of their clause, nearer to it, are that figure's (…、水泥过剩产能3亿吨); a
    chart label reads its caption after it rather than before; in a 分别 list the
    figure's own item counts as adjacent and the other items hardly at all.
    """
    start, end = around.start, around.end
    a, b = doc.passage(start, end, WIDTH)
    weight = _distance_weights(doc, (a, b), start, end)
    for p in _leading_to_others(doc, around, b):
        weight[p - a] *= OTHERS
    if around.label:
        sentence_start, _ = doc.sentence(start, end)
        for p in range(a, sentence_start):
            weight[p - a] *= CAPTION_BEFORE
    aligned = around.layout.aligned.get(around.own)
    if aligned:
        item, others = aligned
        for s, e in others:
            for p in range(max(s, a), min(e, b)):
                weight[p - a] *= OTHER_ITEMS
        for p in range(max(item[0], a), min(item[1], b)):
            weight[p - a] = max(weight[p - a], 0.9)
    return _grams(doc, a, b, weight)


def cell_weights(doc: Document, cell: Cell) -> dict[str, float]:
    """A table cell reads its column header and row label as if adjacent."""
    weights: dict[str, float] = {}
    for a, b in (cell.header, cell.label):
        for gram in bigrams(doc.text[a:b]):
            weights[gram] = 1.0
    return weights


def _leading_to_others(doc: Document, around: Around, b: int) -> list[int]:
    """Positions after the figure that lead up to a later figure of their clause:
    past a mark (、,) from ours, or nearer the later figure than ours. Slides break
    words over blank lines, so only marks end these clauses; a chart label has no
    subject before it (its caption is elsewhere)."""
    end, found = around.end, []
    figures, labels = around.layout.figures, around.layout.labels
    for s, e in doc.clauses(end, b, ",:;、", lines=False) if end < b else ():
        owners = [f for f in figures if s <= f[0] < e and f[0] >= end and f[0] not in labels]
        previous = s
        for f in owners:
            found.extend(p for p in range(previous, f[0]) if s > end or f[0] - p < p - end)
            previous = f[1]
    return found


def _distance_weights(doc: Document, passage: Span, start: int, end: int) -> list[float]:
    a, b = passage
    weight = [1.0] * (b - a)
    damp = CLAUSE if start in doc.stops else 1.0
    for p in range(start - 1, a - 1, -1):
        damp *= _mark(doc, p)
        weight[p - a] = damp / (1 + (start - p) / NEAR)
        if p in doc.stops:
            damp *= CLAUSE
    damp = 1.0
    for p in range(end, b):
        damp *= _mark(doc, p) * (CLAUSE if p in doc.stops else 1.0)
        weight[p - a] = damp / (1 + (p - end + 1) / NEAR)
    return weight


def _mark(doc: Document, p: int) -> float:
    if doc.text[p] in ",:;" or doc.hard_stop(p):
        return CLAUSE
    return ITEM if doc.text[p] == "、" else 1.0


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
