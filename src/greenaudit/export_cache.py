"""The exported observations and coverage CSVs, kept with where each source's rows lie.

Both tables are published sorted by source_id first, so each source's rows are one
run of bytes. The entry (`cache_dir`/export/<table>.csv, a copy of the last export,
and <table>.json) records the summary of each source's rows in the
database (row_summary.py) and the byte range of its rows in the file. An export
then writes, in source order, the stored bytes of every source whose summary is
unchanged and the freshly exported rows of the others: at a million observations,
about a second instead of four.

Row ends are found without parsing the CSV: a line break ends a record exactly when
an even number of quote characters precede it (quotes inside a field are doubled,
and a field holding a line break is quoted). The entry is used only under the same
key (code, DuckDB's version, the table's column types, the columns written and
their order) and while its copy has the size and modification time recorded;
anything else exports the whole table.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import duckdb
import numpy as np

from greenaudit.formats.atomic import atomic_path
from .row_summary import summaries, table_key

log = logging.getLogger("greenaudit")

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
    """The entries under `cache_dir`/export/."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "export"

    def write(self, con: duckdb.DuckDBPyConnection, table: str, path: Path,
              export: Exporter, *key_parts: object) -> str:
        """Write `table`'s CSV to `path` through the entry; say how it was written."""
        key = table_key(con, table, (), *key_parts)
        current = summaries(con, table)
        order = list(current)
        counts = {s: n for s, (n, _) in current.items()}
        stored = self._load(table, key)
        if stored is not None:
            try:
                return self._reuse(table, path, export, stored, current, order, counts, key)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("export cache of %s not usable (%s); exporting afresh", table, exc)
        export(None, [], path, True)
        header = int(row_ends(path)[0]) if path.stat().st_size else 0
        blocks = _blocks(path, header, order, counts)
        self._store(table, path, key, header, current, blocks)
        return "exported afresh"

    def _reuse(self, table, path, export, stored, current, order, counts, key) -> str:
        old_file = self.root / f"{table}.csv"
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
        self._store(table, path, key, header, current, blocks)
        return f"{len(changed)} of {len(order)} sources exported, the rest reused"

    def _load(self, table: str, key: str) -> dict | None:
        manifest = self.root / f"{table}.json"
        try:
            stored = json.loads(manifest.read_text(encoding="utf-8"))
            stat = (self.root / f"{table}.csv").stat()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("unreadable export cache entry %s (%s); exporting afresh", manifest, exc)
            return None
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        if [stat.st_size, stat.st_mtime_ns] != stored.get("stat"):
            log.warning("%s changed since it was cached; exporting afresh", manifest.with_suffix(".csv"))
            return None
        return stored

    def _store(self, table: str, path: Path, key: str, header: int, current: dict,
               blocks: dict) -> None:
        """Link the written file as the entry and record its blocks; skipped if it cannot be."""
        data = self.root / f"{table}.csv"
        manifest = self.root / f"{table}.json"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            manifest.unlink(missing_ok=True)
            copied = data.with_name(f".{data.name}.tmp")
            # A copy, not a link: the workflow may touch its outputs, and a user may edit
            # them; only greenaudit writes under the cache.
            shutil.copyfile(path, copied)
            os.replace(copied, data)
            stat = data.stat()
            record = {"key": key, "stat": [stat.st_size, stat.st_mtime_ns], "header": header,
                      "sources": list(current),
                      "blocks": [[list(current[s]), blocks[s]] for s in current]}
            temporary = manifest.with_name(f".{manifest.name}.tmp")
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, manifest)
        except OSError as exc:
            log.warning("export cache entry for %s not written (%s)", table, exc)
