"""The large staged tables kept as loaded: a changed shard is replaced, never served stale."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from greenaudit.cache import Store, load as load_cache
from greenaudit.cache.load import BY_SOURCE, open_loaded, plan_load
from greenaudit.cache.store import ENTRY, file_sha256

EMPTY = {"coverage": "source_id VARCHAR, start INTEGER"}


def _write(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"source_id": pa.array([r[0] for r in rows], pa.string()),
                             "value": pa.array([r[1] for r in rows], pa.int64())}), path)
    return path


def _shards(root: Path, shards: list[list[tuple[str, int]]]) -> dict[str, list[Path]]:
    """The same rows staged as each of the tables, one file per shard."""
    return {table: [_write(root / f"shard{i}" / f"{table}.parquet", rows)
                    for i, rows in enumerate(shards)] for table in BY_SOURCE}


def _store(cache: Path | None) -> Store | None:
    return Store(cache, "load") if cache else None


def _entry(cache: Path) -> Path:
    return cache / "load" / load_cache.SLOT


def _load(files: dict[str, list[Path]], cache: Path | None, out: Path):
    """(rows of each table, sorted; the plan's description)."""
    plan = plan_load(files, _store(cache))
    out.unlink(missing_ok=True)
    con = open_loaded(out, plan, EMPTY)
    try:
        tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in BY_SOURCE}
    finally:
        con.close()
    return tables, plan.description


SHARDS = [[("a", 1), ("a", 2), ("b", 3)], [("c", 4), ("d", 5)], [("e", 6)]]


def test_a_changed_shard_is_replaced_and_the_rest_reused(tmp_path: Path):
    cache = tmp_path / "cache"
    files = _shards(tmp_path / "staged", SHARDS)
    first, how = _load(files, cache, tmp_path / "one.duckdb")
    assert how == "loaded afresh"
    assert first["observations"] == sorted(r for shard in SHARDS for r in shard)
    edited = [SHARDS[0], [("c", 40), ("c", 41)], SHARDS[2]]  # d is gone, c changed
    files = _shards(tmp_path / "staged", edited)
    again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert how == "reused from the last build, 3 changed file(s) reloaded"  # one per table
    fresh, _ = _load(files, None, tmp_path / "fresh.duckdb")
    assert again == fresh
    assert again["observations"] == sorted(r for shard in edited for r in shard)


def test_a_source_moved_to_another_shard_is_neither_lost_nor_doubled(tmp_path: Path):
    cache = tmp_path / "cache"
    _load(_shards(tmp_path / "staged", SHARDS + [[("g", 8)]]), cache, tmp_path / "one.duckdb")
    moved = [[("a", 1), ("a", 2)], [("b", 3), ("c", 4), ("d", 5)], [("e", 6)], [("g", 8)]]
    files = _shards(tmp_path / "staged", moved)
    again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert how.startswith("reused")
    assert again == _load(files, None, tmp_path / "fresh.duckdb")[0]


def test_unchanged_files_reuse_everything(tmp_path: Path):
    cache = tmp_path / "cache"
    files = _shards(tmp_path / "staged", SHARDS)
    first, _ = _load(files, cache, tmp_path / "one.duckdb")
    again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert (again, how) == (first, "reused from the last build, 0 changed file(s) reloaded")


@pytest.mark.parametrize("change", ["added_file", "other_code", "most_files_changed"])
def test_a_different_file_list_code_or_most_files_changed_loads_afresh(
        tmp_path: Path, monkeypatch, change: str):
    cache = tmp_path / "cache"
    _load(_shards(tmp_path / "staged", SHARDS), cache, tmp_path / "one.duckdb")
    shards = SHARDS
    if change == "added_file":
        shards = SHARDS + [[("f", 7)]]
    elif change == "other_code":
        monkeypatch.setattr(load_cache, "load_key", lambda: "another greenaudit")
    else:
        shards = [[(s, v + 100) for s, v in shard] for shard in SHARDS[:2]] + [SHARDS[2]]
    files = _shards(tmp_path / "staged", shards)
    again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert how == "loaded afresh"
    assert again == _load(files, None, tmp_path / "fresh.duckdb")[0]


