"""The Markdown summary of an audit run (`greenaudit summary`, the CI job summary).

It reads what the rebuild assembled under results/validation/ (written whether or
not the audit could publish): whether it may publish and why not, check counts by
severity and status, verdict counts, and the data diff against the last published
version (or a given git revision).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from greenaudit.tools import diff as datadiff
from greenaudit.checks import SEVERITIES, STATUSES
from greenaudit.tables.vocabulary import AGREEMENTS

MAX_ERRORS = 25


def _rows(path: Path) -> list[dict] | None:
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _base(workspace: Path, old_ref: str | None) -> tuple[datadiff.Snapshot | None, str]:
    """The snapshot to compare with, and a note when the requested one was not usable."""
    note = ""
    if old_ref:
        try:
            return datadiff.snapshot_at(workspace, old_ref), ""
        except datadiff.DiffError as exc:
            note = f"{exc.reason}; compared with the last published version instead.\n\n"
    try:
        return datadiff.snapshot_at(workspace, datadiff.last_published(workspace).commit), note
    except datadiff.DiffError as exc:
        return None, note + f"No data diff: {exc.reason}.\n"


def summary(workspace: Path, validation: Path, old_ref: str | None = None) -> str:
    lines = ["## greenaudit audit", ""]
    status_path = validation / "status.json"
    checks = _rows(validation / "audit" / "checks.csv")
    indicators = _rows(validation / "audit" / "indicators.csv")
    if not status_path.is_file() or checks is None or indicators is None:
        lines.append(f"The rebuild stopped before assembling the audit ({status_path} is "
                     "missing): see the logs.")
        return "\n".join(lines) + "\n"
    status = json.loads(status_path.read_text(encoding="utf-8"))
    if status["publishable"]:
        lines.append("**Publishable**: no check of severity `error` fails.")
    else:
        lines.append(f"**Not publishable**: {len(status['errors'])} error(s); "
                     "`results/audit/` was left as it was.")
        lines.append("")
        lines += [f"- `{e['check_id']}`: {e['message']}" for e in status["errors"][:MAX_ERRORS]]
        if len(status["errors"]) > MAX_ERRORS:
            lines.append(f"- … and {len(status['errors']) - MAX_ERRORS} more")

    counts = Counter((c["severity"], c["status"]) for c in checks)
    lines += ["", "### Checks", "", "| severity | " + " | ".join(STATUSES) + " |",
              "|---|" + "---:|" * len(STATUSES)]
    for severity in SEVERITIES:
        lines.append(f"| {severity} | "
                     + " | ".join(str(counts[(severity, s)]) for s in STATUSES) + " |")

    verdicts = Counter(row["agreement"] for row in indicators)
    lines += ["", "### Verdicts", "", "| agreement | indicators |", "|---|---:|"]
    lines += [f"| {a} | {verdicts[a]} |" for a in AGREEMENTS]
    lines.append(f"| total | {len(indicators)} |")

    base, note = _base(workspace, old_ref)
    lines += ["", note.rstrip("\n")] if note else []
    if base is not None:
        rebuilt = datadiff.snapshot_of(validation / "audit", workspace / datadiff.MANIFEST,
                                       "this rebuild")
        lines += ["", datadiff.to_markdown(datadiff.diff(base, rebuilt), level=3).rstrip("\n")]
    return "\n".join(lines) + "\n"
