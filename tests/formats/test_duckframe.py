"""Tests of greenaudit.formats.duckframe: DuckDB tables read into pandas through Arrow."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from greenaudit.formats.duckframe import read_frame


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE t("end" INTEGER, n INTEGER, gaps INTEGER, flag BOOLEAN,
                   name VARCHAR, amount DECIMAL(38,10))""")
    con.execute("""INSERT INTO t VALUES
        (3, 1, NULL, NULL, 'c', 495000000000.0000000000),
        (1, 2, 7, true, NULL, 0.1000000000),
        (2, 3, 8, false, 'a', NULL)""")
    # enough rows for DuckDB to hand the result over in several chunks
    con.execute("CREATE TABLE big AS SELECT range AS i, 'x' || range AS s FROM range(300000)")
    con.close()
    return path


def test_dtypes_are_those_of_duckdb_df(db):
    frame = read_frame(db, "t")
    con = duckdb.connect(str(db), read_only=True)
    expected = con.execute("SELECT * FROM t").df()
    con.close()
    assert list(frame.columns) == list(expected.columns)
    for column in ("end", "n", "gaps", "flag", "name"):
        assert frame[column].dtype == expected[column].dtype, column
    assert frame["gaps"].dtype == pd.Int32Dtype() and frame["n"].dtype == np.int32
    assert frame["flag"].dtype == pd.BooleanDtype()
    assert frame["amount"].dtype == np.float64


def test_decimals_are_the_nearest_double(db):
    amount = read_frame(db, "t", ["amount"])["amount"]
    # a DECIMAL(38,10) read through .df() can come back as 495000000000.00006
    assert amount.iloc[0] == 495000000000.0
    assert amount.iloc[1] == 0.1
    assert np.isnan(amount.iloc[2])


def test_columns_and_order(db):
    frame = read_frame(db, "t", ["name", "end"], order_by=["end"])
    assert list(frame.columns) == ["name", "end"]  # "end" is an SQL keyword
    assert frame["end"].tolist() == [1, 2, 3]
    assert frame["name"].isna().tolist() == [True, False, False]
    nulls_last = read_frame(db, "t", ["name"], order_by=["name"])["name"]
    assert nulls_last.iloc[:2].tolist() == ["a", "c"] and pd.isna(nulls_last.iloc[2])


def test_missing_table_and_column(db):
    assert read_frame(db, "nope") is None
    with pytest.raises(duckdb.BinderException, match="missing"):
        read_frame(db, "t", ["missing"])


def test_each_column_is_one_contiguous_array(db):
    frame = read_frame(db, "big", order_by=["i"])
    assert len(frame) == 300000 and frame["i"].iloc[-1] == 299999
    assert frame["s"].array._pa_array.num_chunks == 1
