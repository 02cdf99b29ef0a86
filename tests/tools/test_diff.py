"""`greenaudit diff` on real git history built in a temporary repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from greenaudit.tools import diff as datadiff
from greenaudit.checks import CHECK_COLUMNS
from greenaudit.cli import main
from greenaudit.workspace.manifest import MANIFEST_COLUMNS
from greenaudit.audit.publish import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, to_csv

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def _indicator(indicator_id, period, value, lower, upper, agreement="single_source",
               sources="s1", breakdown=""):
    n = str(len(sources.split(";")))
    return (indicator_id, period, breakdown, value, "percent", lower, upper, n, sources,
            agreement, "", sources.split(";")[0])


def _observation(source_id, row, indicator_id, period, quantity, value, lower, upper):
    return (source_id, row, indicator_id, period, "", quantity, value, "%", "exact", value,
            "percent", lower, upper, f"quote {quantity}", "verified", 0, 9, 6, 9, "", "")


def _check(check_id, status, severity="error"):
    return (check_id, "evidence", severity, status, "t", 1, int(status == "fail"),
            f"{check_id} {status}")


def _source(source_id, sha):
    return (source_id, f"raw/sources/{source_id}.txt", sha, "title", "publisher", "2023",
            "Hans", "news_report")


def _write(repo: Path, indicators, observations, checks, sources) -> None:
    audit = repo / "results" / "audit"
    audit.mkdir(parents=True, exist_ok=True)
    (audit / "indicators.csv").write_text(to_csv(INDICATOR_COLUMNS, indicators), encoding="utf-8")
    (audit / "observations.csv").write_text(to_csv(OBSERVATION_COLUMNS, observations),
                                            encoding="utf-8")
    (audit / "checks.csv").write_text(to_csv(CHECK_COLUMNS, checks), encoding="utf-8")
    (repo / "raw").mkdir(exist_ok=True)
    (repo / "raw" / "sources.csv").write_text(to_csv(MANIFEST_COLUMNS, sources), encoding="utf-8")


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org",
           "GIT_AUTHOR_DATE": "2024-05-06T10:00:00Z", "GIT_COMMITTER_DATE": "2024-05-06T10:00:00Z"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _commit(repo: Path, subject: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", subject)
    return _git(repo, "rev-parse", "HEAD")


OLD_INDICATORS = [
    _indicator("alpha", "2022", "15.5", "15.45", "15.55"),
    _indicator("beta", "2022", "28", "27.5", "28.5", "agree", "s1;s2"),
    _indicator("gamma", "2021", "3", "2.5", "3.5"),
]
OLD_OBSERVATIONS = [
    _observation("s1", 2, "alpha", "2022", "15.5%", "15.5", "15.45", "15.55"),
    _observation("s1", 3, "beta", "2022", "28%", "28", "27.5", "28.5"),
    _observation("s2", 2, "beta", "2022", "28.2%", "28.2", "28.15", "28.25"),
    _observation("s1", 4, "gamma", "2021", "3%", "3", "2.5", "3.5"),
]
OLD_CHECKS = [_check("evidence.s1", "pass"), _check("evidence.s2", "pass"),
              _check("range.plausible.s1", "fail", "warning")]
OLD_SOURCES = [_source("s1", SHA_A), _source("s2", SHA_B)]

# The second version: alpha's figure is corrected, s2's document changes and now
# conflicts on beta, gamma is dropped, delta (from a new source s3) is added, a check
# starts failing and another is fixed.
NEW_INDICATORS = [
    _indicator("alpha", "2022", "16.5", "16.45", "16.55"),
    _indicator("beta", "2022", "28", "27.5", "28.5", "conflict", "s1;s2"),
    _indicator("delta", "2023", "40", "40", "", sources="s3"),
]
NEW_OBSERVATIONS = [
    _observation("s1", 2, "alpha", "2022", "16.5%", "16.5", "16.45", "16.55"),
    _observation("s1", 3, "beta", "2022", "28%", "28", "27.5", "28.5"),
    _observation("s2", 2, "beta", "2022", "29.2%", "29.2", "29.15", "29.25"),
    _observation("s3", 2, "delta", "2023", "超过40%", "40", "40", ""),
]
NEW_CHECKS = [_check("evidence.s1", "pass"), _check("evidence.s2", "fail"),
              _check("range.plausible.s1", "pass", "warning"), _check("evidence.s3", "pass")]
NEW_SOURCES = [_source("s1", SHA_A), _source("s2", SHA_C), _source("s3", SHA_A)]


@pytest.fixture
def history(tmp_path: Path) -> dict:
    """A repository with two published versions, then a commit that leaves results/ alone."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _write(repo, OLD_INDICATORS, OLD_OBSERVATIONS, OLD_CHECKS, OLD_SOURCES)
    old = _commit(repo, "First published tables")
    _write(repo, NEW_INDICATORS, NEW_OBSERVATIONS, NEW_CHECKS, NEW_SOURCES)
    new = _commit(repo, "Correct alpha; s2 revised; add s3")
    (repo / "README.md").write_text("docs only\n", encoding="utf-8")
    _commit(repo, "Documentation only")
    return {"repo": repo, "old": old, "new": new}


