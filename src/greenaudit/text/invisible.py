"""Characters a reader cannot see: Unicode format characters (category Cf: bidi
controls such as U+202E RIGHT-TO-LEFT OVERRIDE, zero-width spaces and joiners, the
byte order mark, soft hyphens...) and control characters other than whitespace.

A quote holding U+202E can display "5.51%" as "%15.5": the figure a reader checks
is not the figure the audit verified. Such characters in a source, a quote or a
quantity are therefore an error, located and named by code point, unless the
source's cleaning drops them (raw/sources.csv: `strip_patterns` such as
`\\x{200B}` or `\\p{Cf}`, or `drop_strings`); quotes and quantities are checked
after the same cleaning, so one declaration covers the document and its rows.
"""

from __future__ import annotations

import unicodedata

SHOWN = 5   # invisible characters named per text; the rest are counted


def is_invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category == "Cf" or (category == "Cc" and not ch.isspace())


def find_invisible(text: str) -> list[int]:
    """Offsets of the invisible characters of `text`, in order (linear; the common case,
    a printable text, is one C-level test)."""
    if text.isprintable():
        return []
    return [i for i, ch in enumerate(text) if is_invisible(ch)]


def describe(ch: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: what a message calls an invisible character."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')}"


def listing(text: str, offsets: list[int], where=None) -> str:
    """The first SHOWN of `offsets` named, each with where it is, and how many more.

    `where(offset)` gives the position to print (default: `character N`, 1-based).
    """
    where = where or (lambda i: f"character {i + 1}")
    shown = [f"{describe(text[i])} at {where(i)}" for i in offsets[:SHOWN]]
    more = f" and {len(offsets) - SHOWN} more" if len(offsets) > SHOWN else ""
    return ", ".join(shown) + more


def difference(quote: str, nearest: str) -> str:
    """For a quote not found: the invisible characters in which it and the nearest text
    differ (they look the same, so the hint must say so); "" when there are none."""
    mine, theirs = find_invisible(quote), find_invisible(nearest)
    notes = []
    if mine:
        notes.append(f"the quote holds {listing(quote, mine)}")
    if theirs:
        notes.append(f"the source text there holds {listing(nearest, theirs)}")
    return f" ({'; '.join(notes)}; they are invisible)" if notes else ""


def remaining(raw: str, cleaned: str) -> list[int]:
    """Offsets in `raw` of the invisible characters that survive its cleaning into
    `cleaned` (a character the source declares dropped is not reported)."""
    kept = {cleaned[i] for i in find_invisible(cleaned)}
    return [i for i in find_invisible(raw) if raw[i] in kept] if kept else []


def located(text: str, offsets: list[int], origin: list[int], original: str) -> str:
    """listing() with each character's `line:column` in `original` (origin maps `text`
    offsets to original ones, as NormalisedText.origin does)."""
    starts: dict[int, int] = {}

    def where(i: int) -> str:
        offset = origin[i]
        line_start = starts.setdefault(offset, original.rfind("\n", 0, offset) + 1)
        return f"{original.count(chr(10), 0, offset) + 1}:{offset - line_start + 1}"

    return listing(text, offsets, where)
