"""The quote of a proposed row: the clauses that state the figure, never cut in a word.

A quote starts and ends at a clause boundary (，。；： 、, a bullet, or a blank line
that does not wrap a word). It reaches back to the figure's subject (at least
QUOTE_WORDS Han characters besides the figures), to the expression of its period
when that stands close by, and to the list a 分别 figure belongs to. A figure
alone on its line (a chart label) may instead read on to a caption below it: of
the two, the quote that names the proposed indicator better is kept. A table cell
quotes its table from the top to its row.
"""

from __future__ import annotations

import re
from typing import Callable

from greenaudit.tools.scaffold.document import SENTENCE_ENDS, Document
from greenaudit.tools.scaffold.layout import Layout, paragraph_spans
from greenaudit.tools.scaffold.period import Period

QUOTE_WORDS = 6
QUOTE_MAX = 150
PERIOD_NEAR = 24     # a period expression this close is quoted with the figure
GAIN = 0.15          # how much better a longer quote must name the indicator
_AXIS = re.compile(r"(?:(?:19|20)\d{2}年)+")


def quote(doc: Document, layout: Layout, span: tuple[int, int], period: Period,
          names: Callable[[str], float]) -> str:
    """The quote of the figure at text[span]; `names(text)` says how well a text names
    the proposed indicator (0 to 1)."""
    start, end = span
    cell = layout.cells.get(start)
    if cell is not None:
        return doc.readable(cell.top, cell.row_end)
    a, b = _clause_around(doc, layout, span, period, names)
    if start in layout.labels:
        c, d = _caption(doc, layout, span, names)
        if names(doc.text[c:d]) > names(doc.text[a:b]):
            a, b = c, d
    return doc.readable(doc.quote_start(a, start), b)


def _better(names: Callable[[str], float], text: str, current: tuple[int, int],
            candidates: list[tuple[int, int]]) -> tuple[int, int]:
    """The nearest candidate span that names the indicator clearly better than `current`
    (the subject may stand a few lines away on a slide), else `current`."""
    now = names(text[current[0]:current[1]])
    scored = [(names(text[a:b]), (a, b)) for a, b in candidates]
    best = max([score for score, _ in scored] + [now])
    if best < now + GAIN:
        return current
    return next(span for score, span in scored if score >= best - 0.02)


def _words(doc: Document, layout: Layout, a: int, b: int) -> int:
    """Han characters of text[a:b] outside its figures (their units say nothing)."""
    inside = sum(doc.words(s, e) for s, e in layout.figures if a <= s and e <= b)
    return doc.words(a, b) - inside


def _clause_around(doc: Document, layout: Layout, span: tuple[int, int], period: Period,
                   names: Callable[[str], float]) -> tuple[int, int]:
    start, end = span
    b = end
    while b < len(doc.text) and doc.text[b] not in SENTENCE_ENDS + ",:、" and \
            not doc.hard_stop(b) and b not in doc.stops and b - end < 40:
        b += 1
    a, _ = doc.passage(start, end, QUOTE_MAX)
    bullets = [i for i in range(a, start) if doc.hard_stop(i)]
    a = bullets[-1] + 1 if bullets else a
    clauses = doc.clauses(a, end)
    k = next(i for i, (s, e) in enumerate(clauses) if s <= start <= e)
    need = [start]
    aligned = layout.aligned.get(start)
    if aligned:
        need.append(aligned[0][0])
    sentence_start, _ = doc.sentence(start, end)
    p = period.position
    if p is not None and a <= p < start and (p >= sentence_start or start - p <= PERIOD_NEAR):
        need.append(p)
    first = clauses[k][0]
    while k > 0 and (first > min(need) or _words(doc, layout, first, b) < QUOTE_WORDS) \
            and b - clauses[k - 1][0] <= QUOTE_MAX:
        k -= 1
        first = clauses[k][0]
    further = [(s, b) for s, _ in reversed(clauses[:k]) if b - s <= QUOTE_MAX]
    return _better(names, doc.text, (first, b), further)


def _caption(doc: Document, layout: Layout, span: tuple[int, int],
             names: Callable[[str], float]) -> tuple[int, int]:
    """A chart label with the run of labels it is one of and the caption after them."""
    run = layout.runs.get(span[0], span)
    first = doc.sentence(run[0], run[0])[0]          # 下降 of 下降60.4%
    paragraphs = paragraph_spans(doc)
    b = next((e for s, e in paragraphs if s < run[1] <= e), run[1])
    ends = []
    for s, e in paragraphs:
        if s < b:
            continue
        if e - run[0] > QUOTE_MAX or any(doc.hard_stop(i) for i in range(s, e)) or \
                any(s <= f[0] < e for f in layout.figures):
            break
        if e in doc.stops or e == len(doc.text):     # not inside a wrapped word
            ends.append(e)
    enough = next((e for e in [b] + ends if _words(doc, layout, first, e) >= QUOTE_WORDS),
                  ends[-1] if ends else b)
    after = [e for e in ends if e > enough]
    if after and _AXIS.fullmatch(doc.text[enough:after[0]]):
        enough = after[0]            # the chart's axis just below its caption
    return _better(names, doc.text, (first, enough), [(first, e) for e in after])
