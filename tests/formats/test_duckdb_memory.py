"""A job's DuckDB databases keep within the memory the job declares (--memory-mb)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greenaudit import cli
from greenaudit.formats import duckdb_memory
from greenaudit.formats.duckdb_memory import DUCKDB_SHARE, connect, set_job_memory


def _limit_mib(con) -> float:
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = re.fullmatch(r"([\d.]+) (MiB|GiB)", text).groups()
    return float(number) * (1024 if unit == "GiB" else 1)


@pytest.fixture(autouse=True)
def _no_budget_after():
    yield
    set_job_memory(None)


def test_a_budget_limits_every_database_the_job_opens(tmp_path: Path) -> None:
    set_job_memory(1000)
    expected = 1000 * DUCKDB_SHARE * 1e6 / 2**20  # MB given, MiB shown
    memory = connect()
    assert _limit_mib(memory) == pytest.approx(expected, abs=0.1)
    path = tmp_path / "a.duckdb"
    connect(path).close()
    on_file = connect(path, read_only=True, threads=1)
    assert _limit_mib(on_file) == pytest.approx(expected, abs=0.1)
    assert on_file.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_without_a_budget_duckdb_keeps_its_default() -> None:
    set_job_memory(None)
    assert duckdb_memory.duckdb_config(threads=2) == {"threads": 2}
    set_job_memory(2000)
    assert duckdb_memory.duckdb_config() == {"memory_limit": f"{int(2000 * DUCKDB_SHARE)}MB"}


def test_the_command_line_sets_the_budget_for_its_command_only(monkeypatch) -> None:
    seen = []
    args = cli.build_parser().parse_args(["--memory-mb", "1500", "summary"])
    monkeypatch.setattr(args, "func", lambda a: seen.append(duckdb_memory.duckdb_config()) or 0)
    assert cli.execute(args) == 0
    args = cli.build_parser().parse_args(["summary"])
    monkeypatch.setattr(args, "func", lambda a: seen.append(duckdb_memory.duckdb_config()) or 0)
    assert cli.execute(args) == 0
    assert seen == [{"memory_limit": "900MB"}, {}]


def test_the_database_build_runs_within_its_declared_memory() -> None:
    rules = Path(__file__).resolve().parents[2] / "workflow" / "rules"
    text = (rules / "database.smk").read_text(encoding="utf-8")
    assert '"greenaudit --memory-mb {resources.mem_mb} build-db ' in text
    assert "mem_mb=database_memory_mb," in text
