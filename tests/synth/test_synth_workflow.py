"""End to end: the workflow runs unchanged on synthetic workspaces, and the audit finds
exactly the planted errors (scored by `greenaudit score`)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from greenaudit.synth.score import score_workspace
from greenaudit.synth.generate import Request, generate

REPO = Path(__file__).resolve().parents[2]
TARGET = 0.99

pytestmark = pytest.mark.slow


def _snakemake(workspace: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory",
                           str(workspace), "--cores", "2", "--quiet", "all"],
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    workspace = tmp_path_factory.mktemp("synth") / "clean"
    generate(workspace, Request(5, 20, 0.0, 1))
    result = _snakemake(workspace)
    assert result.returncode == 0, result.stderr[-3000:]
    return workspace


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, dict]:
    workspace = tmp_path_factory.mktemp("synth") / "planted"
    generate(workspace, Request(12, 60, 0.02, 11))
    result = _snakemake(workspace)
    # Planted errors are errors: the gate refuses to publish, naming them.
    assert result.returncode != 0
    assert "agreement.conflicts_declared" in result.stdout + result.stderr
    # The closing block shows the first few; the listing it names holds every one, located.
    assert "all are in results/logs/closing.log" in result.stderr
    listed = (workspace / "results" / "logs" / "closing.log").read_text(encoding="utf-8")
    conflicts = [t for t in listed.splitlines()
                 if t.startswith("error: agreement.conflicts_declared: raw/tables/syn")]
    with open(workspace / "results" / "validation" / "audit" / "findings.csv",
              encoding="utf-8", newline="") as handle:
        rows = [f for f in csv.DictReader(handle) if f["check_id"] == "agreement.conflicts_declared"]
    assert len(conflicts) == len({f["message"] for f in rows}) > 0
    assert not (workspace / "results" / "audit").exists()
    return workspace, {c["error_class"]: c for c in score_workspace(workspace)["classes"]}


def test_clean_corpus_publishes_with_zero_findings(clean):
    audit = clean / "results" / "audit"
    with open(audit / "findings.csv", encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == []
    with open(audit / "checks.csv", encoding="utf-8", newline="") as handle:
        failing = [c["check_id"] for c in csv.DictReader(handle) if c["status"] == "fail"]
    assert failing == []
    status = json.loads((clean / "results" / "validation" / "status.json").read_text())
    assert status["publishable"] and not status["warnings"]
    with open(audit / "indicators.csv", encoding="utf-8", newline="") as handle:
        agreements = {r["agreement"] for r in csv.DictReader(handle)}
    # Overlapping sources agree (some within rounding); the declared conflict is allowed.
    assert {"agree", "single_source", "conflict"} <= agreements
    result = score_workspace(clean)
    assert (result["planted_total"], result["unmatched_total"]) == (0, 0)


DETECTABLE_NOW = ("magnitude_slip", "digit_transposition", "dropped_decimal", "wrong_unit",
                  "period_shift", "quote_mismatch", "out_of_range", "undeclared_conflict")


@pytest.mark.parametrize("error_class", DETECTABLE_NOW)
def test_each_error_class_is_found_with_high_recall_and_precision(planted, error_class):
    _, classes = planted
    row = classes[error_class]
    assert row["status"] == "checked" and row["planted"] >= 10
    assert row["recall"] >= TARGET and row["precision"] >= TARGET, row


def test_broken_identities_are_found_by_the_rules(planted):
    _, classes = planted
    row = classes["broken_identity"]
    # One rule per 50 rows: this corpus has 14 checkable rules, so one is broken.
    assert row["status"] == "checked" and row["planted"] >= 1
    assert row["recall"] >= TARGET and row["precision"] >= TARGET, row
    assert row["detected_by"] == ["rule"]


def test_benchmark_script_runs_a_tiny_scenario(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "tests" / "benchmark_scale.py"),
                             "--runs", "1", "--cores", "2", "--workdir", str(tmp_path),
                             "--scenario", "synth:2x5"],
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    scenarios, jobs_table = result.stdout.split("\n\n")
    lines = scenarios.splitlines()
    assert lines[0].startswith("Machine: ")
    [row] = [line for line in lines if line.startswith("| synthetic 2 x 5 (10 rows)")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].endswith(" s") and float(cells[1][:-2]) > 0
    assert cells[3].endswith(")") and "×" in cells[3]   # ratio to a bare GX import
    assert "rows)" in cells[4]                          # ratio to DuckDB reading the rows
    assert cells[5].endswith(" MB") and cells[6]   # peak memory of a named job
    # Where the time went: one row per rule of the run, jobs counted, CPU measured.
    jobs = {c[1]: c for c in ([x.strip() for x in line.strip("|").split("|")]
                              for line in jobs_table.splitlines()
                              if line.startswith("| synthetic 2 x 5 (10 rows)"))}
    assert {"stage_shard", "build_database", "validate_gx", "publish"} <= set(jobs)
    assert jobs["stage_shard"][2] == "1" and float(jobs["validate_gx"][4]) > 0
    assert (tmp_path / "synth-2x5" / "results" / "audit" / "findings.csv").is_file()
