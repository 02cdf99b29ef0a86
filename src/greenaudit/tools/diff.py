"""What changed in the published data between two versions (`greenaudit diff`).

A version is a git commit (the tables as committed, read with `git show`), the
working tree, or a directory of would-be published tables. Compared: the
indicators (added, removed, values and intervals, verdicts), the figures behind
them (observations), the checks (newly failing, fixed) and the source manifest
(documents added, removed or changed, by SHA-256). The result is a JSON-ready dict
rendered as Markdown for job summaries, pull requests and results/audit/CHANGES.md.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from functools import partial
from typing import Callable

from greenaudit.errors import GreenauditError

AUDIT_DIR = "results/audit"
MANIFEST = "raw/sources.csv"
CHANGES = f"{AUDIT_DIR}/CHANGES.md"
WORKING_TREE = "working tree"

INDICATOR_KEY = ("indicator_id", "period", "breakdown")
INDICATOR_VALUE_FIELDS = ("value", "unit_canonical", "lower", "upper")
INDICATOR_OTHER_FIELDS = ("n_sources", "sources", "flags", "value_source")
OBSERVATION_KEY = ("source_id", "indicator_id", "period", "breakdown")
OBSERVATION_FIELDS = ("quantity", "qualifier", "context_qualifier", "value", "unit",
                      "value_canonical", "unit_canonical", "lower", "upper", "evidence", "flags")

# Markdown lists are cut here (the JSON output is always complete).
MAX_LISTED = 25


class DiffError(GreenauditError):
    """A git revision or repository that cannot be read."""


@dataclass(frozen=True)
class Version:
    """Where a snapshot comes from: a commit (sha, subject, date) or a directory."""

    label: str
    commit: str | None = None
    subject: str | None = None
    date: str | None = None

    def as_dict(self) -> dict:
        return {"label": self.label, "commit": self.commit, "subject": self.subject,
                "date": self.date}


@dataclass(frozen=True)
class Snapshot:
    version: Version
    indicators: dict[tuple, dict] | None   # None: no published tables in this version
    observations: dict[tuple, dict]
    checks: dict[str, dict]
    sources: dict[str, dict]


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                              encoding="utf-8")
    except FileNotFoundError:
        raise DiffError("git is not installed") from None


def resolve(repo: Path, ref: str) -> Version:
    """The commit `ref` names, with its subject and date (from git, so deterministic)."""
    result = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if result.returncode != 0:
        raise DiffError(f"{ref!r} is not a commit of the git repository at {repo}")
    sha = result.stdout.strip()
    subject, date = _git(repo, "show", "-s", "--format=%s%n%cs", sha).stdout.split("\n")[:2]
    return Version(sha[:12], sha, subject, date)


def last_published(repo: Path) -> Version:
    """The last commit (from HEAD) that changed results/audit/."""
    result = _git(repo, "log", "-1", "--format=%H", "--", f"{AUDIT_DIR}/")
    if result.returncode != 0:
        raise DiffError(f"not a git repository: {repo} ({result.stderr.strip()})")
    if not result.stdout.strip():
        raise DiffError(f"no commit has changed {AUDIT_DIR}/ yet; name the old version")
    return resolve(repo, result.stdout.strip())


def _parse_csv(text: str | None) -> list[dict] | None:
    if text is None:
        return None
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _keyed(rows: list[dict] | None, key: tuple[str, ...]) -> dict[tuple, dict]:
    return {tuple(row.get(k, "") for k in key): row for row in rows or []}


def _snapshot(version: Version, read: Callable[[str], str | None]) -> Snapshot:
    indicators = _parse_csv(read(f"{AUDIT_DIR}/indicators.csv"))
    checks = _parse_csv(read(f"{AUDIT_DIR}/checks.csv")) or []
    return Snapshot(
        version,
        None if indicators is None else _keyed(indicators, INDICATOR_KEY),
        _keyed(_parse_csv(read(f"{AUDIT_DIR}/observations.csv")), OBSERVATION_KEY),
        {row["check_id"]: row for row in checks},
        {row["source_id"]: row for row in _parse_csv(read(MANIFEST)) or []},
    )


def _read_file(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def snapshot_at(repo: Path, ref: str | None) -> Snapshot:
    """The tables of commit `ref`, or of the working tree when `ref` is None."""
    if ref is None:
        return _snapshot(Version(WORKING_TREE), lambda path: _read_file(repo / path))
    version = resolve(repo, ref)

    def read(path: str) -> str | None:
        # "./" makes the path relative to `repo`, which need not be the repository's root.
        shown = _git(repo, "show", f"{version.commit}:./{path}")
        return shown.stdout if shown.returncode == 0 else None

    return _snapshot(version, read)


def snapshot_of(audit_dir: Path, manifest: Path, label: str) -> Snapshot:
    """Tables in `audit_dir` (e.g. results/validation/audit, published or not)."""
    def read(path: str) -> str | None:
        if path == MANIFEST:
            return _read_file(manifest)
        return _read_file(audit_dir / Path(path).name)

    return _snapshot(Version(label), read)


def _key_dict(names: tuple[str, ...], key: tuple) -> dict:
    return dict(zip(names, key))


def _changes(old: dict, new: dict, fields: tuple[str, ...]) -> dict:
    return {f: {"old": old.get(f, ""), "new": new.get(f, "")} for f in fields
            if old.get(f, "") != new.get(f, "")}


def diff(old: Snapshot, new: Snapshot) -> dict:
    """Everything that differs between two snapshots, as a JSON-ready dict."""
    old_ind, new_ind = old.indicators or {}, new.indicators or {}
    values, verdicts, others = [], [], []
    for key in sorted(old_ind.keys() & new_ind.keys()):
        a, b = old_ind[key], new_ind[key]
        where = _key_dict(INDICATOR_KEY, key)
        if changed := _changes(a, b, INDICATOR_VALUE_FIELDS):
            values.append({**where, "changes": changed})
        if a.get("agreement") != b.get("agreement"):
            verdicts.append({**where, "old": a.get("agreement", ""), "new": b.get("agreement", ""),
                             "sources": b.get("sources", "")})
        if changed := _changes(a, b, INDICATOR_OTHER_FIELDS):
            others.append({**where, "changes": changed})
    observations_changed = []
    for key in sorted(old.observations.keys() & new.observations.keys()):
        if changed := _changes(old.observations[key], new.observations[key], OBSERVATION_FIELDS):
            observations_changed.append({**_key_dict(OBSERVATION_KEY, key), "changes": changed})

    def failing(snapshot: Snapshot, check_id: str) -> bool:
        return snapshot.checks.get(check_id, {}).get("status") == "fail"

    newly_failing = [
        {k: new.checks[c][k] for k in ("check_id", "severity", "message")}
        for c in sorted(new.checks) if failing(new, c) and not failing(old, c)]
    fixed = [{k: old.checks[c][k] for k in ("check_id", "severity")}
             for c in sorted(old.checks) if failing(old, c) and c in new.checks
             and not failing(new, c)]
    return {
        "old": old.version.as_dict(),
        "new": new.version.as_dict(),
        "first_publication": old.indicators is None and new.indicators is not None,
        "indicators": {
            "added": [new_ind[k] for k in sorted(new_ind.keys() - old_ind.keys())],
            "removed": [old_ind[k] for k in sorted(old_ind.keys() - new_ind.keys())],
            "values_changed": values,
            "verdicts_changed": verdicts,
            "other_changed": others,
        },
        "observations": {
            "added": [new.observations[k]
                      for k in sorted(new.observations.keys() - old.observations.keys())],
            "removed": [old.observations[k]
                        for k in sorted(old.observations.keys() - new.observations.keys())],
            "changed": observations_changed,
        },
        "checks": {"newly_failing": newly_failing, "fixed": fixed},
        "sources": {
            "added": [{"source_id": s, "sha256": new.sources[s].get("sha256", "")}
                      for s in sorted(new.sources.keys() - old.sources.keys())],
            "removed": [{"source_id": s, "sha256": old.sources[s].get("sha256", "")}
                        for s in sorted(old.sources.keys() - new.sources.keys())],
            "changed": [{"source_id": s, "old_sha256": old.sources[s].get("sha256", ""),
                         "new_sha256": new.sources[s].get("sha256", "")}
                        for s in sorted(old.sources.keys() & new.sources.keys())
                        if old.sources[s].get("sha256") != new.sources[s].get("sha256")],
        },
    }


def is_empty(result: dict) -> bool:
    return not any(items for section in ("indicators", "observations", "checks", "sources")
                   for items in result[section].values())


# ---------------------------------------------------------------- Markdown


def _label(version: dict) -> str:
    if version["commit"]:
        return f"{version['commit'][:12]} ({version['subject']})"
    return version["label"]


def _indicator(row: dict) -> str:
    breakdown = f" [{row['breakdown']}]" if row.get("breakdown") else ""
    return f"`{row['indicator_id']}` {row['period']}{breakdown}"


def _figure(row: dict) -> str:
    return f"{_indicator(row)} in `{row['source_id']}`"


def _interval(row: dict) -> str:
    return f"[{row.get('lower') or '−∞'}, {row.get('upper') or '+∞'}]"


def _field_changes(changes: dict) -> str:
    return "; ".join(f"{name} {c['old'] or '(empty)'} → {c['new'] or '(empty)'}"
                     for name, c in changes.items())


def _section(lines: list[str], title: str, items: list, render: Callable[[dict], str],
             heading: str, limit: int | None = MAX_LISTED) -> None:
    if not items:
        return
    lines += ["", f"{heading} {title} ({len(items)})", ""]
    lines += [f"- {render(item)}" for item in items[:limit]]
    if limit is not None and len(items) > limit:
        lines.append(f"- … and {len(items) - limit} more (`greenaudit diff --json` "
                     f"lists them all)")


def to_markdown(result: dict, level: int = 3, title: bool = True,
                limit: int | None = MAX_LISTED) -> str:
    """The diff as Markdown: the title at heading `level`, its sections one level below,
    each listing at most `limit` items (None: all of them)."""
    heading = "#" * (level + 1)
    section = partial(_section, heading=heading, limit=limit)
    lines: list[str] = []
    if title:
        lines += [f"{'#' * level} Data changes: {_label(result['old'])} → "
                  f"{_label(result['new'])}", ""]
    ind, obs = result["indicators"], result["observations"]
    if is_empty(result):
        lines.append("No change in the published numbers, checks or sources.")
        return "\n".join(lines) + "\n"
    counts = [(len(ind["added"]), "indicator(s) added"), (len(ind["removed"]), "removed"),
              (len(ind["values_changed"]), "value(s) or interval(s) changed"),
              (len(ind["verdicts_changed"]), "verdict(s) changed"),
              (len(obs["added"]) + len(obs["removed"]) + len(obs["changed"]),
               "figure(s) added, removed or changed"),
              (len(result["checks"]["newly_failing"]), "check(s) newly failing"),
              (len(result["checks"]["fixed"]), "fixed"),
              (sum(len(v) for v in result["sources"].values()), "source(s) added, removed "
               "or changed")]
    lines.append(", ".join(f"{n} {what}" for n, what in counts if n) + ".")
    if result["first_publication"]:
        lines += ["", f"First publication: {len(ind['added'])} indicators from "
                  f"{len(obs['added'])} figures."]
        return "\n".join(lines) + "\n"

    def whole(row: dict) -> str:
        return (f"{_indicator(row)} = {row['value']} {row['unit_canonical']} {_interval(row)}, "
                f"{row['agreement']} ({row['sources']})")

    section(lines, "Indicators added", ind["added"], whole)
    section(lines, "Indicators removed", ind["removed"], whole)
    section(lines, "Values and intervals changed", ind["values_changed"],
            lambda r: f"{_indicator(r)}: {_field_changes(r['changes'])}")
    section(lines, "Verdicts changed", ind["verdicts_changed"],
            lambda r: f"{_indicator(r)}: {r['old']} → {r['new']} ({r['sources']})")
    section(lines, "Indicators' sources and flags changed", ind["other_changed"],
            lambda r: f"{_indicator(r)}: {_field_changes(r['changes'])}")
    section(lines, "Figures added", obs["added"],
            lambda r: f"{_figure(r)}: {r['quantity']} (row {r['row_number']})")
    section(lines, "Figures removed", obs["removed"],
            lambda r: f"{_figure(r)}: {r['quantity']} (row {r['row_number']})")
    section(lines, "Figures changed", obs["changed"],
            lambda r: f"{_figure(r)}: {_field_changes(r['changes'])}")
    section(lines, "Checks newly failing", result["checks"]["newly_failing"],
            lambda r: f"`{r['check_id']}` ({r['severity']}): {r['message']}")
    section(lines, "Checks fixed", result["checks"]["fixed"],
            lambda r: f"`{r['check_id']}` ({r['severity']})")
    src = result["sources"]
    section(lines, "Sources added", src["added"],
            lambda r: f"`{r['source_id']}` (sha256 {r['sha256'][:12]})")
    section(lines, "Sources removed", src["removed"],
            lambda r: f"`{r['source_id']}`")
    section(lines, "Sources changed", src["changed"],
            lambda r: f"`{r['source_id']}`: sha256 {r['old_sha256'][:12]} → "
                      f"{r['new_sha256'][:12]}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- CHANGES.md

CHANGES_HEADER = """# Changes to the published data

