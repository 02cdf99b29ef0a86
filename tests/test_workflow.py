"""End-to-end: the workflow on a copy of the repository, and what one changed input does."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_support import SEED_AUDIT, SEEDS, copy_workspace

from greenaudit.audit.publish import AUDIT_FILES

COPIED = ("Snakefile", "config", "workflow", "raw", "schemas")
AUDIT = AUDIT_FILES

pytestmark = pytest.mark.slow


def _run(workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "--cores", "4", "--quiet", "all"], cwd=workdir,
                          capture_output=True, text=True, timeout=600)


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())
            if p.is_file()}


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def built(built_workspace: Path) -> Path:
    """The seeds built once for the run (conftest.py), for the tests that only read it."""
    return built_workspace


def test_rebuild_reproduces_committed_tables(built: Path) -> None:
    for name in AUDIT:
        produced = (built / "results" / "audit" / name).read_bytes()
        committed = (SEED_AUDIT / name).read_bytes()
        assert produced == committed, f"{name} differs from the committed table"


def test_fresh_rebuild_is_a_valid_data_package(built: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate",
                             str(built / "results" / "audit" / "datapackage.json")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_headline_agreements(built: Path) -> None:
    rows = {(r["indicator_id"], r["period"], r["breakdown"]): r
            for r in _rows(built / "results" / "audit" / "indicators.csv")}
    hi_tech = rows[("hi_tech_mfg_share", "2022", "")]
    assert (hi_tech["value"], hi_tech["agreement"]) == ("15.5", "agree")
    assert hi_tech["sources"] == "000_451eeb3f8d9b8ea0;003_1a3b190ec270dc4e;004_2e0697a374659b7e"
    equipment = rows[("equip_mfg_share", "2022", "")]
    assert (equipment["value"], equipment["agreement"]) == ("31.8", "agree")
    assert equipment["sources"] == hi_tech["sources"]
    assert rows[("equip_mfg_share", "2012", "")]["agreement"] == "agree_within_rounding"
    target = rows[("green_factory_output_share_target", "2030", "")]
    assert target["sources"] == "001_b7300798bfbf6ce6;002_07a3eed86aa5b575"
    assert target["agreement"] == "agree"


def test_every_observation_is_verified_and_implausible_value_flagged(built: Path) -> None:
    observations = _rows(built / "results" / "audit" / "observations.csv")
    assert len(observations) >= 170
    transcribed = [r for r in observations if not r["source_id"].startswith("derived:")]
    assert {r["evidence"] for r in transcribed} == {"verified"}
    flagged = [r for r in observations if "implausible" in r["flags"].split(";")]
    assert [(r["source_id"], r["quantity"]) for r in flagged] == [("004_2e0697a374659b7e", "380千瓦时")]
    checks = _rows(built / "results" / "audit" / "checks.csv")
    assert not [c for c in checks if c["status"] == "fail" and c["severity"] == "error"]
    assert {c["kind"] for c in checks} >= {"evidence", "pandera", "gx", "agreement", "manifest"}


def test_rules_pass_and_derived_rows_are_published(built: Path) -> None:
    audit = built / "results" / "audit"
    checks = {c["check_id"]: c for c in _rows(audit / "checks.csv")}
    rule_checks = [c for c in checks.values() if c["check_id"].startswith("rule.")]
    assert len(rule_checks) >= 12
    assert all(c["status"] == "pass" for c in rule_checks), [
        c["message"] for c in rule_checks if c["status"] != "pass"]
    assert {c["kind"] for c in rule_checks} == {"derived", "plausibility"}
    indicators = {(r["indicator_id"], r["period"], r["breakdown"]): r
                  for r in _rows(audit / "indicators.csv")}
    digital = indicators[("digital_rd_tool_penetration", "2012", "")]
    assert (digital["sources"], digital["agreement"], digital["value"]) == (
        "derived:digital_rd_tool_penetration_2012", "derived", "48.8")
    equipment = indicators[("equip_mfg_share", "2012", "")]
    assert equipment["sources"] == ("003_1a3b190ec270dc4e;004_2e0697a374659b7e;"
                                    "derived:equip_mfg_share_2012")
    assert equipment["value_source"] == "004_2e0697a374659b7e"
    derived = [r for r in _rows(audit / "observations.csv") if r["source_id"].startswith("derived:")]
    assert derived and all(r["evidence"] == "derived" and "derived" in r["flags"].split(";")
                           for r in derived)


def test_implausible_slide_value_is_flagged_and_the_build_succeeds(built: Path) -> None:
    audit = built / "results" / "audit"
    check = next(c for c in _rows(audit / "checks.csv")
                 if c["check_id"] == "range.plausible.004_2e0697a374659b7e")
    assert (check["kind"], check["severity"], check["status"]) == (
        "plausibility", "warning", "fail")
    assert "residential_electricity_per_capita 2021 = 380千瓦时" in check["message"]
    finding = [f for f in _rows(audit / "findings.csv") if f["check_id"] == check["check_id"]]
    assert [(f["indicator_id"], f["breakdown"]) for f in finding] == [
        ("residential_electricity_per_capita", "country=us")]


def test_coverage_has_no_missing_mention_and_every_ignored_one_a_reason(built: Path) -> None:
    coverage = _rows(built / "results" / "audit" / "coverage.csv")
    assert list(coverage[0]) == ["source_id", "start", "end", "mention", "status", "reason"]
    assert {r["status"] for r in coverage} == {"transcribed", "ignored"}
    assert all(r["reason"] for r in coverage)
    assert {r["source_id"] for r in coverage} == {p.stem for p in (SEEDS / "raw" / "sources").glob("*.txt")}
    grant = [r for r in coverage if r["mention"] == "71803191"]
    assert [(r["status"], r["reason"]) for r in grant] == [
        ("ignored", "grant number (National Natural Science Foundation of China project)")]
    source = (built / "raw" / "sources" / "003_1a3b190ec270dc4e.txt").read_text(encoding="utf-8")
    assert source[int(grant[0]["start"]):int(grant[0]["end"])] == "71803191"


def test_noop_rerun_does_nothing(built: Path, tmp_path: Path) -> None:
    # A copy with Snakemake's records (.snakemake/), so that a changed parameter, rule
    # or input set would show as well as a changed file.
    workdir = tmp_path / "ws"
    shutil.copytree(built, workdir, symlinks=True)
    result = subprocess.run(["snakemake", "--cores", "4", "--dry-run", "--quiet", "all"],
                            cwd=workdir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def _failing_copy(built: Path, tmp: Path) -> Path:
    """A workspace with a published audit, ready for one input to be broken."""
    return copy_workspace(built, tmp / "ws")


def _restate(workdir: Path, source_id: str, document: dict[str, str],
             table: dict[str, str]) -> tuple[str, str]:
    """Edit a source document and its transcription alike ({old: new}: every occurrence;
    in the document, the old text must occur once) and re-pin the document's checksum,
    so that only the checks downstream of evidence can object. Returns the old and new
    SHA-256."""
    source = workdir / "raw" / "sources" / f"{source_id}.txt"
    tables = workdir / "raw" / "tables" / f"{source_id}.csv"
    original = source.read_bytes()
    for path, edits in ((source, document), (tables, table)):
        text = path.read_text(encoding="utf-8")
        for old, new in edits.items():
            assert text.count(old) == 1 if path == source else old in text, (path.name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    old_sha = hashlib.sha256(original).hexdigest()
    new_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    manifest = workdir / "raw" / "sources.csv"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old_sha, new_sha),
                        encoding="utf-8")
    return old_sha, new_sha


def test_changed_value_is_a_conflict_and_nothing_is_published(built: Path, tmp_path: Path) -> None:
    workdir = _failing_copy(built, tmp_path)
    before = _digests(workdir / "results" / "audit")
    database = hashlib.sha256((workdir / "results" / "greenaudit.duckdb").read_bytes()).hexdigest()
    # The slide's 2022 equipment share changed in the document and its transcription
    # alike, so that only the cross-source comparison can object.
    _restate(workdir, "004_2e0697a374659b7e", {"31.8%": "33.8%"}, {"31.8%": "33.8%"})

    result = _run(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # The changed row, located, with what the others say and what would resolve it.
    slide = (workdir / "raw" / "tables" / "004_2e0697a374659b7e.csv").read_text(encoding="utf-8")
    row = next(i for i, text in enumerate(slide.splitlines(), 1)
               if text.startswith("equip_mfg_share,2022,"))
    [shown] = [text for text in output.splitlines() if "agreement.conflicts_declared" in text]
    assert shown.startswith(f"  error: agreement.conflicts_declared: raw/tables/"
                            f"004_2e0697a374659b7e.csv:{row}: equip_mfg_share 2022 = 33.8% is "
                            f"outside the range that 2 of 3 statements agree on (")
    assert "raw/tables/000_451eeb3f8d9b8ea0.csv:5 says 31.8%" in shown
    assert shown.endswith("expected agreement or a declaration in schemas/known_discrepancies.yaml")
    assert _digests(workdir / "results" / "audit") == before
    assert hashlib.sha256((workdir / "results" / "greenaudit.duckdb").read_bytes()).hexdigest() == database
    checks = _rows(workdir / "results" / "validation" / "audit" / "checks.csv")
    conflict = next(c for c in checks if c["check_id"] == "agreement.conflicts_declared")
    assert (conflict["status"], conflict["n_failed"]) == ("fail", "1")
    findings = _rows(workdir / "results" / "validation" / "audit" / "findings.csv")
    disputed = {(f["source_id"], f["indicator_id"], f["period"]) for f in findings
                if f["check_id"] == "agreement.conflicts_declared"}
    # 000 and 003 still agree on 31.8%: only the changed slide is named.
    assert disputed == {("004_2e0697a374659b7e", "equip_mfg_share", "2022")}
    # The report is written before the gate, so the failing run explains itself.
    report = (workdir / "results" / "report" / "index.html").read_text(encoding="utf-8")
    assert 'data-publishable="false"' in report
    assert 'id="fail-agreement.conflicts_declared"' in report


def _git(workdir: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}
    return subprocess.run(["git", *args], cwd=workdir, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _greenaudit(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["greenaudit", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=120)


def test_edited_figure_is_exactly_what_diff_reports(built: Path, tmp_path: Path) -> None:
    workdir = _failing_copy(built, tmp_path)
    _git(workdir, "init", "-q")
    _git(workdir, "add", *COPIED, "results/audit")
    _git(workdir, "commit", "-q", "-m", "Published seeds")
    # A single-source figure no rule reads: the 196 national green data centres of 2022,
    # stated once in the slide deck. Edit the document and its transcription alike and
    # re-pin the checksum, so that the audit still passes and publishes.
    sid = "004_2e0697a374659b7e"
    old_sha, new_sha = _restate(workdir, sid, {"196": "197"},
                                {"196家": "197家", "196 家": "197 家"})

    result = _run(workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shown = _greenaudit(workdir, "diff", "--json")
    assert shown.returncode == 0, shown.stderr
    diff = json.loads(shown.stdout)
    assert diff["indicators"] == {
        "added": [], "removed": [], "verdicts_changed": [], "other_changed": [],
        "values_changed": [{"indicator_id": "green_data_centres", "period": "2022",
                            "breakdown": "", "changes": {
                                "value": {"old": "196", "new": "197"},
                                "lower": {"old": "195.5", "new": "196.5"},
                                "upper": {"old": "196.5", "new": "197.5"}}}]}
    [changed] = diff["observations"]["changed"]
    assert (diff["observations"]["added"], diff["observations"]["removed"]) == ([], [])
    assert (changed["source_id"], changed["indicator_id"], changed["period"]) == (
        sid, "green_data_centres", "2022")
    assert {k: v for k, v in changed["changes"].items() if k != "quote"} == {
        "quantity": {"old": "196家", "new": "197家"},
        "value": {"old": "196", "new": "197"},
        "value_canonical": {"old": "196", "new": "197"},
        "lower": {"old": "195.5", "new": "196.5"},
        "upper": {"old": "196.5", "new": "197.5"}}
    assert diff["checks"] == {"newly_failing": [], "fixed": []}
    assert diff["sources"] == {"added": [], "removed": [], "changed": [{
        "source_id": sid, "old_sha256": old_sha, "new_sha256": new_sha}]}

    # Committed, the change becomes an entry of CHANGES.md under the commit's subject.
    _git(workdir, "add", *COPIED, "results/audit")
    _git(workdir, "commit", "-q", "-m", "Correct the 2022 count of green data centres")
    appended = _greenaudit(workdir, "diff", "--append", "HEAD~1", "HEAD")
    assert appended.returncode == 0, appended.stderr
    changes = (workdir / "results" / "audit" / "CHANGES.md").read_text(encoding="utf-8")
    assert "\n## Correct the 2022 count of green data centres\n" in changes
    assert ("- `green_data_centres` 2022: value 196 → 197; lower 195.5 → 196.5; "
            "upper 196.5 → 197.5") in changes.splitlines()


def test_changed_rise_fails_the_derived_identity(built: Path, tmp_path: Path) -> None:
    """000's 6.1-point rise of the high-tech share read as 6.3, in the document, its table
    and its checksum alike, so that only the rule can object."""
    workdir = _failing_copy(built, tmp_path)
    before = _digests(workdir / "results" / "audit")
    _restate(workdir, "000_451eeb3f8d9b8ea0", {"6.1和3.6": "6.3和3.6"},
             {"hi_tech_mfg_share_change,2012-2022,6.1,": "hi_tech_mfg_share_change,2012-2022,6.3,",
              "6.1和3.6": "6.3和3.6"})

    result = _run(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "rule.hi_tech_mfg_share_2012" in output
    checks = {c["check_id"]: c for c in _rows(workdir / "results" / "validation" / "audit" /
                                               "checks.csv")}
    rule = checks["rule.hi_tech_mfg_share_2012"]
    assert (rule["status"], rule["severity"], rule["kind"]) == ("fail", "error", "derived")
    # Both sides, with their intervals: what 003/004 state and what 000 now implies.
    assert "hi_tech_mfg_share@2012 = [9.35, 9.45] percent == " in rule["message"]
    assert "hi_tech_mfg_share_change@2012-2022 = [9.1, 9.3] percent: violated" in rule["message"]
    assert rule["message"] in output
    # Nothing else objects but the rules and the comparison the derived value joins.
    errors = {c["check_id"] for c in checks.values()
              if c["status"] == "fail" and c["severity"] == "error"}
    # GX judges the same comparison and the derived identity, each as its expectation.
    assert errors == {"rule.hi_tech_mfg_share_2012", "agreement.conflicts_declared",
                      "gx.agreement.hi_tech_mfg_share@2012", "gx.identity.hi_tech_mfg_share_2012"}
    assert checks["rule.hi_tech_mfg_share_rises"]["status"] == "pass"
    assert _digests(workdir / "results" / "audit") == before


def test_changed_quote_character_and_quantity_digit_fail_naming_source_and_row(
        built: Path, tmp_path: Path) -> None:
    workdir = _failing_copy(built, tmp_path)
    before = _digests(workdir / "results" / "audit")
    paper = workdir / "raw" / "tables" / "000_451eeb3f8d9b8ea0.csv"
    text = paper.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("green_loans_outstanding"))
    paper.write_text(text.replace("本外币绿色贷款余额达22.03万亿元，绿色债券", "本外币绿色贷款余额为22.03万亿元，绿色债券", 1),
                     encoding="utf-8")
    deck = workdir / "raw" / "tables" / "004_2e0697a374659b7e.csv"
    rows = deck.read_text(encoding="utf-8")
    deck_line = next(i for i, row in enumerate(rows.splitlines(), 1) if row.startswith("nev_stock,"))
    deck.write_text(rows.replace("nev_stock,2022,1310万辆", "nev_stock,2022,1510万辆"), encoding="utf-8")

    result = _run(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"raw/tables/000_451eeb3f8d9b8ea0.csv:{line}:4 (quote): quote_not_found" in output
    assert "本外币绿色贷款余额达22.03万亿元" in output          # the nearest text in the source
    assert (f"raw/tables/004_2e0697a374659b7e.csv:{deck_line}:4 (quote): value_mismatch; the quote "
            f"has '1310万辆' where the quantity is '1510万辆'") in output
    assert _digests(workdir / "results" / "audit") == before
    findings = _rows(workdir / "results" / "validation" / "audit" / "findings.csv")
    named = {(f["check_id"], f["source_id"], f["row_number"]) for f in findings if f["severity"] == "error"}
    assert ("evidence.000_451eeb3f8d9b8ea0", "000_451eeb3f8d9b8ea0", str(line)) in named
    assert ("evidence.004_2e0697a374659b7e", "004_2e0697a374659b7e", str(deck_line)) in named