def test_diff_reports_exactly_the_changes(history):
    repo = history["repo"]
    result = datadiff.diff(datadiff.snapshot_at(repo, history["old"]),
                           datadiff.snapshot_at(repo, history["new"]))
    assert result["old"] == {"label": history["old"][:12], "commit": history["old"],
                             "subject": "First published tables", "date": "2024-05-06"}
    assert result["new"]["subject"] == "Correct alpha; s2 revised; add s3"
    assert result["first_publication"] is False
    ind = result["indicators"]
    assert [(r["indicator_id"], r["value"]) for r in ind["added"]] == [("delta", "40")]
    assert [(r["indicator_id"], r["value"]) for r in ind["removed"]] == [("gamma", "3")]
    assert ind["values_changed"] == [{
        "indicator_id": "alpha", "period": "2022", "breakdown": "",
        "changes": {"value": {"old": "15.5", "new": "16.5"},
                    "lower": {"old": "15.45", "new": "16.45"},
                    "upper": {"old": "15.55", "new": "16.55"}}}]
    assert ind["verdicts_changed"] == [{"indicator_id": "beta", "period": "2022",
                                        "breakdown": "", "old": "agree", "new": "conflict",
                                        "sources": "s1;s2"}]
    assert ind["other_changed"] == []
    obs = result["observations"]
    assert [(r["source_id"], r["indicator_id"]) for r in obs["added"]] == [("s3", "delta")]
    assert [(r["source_id"], r["indicator_id"]) for r in obs["removed"]] == [("s1", "gamma")]
    assert [(r["source_id"], r["indicator_id"], sorted(r["changes"])) for r in obs["changed"]] == [
        ("s1", "alpha", ["lower", "quantity", "upper", "value", "value_canonical"]),
        ("s2", "beta", ["lower", "quantity", "upper", "value", "value_canonical"])]
    assert obs["changed"][1]["changes"]["quantity"] == {"old": "28.2%", "new": "29.2%"}
    assert result["checks"] == {
        "newly_failing": [{"check_id": "evidence.s2", "severity": "error",
                           "message": "evidence.s2 fail"}],
        "fixed": [{"check_id": "range.plausible.s1", "severity": "warning"}]}
    assert result["sources"] == {
        "added": [{"source_id": "s3", "sha256": SHA_A}], "removed": [],
        "changed": [{"source_id": "s2", "old_sha256": SHA_B, "new_sha256": SHA_C}]}


def test_markdown_names_each_change(history):
    repo = history["repo"]
    result = datadiff.diff(datadiff.snapshot_at(repo, history["old"]),
                           datadiff.snapshot_at(repo, history["new"]))
    text = datadiff.to_markdown(result)
    assert text.startswith(f"### Data changes: {history['old'][:12]} (First published tables) → "
                           f"{history['new'][:12]} (Correct alpha; s2 revised; add s3)\n")
    for line in (
        "1 indicator(s) added, 1 removed, 1 value(s) or interval(s) changed, 1 verdict(s) "
        "changed, 4 figure(s) added, removed or changed, 1 check(s) newly failing, 1 fixed, "
        "2 source(s) added, removed or changed.",
        "#### Values and intervals changed (1)",
        "- `alpha` 2022: value 15.5 → 16.5; lower 15.45 → 16.45; upper 15.55 → 16.55",
        "- `beta` 2022: agree → conflict (s1;s2)",
        "- `delta` 2023 = 40 percent [40, +∞], single_source (s3)",
        "- `gamma` 2021 = 3 percent [2.5, 3.5], single_source (s1)",
        "- `beta` 2022 in `s2`: quantity 28.2% → 29.2%; value 28.2 → 29.2; value_canonical "
        "28.2 → 29.2; lower 28.15 → 29.15; upper 28.25 → 29.25",
        "- `evidence.s2` (error): evidence.s2 fail",
        "- `range.plausible.s1` (warning)",
        "- `s2`: sha256 bbbbbbbbbbbb → cccccccccccc",
    ):
        assert line in text.splitlines(), line