def test_a_damaged_entry_is_loaded_afresh_with_a_warning(tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    _load(_shards(tmp_path / "staged", SHARDS), cache, tmp_path / "one.duckdb")
    database = _entry(cache) / load_cache.DATABASE
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte, the size kept
    database.write_bytes(bytes(data))
    files = _shards(tmp_path / "staged", [SHARDS[0], [("c", 9)], SHARDS[2]])
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert how == "loaded afresh" and "not usable" in caplog.text
    assert "staged.duckdb differs from its recorded SHA-256" in caplog.text
    assert again == _load(files, None, tmp_path / "fresh.duckdb")[0]
    # The entry is whole again: the next build reuses it.
    assert _load(files, cache, tmp_path / "three.duckdb")[1].startswith("reused")


def test_rows_that_do_not_add_up_load_afresh(tmp_path: Path, caplog):
    """An entry holding rows its record does not account for is not trusted, even with
    its digest recorded anew."""
    cache = tmp_path / "cache"
    _load(_shards(tmp_path / "staged", SHARDS), cache, tmp_path / "one.duckdb")
    database = _entry(cache) / load_cache.DATABASE
    con = duckdb.connect(str(database))
    con.execute("INSERT INTO observations VALUES ('zz', 0)")
    con.close()
    record = json.loads((_entry(cache) / ENTRY).read_text(encoding="utf-8"))
    record["files"][load_cache.DATABASE] = {"bytes": database.stat().st_size,
                                            "sha256": file_sha256(database)}
    (_entry(cache) / ENTRY).write_text(json.dumps(record), encoding="utf-8")
    files = _shards(tmp_path / "staged", SHARDS)
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        again, how = _load(files, cache, tmp_path / "two.duckdb")
    assert how == "loaded afresh" and "rows after the update" in caplog.text
    assert ("zz", 0) not in again["observations"]


def test_a_failed_update_leaves_the_entry_as_it_was(tmp_path: Path, monkeypatch):
    """The update works on a copy: the entry still describes the last whole load."""
    cache = tmp_path / "cache"
    _load(_shards(tmp_path / "staged", SHARDS), cache, tmp_path / "one.duckdb")
    before = {p.name: p.read_bytes() for p in _entry(cache).iterdir()}
    files = _shards(tmp_path / "staged", [SHARDS[0], [("c", 9)], SHARDS[2]])
    plan = plan_load(files, _store(cache))
    assert plan.reuse

    def broken(con, plan):
        con.execute("DELETE FROM observations")
        raise KeyboardInterrupt  # killed in the middle of the update

    monkeypatch.setattr(load_cache, "update_from_entry", broken)
    with pytest.raises(KeyboardInterrupt):
        open_loaded(tmp_path / "two.duckdb", plan, EMPTY)
    assert {p.name: p.read_bytes() for p in _entry(cache).iterdir()} == before
    monkeypatch.undo()
    again, how = _load(files, cache, tmp_path / "three.duckdb")
    assert how.startswith("reused")
    assert again == _load(files, None, tmp_path / "fresh.duckdb")[0]


def test_an_unwritable_cache_costs_speed_not_the_build(tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "load").write_text("a file where the entry's directory would be")
    files = _shards(tmp_path / "staged", SHARDS)
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        tables, how = _load(files, cache, tmp_path / "one.duckdb")
    assert how == "loaded afresh" and "entry not written" in caplog.text
    assert tables == _load(files, None, tmp_path / "fresh.duckdb")[0]


def test_no_cache_writes_nothing(tmp_path: Path):
    files = _shards(tmp_path / "staged", SHARDS)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    _load(files, None, tmp_path / "staged" / "out.duckdb")
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert set(after) - set(before) == {Path("staged/out.duckdb")}


def test_an_entry_grown_past_twice_its_fresh_size_is_loaded_afresh(tmp_path: Path):
    cache = tmp_path / "cache"
    files = _shards(tmp_path / "staged", SHARDS)
    _load(files, cache, tmp_path / "one.duckdb")
    manifest = _entry(cache) / ENTRY
    record = json.loads(manifest.read_text(encoding="utf-8"))
    size = (_entry(cache) / load_cache.DATABASE).stat().st_size
    assert record["meta"]["fresh_size"] == size
    record["meta"]["fresh_size"] = int(size / load_cache.MAX_GROWTH) - 1
    manifest.write_text(json.dumps(record), encoding="utf-8")
    assert _load(files, cache, tmp_path / "two.duckdb")[1] == "loaded afresh"
    assert _load(files, cache, tmp_path / "three.duckdb")[1].startswith("reused")
