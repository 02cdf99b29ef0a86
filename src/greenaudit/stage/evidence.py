"""Prove a transcribed quote and quantity against the source document.

A quote is a statement, not a document: it is at most `Claim.max_quote_chars`
characters long (after normalisation), it is found exactly once in the source
unless the row names the occurrence it means, and it states the quantity exactly
once unless the row names that occurrence too. Offsets always point at the
occurrence used, so coverage credits the figure the row transcribes.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from greenaudit.text.digits import DECIMAL_POINTS, DIGIT, is_digit
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise_text
from greenaudit.text.quantity import CN_NUMERAL_CHARS

EVIDENCE_STATUSES = ("verified", "quote_not_found", "quantity_not_in_quote", "value_mismatch",
                     "quote_too_long", "quote_repeated", "quantity_repeated",
                     "occurrence_not_found", "qualifier_not_in_quote")
# Positions listed in a message naming every occurrence (the rest are counted).
MAX_POSITIONS = 10


def _is_number_char(ch: str) -> bool:
    """A digit (any Unicode Nd, as digits.py defines it) or a decimal point, in original text."""
    return ch in DECIMAL_POINTS or is_digit(ch)


@dataclass(frozen=True)
class Evidence:
    status: str
    quote_start: int | None = None      # offsets in the original file, end exclusive
    quote_end: int | None = None
    quantity_start: int | None = None
    quantity_end: int | None = None
    nearest: str = ""                   # for failures: the closest text found
    flags: tuple[str, ...] = ()
    # quote_repeated, quantity_repeated, occurrence_not_found: the original offsets
    # of every occurrence found (of the quote in the source, or the quantity in the quote).
    positions: tuple[int, ...] = ()
    qualifier_start: int | None = None  # the context qualifier, when the row has one
    qualifier_end: int | None = None
    length: int = 0                     # the normalised quote's length (quote_too_long)

    @property
    def verified(self) -> bool:
        return self.status == "verified"


@dataclass(frozen=True)
class Claim:
    """What a row says beyond its quote and quantity."""

    occurrence: int | None = None            # which occurrence of the quote (1-based)
    quantity_occurrence: int | None = None   # which occurrence of the quantity in the quote
    qualifier: str = ""                      # a qualifier written apart from the number
    max_quote_chars: int | None = None       # None: unbounded


def find_all(text: str, needle: str) -> list[int]:
    """Every position of `needle` in `text`, overlapping ones included."""
    found: list[int] = []
    position = text.find(needle) if needle else -1
    while position >= 0:
        found.append(position)
        position = text.find(needle, position + 1)
    return found


def longest_match(haystack: str, needle: str) -> tuple[int, int, int]:
    """(i, j, k): the longest common substring haystack[i:i+k] == needle[j:j+k], the
    earliest in `haystack`, then in `needle`; (0, 0, 0) if none. The block difflib's
    SequenceMatcher(None, haystack, needle, autojunk=False).find_longest_match gives.

    The longest match starting at needle[j + 1] is at most one shorter than the one
    at needle[j], so at most 2 x len(needle) substring tests, each a C-level search
    of `haystack`, find its length (difflib compares every character of `haystack`
    with the needle's in Python).
    """
    best, m = 0, len(needle)
    for j in range(m):
        if m - j <= best:
            break
        while j + best < m and needle[j:j + best + 1] in haystack:
            best += 1
    if best == 0:
        return 0, 0, 0
    i, j = min((haystack.find(needle[j:j + best]), j) for j in range(m - best + 1)
               if needle[j:j + best] in haystack)
    return i, j, best


def nearest_text(haystack: str, needle: str) -> str:
    """The stretch of `haystack` that best lines up with `needle` (for error messages):
    as long as `needle`, aligned on their longest common substring."""
    if not haystack or not needle:
        return ""
    i, j, _ = longest_match(haystack, needle)
    start = max(0, i - j)
    return haystack[start:start + len(needle)]


_NUMBER_PART = re.compile(f"({DIGIT}+(?:\\.{DIGIT}+)?|[{CN_NUMERAL_CHARS}]+)")
_ANY_NUMBER = rf"(?<![0-9.]){DIGIT}+(?:\.{DIGIT}+)?(?!{DIGIT}|\.{DIGIT})"
_ANY_CN_NUMBER = f"[{CN_NUMERAL_CHARS}]+"


def same_form(quote: str, quantity: str) -> tuple[int, int] | None:
    """Where `quote` (normalised) states a figure written like `quantity` but with other
    numbers (超过41% for 超过40%): the occurrence closest to `quantity`, or None."""
    parts = _NUMBER_PART.split(quantity)
    if len(parts) == 1:
        return None
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else
        (_ANY_NUMBER if part[0].isdigit() else _ANY_CN_NUMBER) for i, part in enumerate(parts))
    found = [(m.start(), m.end()) for m in re.finditer(pattern, quote)]
    if not found:
        return None
    return max(found, key=lambda se: (difflib.SequenceMatcher(
        None, quote[se[0]:se[1]], quantity, autojunk=False).ratio(), -se[0]))


# Number characters of original text, as _is_number_char defines them: re's \d is
# exactly Unicode Nd for str patterns (digits.py).
_NUMBER_RUN = re.compile(rf"[\d{re.escape(DECIMAL_POINTS)}]+")


def _run(original: str, index: int) -> tuple[int, int]:
    """The maximal run of number characters containing original[index]."""
    start = index
    while start > 0 and _is_number_char(original[start - 1]):
        start -= 1
    match = _NUMBER_RUN.match(original, index)
    return start, match.end() if match else index + 1


def _reading(original: str, start: int, end: int) -> tuple[str, str]:
    """How the digits of original[start:end] read in context, and the run they sit in.

    `exact`: they stand alone. `garbled`: they continue into a run that is no single
    number (slide labels run together, "6.296.10"), so the split is the reader's.
    `other`: they are part of a different number (28 inside 28.2).
    """
    runs = list(_NUMBER_RUN.finditer(original, start, end))
    if not runs:
        return "exact", ""
    first, last = runs[0].start(), runs[-1].end() - 1
    left = _run(original, first)
    right = _run(original, last)
    if left[0] == first and right[1] == last + 1:
        return "exact", ""
    extended = [original[a:b] for (a, b), grew in ((left, left[0] < first),
                                                   (right, right[1] > last + 1)) if grew]
    if all(sum(run.count(d) for d in ".．") > 1 for run in extended):
        return "garbled", extended[0]
    return "other", extended[0]


def _original_offsets(source: NormalisedText, found: list[int]) -> tuple[int, ...]:
    return tuple(source.span(p, p + 1)[0] for p in found)


def check_evidence(source: NormalisedText, original: str, quote: str, quantity: str,
                   cleaning: Cleaning, claim: Claim = Claim()) -> Evidence:
    """Find the quote in the source, then the quantity (and any qualifier) inside it."""
    quote_norm = normalise_text(quote, cleaning)
    if claim.max_quote_chars is not None and len(quote_norm) > claim.max_quote_chars:
        return Evidence("quote_too_long", length=len(quote_norm))
    found = find_all(source.text, quote_norm)
    if not found:
        return Evidence("quote_not_found", nearest=nearest_text(source.text, quote_norm))
    if claim.occurrence is None and len(found) > 1:
        return Evidence("quote_repeated", positions=_original_offsets(source, found))
    if claim.occurrence is not None and claim.occurrence > len(found):
        return Evidence("occurrence_not_found", positions=_original_offsets(source, found))
    position = found[(claim.occurrence or 1) - 1]
    quote_start, quote_end = source.span(position, position + len(quote_norm))
    quantity_norm = normalise_text(quantity, cleaning)
    inside = [(offset, source.span(position + offset, position + offset + len(quantity_norm)))
              for offset in find_all(quote_norm, quantity_norm)]
    if not inside:
        other = same_form(quote_norm, quantity_norm)
        if other is not None:
            # The quote states this kind of figure with other digits: a wrong value.
            start, end = source.span(position + other[0], position + other[1])
            return Evidence("value_mismatch", quote_start, quote_end, start, end,
                            nearest=quote_norm[other[0]:other[1]])
        return Evidence("quantity_not_in_quote", quote_start, quote_end,
                        nearest=nearest_text(quote_norm, quantity_norm))
    readings = [(*_reading(original, start, end), offset, start, end)
                for offset, (start, end) in inside]
    # The occurrences that can be the figure: standing alone, or in a garbled run.
    figures = [r for r in readings if r[0] != "other"]
    if not figures:
        _, run, _, start, end = readings[0]
        return Evidence("value_mismatch", quote_start, quote_end, start, end, nearest=run)
    wanted = claim.quantity_occurrence
    if wanted is None and len(figures) > 1:
        return Evidence("quantity_repeated", quote_start, quote_end,
                        positions=tuple(r[3] for r in figures))
    if wanted is not None and wanted > len(figures):
        return Evidence("occurrence_not_found", quote_start, quote_end,
                        positions=tuple(r[3] for r in figures), nearest=quantity_norm)
    reading, _, offset, start, end = figures[(wanted or 1) - 1]
    flags = ("garbled_number_in_source",) if reading == "garbled" else ()
    qualifier: tuple[int, int] | None = None
    if claim.qualifier:
        qualifier_norm = normalise_text(claim.qualifier, cleaning)
        near = closest(find_all(quote_norm, qualifier_norm), len(qualifier_norm), offset,
                        offset + len(quantity_norm))
        if near is None:
            return Evidence("qualifier_not_in_quote", quote_start, quote_end, start, end,
                            nearest=nearest_text(quote_norm, qualifier_norm))
        qualifier = source.span(position + near, position + near + len(qualifier_norm))
    return Evidence("verified", quote_start, quote_end, start, end, flags=flags,
                    qualifier_start=qualifier[0] if qualifier else None,
                    qualifier_end=qualifier[1] if qualifier else None)


def closest(found: list[int], length: int, start: int, end: int) -> int | None:
    """Of the occurrences of a qualifier (`length` long) outside the quantity at
    [start, end), the nearest to it (the earlier on a tie); None if there is none."""
    outside = [p for p in found if p + length <= start or p >= end]
    if not outside:
        return None
    return min(outside, key=lambda p: (start - (p + length) if p < start else p - end, p))
