"""Tests of what the Snakefile calls outside jobs (greenaudit.workflow)."""

from __future__ import annotations

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