Newest first. Each entry lists what changed in the published tables of
`results/audit/` (and in the source manifest) since the version before, under the
subject of the commit that changed them. Entries are written by
`greenaudit diff --append OLD NEW`.
"""


def _marker(result: dict) -> str:
    old = result["old"]["commit"] or result["old"]["label"]
    new = result["new"]["commit"] or result["new"]["label"]
    return f"<!-- greenaudit diff {old}..{new} -->"


def changes_entry(result: dict) -> str:
    new, old = result["new"], result["old"]
    if new["commit"]:
        heading = f"## {new['subject']}"
        origin = f"Commit {new['commit'][:12]} ({new['date']})"
    else:
        heading = f"## {WORKING_TREE}"
        origin = "Uncommitted tables"
    since = f"compared with {old['commit'][:12]}" if old["commit"] else f"compared with {old['label']}"
    return (f"{heading}\n\n{_marker(result)}\n{origin}, {since}.\n\n"
            f"{to_markdown(result, level=2, title=False, limit=None)}")


_ENTRY = re.compile(r"^## ", re.MULTILINE)


def append_changes(path: Path, result: dict) -> bool:
    """Put the entry for `result` first in CHANGES.md (replacing an entry for the same
    two versions). False, and nothing written, when nothing changed."""
    from greenaudit.audit.publish import write_atomic

    if is_empty(result):
        return False
    text = _read_file(path) or CHANGES_HEADER
    starts = [m.start() for m in _ENTRY.finditer(text)]
    header = text[:starts[0]] if starts else text
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    entries = [text[a:b].rstrip("\n") + "\n" for a, b in bounds]
    marker = _marker(result)
    entries = [e for e in entries if marker not in e]
    body = "\n".join([changes_entry(result)] + entries)
    write_atomic(path, header.rstrip("\n") + "\n\n" + body)
    return True
