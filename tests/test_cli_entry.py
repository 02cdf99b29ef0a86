"""The console entry point: exit codes, and the quick exit of the commands marked for it."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from greenaudit import cli
from greenaudit.commands import workflow as workflow_commands
from greenaudit.checks import Check


class QuickExit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@pytest.fixture
def exits(monkeypatch):
    """os._exit replaced by an exception carrying its code; the shutdown steps recorded."""
    calls: list[str] = []

    def fake_exit(code):
        calls.append("exit")
        raise QuickExit(code)

    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    monkeypatch.setattr(cli.logging, "shutdown", lambda: calls.append("logging.shutdown"))
    return calls


GX_ARGS = ["validate-gx", "--db", "a.duckdb", "--results", "gx/gx_results.json",
           "--data-docs", "gx/data_docs", "--checks", "gx/checks.parquet"]
EXPORT_ARGS = ["export", "--db", "a.duckdb", "--tables", "audit/observations.csv"]


@pytest.mark.parametrize("code", [0, 2])
def test_a_quick_exit_command_ends_with_its_code_after_logging_shuts_down(
        monkeypatch, exits, code):
    monkeypatch.setattr(workflow_commands, "_validate_gx", lambda args: code)
    monkeypatch.setattr(sys, "argv", ["greenaudit", *GX_ARGS])
    with pytest.raises(QuickExit) as info:
        cli.run()
    assert info.value.code == code
    assert exits == ["logging.shutdown", "exit"]


def test_other_commands_exit_normally(monkeypatch, exits):
    monkeypatch.setattr(workflow_commands, "_export", lambda args: 3)
    monkeypatch.setattr(sys, "argv", ["greenaudit", *EXPORT_ARGS])
    with pytest.raises(SystemExit) as info:
        cli.run()
    assert info.value.code == 3
    assert exits == []


def test_an_error_in_a_quick_exit_command_is_raised_not_swallowed(monkeypatch, exits):
    def broken(args):
        raise RuntimeError("suite on fire")

    monkeypatch.setattr(workflow_commands, "_validate_gx", broken)
    monkeypatch.setattr(sys, "argv", ["greenaudit", *GX_ARGS])
    with pytest.raises(RuntimeError, match="suite on fire"):
        cli.run()
    assert exits == []


def test_only_commands_that_leave_nothing_open_are_marked():
    parser = cli.build_parser()
    marked = sorted(name for name, sub in parser._subparsers._group_actions[0].choices.items()
                    if sub.get_default("quick_exit"))
    assert marked == ["report", "validate-gx"]


def test_the_module_runs_the_entry_point(tmp_path):
    """`python -m greenaudit.cli` runs the entry point: a refused argument exits 1."""
    proc = subprocess.run([sys.executable, "-m", "greenaudit.cli", "validate-gx",
                           "--db", str(tmp_path / "missing.duckdb"),
                           "--results", str(tmp_path / "gx" / "wrong.json"),
                           "--data-docs", str(tmp_path / "gx" / "data_docs"),
                           "--checks", str(tmp_path / "gx" / "checks.parquet")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "--results must be DIR/gx_results.json" in proc.stderr


def test_build_db_logs_a_summary_and_the_checks_that_did_not_pass(
        tmp_path, seed_workspace, monkeypatch, caplog):
    import greenaudit.database.build as database

    checks = [Check("rule.fine", "rule", "error", "pass", "t", 1, 0, "holds"),
              Check("rule.broken", "rule", "error", "fail", "t", 1, 1, "does not hold"),
              Check("range.odd", "plausibility", "warning", "fail", "t", 4, 1, "one outlier")]
    monkeypatch.setattr(database, "build_database", lambda *args, **kwargs: checks)
    with caplog.at_level(logging.DEBUG, logger="greenaudit"):
        assert cli.main(["build-db", "--workspace", str(seed_workspace),
                         "--out", str(tmp_path / "db.duckdb"), "--transcriptions", "t",
                         "--observations", "o", "--checks", "c", "--findings", "f",
                         "--coverage", "v"]) == 0
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "greenaudit"]
    assert (logging.INFO, "database: 3 checks, 2 not passing") in logged
    assert (logging.INFO, "rule.broken: fail does not hold") in logged
    assert (logging.INFO, "range.odd: fail one outlier") in logged
    assert (logging.DEBUG, "rule.fine: pass holds") in logged  # listed with -v only
