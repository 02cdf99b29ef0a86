"""Rows of a transcription table that a person has not filled in yet.

`greenaudit scaffold` appends one candidate row per uncovered mention, with the
quantity and quote filled in and the indicator_id and period left for a person to
decide. Such a row (both left empty) is not a transcription yet: staging reports it
once, saying what to fill in, instead of failing every check a transcription must
pass (an unknown indicator_id '', a malformed period '', the mention its quote
holds reported as missing, pandera's patterns).
"""

from __future__ import annotations

from greenaudit.stage.coverage import IGNORED_FILE, Span
from greenaudit.formats.csvfile import Row
from greenaudit.stage.evidence import check_evidence
from greenaudit.text.normalise import Cleaning, NormalisedText

TO_FILL = ("indicator_id", "period")
CHECK = ("row_filled", "table.row_filled", "table", "error",
         "every row has its indicator_id and period")


def is_unfilled(row: Row) -> bool:
    """True when the row's indicator_id and period are both still empty."""
    return not any(row.get(name) for name in TO_FILL)


def unfilled_message(table_name: str, row: Row) -> str:
    """The one located line that says what to fill in."""
    where = f"{table_name}:{row.line}:{row.column('indicator_id') or 1} (indicator_id)"
    if not any(row.values.values()):
        return f"{where}: empty row; delete it, or fill in indicator_id, period, quantity and quote"
    stated = f" for {row.get('quantity')!r}" if row.get("quantity") else ""
    return (f"{where}: row not filled in{stated}; fill in indicator_id (an id of "
            f"schemas/indicators.yaml) and period (YYYY, YYYY-MM or YYYY-YYYY), or delete the "
            f"row and set the mention aside in {IGNORED_FILE} with its reason")


def quote_spans(rows: list[Row], normalised: NormalisedText | None, text: str | None,
                cleaning: Cleaning) -> list[Span]:
    """Where the quotes of `rows` (not filled in, or with an error of their own) are in
    the source, those that can be found: the mentions inside them wait for their row,
    which has its own message."""
    if normalised is None or text is None:
        return []
    spans = []
    for row in rows:
        if row.get("quote"):
            found = check_evidence(normalised, text, row.get("quote"), row.get("quantity"),
                                   cleaning)
            if found.quote_start is not None and found.quote_end is not None:
                spans.append(Span(found.quote_start, found.quote_end, row.line))
    return spans
