"""No published field starts a spreadsheet formula, in any column.

A spreadsheet opening a CSV runs a field starting with `=`, `+`, `-` or `@` as a
formula (`=HYPERLINK(...)`, `@SUM(...)`), and a leading tab or carriage return
hides such a start from a quick look. At the export boundary every text field is
neutralised: one starting with any of these characters, unless it is a negative
number (-0.5), is published with a leading apostrophe, which spreadsheets read as
"this is text" and show without it. `neutralise` is the rule for text written by
Python; `neutralise_sql` the same rule as a DuckDB expression, for tables DuckDB
writes itself.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
# A number as the published tables write it (DECIMAL text, integers): harmless.
NEGATIVE_NUMBER = r"-[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"
_NEGATIVE_NUMBER = re.compile(NEGATIVE_NUMBER)


def neutralise(text: str) -> str:
    """`text`, with a leading apostrophe if a spreadsheet would take it for a formula."""
    if text.startswith(FORMULA_STARTS) and not _NEGATIVE_NUMBER.fullmatch(text):
        return PREFIX + text
    return text


def neutralise_sql(expression: str) -> str:
    """The DuckDB expression of `neutralise` applied to the text `expression`."""
    starts = ", ".join("chr(%d)" % ord(c) for c in FORMULA_STARTS)
    return (f"CASE WHEN left({expression}, 1) IN ({starts}) AND NOT "
            f"regexp_full_match({expression}, '{NEGATIVE_NUMBER}') "
            f"THEN '{PREFIX * 2}' || {expression} ELSE {expression} END")
