"""The exported observations and coverage CSVs, kept with where each source's rows lie.

Both tables are published sorted by source_id first, so each source's rows are one
run of bytes. The entry (a slot per table in the store's `export` namespace)
holds a copy of the last export and, as its meta, the summary of each source's
rows in the database (rows.py) and the byte range of its rows in the file. An
export then writes, in source order, the stored bytes of every source whose
summary is unchanged and the freshly exported rows of the others.

Row ends are found without parsing the CSV: a line break ends a record exactly when
an even number of quote characters precede it (quotes inside a field are doubled,
and a field holding a line break is quoted). The entry is used only under the same
key (code, the table's column types, the columns written and their order) and once
its copy verifies against its recorded SHA-256; anything else exports the whole
table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import duckdb
import numpy as np

from greenaudit.formats.atomic import atomic_path
from .fingerprint import code_fingerprint
from .rows import summaries, table_key
from .store import Entry, Store

log = logging.getLogger("greenaudit")

NAMESPACE = "export"
# Tables published sorted by source_id first.
BY_SOURCE = ("observations", "coverage")
_CHUNK = 1 << 26  # bytes scanned at a time for row ends
QUOTE, NEWLINE = ord('"'), ord("\n")

# (SQL condition on the table as `src`, or None for every row; CSV path; header or not)
Exporter = Callable[[str | None, list, Path, bool], int]


def row_ends(path: Path, start: int = 0) -> np.ndarray:
    """Offsets just past each record's line break in `path`, from byte `start` on."""
    ends: list[np.ndarray] = []
    quotes = 0
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        while chunk := handle.read(_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            quote_at = np.flatnonzero(data == QUOTE)
            newline_at = np.flatnonzero(data == NEWLINE)
            before = quotes + np.searchsorted(quote_at, newline_at)
            ends.append(offset + newline_at[before % 2 == 0] + 1)
            quotes += len(quote_at)
            offset += len(chunk)
    return np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)


def _blocks(path: Path, start: int, order: list, counts: dict) -> dict:
    """{source: [start, length]} of consecutive sources in `path`, `counts[s]` rows each."""
    ends = row_ends(path, start)
    total = sum(counts[s] for s in order)
    if len(ends) != total:
        raise ValueError(f"{path}: {len(ends)} records from byte {start}, expected {total}")
    blocks, row, at = {}, 0, start
    for source in order:
        row += counts[source]
        end = int(ends[row - 1]) if row else start
        blocks[source] = [at, end - at]
        at = end
    return blocks


def _copy_range(source, target, start: int, length: int) -> None:
    while length > 0:
        sent = os.sendfile(target.fileno(), source.fileno(), start, length)
        if sent == 0:
            raise OSError(f"{source.name}: ended before byte {start + length}")
        start += sent
        length -= sent


class ExportCache:
    """The export entries of the tables sorted by source first."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.retain(BY_SOURCE)

    def write(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
              export: Exporter, *key_parts: object) -> str:
        """Write `table`'s CSV to `path` through the entry; say how it was written."""
        key = table_key(con, table, code_fingerprint("greenaudit.audit.publish"), *key_parts)
        current = summaries(con, table)
        order = list(current)
        counts = {s: n for s, (n, _) in current.items()}
        entry = self.store.entry(table, key)
        if entry is not None:
            try:
                return self._reuse(entry, path, export, current, order, counts)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("cache export/%s: not usable (%s); exporting afresh", table, exc)
        export(None, [], path, True)
        header = int(row_ends(path)[0]) if path.stat().st_size else 0
        blocks = _blocks(path, header, order, counts)
        self._store(table, path, key, header, current, blocks)
        return "exported afresh"

    def _reuse(self, entry: Entry, path: Path, export: Exporter, current: dict, order: list,
               counts: dict) -> str:
        table = entry.path.name
        stored = entry.meta
        old_file = entry.file(f"{table}.csv")
        old = dict(zip(stored["sources"], stored["blocks"]))  # a NULL source id is None
        changed = [s for s in order if old.get(s, [None])[0] != list(current[s])]
        part = path.with_name(f".{path.name}.changed")
        fresh: dict = {}
        try:
            if changed:
                ids = [s for s in changed if s is not None]
                condition = "src.source_id IN (SELECT unnest(?::VARCHAR[]))"
                if None in changed:
                    condition += " OR src.source_id IS NULL"
                export(condition, [ids], part, False)
                fresh = _blocks(part, 0, changed, counts)
            blocks: dict = {}
            header = stored["header"]
            with ExitStack() as files:
                tmp = files.enter_context(atomic_path(path))
                out = files.enter_context(open(tmp, "wb"))
                src = files.enter_context(open(old_file, "rb"))
                new = files.enter_context(open(part, "rb")) if fresh else None
                _copy_range(src, out, 0, header)
                at = header
                for source in order:
                    if source in fresh:
                        start, length = fresh[source]
                        _copy_range(new, out, start, length)
                    else:
                        start, length = old[source][1]
                        _copy_range(src, out, start, length)
                    blocks[source] = [at, length]
                    at += length
        finally:
            part.unlink(missing_ok=True)
        self._store(table, path, entry.key, header, current, blocks)
        return f"{len(changed)} of {len(order)} sources exported, the rest reused"

    def _store(self, table: str, path: Path, key: str, header: int, current: dict,
               blocks: dict) -> None:
        """Keep a copy of the written file (not a link: the workflow may touch its
        outputs, and a user may edit them) with its blocks."""
        meta = {"header": header, "sources": list(current),
                "blocks": [[list(current[s]), blocks[s]] for s in current]}
        self.store.put(table, key, {f"{table}.csv": path}, meta)
