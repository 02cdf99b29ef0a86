"""The tables read from the workspace: sources, the indicator catalog, declared discrepancies."""

from __future__ import annotations

from greenaudit.workspace.catalog import KINDS
from greenaudit.workspace.manifest import SCRIPTS

from .common import BREAKDOWN, INDICATOR_ID, PERIOD, SOURCE_ID
from .schema import BOOLEAN, DECIMAL, STRING, Column, Publish, Table
from .vocabulary import DOCUMENT_ID_PATTERN, SHA256_PATTERN

# The published sources add a row per rule that derived a value (kind derived), which
# has no checksum, date or script: the data package requires none of them.
DERIVED_HAS_NONE = Publish(required=False)

# A row of raw/sources.csv (greenaudit.workspace.manifest.Source.record), in its order.
SOURCES = Table(
    "sources",
    (
        Column("source_id", STRING, SOURCE_ID.description, matches=DOCUMENT_ID_PATTERN),
        Column("file", STRING, "Path of the document in the repository (for a derived source, "
               "schemas/rules.yaml).", length=(1, None)),
        Column("sha256", STRING, "SHA-256 of the document's bytes (hex); empty for a derived "
               "source.", pattern=SHA256_PATTERN, publish=DERIVED_HAS_NONE),
        Column("title", STRING, "Title of the document."),
        Column("publisher", STRING, "Who published it."),
        Column("published", STRING, "When it was published (YYYY or YYYY-MM); empty for a "
               "derived source.", publish=DERIVED_HAS_NONE),
        Column("script", STRING, "Writing system: Hans (simplified) or Hant (traditional, "
               "converted before matching quotes); empty for a derived source.",
               values=SCRIPTS, publish=DERIVED_HAS_NONE),
        Column("kind", STRING, "Kind of document (news_report, research_article, slides, ...), "
               "or derived: a rule of schemas/rules.yaml that derived a value (source_id "
               "derived:<rule_id>)."),
        Column("drop_strings", STRING, "Injected strings removed before matching quotes, joined "
               "by '|'; empty when none.", empty_is_value=True),
        Column("strip_patterns", STRING, "Regular expressions removed before matching quotes "
               "(e.g. pinyin annotations), joined by '|'; empty when none.",
               empty_is_value=True),
        Column("url", STRING, "Where the document was retrieved from (an absolute http or "
               "https URL); empty when not known, and for a derived source.",
               matches=r"^(?:https?://\S+)?$", publish=Publish(required=False, format="uri")),
        Column("retrieved", STRING, "When the document was retrieved from `url` (YYYY-MM-DD); "
               "empty when not known, and for a derived source.",
               matches=r"^(?:\d{4}-\d{2}-\d{2})?$", publish=Publish(required=False, type="date")),
    ),
    title="Sources",
    description="The source manifest (raw/sources.csv): each document, its pinned checksum and "
                "the cleaning declared for it; plus each rule that derived a value (kind "
                "derived).",
    primary_key=("source_id",), sort=("source_id",),
    published="assembled", validated=True,
)


def _bound(name: str, description: str) -> Column:
    return Column(name, DECIMAL, description, nullable=True)


# The fields of greenaudit.workspace.catalog.Indicator of the same names.
CATALOG = Table(
    "catalog",
    (
        INDICATOR_ID,
        Column("name_en", STRING, "Name in English."),
        Column("name_zh", STRING, "Name in Chinese."),
        Column("kind", STRING, "Kind of quantity.", values=KINDS),
        Column("unit", STRING, "Canonical project unit of the indicator (unit_canonical of its "
               "observations)."),
        _bound("valid_low", "Lowest possible value, in `unit`; empty when unbounded."),
        _bound("valid_high", "Highest possible value, in `unit`; empty when unbounded."),
        _bound("plausible_low", "Lowest plausible value (below it a figure is flagged "
               "implausible), in `unit`; empty when unbounded."),
        _bound("plausible_high", "Highest plausible value, in `unit`; empty when unbounded."),
        Column("plausible_reason", STRING, "Why the plausible range is what it is; empty when "
               "no plausible range is set.", empty_is_value=True),
        Column("target", BOOLEAN, "true when the indicator is a policy target rather than an "
               "outcome."),
        Column("description", STRING, "Definition of the indicator."),
    ),
    title="Indicator catalog",
    description="The indicator catalog (schemas/indicators.yaml): names, kind, canonical unit "
                "and ranges of every indicator.",
    primary_key=("indicator_id",), sort=("indicator_id",),
    published="assembled",
)

DISCREPANCIES = Table(
    "discrepancies",
    (
        INDICATOR_ID, PERIOD, BREAKDOWN,
        Column("sources", STRING, "The sources that conflict, joined by ';', sorted."),
        Column("reason", STRING, "Why they differ."),
    ),
    title="Declared discrepancies",
    description="The conflicts schemas/known_discrepancies.yaml declares, with their reasons.",
    primary_key=("indicator_id", "period", "breakdown"),
)
