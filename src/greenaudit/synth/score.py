"""Score the audit's findings against a synthetic workspace's answer key.

    greenaudit score OUTDIR [--json PATH] [--fail-under 0.99]

Reads OUTDIR/answer_key.json and the audit's row-level findings and checks
(OUTDIR/results/validation/audit/{findings,checks}.csv, written whether or not the
run could publish). Only findings of severity error or warning count.

Matching. A finding *matches* a planted error when
  * it names a row (source_id and row_number) that the error planted, or
  * it names no row but points at a line of a source text (`raw/sources/ID.txt:LINE:`
    in its message, as a coverage finding does) that states a planted row: the
    generator writes the sentence of table row r on line r of its source, or
  * it names no row, and its (indicator_id, period, breakdown) is a group the error
    touched (for a period shift, the period the row was filed under), or
  * it comes from a rule of schemas/rules.yaml (check id `rule.<rule id>`) and either
    its check id names the broken rule or its (indicator_id, period) is one of the
    rule's terms (a failing rule names the rows of all its terms).

Per error class C:
  * recall = planted errors of C matched by at least one finding / planted errors of C;
  * the *detectors* of C are the check families of the findings that matched C's
    errors, a family being the checks.csv `kind` of the check, or `rule` for the
    rules of schemas/rules.yaml (whose kinds are derived and plausibility); a finding
    that matches no planted error is a false positive of every class whose detectors
    include its family;
  * precision = findings matching C's errors / (those + C's false positives).
A class none of whose detecting check families ran at all (e.g. broken identities
in an audit without rules) is reported "not checked" instead of scored.
Findings that match nothing and whose kind detects no class are listed separately,
never hidden; on a clean corpus (R = 0) every finding is such a finding.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.audit.publish import write_atomic
from greenaudit.synth.answer_key import CLASSES, PlantedError, read_answer_key

SOURCE_LINE = re.compile(r"raw/sources/([A-Za-z0-9][A-Za-z0-9_.-]*)\.txt:(\d+):")
RULE_FAMILY = "rule"
RULE_PREFIX = "rule."
COUNTED_SEVERITIES = ("error", "warning")


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _family(check_id: str, kinds: dict[str, str]) -> str:
    if check_id.startswith(RULE_PREFIX):
        return RULE_FAMILY
    return kinds.get(check_id) or check_id.split(".")[0]


@dataclass
class _ErrorIndex:
    """The planted errors by what a finding can name: a row, a group, a rule or its terms."""

    by_row: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_group: dict[tuple[str, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(list))
    by_rule: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_term: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, errors: list[PlantedError]) -> "_ErrorIndex":
        index = cls()
        for i, error in enumerate(errors):
            for row in error.rows:
                index.by_row[(row[0], int(row[1]))].append(i)
            for group in error.groups:
                index.by_group[tuple(group)].append(i)
            if error.rule_id:
                index.by_rule[error.rule_id].append(i)
                for term in error.rule_terms:
                    index.by_term[tuple(term)].append(i)
        return index

    def hits(self, finding: dict, family: str) -> set[int]:
        """The planted errors `finding` matches (see the module's docstring)."""
        hits: set[int] = set()
        if finding["source_id"] and finding["row_number"]:
            hits.update(self.by_row.get((finding["source_id"], int(finding["row_number"])), ()))
        else:
            for source_id, line in SOURCE_LINE.findall(finding["message"]):
                hits.update(self.by_row.get((source_id, int(line)), ()))
            key = (finding["indicator_id"], finding["period"], finding["breakdown"])
            hits.update(self.by_group.get(key, ()))
        if family == RULE_FAMILY:
            hits.update(self.by_rule.get(finding["check_id"][len(RULE_PREFIX):], ()))
            hits.update(self.by_term.get((finding["indicator_id"], finding["period"]), ()))
        return hits


@dataclass
class _Matches:
    """What the counted findings matched."""

    detected: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    matched_findings: Counter = field(default_factory=Counter)  # class -> findings matching it
    detectors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unmatched: Counter = field(default_factory=Counter)         # kind -> findings matching nothing
    counted: int = 0


def _match(errors: list[PlantedError], findings: list[dict], kinds: dict[str, str]) -> _Matches:
    index = _ErrorIndex.of(errors)
    matches = _Matches()
    for finding in findings:
        if finding["severity"] not in COUNTED_SEVERITIES:
            continue
        matches.counted += 1
        family = _family(finding["check_id"], kinds)
        hits = index.hits(finding, family)
        if not hits:
            matches.unmatched[family] += 1
            continue
        for name in sorted({errors[i].error_class for i in hits}):
            matches.matched_findings[name] += 1
            matches.detectors[name].add(family)
        for i in hits:
            matches.detected[i].add(family)
    return matches


def _class_row(c, planted: Counter, found: Counter, matches: _Matches,
               kinds_run: set[str]) -> dict:
    """One class's recall and precision."""
    n = planted[c.name]
    false_positives = sum(matches.unmatched[k] for k in sorted(matches.detectors[c.name]))
    if n == 0:
        status = "none planted"
    elif not kinds_run & set(c.check_kinds):
        status = "not checked"
    else:
        status = "checked"
    scored = status == "checked"
    matched = matches.matched_findings[c.name]
    claimed = matched + false_positives
    return {
        "error_class": c.name, "location": c.location, "status": status,
        "planted": n, "detected": found[c.name] if scored else None,
        "recall": found[c.name] / n if scored else None,
        "matched_findings": matched,
        "false_positives": false_positives,
        "precision": (matched / claimed if scored and claimed else None),
        "detected_by": sorted(matches.detectors[c.name]),
        "expected_check_kinds": list(c.check_kinds),
    }


def score(errors: list[PlantedError], findings: list[dict], checks: list[dict]) -> dict:
    """Per-class recall and precision of `findings` against the planted `errors`."""
    kinds = {c["check_id"]: c["kind"] for c in checks}
    kinds_run = {_family(c["check_id"], kinds) for c in checks}
    matches = _match(errors, findings, kinds)
    planted = Counter(e.error_class for e in errors)
    found = Counter(errors[i].error_class for i in matches.detected)
    classes = [_class_row(c, planted, found, matches, kinds_run) for c in CLASSES]
    charged = set().union(*(matches.detectors[c.name] for c in CLASSES))
    unmatched = matches.unmatched
    failing_without_rows = sorted(
        {c["check_id"] for c in checks if c["status"] == "fail"}
        - {f["check_id"] for f in findings})
    return {
        "classes": classes,
        "planted_total": len(errors),
        "findings_counted": matches.counted,
        "unmatched_total": sum(unmatched.values()),
        "unmatched_by_kind": dict(sorted(unmatched.items())),
        "unmatched_not_charged": {k: v for k, v in sorted(unmatched.items()) if k not in charged},
        "failing_checks_without_findings": failing_without_rows,
    }


def score_workspace(outdir: Path, audit_dir: Path | None = None) -> dict:
    _, errors = read_answer_key(outdir)
    audit = audit_dir or outdir / "results" / "validation" / "audit"
    for name in ("findings.csv", "checks.csv"):
        if not (audit / name).is_file():
            from greenaudit.errors import InputError

            raise InputError(f"no {name}: run the workflow on the workspace first "
                             f"(snakemake --directory {outdir})", file=str(audit / name))
    return score(errors, _rows(audit / "findings.csv"), _rows(audit / "checks.csv"))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def format_markdown(result: dict) -> str:
    lines = ["| error class | planted in | planted | detected | recall | matching findings "
             "| false positives | precision | detected by |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for c in result["classes"]:
        location = c["location"].replace("_", " ")
        if c["status"] == "checked":
            lines.append(
                f"| {c['error_class']} | {location} | {c['planted']} | {c['detected']} | "
                f"{_percent(c['recall'])} | {c['matched_findings']} | {c['false_positives']} "
                f"| {_percent(c['precision'])} | {', '.join(c['detected_by']) or '-'} |")
        else:
            why = (f"not checked: no {'/'.join(c['expected_check_kinds'])} check ran"
                   if c["status"] == "not checked" else c["status"])
            lines.append(f"| {c['error_class']} | {location} | {c['planted']} | - | {why} | "
                         f"{c['matched_findings']} | - | - | - |")
    unmatched = ", ".join(f"{k} {v}" for k, v in result["unmatched_by_kind"].items()) or "none"
    lines += ["", f"Findings counted (error and warning): {result['findings_counted']}; "
                  f"matching no planted error: {result['unmatched_total']} ({unmatched})."]
    if result["failing_checks_without_findings"]:
        lines.append("Failing checks that name no row: "
                     + ", ".join(result["failing_checks_without_findings"]) + ".")
    return "\n".join(lines) + "\n"


def write_json(result: dict, path: Path) -> None:
    write_atomic(path, json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
