"""The closing block of a rebuild: its verdict, said last, in at most 15 lines.

Whether the run published, the failing checks by severity, each error's located
line with its check (`error: check_id: file:line:column: what was expected`; at
most `MAX_ERRORS`, then how many more), where the report is and where the logs
are. Every line the block leaves out is in its full listing, LISTING, which the
block names. It is printed by the workflow's `onsuccess` and `onerror` handlers,
from what this run wrote: results/validation/status.json and findings.csv when the
audit was assembled, the one-line errors of the jobs that failed otherwise. A file
older than the run is not this run's verdict and is not read as one.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_ERRORS = 8
MAX_WARNINGS = 2
MAX_WARNING_CHARS = 160
SEVERITIES = ("error", "warning", "info")
RESULTS = Path("results")
STATUS = RESULTS / "validation" / "status.json"
FINDINGS = RESULTS / "validation" / "audit" / "findings.csv"
REPORT = RESULTS / "report" / "index.html"
PUBLISHED_DB = RESULTS / "greenaudit.duckdb"
PUBLISH_LOG = "results/logs/publish.log"
# Every located line of the run, none left out (written by greenaudit.workflow.report_run).
LISTING = RESULTS / "logs" / "closing.log"
# A place in a file a person edits: raw/tables/x.csv:12 (the line is what dedupes).
PLACE = re.compile(r"\b((?:raw|schemas|config)/[^\s:;,()']+):(\d+)")
FILE = re.compile(r"\b(?:raw|schemas|config)/[^\s:;,()']+")


@dataclass(frozen=True)
class Located:
    """One line of the block: a failing check and one place it names (or its message)."""

    check_id: str
    text: str

    def line(self, severity: str, limit: int | None = None) -> str:
        text = self.text if limit is None or len(self.text) <= limit else \
            self.text[:limit - 1] + "…"
        return f"{severity}: {self.check_id}: {text}"


@dataclass
class Audit:
    """What this run's assembled audit says (status.json and findings.csv)."""

    publishable: bool
    failing: dict[str, int]
    n_checks: int
    errors: list[Located] = field(default_factory=list)
    warnings: list[Located] = field(default_factory=list)


def _this_run(path: Path, started: float) -> bool:
    try:
        return path.stat().st_mtime >= started
    except FileNotFoundError:
        return False


