"""`greenaudit scaffold`: proposed table rows for the mentions nobody accounted for.

For every numeric mention of a source that coverage reports `missing`, scaffold
either proposes it for raw/ignored.csv with a reason (a clock time, an ordinal,
a name; printed, never written) or appends one candidate row to
raw/tables/<source_id>.csv: the quantity (extended over its qualifier, magnitude
and unit where the quantity grammar accepts them) and a quote cut at clause
boundaries, with `indicator_id`, `period` and `breakdown` left blank and proposed
in the note (`scaffold: <file>:<line>:<column>; proposed indicator_id=…, period=…,
breakdown=…; confidence …`). A blank indicator_id keeps the row unconfirmed, so
the build fails until a person confirms the proposal (`--confirm LINE`, or by
hand) or moves the mention to raw/ignored.csv. See tools/scaffold for how the
proposals are made and measured.

The table is rewritten atomically and read back before it replaces the original,
so a failed run leaves it as it was.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.formats.csvfile import decode, read_rows
from greenaudit.formats.inputfile import read_input
from greenaudit.errors import InputError
from greenaudit.text.normalise import normalise
from greenaudit.audit.publish import write_atomic
from greenaudit.stage.source import TABLE_COLUMNS, TABLE_OPTIONAL, StageContext, stage_source
from greenaudit.tools.scaffold.document import Document
from greenaudit.tools.scaffold.proposal import Proposal, SetAside, Tools, propose

NOTE_PREFIX = "scaffold: "
PROPOSED = re.compile(r"; proposed indicator_id=(?P<indicator_id>[^,;]*), "
                      r"period=(?P<period>[^,;]*), breakdown=(?P<breakdown>[^,;]*);")


@dataclass
class Scaffolded:
    """What scaffolding one source gives: rows to append and mentions to set aside."""

    source_id: str
    rows: list[dict[str, str]] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)     # one per row
    set_aside: list[SetAside] = field(default_factory=list)

    def ignored_lines(self) -> list[str]:
        """raw/ignored.csv rows (CSV, without header) for the mentions set aside."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for item in self.set_aside:
            writer.writerow([self.source_id, item.mention.mention, item.context, item.reason])
        return buffer.getvalue().splitlines()


def note_of(proposal: Proposal, file: str) -> str:
    """The note of an unconfirmed row: where the mention is and what is proposed."""
    p, period = proposal, proposal.period
    how = f"period stated ({period.evidence})" if period.stated else \
        f"period inferred ({period.evidence})"
    also = ", ".join(f"{r.indicator_id} ({r.score:.2f})" for r in p.alternatives[:2])
    return (f"{NOTE_PREFIX}{file}:{p.mention.line}:{p.mention.column}; proposed "
            f"indicator_id={p.indicator_id}, period={period.period}, breakdown={p.breakdown}; "
            f"confidence {p.confidence:.2f}; {how}" + (f"; next: {also}" if also else ""))


def scaffolded(workspace: Path, source_id: str,
               context: StageContext | None = None) -> Scaffolded:
    """Proposals for the source's missing mentions that are not already in its table."""
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
    if staged.coverage is None or staged.original is None:
        raise InputError("source text unavailable (see its checksum and encoding)",
                         file=str(workspace / source.file))
    doc = Document.build(source, staged.original)
    proposals, set_aside = propose(doc, [row for row, _ in staged.coverage.missing],
                                   Tools.load(context))

    def key(quantity: str, quote: str) -> tuple[str, str]:
        return normalise(quantity, source.cleaning).text, normalise(quote, source.cleaning).text

    seen = {key(r.get("quantity"), r.get("quote")) for r in existing}
    result = Scaffolded(source_id, set_aside=set_aside)
    for p in proposals:
        if key(p.quantity, p.quote) in seen:
            continue
        result.proposals.append(p)
        result.rows.append({"indicator_id": "", "period": "", "quantity": p.quantity,
                            "quote": p.quote, "breakdown": "", "note": note_of(p, source.file)})
    return result


def scaffold_rows(workspace: Path, source_id: str,
                  context: StageContext | None = None) -> list[dict[str, str]]:
    """Candidate rows for the source's missing mentions, not already in its table."""
    return scaffolded(workspace, source_id, context).rows


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
    _replace(path, data + separator + buffer.getvalue().encode("utf-8"), before + len(rows))


def _replace(path: Path, data: bytes, expected_rows: int) -> None:
    """Write `data` beside `path`, check it reads back as `expected_rows` rows, rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        after = read_rows(tmp, TABLE_COLUMNS, TABLE_OPTIONAL, allow_empty=True)
        if len(after) != expected_rows:   # pragma: no cover - a guard, not a branch
            raise InputError(f"the new table would have {len(after)} rows, not "
                             f"{expected_rows}; table left unchanged", file=str(path))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def scaffold(workspace: Path, source_id: str, dry_run: bool = False) -> Scaffolded:
    """Append the candidate rows of every missing mention (unless `dry_run`) and return
    them with the mentions proposed for raw/ignored.csv. A source without a table gets
    one, with the header."""
    result = scaffolded(workspace, source_id)
    if dry_run:
        return result
    path = workspace / "raw" / "tables" / f"{source_id}.csv"
    if result.rows and not os.path.lexists(path):
        write_atomic(path, ",".join(TABLE_COLUMNS + TABLE_OPTIONAL) + "\n")
    append_rows(path, result.rows)
    return result


def _records(text: str) -> tuple[list[str], dict[int, tuple[int, list[str]]]]:
    """The header and {first line: (last line, fields)} of each record of a CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    records, line = {}, reader.line_num + 1
    for fields in reader:
        start, line = line, reader.line_num + 1
        if fields and fields != [""]:
            records[start] = (line - 1, fields)
    return header, records


def confirm(workspace: Path, source_id: str, lines: list[int]) -> list[int]:
    """Fill indicator_id, period and breakdown of the given table lines from their
    scaffold note; return the lines confirmed. Other lines are kept byte for byte; a
    line that is not an unconfirmed scaffold row is an error naming it."""
    path = workspace / "raw" / "tables" / f"{source_id}.csv"
    if not os.path.lexists(path):
        raise InputError("no such table", file=str(path))
    data = read_input(path)
    text = decode(path, data)
    header, records = _records(text)
    physical = text.splitlines(keepends=True)
    newline = "\r\n" if b"\r\n" in data else "\n"
    for line in sorted(set(lines), reverse=True):
        last, fields = records.get(line, (line, []))
        row = dict(zip(header, fields))
        match = PROPOSED.search(row.get("note", ""))
        if match is None or row.get("indicator_id"):
            raise InputError("not an unconfirmed scaffold row (blank indicator_id and a "
                             "'proposed' note)", file=str(path), line=line)
        if match["breakdown"] and "breakdown" not in header:
            raise InputError(f"the proposal has breakdown {match['breakdown']}; add a "
                             f"breakdown column to the table", file=str(path), line=line)
        row.update({c: match[c] for c in ("indicator_id", "period", "breakdown")})
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerow([row.get(h, "") for h in header])
        ending = "" if not physical[last - 1].endswith(("\n", "\r")) else newline
        physical[line - 1:last] = [buffer.getvalue().rstrip("\r\n") + ending]
    _replace(path, "".join(physical).encode("utf-8"), len(records))
    return sorted(set(lines))
