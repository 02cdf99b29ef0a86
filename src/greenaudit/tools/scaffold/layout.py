"""How a document lays several figures out: enumerations, gridless tables, labels.

- 分别 (respectively): "A、B…分别达到x和y" gives x to A and y to B;
- 均/都 (each): "A、B、C…均超过x" states x once for every item;
- a unit written once: "提高了6.1和3.6个百分点" (6.1 takes 个百分点), "单位：家";
- a gridless table: k header paragraphs, then rows "国家级 3616 267 403";
- chart labels: a figure alone in its paragraph (28.2%, 下降60.4%).

Spans are positions of the normalised text; `figures` are the quantity spans of a
document's candidate figures, in text order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from greenaudit.tools.scaffold.document import Document

JOINERS = re.compile(r"^(?:和|与|及|、)$")
HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
EACH = ("均", "都", "皆")
LABEL_WORDS = 4        # Han characters a chart label may carry besides its figure (下降)
DECLARED_UNIT = re.compile(r"单位[:：]\(?([^\s,，:：()（）]+)")

Span = tuple[int, int]


@dataclass(frozen=True)
class Cell:
    header: Span            # the column header paragraph
    label: Span             # the row label (国家级)
    unit: str               # written unit declared for the table ("家"), or ""
    top: int = 0            # where the table starts (its unit line or first header)
    row_end: int = 0        # where the cell's row ends


@dataclass(frozen=True)
class Layout:
    """How a document lays its candidate figures out (keys are figure starts)."""

    figures: list[Span]
    labels: frozenset[int]
    runs: dict[int, Span]
    aligned: dict[int, tuple[Span, list[Span]]]
    cells: dict[int, Cell]
    shared: dict[int, str]

    @classmethod
    def read(cls, doc: Document, figures: list[Span], bare: set[int],
             units: tuple[str, ...]) -> "Layout":
        found = labels(doc, figures)
        return cls(figures, found, label_runs(doc, figures, found), respectively(doc, figures),
                   tables(doc, figures), shared_units(doc, figures, bare, units))


def paragraph_spans(doc: Document) -> list[Span]:
    cuts = sorted({0, len(doc.text), *doc.paragraphs})
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def labels(doc: Document, figures: list[Span]) -> frozenset[int]:
    """Figures that stand alone in their sentence (a chart's value labels)."""
    found = set()
    for start, end in figures:
        a, b = doc.sentence(start, end)
        if doc.words(a, b) - doc.words(start, end) <= LABEL_WORDS:
            found.add(start)
    return frozenset(found)


def label_runs(doc: Document, figures: list[Span], label_starts: frozenset[int]
               ) -> dict[int, Span]:
    """{label start: span of its run}: chart labels in consecutive paragraphs that hold
    nothing but figures (71.2% 40.2% / 70%) read their caption as one."""
    runs: dict[int, Span] = {}
    current: list[Span] = []
    last_paragraph = -2
    for index, (a, b) in enumerate(paragraph_spans(doc)):
        inside = [f for f in figures if a <= f[0] < b]
        pure = inside and all(f[0] in label_starts for f in inside) and \
            doc.words(a, b) == sum(doc.words(*f) for f in inside)
        if not pure:
            continue
        if index != last_paragraph + 1:
            current = []
        current.extend(inside)
        last_paragraph = index
        for f in current:
            runs[f[0]] = (current[0][0], current[-1][1])
    return runs


def shared_units(doc: Document, figures: list[Span], bare: set[int],
                 units: tuple[str, ...]) -> dict[int, str]:
    """Written units that bare figures share with the next figure of their list, or that
    a table or chart declares (单位：家) before them."""
    implied: dict[int, str] = {}
    for (s1, e1), (s2, e2) in reversed(list(zip(figures, figures[1:]))):
        if s1 in bare and JOINERS.match(doc.text[e1:s2]):
            unit = implied.get(s2) or _unit_at(doc.text[:e2], units)
            if unit:
                implied[s1] = unit
    for start, end in figures:
        if start in bare and start not in implied:
            a, _ = doc.passage(start, end, 120)
            declared = list(DECLARED_UNIT.finditer(doc.text, a, start))
            if declared:
                unit = next((u for u in units if declared[-1][1].startswith(u)), "")
                if unit:
                    implied[start] = unit
    return implied


def _unit_at(text_to_end: str, units: tuple[str, ...]) -> str:
    """The written unit that ends `text_to_end` (the quantity's own unit), if any."""
    return next((u for u in units if text_to_end.endswith(u)), "")


def _list_before(doc: Document, a: int, position: int) -> list[Span]:
    """The items of the enumeration that ends at `position`, searched back to `a`."""
    clauses = [c for c in doc.clauses(a, position) if c[0] < position]
    for start, end in reversed(clauses):
        end = min(end, position)
        text = doc.text[start:end]
        cut = text.find("分别")
        if cut >= 0:
            end, text = start + cut, text[:cut]
        pieces = _split_items(text, start)
        if len(pieces) >= 2:
            return pieces
    return []


def _split_items(text: str, offset: int) -> list[Span]:
    """A list's items: split at 、, and at 和/及/与 between words of two or more
    characters (not inside a word such as 普及率 or 涉及)."""
    pieces: list[Span] = []
    last = 0
    for part in re.finditer(r"[^、]+", text):
        a, b = part.span()
        cut = a
        for match in re.finditer(r"和|及|与", text[a:b]):
            left, right = a + match.start(), a + match.end()
            if left - cut >= 2 and b - right >= 2 and HAN_RUN.fullmatch(text[left - 2:right + 2]):
                pieces.append((offset + cut, offset + left))
                cut = right
        pieces.append((offset + cut, offset + b))
        last = b
    return [p for p in pieces if p[1] > p[0]] if last else []


def respectively(doc: Document, figures: list[Span]) -> dict[int, tuple[Span, list[Span]]]:
    """{figure start: (its item, the other items)} for lists stated with 分别."""
    aligned: dict[int, tuple[Span, list[Span]]] = {}
    for match in re.finditer("分别", doc.text):
        a, b = doc.passage(match.start(), match.end(), 120)
        groups = _groups(doc, [f for f in figures if match.end() <= f[0] < b])
        items = _list_before(doc, a, match.start())
        for group in groups[:2]:
            if len(items) == len(group) >= 2:
                for index, (start, _) in enumerate(group):
                    aligned.setdefault(start, (items[index], items[:index] + items[index + 1:]))
    return aligned


def _groups(doc: Document, figures: list[Span]) -> list[list[Span]]:
    """Runs of figures joined only by 和、与及 (a list of values)."""
    groups: list[list[Span]] = []
    for span in figures:
        if groups and JOINERS.match(doc.text[groups[-1][-1][1]:span[0]] or "x"):
            groups[-1].append(span)
        elif not groups or len(groups) < 3:
            groups.append([span])
    return groups


def each_items(doc: Document, start: int) -> list[Span]:
    """Items that one figure is stated for (A、B、C…均超过x), or []."""
    a, _ = doc.sentence(start, start)
    before = doc.text[a:start]
    if not any(before.rstrip("超过逾达到为在以上左右约近").endswith(w) for w in EACH):
        return []
    return _list_before(doc, a, start)


def tables(doc: Document, figures: list[Span]) -> dict[int, Cell]:
    """Cells of gridless tables: rows of a label and k bare numbers under k headers."""
    paragraphs = paragraph_spans(doc)
    cells: dict[int, Cell] = {}
    starts = {f[0]: f for f in figures}
    index = 0
    while index < len(paragraphs):
        rows = []
        while index + len(rows) < len(paragraphs):
            row = _table_row(doc, paragraphs[index + len(rows)], starts)
            if row is None or (rows and len(row[1]) != len(rows[0][1])):
                break
            rows.append(row)
        k = len(rows[0][1]) if rows else 0
        if rows and index >= k:
            headers = paragraphs[index - k:index]
            above = paragraphs[max(0, index - k - 2):index - k]
            unit, top = _declared_unit(doc, above), headers[0][0]
            top = next((a for a, b in above if DECLARED_UNIT.search(doc.text[a:b])), top)
            for (label, cell_starts), (_, row_end) in zip(rows, paragraphs[index:]):
                for header, start in zip(headers, cell_starts):
                    cells[start] = Cell(header, label, unit, top, row_end)
        index += max(1, len(rows))
    return cells


def _table_row(doc: Document, paragraph: Span, starts: dict[int, Span]):
    a, b = paragraph
    inside = [s for s in sorted(starts) if a <= s < b]
    if len(inside) < 2 or not re.fullmatch(r"[^\d]{1,8}", doc.text[a:inside[0]]):
        return None
    ends = [starts[s][1] for s in inside]
    gaps_ok = all(e in doc.breaks and e == s for e, s in zip(ends, inside[1:]))
    if not gaps_ok or ends[-1] != b or any(not doc.text[s:e].replace(".", "").isdigit()
                                           for s, e in zip(inside, ends)):
        return None
    return (a, inside[0]), inside


def _declared_unit(doc: Document, paragraphs: list[Span]) -> str:
    for a, b in reversed(paragraphs):
        match = DECLARED_UNIT.search(doc.text[a:b])
        if match:
            return match[1]
    return ""