def _findings(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def located_lines(status: dict, findings: list[dict[str, str]], severity: str) -> list[Located]:
    """Each failing check of `severity` with its rows' located lines (its findings), or
    with its own message when it names no row. A check that names a file but no row
    comes first: a whole file's problem (not UTF-8, a changed checksum) is what its
    rows' failures follow from; one that names no file (a Great Expectations suite
    restating a comparison) comes last. A check whose places are all named already
    (pandera repeating a table check) is left out."""
    key = "errors" if severity == "error" else "warnings"
    failing = {item["check_id"]: item["message"] for item in status.get(key, [])}
    rows = list(dict.fromkeys(
        Located(f["check_id"], f["message"]) for f in findings
        if f.get("severity") == severity and f.get("check_id") in failing))
    with_rows = {item.check_id for item in rows}
    places = {place for item in rows for place in PLACE.findall(item.text)}
    files: list[Located] = []
    unlocated: list[Located] = []
    for check_id, message in failing.items():
        if check_id in with_rows:
            continue
        named = set(PLACE.findall(message))
        if named and named <= places:
            continue
        (files if FILE.search(message) else unlocated).append(Located(check_id, message))
        places |= named
    return files + rows + unlocated


def chosen(lines: list[Located], limit: int) -> list[Located]:
    """At most `limit` of `lines`, naming as many checks as fit: every check's first
    line, then every check's second, and so on; in the order of `lines`."""
    rank: dict[str, int] = {}
    order = []
    for index, item in enumerate(lines):
        order.append((rank.get(item.check_id, 0), index))
        rank[item.check_id] = rank.get(item.check_id, 0) + 1
    return [lines[index] for index in sorted(index for _, index in sorted(order)[:limit])]


def read_audit(started: float, results: Path = RESULTS, published: bool = False) -> Audit | None:
    """This run's audit (or, when this run `published`, the one it published), or None
    when the run did not assemble one."""
    status_path = results / STATUS.relative_to(RESULTS)
    if not (published or _this_run(status_path, started)):
        return None
    try:
        status = json.loads(status_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    counts = status.get("counts", {})
    failing = {s: int(counts.get(f"fail_{s}", 0)) for s in SEVERITIES}
    findings = _findings(results / FINDINGS.relative_to(RESULTS))
    return Audit(bool(status.get("publishable")), failing, sum(map(int, counts.values())),
                 located_lines(status, findings, "error"),
                 located_lines(status, findings, "warning"))


def _counts(audit: Audit) -> str:
    parts = [f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in audit.failing.items()]
    return f"{', '.join(parts)} among {audit.n_checks} checks"


def _listed(lines: list[str], limit: int, what: str) -> list[str]:
    shown = [f"  {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"  ... and {len(lines) - limit} more {what}: all are in {LISTING}")
    return shown


def _errors(lines: list[Located]) -> list[str]:
    shown = [f"  {item.line('error')}" for item in chosen(lines, MAX_ERRORS)]
    if len(lines) > MAX_ERRORS:
        shown.append(f"  ... and {len(lines) - MAX_ERRORS} more error lines: all are in "
                     f"{LISTING}")
    return shown


@dataclass
class Run:
    """What the block is made from: when the run started, whether Snakemake says it
    succeeded, the failed jobs' error lines ({job log: lines}) and the run's log files."""

    started: float
    succeeded: bool
    failed_jobs: dict[str, list[str]] = field(default_factory=dict)
    run_logs: list[str] = field(default_factory=list)
    results: Path = RESULTS


def _published(run: Run) -> bool:
    return run.succeeded and _this_run(run.results / PUBLISHED_DB.relative_to(RESULTS),
                                       run.started)


def _verdict(run: Run, audit: Audit | None) -> list[str]:
    """The first line (and the lines that explain it)."""
    others = {log: lines for log, lines in run.failed_jobs.items() if log != PUBLISH_LOG}
    published = _published(run)
    if others or audit is None:
        jobs = ", ".join(Path(log).stem for log in run.failed_jobs) or "none"
        head = ("greenaudit: NOT PUBLISHED: the run stopped (failed jobs: " + jobs + "); "
                "results/audit/ is left as it was." if not run.succeeded else
                "greenaudit: finished; this run neither assembled nor published an audit.")
        lines = [line for job in run.failed_jobs.values() for line in job]
        return [head] + _listed(lines, MAX_ERRORS, "error lines")
    if not audit.publishable:
        return ([f"greenaudit: NOT PUBLISHED: {_counts(audit)}; results/audit/ is left as it was."]
                + _errors(audit.errors))
    if run.failed_jobs:
        lines = [line for job in run.failed_jobs.values() for line in job]
        return ([f"greenaudit: NOT PUBLISHED: the audit passed ({_counts(audit)}) but publish "
                 f"failed; results/audit/ is left as it was."]
                + _listed(lines, MAX_ERRORS, "error lines"))
    head = (f"greenaudit: PUBLISHED results/audit/: {_counts(audit)}." if published else
            f"greenaudit: publishable, not published by this run (publish was not a target): "
            f"{_counts(audit)}.")
    return [head] + [f"  {w.line('warning', MAX_WARNING_CHARS)}"
                     for w in chosen(audit.warnings, MAX_WARNINGS)]


def _audit(run: Run) -> Audit | None:
    return read_audit(run.started, run.results, _published(run))


def listing(run: Run) -> list[str]:
    """Every located line of the run: what the block's `... and N more` stands for."""
    audit = _audit(run)
    # publish's own lines repeat the audit's errors that stopped it.
    lines = [line for log, job in run.failed_jobs.items()
             if audit is None or audit.publishable or log != PUBLISH_LOG for line in job]
    if audit is not None:
        lines += [item.line("error") for item in audit.errors]
        lines += [item.line("warning") for item in audit.warnings]
    return lines


def closing_block(run: Run) -> list[str]:
    """The block's lines (at most 15)."""
    lines = _verdict(run, _audit(run))
    report = run.results / REPORT.relative_to(RESULTS)
    if _this_run(report, run.started):
        lines.append(f"report: {REPORT}")
    elif report.is_file():
        lines.append(f"report: {REPORT} (from an earlier run; not rewritten by this one)")
    else:
        lines.append("report: not written")
    whole = f"; the whole run: {run.run_logs[0]}" if run.run_logs else ""
    lines.append(f"logs: results/logs/ (one per job){whole}")
    return lines
