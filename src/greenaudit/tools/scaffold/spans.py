"""The quantity around a numeric mention: the longest span the quantity grammar accepts."""

from __future__ import annotations

from greenaudit.errors import QuantityError
from greenaudit.text.normalise import NormalisedText
from greenaudit.text.quantity import PREFIXES, QuantityParser

MAX_SUFFIX = 8       # characters a quantity may extend past its number (unit, 以上...)
_DIGITS = set("0123456789.")


def breaks_of_digits(normalised: NormalisedText) -> set[int]:
    """Positions where whitespace or removed text separated two digits in the original."""
    text = normalised.text
    return {i for i in range(1, len(text))
            if text[i - 1] in _DIGITS and text[i] in _DIGITS
            and normalised.origin[i] != normalised.origin_end[i - 1]}


def candidate_quantity(normalised: NormalisedText, start: int, end: int,
                       parser: QuantityParser, breaks: set[int] | None = None) -> tuple[int, int]:
    """The longest span around text[start:end] that parses as a quantity (or the mention)."""
    text = normalised.text
    breaks = breaks_of_digits(normalised) if breaks is None else breaks
    # A prefix that qualifies the figure belongs to it; 达/达到 (as stated) do not.
    starts = [start] + [start - len(p) for p, kind in PREFIXES.items()
                        if kind != "exact" and text.startswith(p, start - len(p))]
    best = (start, end)
    for a in starts:
        if a < 0:
            continue
        for b in range(end, min(len(text), end + MAX_SUFFIX) + 1):
            if b - a <= best[1] - best[0] or any(a < i < b for i in breaks):
                continue
            try:
                parser.parse(text[a:b])
            except QuantityError:
                continue
            best = (a, b)
    return best
