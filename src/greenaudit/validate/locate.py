"""Where a pandera failure case is in the files a person edits.

pandera names a failing row by its key in the database table ("source_id=a;
row_number=7", `row_keys`). A transcription or observation row is
line `row_number` of raw/tables/<source_id>.csv (a derived one, line `row_number`
of schemas/rules.yaml); a coverage row is a character offset in
raw/sources/<source_id>.txt. This module turns the key into `file:line:column
(column)`, reading only the headers and texts of the files it names.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

import pandas as pd

from greenaudit.errors import InputError
from greenaudit.formats.inputfile import read_input
from greenaudit.stage.observe import TABLE_COLUMNS, TABLE_OPTIONAL

RULES_FILE = "schemas/rules.yaml"
DERIVED_PREFIX = "derived:"
# Columns an observation computes from its quantity are located at the quantity.
COMPUTED_FROM_QUANTITY = {"value", "unit", "qualifier", "value_canonical", "unit_canonical",
                          "lower", "upper", "stated_lower", "stated_upper", "kind"}
COMPUTED_FROM_QUOTE = {"evidence", "quote_start", "quote_end", "quantity_start", "quantity_end"}


def parse_key(row: str) -> dict[str, str]:
    """{column: value} of a row key "a=1;b=2" (empty when it names no row)."""
    key: dict[str, str] = {}
    for part in row.split(";") if row else []:
        name, equals, value = part.partition("=")
        if not equals:
            return {}
        key[name] = value
    return key


def row_keys(frame: pd.DataFrame, index: pd.Series, key: tuple[str, ...]) -> pd.Series:
    """Each failing row named by its key ("source_id=a;row_number=7"), '' for a whole column.

    A position in the frame would depend on the rows' physical order in the database,
    which differs between a full load and a reused one (load_cache).
    """
    named = pd.Series("", index=index.index, dtype=object)
    at = pd.to_numeric(index, errors="coerce")
    found = at.notna() & at.between(0, len(frame) - 1)
    if found.any():
        rows = frame.iloc[at[found].astype(int).to_numpy()]
        columns = [(column, rows[column].tolist()) for column in key if column in rows]
        if columns:
            named[found] = [";".join(f"{column}={values[i]}" for column, values in columns)
                            for i in range(len(rows))]
    return named


@lru_cache(maxsize=4096)
def _header(path: str) -> tuple[str, ...]:
    try:  # read as every workspace input is: a link or a FIFO in its place is not read
        text = read_input(Path(path)).decode("utf-8-sig")
        return tuple(h.strip() for h in next(csv.reader(io.StringIO(text)), []))
    except (InputError, UnicodeDecodeError, csv.Error):
        return ()


@lru_cache(maxsize=256)
def _line_starts(path: str) -> tuple[int, ...]:
    try:
        text = read_input(Path(path)).decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return ()
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return tuple(starts)


def _table_column(path: str, column: str) -> tuple[int, str]:
    """(1-based column, name) of `column` in a transcription table, as its header has it."""
    name = ("quantity" if column in COMPUTED_FROM_QUANTITY
            else "quote" if column in COMPUTED_FROM_QUOTE else column)
    header = _header(path) or TABLE_COLUMNS + TABLE_OPTIONAL
    if name in header:
        return header.index(name) + 1, name
    return 1, header[0] if header else name


def location(workspace: Path, table: str, column: str, row: str) -> str:
    """`file:line:column (column)` of a failing row, or '' when the row is not in a file."""
    key = parse_key(row)
    source_id = key.get("source_id", "")
    if table in ("transcriptions", "observations") and source_id and key.get("row_number"):
        line = key["row_number"]
        if source_id.startswith(DERIVED_PREFIX):
            return f"{RULES_FILE}:{line}"
        name = f"raw/tables/{source_id}.csv"
        number, field = _table_column(str(workspace / name), column)
        return f"{name}:{line}:{number} ({field})"
    if table == "coverage" and source_id and key.get("start", "").isdigit():
        name = f"raw/sources/{source_id}.txt"
        starts = _line_starts(str(workspace / name))
        offset = int(key["start"])
        if starts:
            line = bisect_right(starts, offset) - 1
            return f"{name}:{line + 1}:{offset - starts[line] + 1}"
        return name
    if table == "indicators" and key:
        return "indicator " + "/".join(v for v in key.values() if v)
    return ""


def first_of(places: list[str], limit: int = 5) -> str:
    """The first `limit` of the distinct located failures, sorted, and how many more."""
    distinct = sorted(set(places))
    more = f"; and {len(distinct) - limit} more" if len(distinct) > limit else ""
    return "; ".join(distinct[:limit]) + more