def test_default_old_is_the_last_commit_that_changed_results_audit(history):
    repo = history["repo"]
    assert datadiff.last_published(repo).commit == history["new"]
    clean = datadiff.diff(datadiff.snapshot_at(repo, datadiff.last_published(repo).commit),
                          datadiff.snapshot_at(repo, None))
    assert datadiff.is_empty(clean)
    assert clean["new"]["label"] == "working tree"
    # An uncommitted edit of the working tree is what the default diff shows.
    table = repo / "results" / "audit" / "indicators.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("16.5,percent", "17.5,percent"),
                     encoding="utf-8")
    edited = datadiff.diff(datadiff.snapshot_at(repo, datadiff.last_published(repo).commit),
                           datadiff.snapshot_at(repo, None))
    assert edited["indicators"]["values_changed"] == [{
        "indicator_id": "alpha", "period": "2022", "breakdown": "",
        "changes": {"value": {"old": "16.5", "new": "17.5"}}}]
    assert datadiff.is_empty({**edited, "indicators": {k: [] for k in edited["indicators"]}})


def test_cli_markdown_and_json(history, capsys, monkeypatch):
    monkeypatch.chdir(history["repo"])
    assert main(["diff", history["old"], history["new"], "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["indicators"]["verdicts_changed"][0]["new"] == "conflict"
    assert main(["diff"]) == 0
    assert "No change in the published numbers, checks or sources." in capsys.readouterr().out
    assert main(["diff", "no-such-ref"]) == 2
    assert "'no-such-ref' is not a commit" in capsys.readouterr().err


def test_first_publication_is_summarised(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "raw").mkdir()
    (repo / "raw" / "sources.csv").write_text(to_csv(MANIFEST_COLUMNS, OLD_SOURCES),
                                              encoding="utf-8")
    before = _commit(repo, "Sources only")
    _write(repo, OLD_INDICATORS, OLD_OBSERVATIONS, OLD_CHECKS, OLD_SOURCES)
    after = _commit(repo, "First tables")
    result = datadiff.diff(datadiff.snapshot_at(repo, before), datadiff.snapshot_at(repo, after))
    assert result["first_publication"] is True
    assert len(result["indicators"]["added"]) == 3
    assert "First publication: 3 indicators from 4 figures." in datadiff.to_markdown(result)


def test_append_writes_one_entry_per_version_newest_first(history, monkeypatch, capsys):
    repo = history["repo"]
    monkeypatch.chdir(repo)
    changes = repo / "results" / "audit" / "CHANGES.md"
    assert main(["diff", "--append"]) == 0  # nothing changed: no file
    assert not changes.exists()
    assert main(["diff", history["old"], history["new"], "--append"]) == 0
    first = changes.read_text(encoding="utf-8")
    assert first.startswith("# Changes to the published data\n")
    assert "\n## Correct alpha; s2 revised; add s3\n" in first
    assert f"Commit {history['new'][:12]} (2024-05-06), compared with {history['old'][:12]}." in first
    assert "### Verdicts changed (1)" in first
    assert main(["diff", history["old"], history["new"], "--append"]) == 0
    assert changes.read_text(encoding="utf-8") == first  # same versions: replaced, not repeated
    # A later version goes first.
    table = repo / "results" / "audit" / "indicators.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("16.5,percent", "17.5,percent"),
                     encoding="utf-8")
    third = _commit(repo, "Correct alpha again")
    assert main(["diff", history["new"], third, "--append"]) == 0
    text = changes.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Correct alpha again", "## Correct alpha; s2 revised; add s3"]
    assert text.endswith(first.split("\n## ", 1)[1])
    capsys.readouterr()
