"""Bounded work and output: 200,000 rows of one table, and a full disk."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from greenaudit.checks import outcome

SOURCE = "003_1a3b190ec270dc4e"
ROWS = 200_000


def test_a_check_message_names_the_first_failures_and_counts_the_rest():
    check = outcome("c", "table", "error", "t", ROWS, [f"x.csv:{i}: " + "y" * 5000 for i in range(ROWS)])
    assert check.n_failed == ROWS
    assert check.message.endswith(f"(and {ROWS - 5} more)") and len(check.message) < 6000


@pytest.mark.slow
def test_200000_rows_of_one_table_are_staged_in_linear_time(workspace_copy: Path):
    """Copies of the seed rows: every row after the first copy repeats a key, so 199,977
    rows are bad; all are counted, the message stays short, and the CPU time (not the
    wall time of a shared machine) stays under 30 s."""
    from greenaudit.stage.source import StageContext, stage_source

    table = workspace_copy / "raw" / "tables" / f"{SOURCE}.csv"
    header, *rows = table.read_text(encoding="utf-8").splitlines()
    copies = (rows * (ROWS // len(rows) + 1))[:ROWS]
    table.write_text("\n".join([header, *copies]) + "\n", encoding="utf-8")
    context = StageContext.load(workspace_copy)
    start = time.process_time()
    staged = stage_source(workspace_copy, SOURCE, context=context)
    seconds = time.process_time() - start
    assert len(staged.transcriptions) == ROWS
    [unique] = [c for c in staged.checks if c.check_id.startswith("table.key_unique")]
    assert unique.n_failed == ROWS - len(set(rows)) and unique.status == "fail"
    assert len(unique.message) < 2000 and "more)" in unique.message
    assert len([f for f in staged.findings if f["check_id"] == unique.check_id]) == unique.n_failed
    coverage = next(c for c in staged.checks if c.check_id == f"coverage.{SOURCE}")
    assert coverage.status == "pass"
    assert seconds < 30, f"{seconds:.1f} s of CPU"


def test_a_full_disk_is_one_located_line(monkeypatch, capsys, tmp_path: Path):
    """ENOSPC while writing an output: `greenaudit: error: FILE: No space left on device`."""
    import greenaudit.cli as cli
    from greenaudit.commands import tools

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.parquet"))

    monkeypatch.setattr(tools, "_summary", full)
    code = cli.main(["summary", "--repo", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0
    assert err.strip() == f"greenaudit: error: {tmp_path / 'out.parquet'}: No space left on device"
