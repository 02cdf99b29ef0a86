"""No published field starts a spreadsheet formula: one rule, in Python and in DuckDB's SQL."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenaudit.audit.formula import FORMULA_STARTS, neutralise, neutralise_sql
from greenaudit.audit.publish import Export, to_csv, write_table_csv


@pytest.mark.parametrize("text, published", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("@SUM(A1)", "'@SUM(A1)"), ("+5", "'+5"), ("-x", "'-x"), ("-", "'-"),
    ("\tcmd", "'\tcmd"), ("\r=1", "'\r=1"), ("-5", "-5"), ("-0.25", "-0.25"),
    ("-1E+3", "-1E+3"), ("-5%", "'-5%"), ("a=b", "a=b"), ("", ""), ("占比为15.5%", "占比为15.5%"),
])
def test_a_formula_start_is_neutralised_and_a_negative_number_is_not(text, published):
    assert neutralise(text) == published


def _sql(values: list[str]) -> list[str]:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (i INTEGER, s VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        return [r[0] for r in con.execute(f"SELECT {neutralise_sql('s')} FROM t ORDER BY i")
                .fetchall()]
    finally:
        con.close()


@given(st.lists(st.text(alphabet=st.sampled_from(list(FORMULA_STARTS) + list("0123456789.eE ax'万")),
                        max_size=6), min_size=1, max_size=30))
@settings(max_examples=80, deadline=None)
def test_duckdb_neutralises_exactly_as_python_does(values):
    assert _sql(values) == [neutralise(v) for v in values]


def _fields(text: str) -> list[str]:
    return [field for row in list(csv.reader(io.StringIO(text, newline="")))[1:] for field in row]


def _formula(field: str) -> bool:
    return field.startswith(FORMULA_STARTS) and neutralise(field) != field


def test_every_column_of_a_python_written_table_is_neutralised():
    rows = [("=1+1", "@x", "+1", "ok"), ("\tt", "-y", Decimal("-2.5"), "\r=2")]
    fields = _fields(to_csv(("a", "b", "c", "d"), rows))
    assert not [f for f in fields if _formula(f)]
    assert "-2.5" in fields and "'=1+1" in fields


def test_every_text_column_duckdb_writes_is_neutralised_and_numbers_are_kept(tmp_path: Path):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, name VARCHAR, reason VARCHAR, low DECIMAL(38,10))")
    con.execute("INSERT INTO t VALUES (1, '=cmd|'' /C calc''!A0', '@SUM(1)', -1.5), "
                "(2, 'plain', '-', 2), (3, '+x', chr(9) || 'tab', NULL)")
    path = tmp_path / "t.csv"
    write_table_csv(con, Export("t", ("id", "name", "reason", "low"), ("id",)), path)
    text = path.read_text(encoding="utf-8")
    assert not [f for f in _fields(text) if _formula(f)]
    assert text == to_csv(("id", "name", "reason", "low"),
                          [(1, "=cmd|' /C calc'!A0", "@SUM(1)", Decimal("-1.5")),
                           (2, "plain", "-", Decimal(2)), (3, "+x", "\ttab", None)])
