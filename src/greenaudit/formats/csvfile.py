"""Read the project's hand-edited CSV files with located, readable errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from greenaudit.errors import InputError
from greenaudit.formats.inputfile import read_input

MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True)
class Row:
    """One data row and the physical line it starts on (1-based, header is line 1)."""

    line: int
    values: dict[str, str]
    # The file's header, so that an error names the column where this file has it.
    header: tuple[str, ...] = ()

    def column(self, name: str) -> int | None:
        """The 1-based column of `name` in this file (None when the file lacks it)."""
        return self.header.index(name) + 1 if name in self.header else None

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default) or default


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (a BOM is accepted); anything else is an error naming line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise encoding_error(path, data, exc) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        before = text[: text.index("\x00")]
        raise InputError("NUL byte; expected text (is the file binary or UTF-16?)", file=str(path),
                         line=before.count("\n") + 1, column=len(before) - before.rfind("\n"))
    return text


def encoding_error(path: Path, data: bytes, exc: UnicodeDecodeError) -> InputError:
    """The located error for bytes that are not UTF-8, naming the likely encoding."""
    before = data[: exc.start]
    line = before.count(b"\n") + 1
    column = exc.start - (before.rfind(b"\n") + 1) + 1
    return InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}){_guess_encoding(data)}; "
                      f"expected a UTF-8 file", file=str(path), line=line, column=column)


def _guess_encoding(data: bytes) -> str:
    """A hint naming the legacy encoding the bytes most likely are in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ", looks like UTF-16; re-save it as UTF-8"
    # A Chinese character in GBK or Big5 is two bytes, most often both >= 0x80;
    # Latin-1 and Windows-1252 accented letters are single high bytes between ASCII.
    high = [i for i, b in enumerate(data) if b >= 0x80]
    isolated = all((i == 0 or data[i - 1] < 0x80) and (i + 1 == len(data) or data[i + 1] < 0x80)
                   for i in high)
    candidates = [("gb2312", "GBK"), ("latin-1", "Latin-1 or Windows-1252"), ("big5", "Big5"),
                  ("gb18030", "GB18030")]
    for encoding, name in candidates:
        if encoding == "latin-1" and not isolated:
            continue
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return f", looks like {name}; re-save it as UTF-8"
    return ", in an unknown legacy encoding; re-save it as UTF-8"


def _csv_problem(exc: csv.Error) -> str:
    """What a csv module error means for a hand-edited table, and what was expected."""
    text = str(exc)
    if "field larger than field limit" in text:
        return (f"a field is longer than {csv.field_size_limit()} characters; expected at most "
                f"{MAX_FIELD_CHARS}")
    return (f"malformed CSV ({text}); expected RFC 4180 quoting: check for an unbalanced "
            f"double quote starting on this line")


def _header_hint(header: list[str], required: tuple[str, ...]) -> str:
    """Why a header lacks columns, when a spreadsheet export explains it."""
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("，", "full-width commas")):
            if separator in header[0]:
                return f" (its fields are separated by {name}; expected commas)"
    if any(h.lower() in required for h in header if h not in required):
        return " (column names are lower case)"
    return ""


def read_rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (),
              allow_empty: bool = False) -> list[Row]:
    """Rows of a CSV file whose header must contain `required` (and may contain `optional`)."""
    text = decode(path, read_input(path))
    if not text.strip():
        raise InputError(f"empty file; expected a header {','.join(required + optional)}",
                         file=str(path), line=1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"header: {_csv_problem(exc)}", file=str(path), line=1) from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing required column(s) {', '.join(missing)}; header is "
                         f"{','.join(header)}, expected {','.join(required + optional)}"
                         f"{_header_hint(header, required)}", file=str(path), line=1)
    unknown = [h for h in header if h not in required and h not in optional]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; expected "
                         f"{','.join(required + optional)}", file=str(path), line=1,
                         column=header.index(unknown[0]) + 1)
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InputError(f"column(s) {', '.join(duplicated)} appear twice in the header",
                         file=str(path), line=1)
    rows: list[Row] = []
    names = tuple(header)
    line = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(_csv_problem(exc), file=str(path), line=line) from None
        start, line = line, reader.line_num + 1
        if not fields or fields == [""]:
            continue
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} fields ({','.join(header)}), found "
                             f"{len(fields)}", file=str(path), line=start,
                             column=min(len(fields), len(header)) + 1)
        for index, value in enumerate(fields):
            if len(value) > MAX_FIELD_CHARS:
                raise InputError(f"field is {len(value)} characters long; expected at most "
                                 f"{MAX_FIELD_CHARS}", file=str(path), line=start,
                                 column=index + 1, field=header[index])
        rows.append(Row(start, {h: v.strip() for h, v in zip(header, fields)}, names))
    if not rows and not allow_empty:
        raise InputError("no data rows; expected at least one row after the header",
                         file=str(path), line=2)
    return rows
