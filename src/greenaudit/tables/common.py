"""Columns several tables share (a key of a statement, a source, a check)."""

from __future__ import annotations

from greenaudit.checks import SEVERITIES
from greenaudit.workspace.catalog import INDICATOR_ID as INDICATOR_ID_RE

from .schema import DECIMAL, INT32, STRING, Column, Publish
from .vocabulary import BREAKDOWN_PATTERN, PERIOD_PATTERN, SOURCE_ID_PATTERN

SOURCE_ID = Column("source_id", STRING, "Source document id: the stem of "
                   "raw/sources/<source_id>.txt.", matches=SOURCE_ID_PATTERN)
ROW_NUMBER = Column("row_number", INT32, "Line of the figure in raw/tables/<source_id>.csv "
                    "(the header is line 1).", minimum=2, publish=Publish(required=False))
INDICATOR_ID = Column("indicator_id", STRING, "Indicator id, a key of the catalog "
                      "(schemas/indicators.yaml).", pattern=INDICATOR_ID_RE.pattern)
PERIOD = Column("period", STRING, "Period the figure refers to: a year (YYYY), a month "
                "(YYYY-MM) or a span of years (YYYY-YYYY).", pattern=PERIOD_PATTERN)
BREAKDOWN = Column("breakdown", STRING, "Breakdown of the indicator as key=value pairs joined "
                   "by ';' in key order (e.g. country=us); empty for the whole.",
                   matches=BREAKDOWN_PATTERN, empty_is_value=True)
UNIT_CANONICAL = Column("unit_canonical", STRING, "Project unit of value_canonical, lower and "
                        "upper (a unit of schemas/units.txt, e.g. CNY, percent, count).")
CHECK_ID = Column("check_id", STRING, "Stable check id, e.g. evidence.<source_id>, "
                  "agreement.conflicts_declared, pandera.<table>.<column>.<check> (a row-level "
                  "schema check), gx.agreement.<indicator_id>@<period>[<breakdown>], "
                  "gx.range.<indicator_id>, gx.unit.<indicator_id>, gx.identity.<rule_id> "
                  "(dataset checks of Great Expectations).")
SEVERITY = Column("severity", STRING, "error (blocks publication), warning or info.",
                  values=SEVERITIES)
# What identifies a statement: an indicator in a period, for a breakdown.
STATEMENT_KEY = (INDICATOR_ID, PERIOD, BREAKDOWN)


def lower_upper(what: str, unit: str = "`unit_canonical`") -> tuple[Column, Column]:
    """The interval columns: NULL is an open end."""
    return (Column("lower", DECIMAL, f"Lower end of {what}, in {unit}; empty when unbounded "
                   "below.", nullable=True),
            Column("upper", DECIMAL, f"Upper end of {what}, in {unit}; empty when unbounded "
                   "above.", nullable=True))

