"""Tests of what the Snakefile calls outside jobs (greenaudit.workflow)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from workflow_support import SEEDS

from greenaudit.errors import InputError
from greenaudit.workflow import (
    config_problem,
    exit_on_input_error,
    failed_job_errors,
    listed_sources,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
GOOD = "workspace: \".\"\napproximate_band: 0.05\nnear_band: 0.05\nsources_per_shard: 50\n"


def config_error(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        config_problem(path, SCHEMA)
    assert info.value.file == str(path)
    return info.value


def test_repository_configuration_is_accepted(tmp_path):
    config_problem(REPO / "config" / "config.yaml", SCHEMA)
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    config_problem(tmp_path / "c.yaml", SCHEMA)


def test_key_typo_is_located_with_a_suggestion(tmp_path):
    error = config_error(tmp_path, GOOD.replace("near_band", "near_bnad"))
    assert (error.line, error.column) == (3, 1)
    assert "unknown key 'near_bnad' (did you mean near_band?)" in str(error)
    assert "expected the keys workspace, approximate_band, near_band" in str(error)


def test_missing_key(tmp_path):
    error = config_error(tmp_path, "workspace: .\napproximate_band: 0.05\n")
    assert "missing key 'near_band'" in str(error)


def test_value_out_of_range_is_located_at_its_key(tmp_path):
    error = config_error(tmp_path, GOOD.replace("near_band: 0.05", "near_band: 2"))
    assert (error.line, error.column) == (3, 1)
    assert "near_band: 2 is greater than the maximum of 0.5" in str(error)


@pytest.mark.parametrize("text, fragment", [
    ("workspace: [\n", "YAML syntax error"),
    ("", "empty; expected the keys"),
    ("- a\n- b\n", "is not of type 'object'"),
    (b"workspace: \xb2\xe2\n", "not valid UTF-8"),
])
def test_malformed_configuration(tmp_path, text, fragment):
    path = tmp_path / "config.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(InputError, match=fragment):
        config_problem(path, SCHEMA)


def test_exit_on_input_error_prints_one_line(capsys):
    def fail():
        raise InputError("bad", file="raw/sources.csv", line=3, column=2)

    with pytest.raises(SystemExit) as info:
        exit_on_input_error(fail)
    assert info.value.code == 1
    assert capsys.readouterr().err == "greenaudit: error: raw/sources.csv:3:2: bad\n"
    assert exit_on_input_error(lambda x: x + 1, 1) == 2


@pytest.fixture
def workspace(tmp_path) -> Path:
    shutil.copytree(SEEDS / "raw", tmp_path / "raw")
    return tmp_path


def test_listed_sources(workspace):
    assert listed_sources(workspace) == sorted(p.stem for p in (SEEDS / "raw/sources").glob("*.txt"))


def test_missing_document_names_its_manifest_row(workspace):
    (workspace / "raw/sources/003_1a3b190ec270dc4e.txt").unlink()
    with pytest.raises(InputError) as info:
        listed_sources(workspace)
    assert (info.value.line, info.value.column) == (5, 2)
    assert "raw/sources/003_1a3b190ec270dc4e.txt does not exist" in str(info.value)


def test_missing_table_names_its_manifest_row(workspace):
    (workspace / "raw/tables/002_07a3eed86aa5b575.csv").unlink()
    with pytest.raises(InputError, match="raw/tables/002_07a3eed86aa5b575.csv does not exist"):
        listed_sources(workspace)


@pytest.mark.parametrize("stray", ["raw/sources/999_x.txt", "raw/tables/999_x.csv"])
def test_file_without_manifest_row(workspace, stray):
    (workspace / stray).write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as info:
        listed_sources(workspace)
    assert info.value.file.endswith(stray)
    assert "no row for 999_x in raw/sources.csv" in str(info.value)


def test_failed_job_errors_come_from_the_logs_of_failed_jobs(tmp_path):
    logs = tmp_path / "results" / "logs"
    logs.mkdir(parents=True)
    (logs / "stage.log").write_text("INFO greenaudit: started\n"
                                    "greenaudit: error: schemas/units.yaml:3:1: YAML syntax error\n",
                                    encoding="utf-8")
    (logs / "crash.log").write_text("Traceback (most recent call last):\n  File x\n"
                                    "ValueError: boom\n", encoding="utf-8")
    (logs / "ok.log").write_text("greenaudit: error: stale, from a job that did not fail\n",
                                 encoding="utf-8")
    run_log = tmp_path / "run.log"
    run_log.write_text(
        "Error in rule stage_source:\n"
        f"    log: {logs / 'stage.log'} (check log file(s) for error details)\n"
        "Error in rule build_database:\n"
        f"    log: {logs / 'crash.log'} (check log file(s) for error details)\n",
        encoding="utf-8")
    assert failed_job_errors([str(run_log)]) == [
        "greenaudit: error: schemas/units.yaml:3:1: YAML syntax error",
        f"greenaudit: error: {logs / 'crash.log'}: job failed: ValueError: boom",
    ]
    assert failed_job_errors(str(run_log)) == failed_job_errors([run_log])
    assert failed_job_errors(None) == []
    assert failed_job_errors([tmp_path / "absent.log"]) == []


# ------------------------------------------------------------- the closing block

def _results(tmp_path: Path, status: dict, findings: list[list[str]]) -> Path:
    import csv
    import json

    results = tmp_path / "results"
    (results / "validation" / "audit").mkdir(parents=True)
    (results / "validation" / "status.json").write_text(json.dumps(status), encoding="utf-8")
    with open(results / "validation" / "audit" / "findings.csv", "w", encoding="utf-8",
              newline="") as handle:
        csv.writer(handle).writerows([["check_id", "severity", "message"], *findings])
    return results


def test_the_closing_block_names_each_error_once_and_where_the_report_is(tmp_path):
    from greenaudit.closing import MAX_ERRORS, Run, closing_block, listing

    table = "raw/tables/005_a.csv"
    errors = [f"{table}:{line}:2 (period): period '{line}年'; expected YYYY" for line in range(2, 14)]
    status = {"publishable": False,
              "counts": {"fail_error": 2, "fail_warning": 1, "pass_error": 40},
              "errors": [{"check_id": "table.period_format.005_a", "message": "; ".join(errors[:5])},
                         # pandera repeating the table check for rows already named
                         {"check_id": "pandera.transcriptions.period.str_matches",
                          "message": f"2 row(s) of transcriptions fail str_matches on period: "
                                     f"{table}:2:2 (period): '2年'; {table}:3:2 (period): '3年'"}],
              "warnings": [{"check_id": "range.plausible.005_a", "message": "w"}]}
    results = _results(tmp_path, status, [["table.period_format.005_a", "error", e]
                                          for e in errors] + [["range.plausible.005_a",
                                                               "warning", f"{table}:9:3 w"]])
    (results / "report").mkdir()
    (results / "report" / "index.html").write_text("<html>", encoding="utf-8")
    lines = closing_block(Run(0.0, False, {"results/logs/publish.log": ["greenaudit: 2 error(s)"]},
                              [".snakemake/log/x.log"], results))
    assert len(lines) <= 15
    assert lines[0] == ("greenaudit: NOT PUBLISHED: 2 errors, 1 warning, 0 info among 43 checks; "
                        "results/audit/ is left as it was.")
    named = [f"error: table.period_format.005_a: {e}" for e in errors]
    assert lines[1:1 + MAX_ERRORS] == [f"  {e}" for e in named[:MAX_ERRORS]]
    assert lines[1 + MAX_ERRORS] == (f"  ... and {len(errors) - MAX_ERRORS} more error lines: "
                                     f"all are in results/logs/closing.log")
    assert not any("pandera" in line for line in lines), "its rows are named already"
    assert lines[-2:] == ["report: results/report/index.html",
                          "logs: results/logs/ (one per job); the whole run: .snakemake/log/x.log"]
    # The listing the block names holds every line it left out.
    everything = listing(Run(0.0, False, {}, [], results))
    assert everything == named + [f"warning: range.plausible.005_a: {table}:9:3 w"]


def test_the_closing_block_names_every_failing_check_before_a_second_row(tmp_path):
    """A whole file's problem first (the rows fail because of it), a check that names
    no file last; with more rows than fit, each check's first row is shown."""
    from greenaudit.closing import MAX_ERRORS, Run, closing_block

    table = "raw/tables/003_a.csv"
    encoding = "raw/sources/003_a.txt:3:1: not valid UTF-8; expected UTF-8"
    unavailable = [f"{table}:{line}:4 (quote): source text unavailable" for line in range(2, 27)]
    status = {"publishable": False, "counts": {"fail_error": 4},
              "errors": [{"check_id": "evidence.003_a", "message": "; ".join(unavailable[:5])},
                         {"check_id": "gx.agreement.x", "message": "x 2022: conflict"},
                         {"check_id": "period.basis", "message": f"{table}:9:2 (period): p"},
                         {"check_id": "source.encoding.003_a", "message": encoding}]}
    results = _results(tmp_path, status, [["evidence.003_a", "error", e] for e in unavailable]
                       + [["period.basis", "error", f"{table}:9:2 (period): p"]])
    lines = closing_block(Run(0.0, False, {}, [], results))
    shown = lines[1:1 + MAX_ERRORS]
    assert shown[0] == f"  error: source.encoding.003_a: {encoding}"
    assert shown[-1] == "  error: gx.agreement.x: x 2022: conflict"
    assert f"  error: period.basis: {table}:9:2 (period): p" in shown
    assert shown[1:-1] == [f"  error: evidence.003_a: {e}" for e in unavailable[:5]] + [
        f"  error: period.basis: {table}:9:2 (period): p"]
    assert lines[1 + MAX_ERRORS] == ("  ... and 20 more error lines: all are in "
                                     "results/logs/closing.log")


