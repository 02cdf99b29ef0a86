"""The answer key: every planted error, where it is, and what it looks like.

Written to OUTDIR/answer_key.json (read by `greenaudit score`) and, one line per
affected row, OUTDIR/answer_key.csv for reading. Both live outside raw/ and
schemas/, so the audit never sees them. Quantities and quotes are given in
simplified script; a traditional-script source writes them converted (OpenCC s2t).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

KEY_JSON = "answer_key.json"
KEY_CSV = "answer_key.csv"
CSV_COLUMNS = ("error_id", "error_class", "location", "source_id", "row_number",
               "indicator_id", "period", "breakdown", "rule_id", "truth", "source_says",
               "table_says")


@dataclass(frozen=True)
class ErrorClass:
    name: str
    location: str              # "source_text" (the document is wrong) or "transcription"
    planted: str               # what the generator changes
    detectable_by: str         # which checks can see it, in principle
    check_kinds: tuple[str, ...]   # check families that can detect it (see score.py)


CLASSES: tuple[ErrorClass, ...] = (
    ErrorClass("magnitude_slip", "source_text",
               "the document writes 万 for 亿 or 亿 for 万 (off by 10^4); the table copies it",
               "plausible range (and valid range, cross-source agreement)",
               ("plausibility", "range", "agreement")),
    ErrorClass("digit_transposition", "transcription",
               "two adjacent digits of the figure are swapped in the table only",
               "evidence: the transcribed quantity is not in the quote",
               ("evidence", "agreement")),
    ErrorClass("dropped_decimal", "source_text",
               "the document drops the decimal point (15.5% -> 155%); the table copies it",
               "valid or plausible range (and cross-source agreement)",
               ("plausibility", "range", "agreement")),
    ErrorClass("wrong_unit", "source_text",
               "the document prints a unit of another dimension (个百分点 for %, 亿美元 for "
               "亿元, 万吨 for 万吨标准煤); the table copies it",
               "unit check: the unit cannot express the indicator", ("unit",)),
    ErrorClass("period_shift", "transcription",
               "the table files the figure a year early (the quote still names its year)",
               "the period check (the quote does not write the table's year); cross-source "
               "agreement: at least two other sources state that earlier year with another "
               "value", ("evidence", "agreement")),
    ErrorClass("quote_mismatch", "transcription",
               "the table's quote is a paraphrase (据统计，) that the document does not contain",
               "evidence: quote_not_found", ("evidence",)),
    ErrorClass("out_of_range", "source_text",
               "the document states a share above 100%; the table copies it",
               "valid range", ("range", "plausibility")),
    ErrorClass("undeclared_conflict", "source_text",
               "one document states a plausible value 15-35% away from what at least two "
               "others agree on; no declaration", "cross-source agreement", ("agreement",)),
    ErrorClass("broken_identity", "source_text",
               "every source states a change 1.0-3.0 percentage points off the difference of "
               "its two shares", "the derived-identity rule in schemas/rules.yaml",
               ("rule",)),
)
CLASS_NAMES = tuple(c.name for c in CLASSES)


@dataclass
class PlantedError:
    error_id: str
    error_class: str
    location: str
    rows: list[tuple[str, int]]                 # (source_id, row_number) of the table
    groups: list[tuple[str, str, str]]          # (indicator_id, period, breakdown) affected
    truth: str                                  # the true quantity (or period)
    source_says: str
    table_says: str
    rule_id: str = ""
    rule_terms: list[tuple[str, str]] = field(default_factory=list)  # (indicator_id, period)


def _record(error: PlantedError) -> dict:
    return {"error_id": error.error_id, "error_class": error.error_class,
            "location": error.location, "rows": [list(r) for r in error.rows],
            "groups": [list(g) for g in error.groups], "truth": error.truth,
            "source_says": error.source_says, "table_says": error.table_says,
            "rule_id": error.rule_id, "rule_terms": [list(t) for t in error.rule_terms]}


def write_answer_key(outdir: Path, errors: list[PlantedError], meta: dict) -> None:
    from greenaudit.audit.publish import write_atomic

    # One error per line: readable, diffable, and fast to write for a million rows.
    dump = partial(json.dumps, ensure_ascii=False, sort_keys=True)
    lines = ["{", f' "meta": {dump(meta)},',
             f' "classes": {dump([asdict(c) for c in CLASSES])},', ' "errors": [']
    lines += [f"  {dump(_record(e))}," for e in errors]
    if errors:
        lines[-1] = lines[-1].rstrip(",")
    lines += [" ]", "}"]
    write_atomic(outdir / KEY_JSON, "\n".join(lines) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in errors:
        group = e.groups[0] if e.groups else ("", "", "")
        for source_id, row_number in e.rows:
            writer.writerow([e.error_id, e.error_class, e.location, source_id, row_number,
                             *group, e.rule_id, e.truth, e.source_says, e.table_says])
    write_atomic(outdir / KEY_CSV, buffer.getvalue())


def read_answer_key(outdir: Path) -> tuple[dict, list[PlantedError]]:
    data = json.loads((outdir / KEY_JSON).read_text(encoding="utf-8"))
    errors = []
    for item in data["errors"]:
        item["rows"] = [tuple(r) for r in item["rows"]]
        item["groups"] = [tuple(g) for g in item["groups"]]
        item["rule_terms"] = [tuple(t) for t in item["rule_terms"]]
        errors.append(PlantedError(**item))
    return data["meta"], errors
