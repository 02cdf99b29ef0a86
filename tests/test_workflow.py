"""End-to-end: the workflow on a copy of the repository, and what one changed input does."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COPIED = ("Snakefile", "config", "workflow", "raw", "schemas")
AUDIT = ("observations.csv", "indicators.csv", "checks.csv", "findings.csv")

pytestmark = pytest.mark.slow


def _workspace(tmp: Path) -> Path:
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp / name)
        else:
            shutil.copy2(source, tmp / name)
    return tmp


def _run(workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "--cores", "4", "--quiet", "all"], cwd=workdir,
                          capture_output=True, text=True, timeout=600)


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())
            if p.is_file()}


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One clean build of the seeds, shared by the tests that only read it."""
    workdir = _workspace(tmp_path_factory.mktemp("seeds"))
    result = _run(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_rebuild_reproduces_committed_tables(built: Path) -> None:
    for name in AUDIT:
        produced = (built / "results" / "audit" / name).read_bytes()
        committed = (REPO / "results" / "audit" / name).read_bytes()
        assert produced == committed, f"{name} differs from the committed table"


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
    assert {r["evidence"] for r in observations} == {"verified"}
    flagged = [r for r in observations if "implausible" in r["flags"].split(";")]
    assert [(r["source_id"], r["quantity"]) for r in flagged] == [("004_2e0697a374659b7e", "380千瓦时")]
    checks = _rows(built / "results" / "audit" / "checks.csv")
    assert not [c for c in checks if c["status"] == "fail" and c["severity"] == "error"]
    assert {c["kind"] for c in checks} >= {"evidence", "pandera", "gx", "agreement", "manifest"}


def test_noop_rerun_does_nothing(built: Path) -> None:
    result = subprocess.run(["snakemake", "--cores", "4", "--dry-run", "--quiet", "all"],
                            cwd=built, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def _failing_copy(built: Path, tmp: Path) -> Path:
    """A workspace with a published audit, ready for one input to be broken."""
    workdir = tmp / "ws"
    shutil.copytree(built, workdir, ignore=shutil.ignore_patterns(".snakemake"))
    return workdir


def test_changed_value_is_a_conflict_and_nothing_is_published(built: Path, tmp_path: Path) -> None:
    workdir = _failing_copy(built, tmp_path)
    before = _digests(workdir / "results" / "audit")
    database = hashlib.sha256((workdir / "results" / "greenaudit.duckdb").read_bytes()).hexdigest()
    table = workdir / "raw" / "tables" / "004_2e0697a374659b7e.csv"
    text = table.read_text(encoding="utf-8")
    # Change the slide's 2022 equipment share in the document and its transcription
    # alike, re-pinning the checksum, so that only the cross-source comparison can object.
    source = workdir / "raw" / "sources" / "004_2e0697a374659b7e.txt"
    source_text = source.read_text(encoding="utf-8")
    assert source_text.count("31.8%") == 1
    source.write_text(source_text.replace("31.8%", "33.8%"), encoding="utf-8")
    table.write_text(text.replace("31.8%", "33.8%"), encoding="utf-8")
    manifest = workdir / "raw" / "sources.csv"
    old = hashlib.sha256(source_text.encode("utf-8")).hexdigest()
    new = hashlib.sha256(source.read_bytes()).hexdigest()
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    result = _run(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "agreement.conflicts_declared" in output
    assert "equip_mfg_share/2022" in output
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


def test_changed_source_byte_is_a_checksum_error(built: Path, tmp_path: Path) -> None:
    workdir = _failing_copy(built, tmp_path)
    before = _digests(workdir / "results" / "audit")
    source = workdir / "raw" / "sources" / "003_1a3b190ec270dc4e.txt"
    data = source.read_bytes()
    assert data.count(b"71803191") == 1  # a grant number, not a transcribed figure
    source.write_bytes(data.replace(b"71803191", b"71803192"))
    result = _run(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "source.checksum.003_1a3b190ec270dc4e" in output
    assert "raw/sources/003_1a3b190ec270dc4e.txt: sha256 is " in output
    assert "expects d4b6b07f" in output
    assert _digests(workdir / "results" / "audit") == before
