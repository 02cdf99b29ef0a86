"""Tests of the published CSV format and the publication gate (greenaudit.audit.publish)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenaudit.audit.publish import format_cell, gate, to_csv, write_atomic

D = Decimal


@pytest.mark.parametrize("value, text", [
    (D("2.203E+13"), "22030000000000"),
    (D("27.5000000000"), "27.5"),
    (None, ""),
    (D("0E-10"), "0"),
    (D("-0"), "0"),
    (D("-0.0000000000"), "0"),
    (D("1E+2"), "100"),
    (D("0.000001"), "0.000001"),
    (D("1E-7"), "0.0000001"),
    (D("-3.50"), "-3.5"),
    (D("31415.9"), "31415.9"),
    (7, "7"),
    ("超过40%", "超过40%"),
    (True, "true"),
    (False, "false"),
])
def test_format_cell(value, text):
    assert format_cell(value) == text


def test_floats_are_refused():
    with pytest.raises(TypeError):
        format_cell(0.1)


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=D("-1e30"),
                   max_value=D("1e30")))
def test_format_cell_is_plain_positional(value):
    text = format_cell(value)
    assert "e" not in text.lower()
    assert set(text) <= set("-0123456789.")
    assert text != "-0"
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert (D(text) < 0) == (value < 0 and text != "0")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**18, max_value=10**18), st.integers(min_value=0, max_value=10))
def test_format_cell_round_trips_typical_values(unscaled, places):
    # Typical published values (up to 19 significant digits, 10 places) round-trip exactly.
    value = D(unscaled).scaleb(-places)
    assert D(format_cell(value)) == value


COLUMNS = ("indicator_id", "period", "value", "lower", "upper", "quote")
ROWS = [
    ("equip_mfg_share", "2012", D("28.2000000000"), D("28.15"), D("28.25"), "比重为28.2%"),
    ("green_factory_output_share_target", "2030", D("40"), D("40"), None,
     '到2030年，比重"超过"40%, 即'),
    ("industrial_output", "2022", D("2.203E+13"), D("2.2025E+13"), D("2.2035E+13"), "22.03万亿元"),
]


def test_to_csv_is_deterministic_and_round_trips():
    text = to_csv(COLUMNS, ROWS)
    assert text == to_csv(COLUMNS, list(ROWS))
    assert text.endswith("\n") and "\r" not in text
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1] == "equip_mfg_share,2012,28.2,28.15,28.25,比重为28.2%"
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[2] == ["green_factory_output_share_target", "2030", "40", "40", "",
                         '到2030年，比重"超过"40%, 即']
    assert parsed[3][2:5] == ["22030000000000", "22025000000000", "22035000000000"]
    assert "E+" not in text


def test_to_csv_header_only():
    assert to_csv(("a", "b"), []) == "a,b\n"


def test_write_atomic_writes_exact_bytes(tmp_path):
    path = tmp_path / "audit" / "x.csv"
    text = to_csv(COLUMNS, ROWS)
    write_atomic(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    assert not (path.parent / ".x.csv.tmp").exists()


def test_gate(tmp_path):
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"publishable": False, "errors": [
        {"check_id": "evidence.001", "message": "quote_not_found"},
        {"check_id": "agreement.conflicts_declared", "message": "sources disagree"}]}),
        encoding="utf-8")
    assert gate(status) == ["evidence.001: quote_not_found",
                            "agreement.conflicts_declared: sources disagree"]
    status.write_text(json.dumps({"publishable": True, "errors": []}), encoding="utf-8")
    assert gate(status) == []


@given(st.lists(st.decimals(min_value=D("-1e27"), max_value=D("1e27"), places=10,
                            allow_nan=False, allow_infinity=False) | st.none(),
                min_size=1, max_size=30))
@settings(max_examples=40, deadline=None)
def test_database_decimals_are_written_as_format_cell_writes_them(values) -> None:
    import duckdb

    from greenaudit.audit.publish import Export, write_table_csv

    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, x DECIMAL(38,10), label VARCHAR)")
    rows = [(i, v, None if i % 2 else "a,\"b\"") for i, v in enumerate(values)]
    # Inserted as text: the exact decimal, whatever the Python binding converts through.
    con.executemany("INSERT INTO t VALUES (?, CAST(? AS DECIMAL(38,10)), ?)",
                    [(i, None if v is None else str(v), label) for i, v, label in rows])
    columns = ("id", "x", "label")
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        assert write_table_csv(con, Export("t", columns, ("id",)), path) == len(values)
        written = path.read_text(encoding="utf-8")
    assert written == to_csv(columns, rows)


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    list("a ,\"'\n\r\t;=|\\") + ["万", "，", "\u3000", "é"]), max_size=8)), min_size=1, max_size=25))
@settings(max_examples=60, deadline=None)
def test_database_text_is_quoted_as_the_python_csv_writer_quotes_it(labels) -> None:
    """DuckDB's COPY writes what csv.writer would: minimal quoting, doubled quotes."""
    import tempfile
    from pathlib import Path

    import duckdb

    from greenaudit.audit.publish import Export, write_table_csv

    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, label VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(labels)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        assert write_table_csv(con, Export("t", ("id", "label"), ("id",)), path) == len(labels)
        written = path.read_bytes().decode("utf-8")
    assert written == to_csv(("id", "label"), list(enumerate(labels)))


def test_assemble_refuses_before_the_large_tables_are_exported(tmp_path):
    from greenaudit.audit.publish import EXPORTED_FILES, assemble

    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "observations.csv").write_text("source_id\n")
    with pytest.raises(FileNotFoundError) as info:
        assemble(tmp_path / "absent.duckdb", [], tmp_path)
    assert ", ".join(EXPORTED_FILES[1:]) + " not exported" in str(info.value)
    assert not (tmp_path / "status.json").exists()


@pytest.mark.parametrize("command, names", [("export", ["observations.csv", "checks.csv"]),
                                            ("assemble", ["observations.csv"])])
def test_audit_commands_refuse_other_tables(tmp_path, command, names):
    from greenaudit.cli import main

    tables = [str(tmp_path / "audit" / name) for name in names]
    args = [command, "--db", str(tmp_path / "x.duckdb"), "--tables", *tables]
    if command == "assemble":
        args += ["--status", str(tmp_path / "status.json")]
    with pytest.raises(SystemExit, match=f"{command}: --tables must be"):
        main(args)
    assert not (tmp_path / "audit").exists()