def test_the_closing_block_of_a_published_run_and_of_a_failed_job(tmp_path):
    import os

    from greenaudit.closing import Run, closing_block

    status = {"publishable": True, "counts": {"fail_warning": 1, "pass_error": 9},
              "errors": [], "warnings": [{"check_id": "w.1", "message": "x" * 500}]}
    results = _results(tmp_path, status, [])
    (results / "greenaudit.duckdb").write_bytes(b"")
    lines = closing_block(Run(0.0, True, {}, [], results))
    assert lines[0] == "greenaudit: PUBLISHED results/audit/: 0 errors, 1 warning, 0 info among 10 checks."
    assert lines[1].startswith("  warning: w.1: xxx") and len(lines[1]) < 200
    assert lines[2] == "report: not written"
    # A job that failed before the audit was assembled: its own located line.
    later = (results / "validation" / "status.json").stat().st_mtime + 10
    failed = {"results/logs/build_database.log": [
        "greenaudit: error: schemas/known_discrepancies.yaml:2: unknown indicator_id 'x'"]}
    lines = closing_block(Run(later, False, failed, [], results))
    assert lines[0] == ("greenaudit: NOT PUBLISHED: the run stopped (failed jobs: build_database); "
                        "results/audit/ is left as it was.")
    assert lines[1] == "  greenaudit: error: schemas/known_discrepancies.yaml:2: unknown indicator_id 'x'"
    os.utime(results / "greenaudit.duckdb", (0, 0))
    lines = closing_block(Run(later, True, {}, [], results))
    assert lines[0] == "greenaudit: finished; this run neither assembled nor published an audit."


