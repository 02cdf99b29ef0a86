"""The tables the audit computes: indicators, checks, findings and coverage."""

from __future__ import annotations

from greenaudit.checks import STATUSES
from greenaudit.stage.coverage import STATUSES as COVERAGE_STATUSES

from .common import (BREAKDOWN, CHECK_ID, INDICATOR_ID, PERIOD, SEVERITY, SOURCE_ID,
                     STATEMENT_KEY, UNIT_CANONICAL, lower_upper)
from .schema import DECIMAL, INT32, INT64, STRING, Column, ForeignKey, Publish, Table
from .vocabulary import AGREEMENTS

SOURCES_OF = ForeignKey(("source_id",), "sources", ("source_id",))

INDICATORS = Table(
    "indicators",
    (
        *STATEMENT_KEY,
        Column("value", DECIMAL, "Published value in `unit_canonical`: the most precise "
               "source's value_canonical."),
        UNIT_CANONICAL,
        *lower_upper("the interval all sources allow (the hull of their intervals on a "
                     "conflict)"),
        Column("n_sources", INT32, "Number of sources stating the figure (count).", minimum=1),
        Column("sources", STRING, "The sources stating the figure: source_ids joined by ';', "
               "sorted.", matches=r"^[^;]+(;[^;]+)*$"),
        Column("agreement", STRING, "agree, agree_within_rounding, conflict (declared in "
               "schemas/known_discrepancies.yaml, else an error) or single_source.",
               values=AGREEMENTS),
        Column("flags", STRING, "';'-list of mixed_units, declared_discrepancy, "
               "interval_is_hull; empty when none.", empty_is_value=True),
        Column("value_source", STRING, "source_id whose figure is the published value."),
    ),
    title="Indicators",
    description="One row per (indicator, period, breakdown): the published value and the "
                "agreement of every source that states it.",
    primary_key=("indicator_id", "period", "breakdown"),
    foreign_keys=(
        ForeignKey(("indicator_id",), "catalog", ("indicator_id",)),
        ForeignKey(("value_source",), "sources", ("source_id",)),
    ),
    sort=("indicator_id", "period", "breakdown"),
    published="exported", validated=True,
)

# The fields of greenaudit.checks.Check, in its order (tests/tables check they agree).
CHECKS = Table(
    "checks",
    (
        CHECK_ID,
        Column("kind", STRING, "Family of the check (evidence, range, manifest, pandera, gx, "
               "agreement, ...); pandera and gx name the tool that ran it."),
        SEVERITY,
        Column("status", STRING, "pass or fail.", values=STATUSES),
        Column("target", STRING, "What the check looked at: a file or a table.column.",
               empty_is_value=True),
        Column("n_items", INT64, "Number of items checked (count).", minimum=0),
        Column("n_failed", INT64, "Number of items failing (count).", minimum=0),
        Column("message", STRING, "What failed (up to five items), or what passing means.",
               empty_is_value=True),
    ),
    title="Checks",
    description="One row per check run by the audit, passing or failing.",
    primary_key=("check_id",), sort=("check_id",),
    staged=True, published="assembled",
)

FINDINGS = Table(
    "findings",
    (
        CHECK_ID, SEVERITY,
        Column("source_id", STRING, "Source of the row named.", publish=Publish(required=False)),
        # NULL: a failure of the source as a whole (no row).
        Column("row_number", INT32, "Line of the row in raw/tables/<source_id>.csv.",
               nullable=True, minimum=1),
        Column("indicator_id", STRING, "Indicator of the row (may be empty when the row could "
               "not be read).", empty_is_value=True),
        Column("period", STRING, "Period of the row, as written.", empty_is_value=True),
        BREAKDOWN,
        Column("message", STRING, "The located failure (file:line:column: what was expected)."),
    ),
    title="Findings",
    description="One row per transcription row named by a failing check (warnings included).",
    foreign_keys=(ForeignKey(("check_id",), "checks", ("check_id",)), SOURCES_OF),
    sort=("source_id", "row_number", "check_id", "indicator_id", "period", "breakdown",
          "message"),
    staged=True, published="exported",
)

COVERAGE = Table(
    "coverage",
    (
        SOURCE_ID,
        Column("start", INT32, "Offset of the mention's first character in the original source "
               "file, in characters (0-based).", minimum=0),
        # Pandera: a mention is never empty; the data package states the offsets' range.
        Column("end", INT32, "Offset one past the mention's last character in the original "
               "source file, in characters.", minimum=1, publish=Publish(minimum=0)),
        Column("mention", STRING, "The mention as it reads after cleaning.", length=(1, None)),
        Column("status", STRING, "transcribed, ignored or missing.", values=COVERAGE_STATUSES),
        Column("reason", STRING, "Why an ignored mention is set aside (from raw/ignored.csv, or "
               "'calendar expression'); empty otherwise.", empty_is_value=True),
    ),
    title="Coverage",
    description="Every numeric mention found in each source (after its declared cleaning), and "
                "how it is accounted for: transcribed (covered by a transcribed quantity), "
                "ignored (a calendar expression, or set aside in raw/ignored.csv with a reason) "
                "or missing.",
    primary_key=("source_id", "start", "end"), unique=("source_id", "start"),
    foreign_keys=(SOURCES_OF,), sort=("source_id", "start", "end"),
    staged=True, published="exported", validated=True,
)
