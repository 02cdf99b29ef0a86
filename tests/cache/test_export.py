"""Exports through the cache: byte for byte what a whole export writes, whatever changed."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from greenaudit.cache import Store
from greenaudit.cache.export import row_ends
from greenaudit.audit.publish import EXPORTED_FILES, export_tables


def test_row_ends_skip_line_breaks_inside_quoted_fields(tmp_path: Path):
    path = tmp_path / "t.csv"
    rows = ['a,b\n', '1,"two\nlines"\n', '2,"say ""hi""\n, twice"\n', '3,""\n', '4,x\n']
    path.write_text("".join(rows), encoding="utf-8")
    ends = [sum(len(r.encode()) for r in rows[:i + 1]) for i in range(len(rows))]
    assert row_ends(path).tolist() == ends
    assert row_ends(path, ends[1]).tolist() == ends[2:]


def _export(db: Path, out: Path, cache: Path | None) -> dict[str, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    export_tables(db, out, threads=1, store=Store(cache, "export") if cache else None)
    return {name: (out / name).read_bytes() for name in EXPORTED_FILES}


@pytest.fixture
def db(seed_database: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "greenaudit.duckdb"
    shutil.copyfile(seed_database, copy)
    return copy


EDITS = {
    "quote_with_line_breaks": [
        "UPDATE observations SET quote = 'a \"quoted\", multi\nline\nquote' "
        "WHERE source_id = (SELECT min(source_id) FROM observations)"],
    "source_removed": [
        "DELETE FROM observations WHERE source_id = (SELECT max(source_id) FROM observations "
        "WHERE source_id NOT LIKE 'derived:%')",
        "DELETE FROM coverage WHERE source_id = (SELECT max(source_id) FROM coverage)"],
    "source_added_in_the_middle": [
        "INSERT INTO observations SELECT * REPLACE ('00_new' || source_id AS source_id) "
        "FROM observations WHERE source_id = (SELECT min(source_id) FROM observations)",
        "INSERT INTO coverage SELECT * REPLACE ('00_new' || source_id AS source_id) "
        "FROM coverage WHERE source_id = (SELECT max(source_id) FROM coverage)"],
    "rows_added_and_null_source": [
        "INSERT INTO observations SELECT * REPLACE (row_number + 1000 AS row_number) "
        "FROM observations WHERE source_id = (SELECT max(source_id) FROM observations)",
        "INSERT INTO coverage SELECT * REPLACE (NULL AS source_id) FROM coverage LIMIT 2"],
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_export_through_the_cache_is_the_whole_export(db: Path, tmp_path: Path, edit: str,
                                                         caplog):
    cache = tmp_path / "cache"
    first = _export(db, tmp_path / "first", cache)
    assert first == _export(db, tmp_path / "plain", None)
    con = duckdb.connect(str(db))
    for statement in EDITS[edit]:
        con.execute(statement)
    con.close()
    with caplog.at_level(logging.INFO, logger="greenaudit"):
        again = _export(db, tmp_path / "again", cache)
    assert "the rest reused" in caplog.text
    whole = _export(db, tmp_path / "whole", None)
    assert again == whole
    assert again != first
    # And again from the entry the second export left.
    assert _export(db, tmp_path / "third", cache) == whole


def test_an_entry_changed_in_place_is_not_used(db: Path, tmp_path: Path, caplog):
    """One byte changed, the file's size and modification time kept."""
    cache = tmp_path / "cache"
    first = _export(db, tmp_path / "first", cache)
    copy = cache / "export" / "observations" / "observations.csv"
    before = copy.stat()
    with open(copy, "r+b") as handle:
        handle.seek(200)
        handle.write(b"#")
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (copy.stat().st_size, copy.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _export(db, tmp_path / "again", cache) == first
    assert "cache export/observations: observations.csv differs from its recorded SHA-256" \
        in caplog.text


def test_a_damaged_manifest_exports_afresh(db: Path, tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    first = _export(db, tmp_path / "first", cache)
    (cache / "export" / "coverage" / "entry.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _export(db, tmp_path / "again", cache) == first
    assert "cache export/coverage: unreadable entry.json" in caplog.text
