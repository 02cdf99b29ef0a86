"""Coverage audit: every numeric mention of a source is accounted for.

Each mention found in the normalised source (see mentions.py) is

- `transcribed`: every digit of it lies inside the source offsets of a verified
  transcribed quantity;
- `ignored`: a calendar expression (reason "calendar expression"), or set aside by a
  row of raw/ignored.csv (`source_id, mention, context, reason`);
- `missing`: neither, which is an error.

A raw/ignored.csv row sets aside every occurrence of its mention inside every
occurrence of its context (both compared after the source's normalisation). Every
row needs a reason, and a row that sets aside nothing (its context is not in the
source, its mention is not a mention there, or everything it names is already
accounted for) is an error too, so the file cannot silently go stale.
"""

from __future__ import annotations

import heapq
import os
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from greenaudit.errors import excerpt
from greenaudit.formats.csvfile import read_rows
from greenaudit.text.mentions import CN_DIGITS, CN_MAGNITUDES, Mention
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise

IGNORED_FILE = "raw/ignored.csv"
IGNORED_COLUMNS = ("source_id", "mention", "context", "reason")
STATUSES = ("transcribed", "ignored", "missing")
CALENDAR_REASON = "calendar expression"
# Missing mentions whose quotes are named, and the table lines named for each.
MAX_LOCATED = 100
SHOWN_LINES = 5
_COUNTED = set("0123456789" + CN_DIGITS + CN_MAGNITUDES)


@dataclass(frozen=True)
class IgnoredRow:
    """A row of raw/ignored.csv; `line` is its line in the file."""

    line: int
    source_id: str
    mention: str
    context: str
    reason: str


@dataclass(frozen=True)
class Span:
    """Original-file offsets [start, end) of a quantity or quote of table row `line`."""

    start: int
    end: int
    line: int


@dataclass(frozen=True)
class CoverageRow:
    source_id: str
    start: int          # offsets in the original file, in characters, end exclusive
    end: int
    mention: str        # the original characters (without removed whitespace or injections)
    status: str
    reason: str
    line: int           # where the mention starts in the original file (1-based)
    column: int
    text_start: int     # position in the normalised text
    text_end: int

    def record(self) -> dict:
        return {"source_id": self.source_id, "start": self.start, "end": self.end,
                "mention": self.mention, "status": self.status, "reason": self.reason}


@dataclass
class CoverageResult:
    rows: list[CoverageRow] = field(default_factory=list)
    # Each missing mention with the table lines whose quote contains it.
    missing: list[tuple[CoverageRow, list[int]]] = field(default_factory=list)
    # (raw/ignored.csv line, message) for rows of this source that are wrong.
    problems: list[tuple[int, str]] = field(default_factory=list)
    n_ignored_rows: int = 0


def read_ignored(workspace: Path) -> list[IgnoredRow]:
    """All rows of raw/ignored.csv (none if the file does not exist)."""
    path = workspace / IGNORED_FILE
    if not os.path.lexists(path):   # a dangling link is refused by read_rows, not skipped
        return []
    return [IgnoredRow(row.line, row["source_id"], row["mention"], row["context"], row["reason"])
            for row in read_rows(path, IGNORED_COLUMNS, allow_empty=True)]


