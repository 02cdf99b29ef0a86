"""Whether a row's period is written in its quote or inferred: the `period_basis` column.

`stated` (the default, an empty cell) promises that the quote writes the period:
every year of it (2022, 2022年, 二〇二二年), the month of a month-end stock (4月,
四月), or the five-year plan that names the span (十三五 for 2016-2020). The check
holds the promise, so a period the transcriber worked out from the context cannot
pass as written. `inferred` says the period comes from elsewhere (the publication
date, a heading, the sentence before) and needs the reason in `note`; the
observation is then published with the flag `period_inferred`.
"""

from __future__ import annotations

import re
from functools import lru_cache

STATED = "stated"
INFERRED = "inferred"
PERIOD_BASES = (STATED, INFERRED)
INFERRED_FLAG = "period_inferred"

# Five-year plans written by name: the span each one names.
PLAN_PERIODS = {"十一五": "2006-2010", "十二五": "2011-2015", "十三五": "2016-2020",
                "十四五": "2021-2025", "十五五": "2026-2030"}
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_MONTHS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
PERIOD_PARTS = re.compile(r"^(\d{4})(?:-(\d{2})|-(\d{4}))?$")


def basis_problem(basis: str, note: str) -> str:
    """What is wrong with a `period_basis` cell and its note ('' if nothing)."""
    if basis not in ("", *PERIOD_BASES):
        return (f"period_basis {basis[:20]!r}; expected {STATED} (or empty) when the quote "
                f"writes the period, {INFERRED} when it does not")
    if basis == INFERRED and not note:
        return (f"period_basis {INFERRED} with an empty note; expected the reason the period "
                f"was inferred in note")
    return ""


def unwritten(period: str, quote: str) -> list[str]:
    """The parts of a well-formed `period` that the normalised `quote` does not write."""
    match = PERIOD_PARTS.match(period)
    if match is None:
        return []
    start, month, end = match.groups()
    if end is not None and any(name in quote and span == period
                               for name, span in PLAN_PERIODS.items()):
        return []
    digits = quote.translate(_CN_DIGITS)
    missing = [year for year in (start, end) if year is not None
               and not (year in digits and _pattern(rf"(?<!\d){year}(?!\d)").search(digits))]
    if month is not None:
        number = int(month)
        arabic = _pattern(rf"(?<![\d十])0?{number}月").search(digits)
        chinese = _pattern(rf"(?<![十一二三四五六七八九]){_CN_MONTHS[number - 1]}月").search(quote)
        if not (arabic or chinese):
            missing.append(f"{number}月")
    return missing


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern:
    """A compiled year or month pattern (one per year: the rows of a table repeat them)."""
    return re.compile(pattern)


def unwritten_message(period: str, missing: list[str]) -> str:
    return (f"period {period}: the quote does not write {', '.join(missing)}; expected "
            f"period_basis {INFERRED} with the reason in note, or a quote that writes the "
            f"period")
