"""The Frictionless data package descriptor of the published tables (datapackage.json).

Every published CSV is one entry of RESOURCES: its fields (type, description with
the unit, constraints), primary key and foreign keys. Publishing a new table means
adding one entry here; `descriptor()` refuses a table without an entry, an entry
without its table, and a header that differs from the declared fields.

The descriptor is deterministic: sorted keys, no timestamps, and the only content
hashes are those of the published CSVs themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.workspace.catalog import KINDS
from greenaudit.checks import SEVERITIES, STATUSES
from greenaudit.stage.coverage import STATUSES as COVERAGE_STATUSES
from greenaudit.database.build import AGREEMENTS, DERIVED
from greenaudit.workspace.manifest import SCRIPTS
from greenaudit.text.quantity import QUALIFIERS
from greenaudit.audit.resource import resource_descriptor

DESCRIPTOR_NAME = "datapackage.json"

PACKAGE = {
    "name": "greenaudit",
    "title": "Audited figures on China's industrial green development",
    "description": (
        "Figures quoted in documents on China's industrial green development, each "
        "transcribed with its verbatim quote, checked for type, unit, range and "
        "plausibility, and compared with every other source that states it. "
        "Published only when no check of severity `error` fails."),
    "licenses": [{
        "name": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    }],
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    constraints: dict = field(default_factory=dict)
    # An empty cell is a value here (e.g. breakdown "" = no breakdown), not missing.
    empty_is_value: bool = False
    format: str = ""


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _required(**extra) -> dict:
    return {"required": True, **extra}


def _enum(values) -> dict:
    return {"required": True, "enum": list(values)}


SOURCE_ID = Field("source_id", "string", "Source document id: the stem of raw/sources/<source_id>.txt.",
                  _required())
INDICATOR_ID = Field("indicator_id", "string", "Indicator id, a key of the catalog "
                     "(schemas/indicators.yaml).", _required(pattern="[a-z][a-z0-9_]*"))
PERIOD = Field("period", "string", "Period the figure refers to: a year (YYYY), a month "
               "(YYYY-MM) or a span of years (YYYY-YYYY).",
               _required(pattern=r"\d{4}(-\d{2}|-\d{4})?"))
BREAKDOWN = Field("breakdown", "string", "Breakdown of the indicator as key=value pairs joined "
                  "by ';' in key order (e.g. country=us); empty for the whole.",
                  empty_is_value=True)
ROW_NUMBER = Field("row_number", "integer", "Line of the figure in raw/tables/<source_id>.csv "
                   "(the header is line 1).", {"minimum": 2})
UNIT_CANONICAL = Field("unit_canonical", "string", "Project unit of value_canonical, lower and "
                       "upper (a unit of schemas/units.txt, e.g. CNY, percent, count).",
                       _required())
CHECK_ID = Field("check_id", "string", "Stable check id, e.g. evidence.<source_id>, "
                 "agreement.conflicts_declared, pandera.<table>.<column>.<check> (a row-level "
                 "schema check), gx.agreement.<indicator_id>@<period>[<breakdown>], "
                 "gx.range.<indicator_id>, gx.unit.<indicator_id>, gx.identity.<rule_id> "
                 "(dataset checks of Great Expectations).", _required())
SEVERITY = Field("severity", "string", "error (blocks publication), warning or info.",
                 _enum(SEVERITIES))

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "observations", "Observations",
        "One row per transcribed figure, with its verbatim quote and where the quote and "
        "the figure are in the source document.",
        (
            SOURCE_ID, ROW_NUMBER, INDICATOR_ID, PERIOD, BREAKDOWN,
            Field("quantity", "string", "The quantity as written in the source, qualifier "
                  "and unit included (e.g. 超过40%, 22.03万亿元).", _required()),
            Field("value", "number", "The number as written, in the written unit `unit` "
                  "(22.03 for 22.03万亿元); the lower end of a written range.", _required()),
            Field("unit", "string", "The unit as written, magnitude word included (万亿元, %); "
                  "empty when the unit is only implied (flag unit_implied).",
                  empty_is_value=True),
            Field("qualifier", "string", "How the figure bounds the true value: exact, "
                  "lower_bound (超过/以上), upper_bound (不到/以下), approximate (约/左右), "
                  "near (近/接近), odd (余/多: above the figure by less than one unit of its "
                  "last nonzero digit), range (a-b) or two_digit (两位数); derived for a value "
                  "a rule of schemas/rules.yaml derived (raw/TRANSCRIBING.md has the table).",
                  _enum([*QUALIFIERS, DERIVED])),
            Field("value_canonical", "number", "The figure in the project unit "
                  "`unit_canonical` after magnitude and unit conversion "
                  "(22030000000000 for 22.03万亿元, unit CNY).", _required()),
            UNIT_CANONICAL,
            Field("lower", "number", "Lower end of the interval the statement allows, in "
                  "`unit_canonical`; empty when unbounded below."),
            Field("upper", "number", "Upper end of the interval the statement allows, in "
                  "`unit_canonical`; empty when unbounded above."),
            Field("quote", "string", "Verbatim quote of the source containing the quantity.",
                  _required()),
            Field("evidence", "string", "verified when the quote was found in the cleaned "
                  "source and the quantity inside the quote; derived for a value a rule derived "
                  "(its quote is the rule).", _enum(["verified", DERIVED])),
            Field("quote_start", "integer", "Offset of the quote's first character in the "
                  "original source file, in characters (0-based).", {"minimum": 0}),
            Field("quote_end", "integer", "Offset one past the quote's last character in the "
                  "original source file, in characters.", {"minimum": 0}),
            Field("quantity_start", "integer", "Offset of the quantity's first character in "
                  "the original source file, in characters (0-based).", {"minimum": 0}),
            Field("quantity_end", "integer", "Offset one past the quantity's last character "
                  "in the original source file, in characters.", {"minimum": 0}),
            Field("flags", "string", "Warnings as a ';'-list (implausible, unit_implied, "
                  "garbled_number_in_source, period_inferred: the quote does not write the "
                  "period, note says how it was inferred, ...); empty when none.",
                  empty_is_value=True),
            Field("note", "string", "Transcriber's note (e.g. how the period was inferred); "
                  "may be empty.", empty_is_value=True),
            Field("context_qualifier", "string", "The qualifier as written apart from the "
                  "number (分别超过, 约为), which sets `qualifier`; empty when none.",
                  empty_is_value=True),
            Field("qualifier_start", "integer", "Offset of the context qualifier's first "
                  "character in the original source file, in characters.", {"minimum": 0}),
            Field("qualifier_end", "integer", "Offset one past the context qualifier's last "
                  "character in the original source file, in characters.", {"minimum": 0}),
            Field("occurrence", "integer", "Which occurrence of the quote in the source the "
                  "row means (a count from 1), when the quote occurs more than once.",
                  {"minimum": 1}),
            Field("quantity_occurrence", "integer", "Which occurrence of the quantity in the "
                  "quote the row means (a count from 1), when it occurs more than once.",
                  {"minimum": 1}),
        ),
        primary_key=("source_id", "indicator_id", "period", "breakdown"),
        foreign_keys=(
            ForeignKey(("source_id",), "sources", ("source_id",)),
            ForeignKey(("indicator_id",), "catalog", ("indicator_id",)),
            ForeignKey(("indicator_id", "period", "breakdown"), "indicators",
                       ("indicator_id", "period", "breakdown")),
        ),
    ),
    Resource(
        "indicators", "Indicators",
        "One row per (indicator, period, breakdown): the published value and the "
        "agreement of every source that states it.",
        (
            INDICATOR_ID, PERIOD, BREAKDOWN,
            Field("value", "number", "Published value in `unit_canonical`: the most precise "
                  "source's value_canonical.", _required()),
            UNIT_CANONICAL,
            Field("lower", "number", "Lower end of the interval all sources allow (the hull "
                  "of their intervals on a conflict), in `unit_canonical`; empty when "
                  "unbounded below."),
            Field("upper", "number", "Upper end of the interval all sources allow (the hull "
                  "of their intervals on a conflict), in `unit_canonical`; empty when "
                  "unbounded above."),
            Field("n_sources", "integer", "Number of sources stating the figure (count).",
                  _required(minimum=1)),
            Field("sources", "string", "The sources stating the figure: source_ids joined by "
                  "';', sorted.", _required()),
            Field("agreement", "string", "agree, agree_within_rounding, conflict (declared in "
                  "schemas/known_discrepancies.yaml, else an error) or single_source.",
                  _enum(AGREEMENTS)),
            Field("flags", "string", "';'-list of mixed_units, declared_discrepancy, "
                  "interval_is_hull; empty when none.", empty_is_value=True),
            Field("value_source", "string", "source_id whose figure is the published value.",
                  _required()),
        ),
        primary_key=("indicator_id", "period", "breakdown"),
        foreign_keys=(
            ForeignKey(("indicator_id",), "catalog", ("indicator_id",)),
            ForeignKey(("value_source",), "sources", ("source_id",)),
        ),
    ),
    Resource(
        "checks", "Checks",
        "One row per check run by the audit, passing or failing.",
        (
            CHECK_ID,
            Field("kind", "string", "Family of the check (evidence, range, manifest, pandera, "
                  "gx, agreement, ...); pandera and gx name the tool that ran it.", _required()),
            SEVERITY,
            Field("status", "string", "pass or fail.", _enum(STATUSES)),
            Field("target", "string", "What the check looked at: a file or a table.column.",
                  empty_is_value=True),
            Field("n_items", "integer", "Number of items checked (count).",
                  _required(minimum=0)),
            Field("n_failed", "integer", "Number of items failing (count).",
                  _required(minimum=0)),
            Field("message", "string", "What failed (up to five items), or what passing means.",
                  empty_is_value=True),
        ),
        primary_key=("check_id",),
    ),
    Resource(
        "findings", "Findings",
        "One row per transcription row named by a failing check (warnings included).",
        (
            CHECK_ID, SEVERITY,
            Field("source_id", "string", "Source of the row named.", {}),
            Field("row_number", "integer", "Line of the row in raw/tables/<source_id>.csv.",
                  {"minimum": 1}),
            Field("indicator_id", "string", "Indicator of the row (may be empty when the row "
                  "could not be read).", empty_is_value=True),
            Field("period", "string", "Period of the row, as written.", empty_is_value=True),
            BREAKDOWN,
            Field("message", "string", "The located failure (file:line:column: what was "
                  "expected).", _required()),
        ),
        foreign_keys=(
            ForeignKey(("check_id",), "checks", ("check_id",)),
            ForeignKey(("source_id",), "sources", ("source_id",)),
        ),
    ),
    Resource(
        "coverage", "Coverage",
        "Every numeric mention found in each source (after its declared cleaning), and how "
        "it is accounted for: transcribed (covered by a transcribed quantity), ignored (a "
        "calendar expression, or set aside in raw/ignored.csv with a reason) or missing.",
        (
            SOURCE_ID,
            Field("start", "integer", "Offset of the mention's first character in the original "
                  "source file, in characters (0-based).", _required(minimum=0)),
            Field("end", "integer", "Offset one past the mention's last character in the "
                  "original source file, in characters.", _required(minimum=0)),
            Field("mention", "string", "The mention as it reads after cleaning.", _required()),
            Field("status", "string", "transcribed, ignored or missing.",
                  _enum(COVERAGE_STATUSES)),
            Field("reason", "string", "Why an ignored mention is set aside (from raw/ignored.csv, "
                  "or 'calendar expression'); empty otherwise.", empty_is_value=True),
        ),
        primary_key=("source_id", "start", "end"),
        foreign_keys=(ForeignKey(("source_id",), "sources", ("source_id",)),),
    ),
    Resource(
        "sources", "Sources",
        "The source manifest (raw/sources.csv): each document, its pinned checksum and the "
        "cleaning declared for it; plus each rule that derived a value (kind derived).",
        (
            SOURCE_ID,
            Field("file", "string", "Path of the document in the repository (for a derived "
                  "source, schemas/rules.yaml).", _required()),
            Field("sha256", "string", "SHA-256 of the document's bytes (hex); empty for a "
                  "derived source.", {"pattern": "[0-9a-f]{64}"}),
            Field("title", "string", "Title of the document.", _required()),
            Field("publisher", "string", "Who published it.", _required()),
            Field("published", "string", "When it was published (YYYY or YYYY-MM); empty for "
                  "a derived source.", {}),
            Field("script", "string", "Writing system: Hans (simplified) or Hant "
                  "(traditional, converted before matching quotes); empty for a derived "
                  "source.", {"enum": list(SCRIPTS)}),
            Field("kind", "string", "Kind of document (news_report, research_article, "
                  "slides, ...), or derived: a rule of schemas/rules.yaml that derived a value "
                  "(source_id derived:<rule_id>).", _required()),
            Field("drop_strings", "string", "Injected strings removed before matching quotes, "
                  "joined by '|'; empty when none.", empty_is_value=True),
            Field("strip_patterns", "string", "Regular expressions removed before matching "
                  "quotes (e.g. pinyin annotations), joined by '|'; empty when none.",
                  empty_is_value=True),
            Field("url", "string", "Where the document was retrieved from (an absolute "
                  "http or https URL); empty when not known, and for a derived source.",
                  format="uri"),
            Field("retrieved", "date", "When the document was retrieved from `url` "
                  "(YYYY-MM-DD); empty when not known, and for a derived source.", {}),
        ),
        primary_key=("source_id",),
    ),
    Resource(
        "catalog", "Indicator catalog",
        "The indicator catalog (schemas/indicators.yaml): names, kind, canonical unit and "
        "ranges of every indicator.",
        (
            INDICATOR_ID,
            Field("name_en", "string", "Name in English.", _required()),
            Field("name_zh", "string", "Name in Chinese.", _required()),
            Field("kind", "string", "Kind of quantity.", _enum(KINDS)),
            Field("unit", "string", "Canonical project unit of the indicator (unit_canonical "
                  "of its observations).", _required()),
            Field("valid_low", "number", "Lowest possible value, in `unit`; empty when "
                  "unbounded."),
            Field("valid_high", "number", "Highest possible value, in `unit`; empty when "
                  "unbounded."),
            Field("plausible_low", "number", "Lowest plausible value (below it a figure is "
                  "flagged implausible), in `unit`; empty when unbounded."),
            Field("plausible_high", "number", "Highest plausible value, in `unit`; empty when "
                  "unbounded."),
            Field("plausible_reason", "string", "Why the plausible range is what it is; empty "
                  "when no plausible range is set.", empty_is_value=True),
            Field("target", "boolean", "true when the indicator is a policy target rather "
                  "than an outcome.", _required()),
            Field("description", "string", "Definition of the indicator.", _required()),
        ),
        primary_key=("indicator_id",),
    ),
)

RESOURCE_FILES = tuple(r.path for r in RESOURCES)


def _package_source(source: dict) -> dict:
    """A source of the package: its title, and its URL (`path`) when known."""
    entry = {"title": f"{source['source_id']}: {source['title']} ({source['publisher']}, "
                      f"{source['published']})"}
    if source.get("url"):
        entry["path"] = source["url"]
        if source.get("retrieved"):
            entry["title"] += f", retrieved {source['retrieved']}"
    return entry


def descriptor(directory: Path, csv_names: list[str], sources: list[dict]) -> dict:
    """The package descriptor of the CSVs `csv_names` in `directory`.

    `sources` are the manifest records (source_id, title, publisher, published).
    """
    unknown = sorted(set(csv_names) - set(RESOURCE_FILES))
    if unknown:
        raise ValueError(f"published table(s) {', '.join(unknown)} have no resource in "
                         f"greenaudit.audit.datapackage.RESOURCES")
    missing = sorted(set(RESOURCE_FILES) - set(csv_names))
    if missing:
        raise ValueError(f"resource(s) {', '.join(missing)} of greenaudit.audit.datapackage are not "
                         f"among the published tables")
    package = {key: value for key, value in PACKAGE.items() if value}
    package["profile"] = "tabular-data-package"
    package["sources"] = [_package_source(s) for s in sorted(sources, key=lambda s: s["source_id"])]
    package["resources"] = [resource_descriptor(r, directory / r.path) for r in RESOURCES]
    return package


def to_json(package: dict) -> str:
    return json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
