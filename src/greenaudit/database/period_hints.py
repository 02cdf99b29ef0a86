"""Hints where a statement's inferred period may be the adjacent one.

A figure whose period the transcriber inferred (period_basis `inferred`, flag
`period_inferred`) is compared with every statement of the same indicator and
breakdown for an adjacent period: the year before or after (YYYY), the month before
or after (YYYY-MM), or a span sharing one end whose other end is a year off
(YYYY-YYYY). Where their intervals meet, the two may be one figure dated twice (001's
undated 超过97% steel water reuse, inferred as 2023, and 004's 97% for 2022): an info
finding names both rows, so a reader can check the inference. It is never an error:
the same value in two years is common.

Cost: one join of the inferred statements with the statements of their indicators
and breakdowns, in SQL.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from greenaudit.checks import Check, outcome
from greenaudit.stage.period_basis import INFERRED_FLAG
from greenaudit.formats.rowinsert import insert_rows

CHECK_ID = "agreement.inferred_periods"

_POSITIONED = f"""
SELECT source_id, row_number, indicator_id, period, breakdown, quantity, lower, upper,
       stated_lower, stated_upper,
       list_contains(string_split(flags, ';'), '{INFERRED_FLAG}') AS inferred,
       CASE len(period) WHEN 4 THEN 'year' WHEN 7 THEN 'month' ELSE 'span' END AS shape,
       CASE len(period) WHEN 7 THEN CAST(substr(period, 1, 4) AS INTEGER) * 12
                                    + CAST(substr(period, 6, 2) AS INTEGER)
            ELSE CAST(substr(period, 1, 4) AS INTEGER) END AS first,
       CASE len(period) WHEN 9 THEN CAST(substr(period, 6, 4) AS INTEGER) ELSE 0 END AS last
FROM observations WHERE evidence = 'verified'
"""

HINTS_SQL = f"""
WITH positioned AS ({_POSITIONED}),
pairs AS (
    SELECT i.*, o.source_id AS o_source, o.row_number AS o_row, o.period AS o_period,
           o.quantity AS o_quantity, o.inferred AS o_inferred,
           (i.stated_lower IS NULL OR o.stated_upper IS NULL OR i.stated_lower <= o.stated_upper)
           AND (o.stated_lower IS NULL OR i.stated_upper IS NULL
                OR o.stated_lower <= i.stated_upper) AS stated_meet
    FROM positioned i JOIN positioned o
      ON o.indicator_id = i.indicator_id AND o.breakdown = i.breakdown AND o.shape = i.shape
    WHERE i.inferred
      AND (CASE i.shape WHEN 'span'
               THEN (i.first = o.first AND abs(i.last - o.last) = 1)
                    OR (i.last = o.last AND abs(i.first - o.first) = 1)
               ELSE abs(i.first - o.first) = 1 END)
      AND (i.lower IS NULL OR o.upper IS NULL OR i.lower <= o.upper)
      AND (o.lower IS NULL OR i.upper IS NULL OR o.lower <= i.upper)
)
SELECT '{CHECK_ID}', 'info', source_id, row_number, indicator_id, period, breakdown,
       'raw/tables/' || source_id || '.csv:' || row_number || ': ' || indicator_id || ' '
       || period || CASE WHEN breakdown <> '' THEN ' [' || breakdown || ']' ELSE '' END
       || ' = ' || quantity || ' (period inferred; see its note) '
       || CASE WHEN stated_meet THEN 'agrees' ELSE 'agrees within rounding' END
       || ' with raw/tables/' || o_source || '.csv:' || o_row || ': ' || o_period || ' = '
       || o_quantity || ' (period ' || CASE WHEN o_inferred THEN 'inferred' ELSE 'stated' END
       || '); if both state one figure, its period may be ' || o_period
FROM pairs
ORDER BY source_id, row_number, o_source, o_row
"""


def inferred_period_hints(con: duckdb.DuckDBPyConnection) -> list[Check]:
    """Insert the hints into `findings`; return their (info) check, which counts the
    inferred statements and those with at least one hint."""
    rows = con.execute(HINTS_SQL).fetchall()
    insert_rows(con, "findings", rows)
    n_inferred = con.execute(
        f"SELECT count(*) FROM observations WHERE evidence = 'verified' AND "
        f"list_contains(string_split(flags, ';'), '{INFERRED_FLAG}')").fetchone()[0]
    check = outcome(CHECK_ID, "agreement", "info", "observations", n_inferred,
                    [row[-1] for row in rows],
                    "no statement with an inferred period agrees with a statement of the "
                    "same indicator for an adjacent period")
    return [replace(check, n_failed=len({(row[2], row[3]) for row in rows}))]
