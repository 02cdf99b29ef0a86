"""Staging a batch of sources, with a per-source cache of what staging produced.

A staging job batches many sources (see shards.py), so without a cache an edit to
one source re-stages all the sources of its batch. With a cache directory, each
source's products are stored under a key that digests everything staging that
source reads: its manifest row, its text and table bytes, the catalog and unit
files, raw/ignored.csv, the tolerance settings, the workspace path (it appears in
messages), the greenaudit code and the versions of the libraries staging uses
(cachekey.py).
Any change to one of them gives a new key, so an entry cannot be used stale; an
unreadable entry is staged afresh.

Entries are written to a temporary directory and renamed into place, so a reader
sees a whole entry or none; a source keeps only its latest entry.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from . import cachekey
from greenaudit.stage.coverage import IGNORED_FILE
from greenaudit.formats.parquet import CHECKS, COVERAGE, FINDINGS, OBSERVATIONS, TRANSCRIPTIONS, arrow_table
from greenaudit.stage.source import StageContext, Staged, all_findings, stage_source

log = logging.getLogger("greenaudit")

# Workspace files every source is staged against (StageContext.load reads them).
SHARED_INPUTS = ("schemas/indicators.yaml", "schemas/units.yaml", "schemas/units.txt",
                 IGNORED_FILE)
TABLE_SCHEMAS = {"transcriptions": TRANSCRIPTIONS, "observations": OBSERVATIONS,
                 "checks": CHECKS, "findings": FINDINGS, "coverage": COVERAGE}
NORMALISED_FILE = "normalised.txt"
# LZ4 frames: a third of the size of plain Arrow at no measurable cost.
WRITE_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


@dataclass(frozen=True)
class StagedTables:
    """One source's staging products as Arrow tables: what a shard's Parquet files hold."""

    source_id: str
    tables: dict[str, pa.Table]
    normalised_text: str

    @classmethod
    def of(cls, staged: Staged) -> "StagedTables":
        rows = {"transcriptions": staged.transcriptions, "observations": staged.observations,
                "checks": [c.as_dict() for c in staged.checks],
                "findings": all_findings(staged), "coverage": staged.coverage_rows}
        return cls(staged.source_id,
                   {name: arrow_table(rows[name], schema) for name, schema in TABLE_SCHEMAS.items()},
                   staged.normalised_text)

    def failing_checks(self) -> list[dict]:
        checks = self.tables["checks"]
        return [c for c in checks.to_pylist() if c["status"] == "fail"]


class StageCache:
    """Entries under `root`/<source_id>/<key>/ for the sources of one workspace."""

    def __init__(self, root: Path, context: StageContext) -> None:
        self.root = Path(root)
        self.context = context
        shared = hashlib.sha256(cachekey.code_fingerprint().encode())
        shared.update(f"\0{context.workspace}\0{context.settings!r}".encode())
        for name in SHARED_INPUTS:
            shared.update(f"\0{name}".encode())
            cachekey.digest_input(shared, context.workspace / name)
        self._shared = shared.hexdigest()

    def key(self, source_id: str) -> str:
        """The digest of everything staging `source_id` reads."""
        digest = hashlib.sha256(self._shared.encode())
        source = self.context.manifest.get(source_id)
        digest.update(f"\0{source_id}\0{source!r}".encode())
        if source is not None:
            cachekey.digest_input(digest, self.context.workspace / source.file)
        cachekey.digest_input(digest, self.context.workspace / "raw" / "tables" / f"{source_id}.csv")
        return digest.hexdigest()

    def _entry(self, source_id: str, key: str) -> Path:
        return self.root / source_id / key

    def get(self, source_id: str, key: str) -> StagedTables | None:
        entry = self._entry(source_id, key)
        if not entry.is_dir():
            return None
        try:
            tables = {}
            for name, schema in TABLE_SCHEMAS.items():
                with pa.OSFile(str(entry / f"{name}.arrow")) as handle:
                    table = pa.ipc.open_file(handle).read_all()
                if not table.schema.equals(schema):
                    raise ValueError(f"{name}: schema differs")
                tables[name] = table
            text = (entry / NORMALISED_FILE).read_bytes().decode("utf-8")
        except (OSError, ValueError, pa.ArrowException) as exc:
            log.warning("%s: unreadable stage cache entry %s (%s); staging afresh",
                        source_id, entry, exc)
            return None
        return StagedTables(source_id, tables, text)

    def put(self, key: str, staged: StagedTables) -> None:
        """Store an entry (atomically) and drop the source's older ones.

        A cache that cannot be written (full or read-only disk) costs speed, not the
        build: the failure is logged and staging goes on.
        """
        entry = self._entry(staged.source_id, key)
        tmp = entry.with_name(f".{key}.{os.getpid()}.tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for name, table in staged.tables.items():
                with pa.OSFile(str(tmp / f"{name}.arrow"), "wb") as sink:
                    with pa.ipc.new_file(sink, table.schema, options=WRITE_OPTIONS) as writer:
                        writer.write_table(table)
            (tmp / NORMALISED_FILE).write_bytes(staged.normalised_text.encode("utf-8"))
            # An entry that is there was unreadable (Snakemake runs one job per shard,
            # and a source is in one shard), so it is replaced.
            shutil.rmtree(entry, ignore_errors=True)
            os.rename(tmp, entry)
        except (OSError, pa.ArrowException) as exc:
            log.warning("%s: stage cache entry not written (%s)", staged.source_id, exc)
            return
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for other in entry.parent.iterdir():
            if other.name != key and not other.name.startswith("."):
                shutil.rmtree(other, ignore_errors=True)


def stage_batch(context: StageContext, source_ids: Iterable[str],
                cache_dir: Path | None = None) -> Iterator[tuple[StagedTables, bool]]:
    """Each source's staging products, and whether they came from the cache."""
    cache = StageCache(cache_dir, context) if cache_dir is not None else None
    for source_id in source_ids:
        key = cache.key(source_id) if cache else ""
        cached = cache.get(source_id, key) if cache else None
        if cached is not None:
            yield cached, True
            continue
        staged = StagedTables.of(stage_source(context.workspace, source_id, context=context))
        if cache:
            cache.put(key, staged)
        yield staged, False


def prune_unlisted(root: Path, listed: Iterable[str]) -> list[str]:
    """Remove the entries of sources no longer in the manifest; return their ids.

    For a step that runs when no staging job does (build-db, which needs them all).
    """
    keep = set(listed)
    try:
        gone = sorted(p.name for p in root.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and p.name not in keep)
    except OSError:  # no cache (or none readable): nothing to prune
        return []
    for source_id in gone:
        shutil.rmtree(root / source_id, ignore_errors=True)
    return gone
