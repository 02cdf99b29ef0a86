"""Pandera's verdicts kept per source: what a run with the cache reports is what one without does."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from greenaudit.cache import Store
from greenaudit.validate.pandera import validate_tables
from greenaudit.formats.parquet import write_checks

# Rows broken in ways pandera catches: a bad period, a duplicate key, a value outside
# its interval, a coverage span, a NULL in an integer column and a whole bad source.
BREAKAGES = [
    "UPDATE observations SET period = '20x2' WHERE source_id = (SELECT min(source_id) FROM "
    "observations) AND row_number = (SELECT min(row_number) FROM observations)",
    "INSERT INTO transcriptions SELECT * FROM transcriptions WHERE row_number = "
    "(SELECT max(row_number) FROM transcriptions) LIMIT 1",
    "UPDATE observations SET value_canonical = upper + 1000 WHERE qualifier = 'exact' AND "
    "upper IS NOT NULL AND row_number % 2 = 0",
    "UPDATE coverage SET \"end\" = start WHERE start % 3 = 0",
    "UPDATE transcriptions SET row_number = NULL WHERE row_number = 5",
    "UPDATE observations SET kind = 'nonsense' WHERE source_id = (SELECT max(source_id) FROM "
    "sources)",
]


def _validate(db: Path, out: Path, cache: Path | None) -> tuple[str, list]:
    out.mkdir(parents=True, exist_ok=True)
    checks = validate_tables(db, out / "failure_cases.csv",
                             Store(cache, "pandera") if cache else None)
    write_checks(checks, out / "checks.parquet")
    return ((out / "failure_cases.csv").read_text(encoding="utf-8"),
            pq.read_table(out / "checks.parquet").to_pylist())


@pytest.fixture
def broken_db(seed_database: Path, tmp_path: Path) -> Path:
    db = tmp_path / "greenaudit.duckdb"
    shutil.copyfile(seed_database, db)
    con = duckdb.connect(str(db))
    for statement in BREAKAGES:
        con.execute(statement)
    con.close()
    return db


def test_failures_with_and_without_the_cache_are_identical(broken_db: Path, tmp_path: Path):
    plain = _validate(broken_db, tmp_path / "plain", None)
    cases, checks = plain
    assert cases.count("\n") > 10  # the breakages are found
    assert {c["check_id"] for c in checks if c["status"] == "fail"} >= {
        "pandera.observations.period.str_matches",
        "pandera.transcriptions.dataframe.multiple_fields_uniqueness",
        "pandera.observations.dataframe.value_within_interval",
        "pandera.coverage.dataframe.span_not_empty",
        "pandera.observations.kind.isin", "pandera.transcriptions.row_number.not_nullable"}
    cache = tmp_path / "cache"
    assert _validate(broken_db, tmp_path / "cold", cache) == plain
    assert _validate(broken_db, tmp_path / "warm", cache) == plain  # every source reused


def test_a_changed_source_is_validated_again(broken_db: Path, tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    _validate(broken_db, tmp_path / "first", cache)
    con = duckdb.connect(str(broken_db))
    source = con.execute("SELECT min(source_id) FROM observations").fetchone()[0]
    # Mends one breakage and makes another, in the same source.
    con.execute("UPDATE observations SET period = '2022' WHERE period = '20x2'")
    con.execute("UPDATE observations SET breakdown = 'Bad Key' WHERE source_id = ? AND "
                "row_number = (SELECT max(row_number) FROM observations WHERE source_id = ?)",
                [source, source])
    con.close()
    with caplog.at_level(logging.INFO, logger="greenaudit"):
        kept = _validate(broken_db, tmp_path / "again", cache)
    assert "observations: 1 of" in caplog.text
    assert kept == _validate(broken_db, tmp_path / "plain", None)
    failing = {c["check_id"] for c in kept[1] if c["status"] == "fail"}
    assert "pandera.observations.breakdown.str_matches" in failing
    assert "pandera.observations.period.str_matches" not in failing


def test_a_damaged_entry_is_validated_afresh(broken_db: Path, tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    plain = _validate(broken_db, tmp_path / "plain", None)
    _validate(broken_db, tmp_path / "first", cache)
    payload = cache / "pandera" / "observations" / "verdicts.json"
    payload.write_bytes(payload.read_bytes().replace(b'"@c"', b'"@x"', 1))
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _validate(broken_db, tmp_path / "again", cache) == plain
    assert "cache pandera/observations: verdicts.json differs from its recorded SHA-256" \
        in caplog.text
    assert not list((cache / "pandera").rglob("*.pickle"))


def test_another_column_type_is_another_key(broken_db: Path, tmp_path: Path, caplog):
    cache = tmp_path / "cache"
    _validate(broken_db, tmp_path / "first", cache)
    con = duckdb.connect(str(broken_db))
    con.execute("ALTER TABLE coverage ALTER start TYPE BIGINT")
    con.close()
    with caplog.at_level(logging.INFO, logger="greenaudit"):
        again = _validate(broken_db, tmp_path / "again", cache)
    # Every source of coverage is validated again; the other tables' entries still serve.
    validated = dict(re.findall(r"pandera: (\w+): (\d+ of \d+) sources", caplog.text))
    n, of = validated["coverage"].split(" of ")
    assert n == of != "0"
    assert validated["observations"].startswith("0 of ")
    assert again == _validate(broken_db, tmp_path / "plain", None)


def test_the_verdicts_do_not_depend_on_how_rows_are_stored(broken_db: Path, tmp_path: Path):
    """A reused load (cache/load.py) stores rows in another order than a full load does."""
    from greenaudit.validate.gx import catalog_from_database, run_gx_validation

    shuffled = tmp_path / "shuffled.duckdb"
    shutil.copyfile(broken_db, shuffled)
    con = duckdb.connect(str(shuffled))
    for table in ("transcriptions", "observations", "coverage", "indicators"):
        con.execute(f"CREATE TABLE shuffled AS SELECT * FROM {table} ORDER BY hash(random())")
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE shuffled RENAME TO {table}")
    con.close()
    assert _validate(shuffled, tmp_path / "p2", None) == _validate(broken_db, tmp_path / "p1", None)
    gx = {}
    for name, db in (("stored", broken_db), ("shuffled", shuffled)):
        checks = run_gx_validation(db, tmp_path / name, catalog_from_database(db))
        gx[name] = (checks, (tmp_path / name / "gx_results.json").read_text(encoding="utf-8"))
    assert gx["stored"] == gx["shuffled"]
    assert any(c.status == "fail" for c in gx["stored"][0])  # the breakages reach GX too
