"""The published set: switched at once (a kill leaves the old set or the new one), and verified."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from greenaudit.audit import published
from greenaudit.audit.publish import publish

REPO = Path(__file__).resolve().parents[2]
OLD = {"observations.csv": b"quote\nold\n", "indicators.csv": b"id\n1\n"}
NEW = {"observations.csv": b'quote\n"line one\r\nline two"\n', "indicators.csv": b"id\n2\n"}


def staged_set(root: Path, tables: dict[str, bytes], rows: int = 1) -> tuple[dict, Path]:
    """Tables with the datapackage.json describing them, and a database: what assemble stages."""
    root.mkdir(parents=True)
    resources = []
    for name, data in tables.items():
        (root / name).write_bytes(data)
        resources.append({"path": name, "bytes": len(data),
                          "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"})
    (root / "datapackage.json").write_text(json.dumps({"resources": resources}))
    database = root / "work.duckdb"
    con = duckdb.connect(str(database))
    con.execute(f"CREATE TABLE observations AS SELECT range AS x FROM range({rows})")
    con.close()
    names = [*tables, "datapackage.json"]
    return {name: root / name for name in names}, database


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """results/ with an old set published and a CHANGES.md beside it."""
    root = tmp_path / "results"
    tables, database = staged_set(tmp_path / "old", OLD)
    published.switch(root / "audit", {n: p for n, p in tables.items()}, database)
    (root / "audit" / "CHANGES.md").write_text("# Changes\n")
    return root


def _new(tmp_path: Path) -> tuple[dict, Path]:
    return staged_set(tmp_path / "new", NEW, rows=2)


def test_a_switch_publishes_the_set_exactly_and_keeps_other_files(results: Path, tmp_path):
    tables, database = _new(tmp_path)
    audit = results / "audit"
    (audit / "planted.csv").write_text("nobody published this\n")
    publish({p: audit / n for n, p in tables.items()}, database, audit / published.DATABASE)
    got = contents(audit)
    assert {n: got[n] for n in NEW} == NEW
    assert got["CHANGES.md"] == b"# Changes\n"
    assert "planted.csv" not in got  # only CHANGES.md is carried over
    assert got[published.DATABASE] == database.read_bytes()
    assert os.readlink(results / published.DATABASE) == f"audit/{published.DATABASE}"
    assert published.problems(audit) == []
    assert sorted(p.name for p in results.iterdir()) == ["audit", published.DATABASE]


def test_a_staged_set_that_differs_from_its_package_is_not_published(results: Path, tmp_path):
    tables, database = _new(tmp_path)
    tables["observations.csv"].write_bytes(b"quote\nchanged after assembly\n")
    before = contents(results / "audit")
    with pytest.raises(ValueError, match="differs from the SHA-256 datapackage.json records"):
        published.switch(results / "audit", tables, database)
    assert contents(results / "audit") == before
    assert sorted(p.name for p in results.iterdir()) == ["audit", published.DATABASE]


def test_a_database_duckdb_cannot_read_is_not_published(results: Path, tmp_path):
    tables, database = _new(tmp_path)
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 3])
    before = contents(results / "audit")
    with pytest.raises(ValueError, match="DuckDB cannot read it"):
        published.switch(results / "audit", tables, database)
    assert contents(results / "audit") == before


def test_without_an_atomic_exchange_two_renames_do(results: Path, tmp_path, monkeypatch):
    monkeypatch.setattr(published, "_exchange", lambda new, old: False)
    tables, database = _new(tmp_path)
    published.switch(results / "audit", tables, database)
    assert {n: contents(results / "audit")[n] for n in NEW} == NEW
    assert published.problems(results / "audit") == []
    assert sorted(p.name for p in results.iterdir()) == ["audit", published.DATABASE]


# A switch run in its own process, killed (SIGKILL: no clean-up runs) at one moment.
KILLED_SWITCH = """
import os, shutil, signal, sys
from pathlib import Path
from greenaudit.audit import published

moment, results, staged = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
exchange, replace, copy = published._exchange, os.replace, shutil.copyfile
if moment == "while_writing":
    published.shutil.copyfile = lambda a, b: (copy(a, b), die())
elif moment == "before_the_exchange":
    published._exchange = lambda new, old: die()
elif moment == "after_the_exchange":
    published._exchange = lambda new, old: (exchange(new, old), die())
elif moment == "between_two_renames":
    published._exchange = lambda new, old: False
    calls = []
    def replace_then_die(a, b):
        replace(a, b)
        calls.append(b)
        if Path(b).name == ".audit.old":
            die()
    published.os.replace = replace_then_die
