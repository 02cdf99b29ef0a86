"""The breakdown a figure is stated for, named by the catalog's breakdown vocabulary.

The value comes from, in order: a table cell's row label (国家级) or column header;
the figure's own item in a 分别 list (钢铁、石化化工…分别超过97%和95%); a chart's
category labels in the order of its value labels (93% 95% 97% / 规上工业 石化化工
钢铁); the nearest vocabulary word before the figure in its sentence (美国：380千瓦时),
else after it. A figure stated once for several items (多晶硅、硅片…均超过70%) gives
one value per item.
"""

from __future__ import annotations

from greenaudit.workspace.catalog import Indicator
from greenaudit.tools.scaffold import layout as layouts
from greenaudit.tools.scaffold.document import Document
from greenaudit.tools.scaffold.layout import Layout, Span
from greenaudit.tools.scaffold.vocabulary import Vocabulary

Words = list[tuple[str, str]]


def word_in(doc: Document, span: Span, words: Words, last: bool = True) -> str:
    """The value of the last (or first) vocabulary word in text[span]."""
    text = doc.text[span[0]:span[1]]
    hits = [(text.rfind(w) if last else text.find(w), w, v) for w, v in words if w in text]
    if not hits:
        return ""
    return (max if last else min)(hits, key=lambda h: (h[0], len(h[1])))[2]


def breakdown(doc: Document, layout: Layout, span: Span, indicator: Indicator,
              vocabulary: Vocabulary) -> str:
    start, end = span
    for key in indicator.breakdown_keys:
        words = vocabulary.words(key)
        if not words:
            continue
        value = ""
        cell = layout.cells.get(start)
        if cell is not None:
            value = word_in(doc, cell.label, words) or word_in(doc, cell.header, words)
        if not value and start in layout.aligned:
            value = word_in(doc, layout.aligned[start][0], words, last=False)
        if not value:
            value = _category(doc, layout, start, words)
        if not value:
            a, b = doc.sentence(start, end)
            value = word_in(doc, (a, start), words) or word_in(doc, (end, b), words, last=False)
        if value:
            return f"{key}={value}"
    return ""


def _category(doc: Document, layout: Layout, start: int, words: Words) -> str:
    """A chart's value labels in one paragraph, then its category labels in order."""
    paragraphs = layouts.paragraph_spans(doc)
    index = next((i for i, (a, b) in enumerate(paragraphs) if a <= start < b), None)
    if index is None:
        return ""
    a, b = paragraphs[index]
    values = [f[0] for f in layout.figures if a <= f[0] < b]
    if len(values) < 2 or any(v not in layout.labels for v in values):
        return ""
    for c, d in paragraphs[index + 1:index + 3]:
        found = sorted((doc.text.find(w, c, d), w, v) for w, v in words
                       if doc.text.find(w, c, d) >= 0)
        found = [h for i, h in enumerate(found)
                 if i == 0 or h[0] >= found[i - 1][0] + len(found[i - 1][1])]
        if len(found) == len(values):
            return found[values.index(start)][2]
    return ""


def each_values(doc: Document, start: int, indicator: Indicator,
                vocabulary: Vocabulary) -> list[str]:
    """One breakdown per item when one figure is stated for each of several items."""
    items = layouts.each_items(doc, start)
    for key in indicator.breakdown_keys if items else ():
        words = vocabulary.words(key)
        values = [word_in(doc, item, words, last=False) for item in items]
        if words and all(values) and len(set(values)) == len(values):
            return [f"{key}={v}" for v in values]
    return []