@pytest.mark.slow
def test_a_rebuild_with_a_planted_error_ends_with_its_verdict(built_workspace, tmp_path):
    """The README's command in a clone (its default profile included): the last lines
    say the verdict, the error's file, line and column and the report's path; the
    job listing and the failed job's traceback are in the run log, not the terminal."""
    from workflow_support import copy_workspace, snakemake

    workdir = copy_workspace(built_workspace, tmp_path / "ws")
    shutil.copytree(REPO / "profiles", workdir / "profiles")
    table = workdir / "raw" / "tables" / "003_1a3b190ec270dc4e.csv"
    text = table.read_text(encoding="utf-8")
    assert text.count("hi_tech_mfg_share,2012,9.4%,") == 1
    line = text[:text.index("hi_tech_mfg_share,2012,9.4%,")].count("\n") + 1
    table.write_text(text.replace("hi_tech_mfg_share,2012,9.4%,", "hi_tech_mfg_shar,2012,9.4%,"),
                     encoding="utf-8")
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode != 0
    output = (result.stdout + result.stderr).rstrip().splitlines()
    start = max(i for i, text in enumerate(output) if text.startswith("greenaudit: NOT PUBLISHED"))
    block = output[start:]
    assert len(block) <= 15, block
    assert re.match(r"greenaudit: NOT PUBLISHED: \d+ errors?, \d+ warnings?, \d+ info among \d+ "
                    r"checks; results/audit/ is left as it was\.$", block[0]), block[0]
    located = (f"error: table.indicator_known.003_1a3b190ec270dc4e: "
               f"raw/tables/003_1a3b190ec270dc4e.csv:{line}:1 (indicator_id): unknown indicator_id "
               f"'hi_tech_mfg_shar' (did you mean hi_tech_mfg_share?)")
    assert f"  {located}" in "\n".join(block)
    # The full listing holds the verdict and the same line, and nothing that repeats it.
    listed = (workdir / "results" / "logs" / "closing.log").read_text(encoding="utf-8")
    assert listed.splitlines()[0] == block[0]
    assert [t for t in listed.splitlines() if t.startswith("error: ")] == [
        t.strip() for t in block if t.startswith("  error: ")]
    assert located in listed and "1 error(s)" not in listed
    assert "report: results/report/index.html" in block
    everything = "\n".join(output)
    for noise in ("CalledProcessError", "Error in rule", "localrule", "jobid:"):
        assert noise not in everything, noise
    run_log = (workdir / block[-1].split("the whole run: ")[1]).read_text(encoding="utf-8")
    assert "Error in rule publish" in run_log and "jobid:" in run_log
