"""`greenaudit scaffold`: candidate table rows for the mentions nobody accounted for.

For every numeric mention of a source that coverage reports `missing`, one row is
appended to raw/tables/<source_id>.csv with the quantity (extended over its
qualifier, magnitude and unit where the quantity grammar accepts them), the
sentence around it as quote, and a blank indicator_id and period for a person to
complete (or to move the mention to raw/ignored.csv). The table is rewritten
atomically and read back before it replaces the original, so a failed run
leaves it as it was.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .csvfile import decode, read_rows
from .errors import InputError, QuantityError
from .inputfile import read_input
from .mentions import breaks_of
from .normalise import NormalisedText, normalise
from .publish import write_atomic
from .quantity import PREFIXES, QuantityParser
from .stage import (FORMULA_PREFIXES, TABLE_COLUMNS, TABLE_OPTIONAL, StageContext,
                    stage_source)

SENTENCE_ENDS = "。!?;"
MAX_SIDE = 40        # characters of context kept on each side of the mention
MAX_SUFFIX = 8       # characters a quantity may extend past its number (unit, 以上...)
NOTE_PREFIX = "scaffold: "
_DIGITS = set("0123456789.")


def candidate_quantity(normalised: NormalisedText, start: int, end: int,
                       parser: QuantityParser) -> tuple[int, int]:
    """The longest span around text[start:end] that parses as a quantity (or the mention)."""
    text = normalised.text
    breaks = breaks_of_digits(normalised)
    starts = [start] + [start - len(p) for p in PREFIXES if text.startswith(p, start - len(p))]
    best = (start, end)
    for a in starts:
        if a < 0:
            continue
        for b in range(end, min(len(text), end + MAX_SUFFIX) + 1):
            if b - a <= best[1] - best[0] or any(a < i < b for i in breaks):
                continue
            try:
                parser.parse(text[a:b])
            except QuantityError:
                continue
            best = (a, b)
    return best


def breaks_of_digits(normalised: NormalisedText) -> set[int]:
    """Positions where whitespace or removed text separated two digits in the original."""
    text = normalised.text
    return {i for i in range(1, len(text))
            if text[i - 1] in _DIGITS and text[i] in _DIGITS
            and normalised.origin[i] != normalised.origin_end[i - 1]}


def sentence_span(normalised: NormalisedText, original: str, start: int,
                  end: int) -> tuple[int, int]:
    """The sentence around text[start:end], cut at paragraph breaks and MAX_SIDE."""
    text = normalised.text

    def paragraph_break(i: int) -> bool:   # a blank line in the original before text[i]
        gap = original[normalised.origin_end[i - 1]:normalised.origin[i]]
        return gap.count("\n") >= 2

    a = start
    while a > 0 and start - a < MAX_SIDE and text[a - 1] not in SENTENCE_ENDS \
            and not paragraph_break(a):
        a -= 1
    b = end
    while b < len(text) and b - end < MAX_SIDE and text[b] not in SENTENCE_ENDS \
            and not paragraph_break(b):
        b += 1
    while a < start and (text[a] in ",、:" or text[a].startswith(FORMULA_PREFIXES)):
        a += 1
    return a, b


def readable(normalised: NormalisedText, original: str, start: int, end: int) -> str:
    """Original characters of text[start:end], one space where the original had whitespace."""
    breaks = breaks_of(normalised, original)
    pieces = []
    for i in range(start, end):
        if i > start and i in breaks:
            pieces.append(" ")
        pieces.append(normalised.original_characters(original, i, i + 1))
    return "".join(pieces)


def scaffold_rows(workspace: Path, source_id: str,
                  context: StageContext | None = None) -> list[dict[str, str]]:
    """Candidate rows for the source's missing mentions, not already in its table."""
    context = context or StageContext.load(workspace)
    source = context.manifest.get(source_id)
    if source is None:
        raise InputError(f"source_id {source_id!r} is not in raw/sources.csv",
                         file=str(workspace / "raw" / "sources.csv"))
    table_path = workspace / "raw" / "tables" / f"{source_id}.csv"
    existing = (read_rows(table_path, TABLE_COLUMNS, TABLE_OPTIONAL, allow_empty=True)
                if os.path.lexists(table_path) else [])
    if context.ignored_error:
        raise InputError(context.ignored_error)
    staged = stage_source(workspace, source_id, context=context)
    if staged.coverage is None or staged.normalised is None or staged.original is None:
        raise InputError("source text unavailable (see its checksum and encoding)",
                         file=str(workspace / source.file))
    normalised, original = staged.normalised, staged.original
    seen = {(normalise(r.get("quantity"), source.cleaning).text,
             normalise(r.get("quote"), source.cleaning).text) for r in existing}
    rows = []
    for mention, _ in staged.coverage.missing:
        q_start, q_end = candidate_quantity(normalised, mention.text_start, mention.text_end,
                                            context.parser)
        s_start, s_end = sentence_span(normalised, original, q_start, q_end)
        quantity = readable(normalised, original, q_start, q_end)
        quote = readable(normalised, original, s_start, s_end)
        key = (normalise(quantity, source.cleaning).text, normalise(quote, source.cleaning).text)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"indicator_id": "", "period": "", "quantity": quantity, "quote": quote,
                     "breakdown": "", "note": f"{NOTE_PREFIX}{source.file}:{mention.line}:"
                                              f"{mention.column}"})
    return rows


def append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Append rows to a CSV table in its own column order and line ending, atomically."""
    if not rows:
        return
    data = read_input(path)
    text = decode(path, data)
    header = [h.strip() for h in next(csv.reader(io.StringIO(text)))]
    before = len(read_rows(path, TABLE_COLUMNS, TABLE_OPTIONAL, allow_empty=True))
    newline = "\r\n" if b"\r\n" in data else "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    separator = b"" if not data or data.endswith(b"\n") else newline.encode()
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data + separator + buffer.getvalue().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        after = read_rows(tmp, TABLE_COLUMNS, TABLE_OPTIONAL, allow_empty=True)
        if len(after) != before + len(rows):   # pragma: no cover - a guard, not a branch
            raise InputError(f"appending {len(rows)} rows would give {len(after)} rows, not "
                             f"{before + len(rows)}; table left unchanged", file=str(path))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def scaffold(workspace: Path, source_id: str, dry_run: bool = False) -> list[dict[str, str]]:
    """Append candidate rows for every missing mention; return the rows (appended unless
    `dry_run`). A source without a table gets one, with the header."""
    rows = scaffold_rows(workspace, source_id)
    if dry_run:
        return rows
    path = workspace / "raw" / "tables" / f"{source_id}.csv"
    if rows and not os.path.lexists(path):
        write_atomic(path, ",".join(TABLE_COLUMNS + TABLE_OPTIONAL) + "\n")
    append_rows(path, rows)
    return rows
