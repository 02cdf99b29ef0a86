"""The transcriptions (raw/tables/<source_id>.csv as read) and the observations made of them."""

from __future__ import annotations

from greenaudit.stage.period_basis import PERIOD_BASES
from greenaudit.stage.qualifier import MAX_QUALIFIER_CHARS
from greenaudit.text.quantity import QUALIFIERS
from greenaudit.workspace.catalog import KINDS

from .common import BREAKDOWN, INDICATOR_ID, PERIOD, ROW_NUMBER, SOURCE_ID, UNIT_CANONICAL, lower_upper
from .schema import DECIMAL, INT32, STRING, Column, ForeignKey, Publish, Table
from .vocabulary import DERIVED, EVIDENCE_VALUES, NO_FORMULA, OCCURRENCE

# The columns of a transcription row, as the observations carry them too.
QUANTITY = Column("quantity", STRING, "The quantity as written in the source, qualifier and "
                  "unit included (e.g. 超过40%, 22.03万亿元).", length=(1, 64))
QUOTE = Column("quote", STRING, "Verbatim quote of the source containing the quantity.",
               length=(1, 10_000), matches=NO_FORMULA)  # never starting a formula
NOTE = Column("note", STRING, "Transcriber's note (e.g. how the period was inferred); may be "
              "empty.", nullable=True, empty_is_value=True)
CONTEXT_QUALIFIER = Column("context_qualifier", STRING, "The qualifier as written apart from "
                           "the number (分别超过, 约为), which sets `qualifier`; empty when none.",
                           nullable=True, length=(None, MAX_QUALIFIER_CHARS), empty_is_value=True)
PERIOD_BASIS = Column("period_basis", STRING, "Whether the quote states the period or the note "
                      "says how it was inferred; empty when not transcribed.", nullable=True,
                      values=("", *PERIOD_BASES), publish=False)
# Published as the integers they are; stored as transcribed ('' when absent).
OCCURRENCE_COLUMN = Column("occurrence", STRING, "Which occurrence of the quote in the source "
                           "the row means (a count from 1), when the quote occurs more than once.",
                           nullable=True, matches=OCCURRENCE,
                           publish=Publish(type="integer", minimum=1))
QUANTITY_OCCURRENCE = Column("quantity_occurrence", STRING, "Which occurrence of the quantity "
                             "in the quote the row means (a count from 1), when it occurs more "
                             "than once.", nullable=True, matches=OCCURRENCE,
                             publish=Publish(type="integer", minimum=1))
STATEMENT_PER_SOURCE = ("source_id", "indicator_id", "period", "breakdown")
BY_ROW = ("source_id", "row_number")

TRANSCRIPTIONS = Table(
    "transcriptions",
    (SOURCE_ID, ROW_NUMBER, INDICATOR_ID, PERIOD, QUANTITY, QUOTE, BREAKDOWN, NOTE,
     # Optional columns of the table, as transcribed ('' when absent or empty).
     CONTEXT_QUALIFIER, PERIOD_BASIS, OCCURRENCE_COLUMN, QUANTITY_OCCURRENCE),
    title="Transcriptions",
    description="The rows of raw/tables/<source_id>.csv as transcribed.",
    primary_key=STATEMENT_PER_SOURCE, row_key=BY_ROW, staged=True, validated=True,
)


def _offset(name: str, description: str) -> Column:
    """A character offset into the original source file (NULL for a derived row)."""
    return Column(name, INT32, description, nullable=True, minimum=0)


OBSERVATIONS = Table(
    "observations",
    (
        SOURCE_ID, ROW_NUMBER, INDICATOR_ID, PERIOD, BREAKDOWN, QUANTITY,
        Column("value", DECIMAL, "The number as written, in the written unit `unit`, as a "
               "decimal (published as written: value_text).", publish=False),
        # `value` is published as written (34.0 stays 34.0), not as a normalised decimal;
        # the evidence check proves it against the quote.
        Column("value_text", STRING, "The number as written, in the written unit `unit` "
               "(22.03 for 22.03万亿元); the lower end of a written range.", validated=False,
               publish=Publish(name="value", type="number")),
        Column("unit", STRING, "The unit as written, magnitude word included (万亿元, %); empty "
               "when the unit is only implied (flag unit_implied).", empty_is_value=True),
        Column("qualifier", STRING, "How the figure bounds the true value: exact, lower_bound "
               "(超过/以上), upper_bound (不到/以下), approximate (约/左右), near (近/接近), odd "
               "(余/多: above the figure by less than one unit of its last nonzero digit), "
               "range (a-b) or two_digit (两位数); derived for a value a rule of "
               "schemas/rules.yaml derived (raw/TRANSCRIBING.md has the table).",
               values=(*QUALIFIERS, DERIVED)),
        Column("value_canonical", DECIMAL, "The figure in the project unit `unit_canonical` "
               "after magnitude and unit conversion (22030000000000 for 22.03万亿元, unit CNY)."),
        UNIT_CANONICAL,
        *lower_upper("the interval the statement allows"),
        Column("stated_lower", DECIMAL, "Lower end of the interval the qualifier states, "
               "before the approximate and near bands, in `unit_canonical`; NULL when "
               "unbounded below.", nullable=True, publish=False),
        Column("stated_upper", DECIMAL, "Upper end of the interval the qualifier states, "
               "before the approximate and near bands, in `unit_canonical`; NULL when "
               "unbounded above.", nullable=True, publish=False),
        Column("kind", STRING, "Kind of quantity of the indicator (the catalog's).",
               values=KINDS, publish=False),
        QUOTE,
        # Staged rows can fail the evidence check; a published table holds none.
        Column("evidence", STRING, "verified when the quote was found in the cleaned source "
               "and the quantity inside the quote; derived for a value a rule derived (its "
               "quote is the rule).", values=EVIDENCE_VALUES,
               publish=Publish(values=("verified", DERIVED))),
        _offset("quote_start", "Offset of the quote's first character in the original source "
                "file, in characters (0-based)."),
        _offset("quote_end", "Offset one past the quote's last character in the original "
                "source file, in characters."),
        _offset("quantity_start", "Offset of the quantity's first character in the original "
                "source file, in characters (0-based)."),
        _offset("quantity_end", "Offset one past the quantity's last character in the original "
                "source file, in characters."),
        Column("flags", STRING, "Warnings as a ';'-list (implausible, unit_implied, "
               "garbled_number_in_source, period_inferred: the quote does not write the "
               "period, note says how it was inferred, ...); empty when none.",
               empty_is_value=True),
        NOTE,
        # The row's context qualifier and where the evidence found it; the period's basis
        # (stated or inferred) and the occurrences the row names, as transcribed.
        CONTEXT_QUALIFIER,
        _offset("qualifier_start", "Offset of the context qualifier's first character in the "
                "original source file, in characters."),
        _offset("qualifier_end", "Offset one past the context qualifier's last character in "
                "the original source file, in characters."),
        PERIOD_BASIS, OCCURRENCE_COLUMN, QUANTITY_OCCURRENCE,
    ),
    title="Observations",
    description="One row per transcribed figure, with its verbatim quote and where the quote "
                "and the figure are in the source document.",
    primary_key=STATEMENT_PER_SOURCE,
    foreign_keys=(
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("indicator_id",), "catalog", ("indicator_id",)),
        ForeignKey(("indicator_id", "period", "breakdown"), "indicators",
                   ("indicator_id", "period", "breakdown")),
    ),
    sort=("source_id", "indicator_id", "period", "breakdown", "row_number"),
    row_key=BY_ROW, staged=True, published="exported", validated=True,
)
