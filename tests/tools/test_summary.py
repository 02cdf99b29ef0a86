"""`greenaudit summary`: the CI job summary of a rebuild."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from greenaudit.checks import CHECK_COLUMNS
from greenaudit.cli import main
from greenaudit.workspace.manifest import MANIFEST_COLUMNS
from greenaudit.audit.publish import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, to_csv
from greenaudit.tools.summary import summary

INDICATORS = [
    ("alpha", "2022", "", "15.5", "percent", "15.45", "15.55", 2, "s1;s2", "agree", "", "s1"),
    ("beta", "2022", "", "28.2", "percent", "28.15", "28.25", 2, "s1;s2",
     "agree_within_rounding", "", "s2"),
    ("gamma", "2021", "", "3", "percent", "2.5", "3.5", 1, "s1", "single_source", "", "s1"),
]
CHECKS = [
    ("evidence.s1", "evidence", "error", "pass", "t", 3, 0, "ok"),
    ("evidence.s2", "evidence", "error", "fail", "t", 2, 1, "quote not found"),
    ("range.plausible.s1", "range", "warning", "fail", "t", 3, 1, "implausible"),
    ("range.plausible.s2", "range", "warning", "pass", "t", 2, 0, "ok"),
]
SOURCES = [("s1", "raw/sources/s1.txt", "a" * 64, "t", "p", "2023", "Hans", "news_report"),
           ("s2", "raw/sources/s2.txt", "b" * 64, "t", "p", "2023", "Hans", "news_report")]


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _tables(directory: Path, indicators) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "indicators.csv").write_text(to_csv(INDICATOR_COLUMNS, indicators),
                                              encoding="utf-8")
    (directory / "observations.csv").write_text(to_csv(OBSERVATION_COLUMNS, []), encoding="utf-8")
    (directory / "checks.csv").write_text(to_csv(CHECK_COLUMNS, CHECKS), encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A published version in git, and a rebuild whose gamma value differs and cannot publish."""
    repo = tmp_path / "ws"
    (repo / "raw").mkdir(parents=True)
    (repo / "raw" / "sources.csv").write_text(to_csv(MANIFEST_COLUMNS, SOURCES), encoding="utf-8")
    _tables(repo / "results" / "audit", INDICATORS)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Published")
    rebuilt = [*INDICATORS[:2], ("gamma", "2021", "", "4", "percent", "3.5", "4.5", 1, "s1",
                                 "single_source", "", "s1")]
    validation = repo / "results" / "validation"
    _tables(validation / "audit", rebuilt)
    (validation / "status.json").write_text(json.dumps({
        "publishable": False, "counts": {},
        "errors": [{"check_id": "evidence.s2", "message": "quote not found"}],
        "warnings": []}), encoding="utf-8")
    return repo


def test_summary_counts_and_diff(workspace):
    text = summary(workspace, workspace / "results" / "validation")
    lines = text.splitlines()
    assert lines[0] == "## greenaudit audit"
    assert "**Not publishable**: 1 error(s); `results/audit/` was left as it was." in lines
    assert "- `evidence.s2`: quote not found" in lines
    assert "| error | 1 | 1 |" in lines
    assert "| warning | 1 | 1 |" in lines
    assert "| info | 0 | 0 |" in lines
    for verdict in ("| agree | 1 |", "| agree_within_rounding | 1 |", "| conflict | 0 |",
                    "| single_source | 1 |", "| total | 3 |"):
        assert verdict in lines
    # The rebuild is compared with the last published commit, whether it published or not.
    assert any(line.startswith("### Data changes: ") and line.endswith("(Published) → this rebuild")
               for line in lines)
    assert "- `gamma` 2021: value 3 → 4; lower 2.5 → 3.5; upper 3.5 → 4.5" in lines


def test_summary_falls_back_when_the_old_revision_is_unknown(workspace, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    assert main(["summary", "--old", "0" * 40]) == 0
    text = capsys.readouterr().out
    assert f"'{'0' * 40}' is not a commit" in text
    assert "compared with the last published version instead" in text
    assert "- `gamma` 2021: value 3 → 4; lower 2.5 → 3.5; upper 3.5 → 4.5" in text


def test_summary_without_a_rebuild(tmp_path):
    text = summary(tmp_path, tmp_path / "results" / "validation")
    assert "The rebuild stopped before assembling the audit" in text
