"""Tests of the atomic writers: a failure leaves the target as it was and no temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenaudit.formats.atomic import (
    atomic_directory,
    atomic_path,
    copy_atomic,
    temp_path,
    write_bytes_atomic,
    write_text_atomic,
)
from greenaudit.formats.parquet import CHECKS, write_table


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_write_text_is_exact_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "t.csv"
    write_text_atomic(target, "a,b\r\n比重\n")
    assert target.read_bytes() == "a,b\r\n比重\n".encode("utf-8")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert _names(target.parent) == ["t.csv"]


def test_failure_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert _names(tmp_path) == ["t.csv"]


def test_nothing_written_is_an_error_not_an_empty_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        with atomic_path(target):
            pass
    assert target.read_text(encoding="utf-8") == "old"


def test_leftover_of_a_killed_writer_is_replaced(tmp_path):
    target = tmp_path / "t.csv"
    temp_path(target).write_text("from a killed run", encoding="utf-8")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert _names(tmp_path) == ["t.csv"]


def test_temporary_name_is_hidden_beside_the_target(tmp_path):
    assert temp_path(tmp_path / "t.csv") == tmp_path / ".t.csv.tmp"


def test_copy_atomic(tmp_path):
    (tmp_path / "a").write_bytes(b"\x00\x01data")
    copy_atomic(tmp_path / "a", tmp_path / "out" / "b")
    assert (tmp_path / "out" / "b").read_bytes() == b"\x00\x01data"


def test_directory_is_replaced_whole_or_not_at_all(tmp_path):
    target = tmp_path / "docs"
    target.mkdir()
    (target / "old.html").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "index.html").write_text("half", encoding="utf-8")
            raise RuntimeError("crash")
    assert _names(target) == ["old.html"]
    with atomic_directory(target) as tmp:
        (tmp / "index.html").write_text("new", encoding="utf-8")
    assert _names(target) == ["index.html"]
    assert _names(tmp_path) == ["docs"]


def test_parquet_writer_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "checks.parquet"
    write_table([], CHECKS, target)
    before = target.read_bytes()
    with pytest.raises(Exception):
        write_table([{"check_id": "x", "n_items": "not a number"}], CHECKS, target)
    assert target.read_bytes() == before
    assert _names(tmp_path) == ["checks.parquet"]

