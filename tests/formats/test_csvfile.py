"""Tests of the located CSV reader (greenaudit.formats.csvfile)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenaudit.formats.csvfile import Row, read_rows
from greenaudit.errors import InputError

REQUIRED = ("indicator_id", "period", "quantity", "quote")
OPTIONAL = ("breakdown", "note")


def write(tmp_path: Path, data: bytes | str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read_error(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_rows(path, REQUIRED, OPTIONAL, **kwargs)
    assert info.value.file == str(path)
    return info.value


def test_reads_rows_with_line_numbers(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote\n"
                           "a,2022,15.5%,比重为15.5%\n"
                           'b,2023,"10,000个"," 共有10,000个 "\n')
    rows = read_rows(path, REQUIRED, OPTIONAL)
    assert [r.line for r in rows] == [2, 3]
    assert rows[0]["quantity"] == "15.5%"
    assert rows[1]["quantity"] == "10,000个"
    assert rows[1]["quote"] == "共有10,000个"        # fields are stripped
    assert rows[0].get("note") == ""                  # optional column absent
    assert isinstance(rows[0], Row)


def test_bom_and_crlf_are_accepted(tmp_path):
    text = "indicator_id,period,quantity,quote,note\r\na,2022,28%,比重28%,x\r\nb,2023,1,q,\r\n"
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    rows = read_rows(path, REQUIRED, OPTIONAL)
    assert [r.values for r in rows] == [
        {"indicator_id": "a", "period": "2022", "quantity": "28%", "quote": "比重28%", "note": "x"},
        {"indicator_id": "b", "period": "2023", "quantity": "1", "quote": "q", "note": ""},
    ]
    assert [r.line for r in rows] == [2, 3]


def test_gbk_bytes_are_an_error_naming_line_column_and_utf8(tmp_path):
    text = "indicator_id,period,quantity,quote\na,2022,28%,ok\nb,2023,30%,比重30%\n"
    path = write(tmp_path, text.encode("gbk"))
    error = read_error(path)
    assert (error.line, error.column) == (3, len("b,2023,30%,") + 1)
    message = str(error)
    assert "UTF-8" in message
    assert f"{path}:3:{len('b,2023,30%,') + 1}:" in message


def test_unbalanced_quote_names_the_line_it_starts_on(tmp_path):
    path = write(tmp_path, 'indicator_id,period,quantity,quote\n'
                           'a,2022,28%,ok\n'
                           'b,2023,30%,"比重30%\n'
                           'c,2024,31%,more\n')
    error = read_error(path)
    assert error.line == 3
    assert "double quote" in str(error)


def test_wrong_field_count_names_the_bad_row(tmp_path):
    path = write(tmp_path, 'indicator_id,period,quantity,quote\n'
                           'a,2022,28%,"a quote\nspanning two lines"\n'
                           'b,2023,30%\n')
    error = read_error(path)
    assert error.line == 4            # the multi-line record takes lines 2 and 3
    assert "expected 4 fields" in str(error)
    assert "found 3" in str(error)


def test_too_many_fields(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote\na,2022,28%,q,extra\n")
    error = read_error(path)
    assert error.line == 2
    assert "found 5" in str(error)


def test_missing_column(tmp_path):
    path = write(tmp_path, "indicator_id,period,quote\na,2022,q\n")
    error = read_error(path)
    assert error.line == 1
    assert "missing required column(s) quantity" in str(error)


def test_unknown_column_is_located(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote,colour\na,2022,1,q,red\n")
    error = read_error(path)
    assert (error.line, error.column) == (1, 5)
    assert "colour" in str(error)


def test_duplicated_column(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote,note,note\na,2022,1,q,x,y\n")
    assert "appear twice" in str(read_error(path))


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, data):
    error = read_error(write(tmp_path, data))
    assert error.line == 1
    assert "empty file" in str(error)


def test_header_only(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote\n")
    error = read_error(path)
    assert error.line == 2
    assert "no data rows" in str(error)
    assert read_rows(path, REQUIRED, OPTIONAL, allow_empty=True) == []


def test_blank_lines_are_skipped_without_losing_line_numbers(tmp_path):
    path = write(tmp_path, "indicator_id,period,quantity,quote\n\na,2022,1,q\n\nb,2023,2,q\n")
    assert [r.line for r in read_rows(path, REQUIRED, OPTIONAL)] == [3, 5]


def test_missing_file(tmp_path):
    assert "file not found" in str(read_error(tmp_path / "nope.csv"))


# ------------------------------------------------------------------ property

PIECES = st.sampled_from([
    b"a", b"x", b",", b'"', b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"\xff", b"\xe4\xb8", b"\x00",
    b" ", "超过".encode(), "超".encode("gbk"), b"a,b", b"a,b,c",
])


@st.composite
def csv_bytes(draw):
    body = draw(st.one_of(st.binary(max_size=120), st.lists(PIECES, max_size=30).map(b"".join)))
    prefix = draw(st.sampled_from([b"", b"a,b\n", b"a,b,c\r\n", b"\xef\xbb\xbfa,b\n"]))
    return prefix + body


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(csv_bytes(), st.booleans())
def test_arbitrary_bytes_give_rows_or_input_error(tmp_path, data, allow_empty):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        rows = read_rows(path, ("a", "b"), ("c",), allow_empty=allow_empty)
    except InputError as exc:
        assert exc.reason
        assert exc.file == str(path)
        return
    assert rows or allow_empty
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines)) and all(line >= 2 for line in lines)
    for row in rows:
        assert set(row.values) in ({"a", "b"}, {"a", "b", "c"})


@pytest.mark.parametrize("header, hint", [
    ("indicator_id;period;quantity;quote", "separated by semicolons; expected commas"),
    ("indicator_id\tperiod\tquantity\tquote", "separated by tabs; expected commas"),
    ("Indicator_ID,period,quantity,quote", "column names are lower case"),
])
def test_missing_columns_explained_by_a_spreadsheet_export(tmp_path, header, hint):
    error = read_error(write(tmp_path, f"{header}\na;2022;1;q\n"))
    assert hint in str(error)


@pytest.mark.parametrize("text, encoding, named", [
    ("a,b\n比重达到28%，较2012年提高\n", "gbk", "GBK"),
    ("a,b\n超過40%，綠色工廠\n", "big5", "Big5"),
    ("a,b\nnote,données révisées\n", "latin-1", "Latin-1 or Windows-1252"),
    ("a,b\nnote,“smart” quotes\n", "cp1252", "Latin-1 or Windows-1252"),
    ("a,b\n比重\n", "utf-16", "UTF-16"),
])
def test_legacy_encoding_is_named(tmp_path, text, encoding, named):
    error = read_error(write(tmp_path, text.encode(encoding)))
    assert f"looks like {named}; re-save it as UTF-8" in str(error)


def test_nul_byte_is_located(tmp_path):
    error = read_error(write(tmp_path, "indicator_id,period,quantity,quote\na,2022,1\x00,q\n"))
    assert (error.line, error.column) == (2, 9)
    assert "NUL byte" in str(error)
