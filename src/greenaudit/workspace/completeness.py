"""Checks over the workspace as a whole: every file accounted for in the manifest."""

from __future__ import annotations

from pathlib import Path

from greenaudit.checks import Check, outcome
from greenaudit.stage.coverage import IGNORED_FILE, read_ignored
from greenaudit.errors import GreenauditError
from greenaudit.workspace.manifest import Source
from greenaudit.suggest import did_you_mean


def workspace_checks(workspace: Path, sources: dict[str, Source]) -> list[Check]:
    listed = set(sources)
    texts = sorted((workspace / "raw" / "sources").glob("*.txt"))
    tables = sorted((workspace / "raw" / "tables").glob("*.csv"))
    unlisted_texts = [f"raw/sources/{p.name}: no row in raw/sources.csv; expected a manifest "
                      f"row with its sha256" for p in texts if p.stem not in listed]
    unlisted_tables = [f"raw/tables/{p.name}: no source {p.stem} in raw/sources.csv"
                       f"{did_you_mean(p.stem, listed)}" for p in tables if p.stem not in listed]
    # Rows of the other sources are checked when each source is staged; here only
    # the rows that no staging job would look at.
    try:
        ignored = read_ignored(workspace)
        unlisted_ignored = [f"{IGNORED_FILE}:{row.line}: source_id {row.source_id!r} is not in "
                            f"raw/sources.csv{did_you_mean(row.source_id, listed)}"
                            for row in ignored if row.source_id not in listed]
    except GreenauditError as exc:
        ignored, unlisted_ignored = [], [exc.located()]
    return [
        outcome("manifest.files_listed", "manifest", "error", "raw/sources", len(texts),
                unlisted_texts, "every source file has a manifest row"),
        outcome("manifest.tables_listed", "manifest", "error", "raw/tables", len(tables),
                unlisted_tables, "every transcription table belongs to a listed source"),
        outcome("coverage.ignored_sources", "coverage", "error", IGNORED_FILE, len(ignored),
                unlisted_ignored, f"every row of {IGNORED_FILE} names a listed source"),
    ]