names = ["observations.csv", "indicators.csv", "datapackage.json"]
published.switch(results / "audit", {n: staged / n for n in names}, staged / "work.duckdb")
"""
MOMENTS = {"while_writing": OLD, "before_the_exchange": OLD, "after_the_exchange": NEW,
           "between_two_renames": OLD}


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_kill_leaves_the_old_set_or_the_new_one_never_a_mix(results: Path, tmp_path,
                                                             moment: str):
    tables, database = _new(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    killed = subprocess.run([sys.executable, "-c", KILLED_SWITCH, moment, str(results),
                             str(tmp_path / "new")], env=env, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if moment == "between_two_renames":
        assert not (results / "audit").exists()  # absent for a moment, never partial
        published.recover(results / "audit")
    audit = results / "audit"
    assert {n: contents(audit)[n] for n in OLD} == MOMENTS[moment]
    assert published.problems(audit) == []
    assert contents(audit)["CHANGES.md"] == b"# Changes\n"
    # The next switch publishes the new set and leaves nothing behind.
    published.switch(audit, tables, database)
    assert {n: contents(audit)[n] for n in NEW} == NEW
    assert sorted(p.name for p in results.iterdir()) == ["audit", published.DATABASE]


# ------------------------------------------------------------------ verification

def test_one_changed_byte_is_a_problem_whatever_the_size_and_time(results: Path):
    audit = results / "audit"
    table = audit / "observations.csv"
    before = table.stat()
    table.write_bytes(table.read_bytes().replace(b"old", b"olD"))
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert published.problems(audit) == [
        f"{table}: differs from the SHA-256 datapackage.json records"]


@pytest.mark.parametrize("damage", ["truncated_database", "database_replaced", "file_planted",
                                    "link_replaced_by_a_file", "table_missing",
                                    "digest_missing", "package_garbled"])
def test_every_damage_is_named(results: Path, tmp_path: Path, damage: str):
    audit = results / "audit"
    database = audit / published.DATABASE
    if damage == "truncated_database":
        with open(results / published.DATABASE, "r+b") as handle:  # through the link
            handle.truncate(database.stat().st_size // 2)
    elif damage == "database_replaced":
        _, other = staged_set(tmp_path / "other", {"x.csv": b"x\n"}, rows=7)
        os.replace(other, database)
    elif damage == "link_replaced_by_a_file":
        (results / published.DATABASE).unlink()
        (results / published.DATABASE).write_bytes(database.read_bytes()[:100])
    elif damage == "table_missing":
        (audit / "indicators.csv").unlink()
    elif damage == "file_planted":
        (audit / "evil.csv").write_text("=cmd\n")
    elif damage == "digest_missing":
        (audit / published.DATABASE_DIGEST).unlink()
    else:
        (audit / "datapackage.json").write_text("{")
    found = published.problems(audit)
    assert len(found) == 1, found
    assert published.damaged(audit) == found


def test_a_fresh_clone_has_tables_only_and_is_not_damaged(tmp_path: Path):
    clone = tmp_path / "results" / "audit"
    tables, _ = staged_set(clone, OLD)
    (clone / "work.duckdb").unlink()
    assert published.damaged(clone) == []
    assert published.damaged(tmp_path / "nothing" / "audit") == []
    (clone / "indicators.csv").write_bytes(b"id\n3\n")
    assert published.damaged(clone) == [
        f"{clone / 'indicators.csv'}: differs from the SHA-256 datapackage.json records"]


def test_publish_failure_on_one_copy_publishes_nothing(tmp_path):
    audit = tmp_path / "results" / "audit"
    old, old_db = staged_set(tmp_path / "old", {"a.csv": b"old a\n", "b.csv": b"old b\n"})
    publish({path: audit / name for name, path in old.items()}, old_db, audit / published.DATABASE)
    before = contents(audit)
    staged, work_db = staged_set(tmp_path / "staged", {"a.csv": b"new a\n", "b.csv": b"new b\n"})
    (staged["b.csv"]).unlink()
    with pytest.raises(FileNotFoundError):
        publish({path: audit / name for name, path in staged.items()}, work_db, audit / published.DATABASE)
    assert contents(audit) == before
    assert sorted(p.name for p in audit.iterdir()) == sorted(before)

    (staged["b.csv"]).write_bytes(b"new b\n")
    publish({path: audit / name for name, path in staged.items()}, work_db, audit / published.DATABASE)
    assert (audit / "b.csv").read_bytes() == b"new b\n"
    assert (audit / published.DATABASE).read_bytes() == work_db.read_bytes()
