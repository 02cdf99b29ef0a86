"""Prove a transcribed quote and quantity against the source document."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from greenaudit.text.digits import DECIMAL_POINTS, DIGIT, is_digit
from greenaudit.text.normalise import Cleaning, NormalisedText, normalise_text
from greenaudit.text.quantity import CN_NUMERAL_CHARS

EVIDENCE_STATUSES = ("verified", "quote_not_found", "quantity_not_in_quote", "value_mismatch")


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

    @property
    def verified(self) -> bool:
        return self.status == "verified"


def nearest_text(haystack: str, needle: str) -> str:
    """The stretch of `haystack` that best lines up with `needle` (for error messages)."""
    if not haystack or not needle:
        return ""
    matcher = difflib.SequenceMatcher(None, haystack, needle, autojunk=False)
    match = matcher.find_longest_match(0, len(haystack), 0, len(needle))
    start = max(0, match.a - match.b)
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


def _run(original: str, index: int) -> tuple[int, int]:
    """The maximal run of number characters containing original[index]."""
    start, end = index, index + 1
    while start > 0 and _is_number_char(original[start - 1]):
        start -= 1
    while end < len(original) and _is_number_char(original[end]):
        end += 1
    return start, end


def _reading(original: str, start: int, end: int) -> tuple[str, str]:
    """How the digits of original[start:end] read in context, and the run they sit in.

    `exact`: they stand alone. `garbled`: they continue into a run that is no single
    number (slide labels run together, "6.296.10"), so the split is the reader's.
    `other`: they are part of a different number (28 inside 28.2).
    """
    digits = [i for i in range(start, end) if _is_number_char(original[i])]
    if not digits:
        return "exact", ""
    left = _run(original, digits[0])
    right = _run(original, digits[-1])
    if left[0] == digits[0] and right[1] == digits[-1] + 1:
        return "exact", ""
    extended = [original[a:b] for (a, b), grew in ((left, left[0] < digits[0]),
                                                   (right, right[1] > digits[-1] + 1)) if grew]
    if all(sum(run.count(d) for d in ".．") > 1 for run in extended):
        return "garbled", extended[0]
    return "other", extended[0]


def check_evidence(source: NormalisedText, original: str, quote: str, quantity: str,
                   cleaning: Cleaning) -> Evidence:
    """Find the quote in the source, then the quantity inside the quote."""
    quote_norm = normalise_text(quote, cleaning)
    position = source.text.find(quote_norm) if quote_norm else -1
    if position < 0:
        return Evidence("quote_not_found", nearest=nearest_text(source.text, quote_norm))
    quote_start, quote_end = source.span(position, position + len(quote_norm))
    quantity_norm = normalise_text(quantity, cleaning)
    inside: list[tuple[int, int]] = []
    offset = quote_norm.find(quantity_norm) if quantity_norm else -1
    while offset >= 0:
        inside.append(source.span(position + offset, position + offset + len(quantity_norm)))
        offset = quote_norm.find(quantity_norm, offset + 1)
    if not inside:
        other = same_form(quote_norm, quantity_norm)
        if other is not None:
            # The quote states this kind of figure with other digits: a wrong value.
            start, end = source.span(position + other[0], position + other[1])
            return Evidence("value_mismatch", quote_start, quote_end, start, end,
                            nearest=quote_norm[other[0]:other[1]])
        return Evidence("quantity_not_in_quote", quote_start, quote_end,
                        nearest=nearest_text(quote_norm, quantity_norm))
    readings = [(*_reading(original, start, end), start, end) for start, end in inside]
    for wanted, flags in (("exact", ()), ("garbled", ("garbled_number_in_source",))):
        for reading, _, start, end in readings:
            if reading == wanted:
                return Evidence("verified", quote_start, quote_end, start, end, flags=flags)
    _, run, start, end = readings[0]
    return Evidence("value_mismatch", quote_start, quote_end, start, end, nearest=run)
