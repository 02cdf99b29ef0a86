"""Tests of greenaudit.formats.rowinsert: both insert paths store the same values."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from greenaudit.formats.rowinsert import SMALL_BATCH, insert_rows

COLUMNS = ("name VARCHAR, n BIGINT, value DECIMAL(38,10), flag BOOLEAN, note VARCHAR")


def _rows(count: int) -> list[tuple]:
    return [(f"row {i}", i, None if i % 3 == 0 else Decimal(f"{i}.0000000001"), i % 2 == 0,
             None if i % 5 == 0 else "a,\"b\"\n万") for i in range(count)]


@pytest.mark.parametrize("count", [1, SMALL_BATCH, SMALL_BATCH + 1, 3 * SMALL_BATCH])
def test_rows_are_stored_as_given_in_either_path(count: int) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({COLUMNS})")
    rows = _rows(count)
    insert_rows(con, "t", rows)
    assert con.execute("SELECT * FROM t ORDER BY n").fetchall() == rows


def test_no_rows_is_nothing_inserted() -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({COLUMNS})")
    insert_rows(con, "t", [])
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)


@pytest.mark.parametrize("count", [2, SMALL_BATCH + 1])
def test_named_columns_in_another_order_in_either_path(count: int) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({COLUMNS})")
    rows = _rows(count)
    insert_rows(con, "t", [(note, n, name) for name, n, _, _, note in rows],
                ("note", "n", "name"))
    assert con.execute("SELECT * FROM t ORDER BY n").fetchall() == [
        (name, n, None, None, note) for name, n, _, _, note in rows]