def line_column(original: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset of the original text."""
    line_start = original.rfind("\n", 0, offset) + 1
    return original.count("\n", 0, offset) + 1, offset - line_start + 1


def _line_starts(original: str) -> list[int]:
    """Offsets at which the lines of `original` start."""
    return [0] + [m.end() for m in re.finditer("\n", original)]


def _line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    """line_column through a precomputed `_line_starts` (one bisection per mention)."""
    line = bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


def context_of(normalised: NormalisedText, start: int, end: int, width: int = 12) -> str:
    return normalised.text[max(0, start - width):end + width]


def _holders(quantities: list[Span]) -> dict[int, list[int]]:
    """{original offset: the table lines whose quantity spans it}, in table order.

    Quantities are short, so this index is small, and it makes each digit's lookup
    O(1) instead of a scan of every quantity of the source.
    """
    index: dict[int, list[int]] = {}
    for q in quantities:
        for offset in range(q.start, q.end):
            index.setdefault(offset, []).append(q.line)
    return index


def _covered(mention: Mention, normalised: NormalisedText,
             holders_at: dict[int, list[int]]) -> list[int]:
    """Table lines whose quantities together contain every digit of the mention ([] if not)."""
    lines: dict[int, None] = {}   # a set in insertion order: O(1) per holder
    for i in range(mention.start, mention.end):
        if normalised.text[i] not in _COUNTED:
            continue
        holders = holders_at.get(normalised.origin[i])
        if not holders:
            return []
        lines.update(dict.fromkeys(holders))
    return sorted(lines)


def rows_text(lines: list[int]) -> str:
    return ("row " if len(lines) == 1 else "rows ") + ";".join(map(str, lines))


def audit_coverage(source_id: str, original: str, normalised: NormalisedText,
                   mentions: Sequence[Mention], cleaning: Cleaning, quantities: list[Span],
                   quotes: list[Span], ignored: list[IgnoredRow]) -> CoverageResult:
    """Classify every numeric mention of one source (see the module docstring).

    `mentions` are those of `normalised` (mentions.mentions_in), in text order.
    Time O(mentions + digits of the quantities + table lines naming each mention,
    + quotes log quotes); the table lines whose quote holds a missing mention are
    named for the first MAX_LOCATED missing mentions only, at most SHOWN_LINES each.
    """
    result = CoverageResult()
    status: dict[int, tuple[str, str]] = {}
    holders_at = _holders(quantities)
    for index, mention in enumerate(mentions):
        lines = _covered(mention, normalised, holders_at)
        if lines:
            status[index] = ("transcribed", rows_text(lines))
        elif mention.kind == "calendar":
            status[index] = ("ignored", CALENDAR_REASON)
    own = [row for row in ignored if row.source_id == source_id]
    by_span = {(m.start, m.end): i for i, m in enumerate(mentions)} if own else {}
    result.n_ignored_rows = len(own)
    for row in own:
        problem = _apply_ignored(row, normalised, cleaning, mentions, by_span, status)
        if problem:
            result.problems.append((row.line, f"{IGNORED_FILE}:{row.line}: {problem}"))
    line_starts = _line_starts(original)
    holding = _QuotesHolding(quotes)
    for index, mention in enumerate(mentions):
        start, end = normalised.span(mention.start, mention.end)
        line, column = _line_column(line_starts, start)
        state, reason = status.get(index, ("missing", ""))
        row = CoverageRow(source_id, start, end,
                          normalised.original_characters(original, mention.start, mention.end),
                          state, reason, line, column, mention.start, mention.end)
        result.rows.append(row)
        if state == "missing":
            located = len(result.missing) < MAX_LOCATED
            result.missing.append((row, holding.lines(start, end, located)))
    return result


class _QuotesHolding:
    """The table lines whose quote contains a span, for spans given in text order.

    One sweep: quotes enter a heap by end as the spans pass their start, and leave it
    once a span ends after them (mentions do not overlap, so no later span is inside
    such a quote). O(quotes log quotes) in all, plus O(heap) per span asked to name
    its lines.
    """

    def __init__(self, quotes: list[Span]) -> None:
        self.waiting = sorted(quotes, key=lambda q: q.start)
        self.next = 0
        self.heap: list[tuple[int, int]] = []

    def lines(self, start: int, end: int, named: bool) -> list[int]:
        while self.next < len(self.waiting) and self.waiting[self.next].start <= start:
            quote = self.waiting[self.next]
            heapq.heappush(self.heap, (quote.end, quote.line))
            self.next += 1
        while self.heap and self.heap[0][0] < end:
            heapq.heappop(self.heap)
        if not named or not self.heap:
            return []
        return sorted(set(heapq.nsmallest(SHOWN_LINES, {line for _, line in self.heap})))


def _apply_ignored(row: IgnoredRow, normalised: NormalisedText, cleaning: Cleaning,
                   mentions: Sequence[Mention], by_span: dict[tuple[int, int], int],
                   status: dict[int, tuple[str, str]]) -> str:
    """Mark the mentions a raw/ignored.csv row sets aside; return what is wrong with it."""
    if not row.reason:
        return (f"{excerpt(row.mention)}: empty reason; expected why this mention is not an "
                f"indicator value (a date, a grant number, a list ordinal...)")
    mention = normalise(row.mention, cleaning).text
    context = normalise(row.context, cleaning).text
    if not mention or not context:
        return "empty mention or context; expected the mention and the text around it"
    if mention not in context:
        return f"context {excerpt(row.context)} does not contain the mention {excerpt(row.mention)}"
    hits: dict[int, None] = {}   # mention indexes, in order, each once
    found_context = False
    first_context = start = normalised.text.find(context)
    while start >= 0:
        found_context = True
        offset = context.find(mention)
        while offset >= 0:
            index = by_span.get((start + offset, start + offset + len(mention)))
            if index is not None:
                hits[index] = None
            offset = context.find(mention, offset + 1)
        start = normalised.text.find(context, start + 1)
    if not found_context:
        return f"context {excerpt(row.context)} is not in {row.source_id}'s normalised text"
    if not hits:
        # The mentions inside the first occurrence of the context (the hint only).
        inside = [m.text for m in mentions[bisect_left(mentions, first_context, key=_start):]
                  [:len(context)] if m.end <= first_context + len(context)][:SHOWN_LINES]
        return (f"{excerpt(row.mention)} is not a numeric mention in context {excerpt(row.context)}"
                f"; the mentions there are {', '.join(inside) or 'none'}")
    fresh = [i for i in hits if i not in status]
    if not fresh:
        accounted = sorted({status[i][1] for i in hits})
        return (f"{excerpt(row.mention)} in {excerpt(row.context)} is already accounted for "
                f"({'; '.join(accounted)}); remove this row")
    for index in fresh:
        status[index] = ("ignored", row.reason)
    return ""


def _start(mention: Mention) -> int:
    return mention.start
