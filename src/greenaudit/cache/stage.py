"""Staging a batch of sources, each source's products kept in the store (namespace `stage`).

A staging job batches many sources (shards.py: one interpreter start for many
sources), so without a cache an edit to one source re-stages all the sources of
its batch. Each source is a slot; its entry's key is the fingerprint of
everything staging that source reads: its manifest row, its text and table bytes,
the catalog and unit files, raw/ignored.csv, the tolerance settings, the
workspace path (it appears in messages) and the code staging runs. The payload
is the five products as Parquet and the normalised text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from greenaudit.stage.coverage import IGNORED_FILE
from greenaudit.formats.parquet import STAGED_SCHEMAS, arrow_table
from greenaudit.stage.source import StageContext, Staged, all_findings, stage_source
from .fingerprint import Input, code_fingerprint, fingerprint
from .store import DamagedEntry, Entry, Store

NAMESPACE = "stage"
# Workspace files every source is staged against (StageContext.load reads them).
SHARED_INPUTS = ("schemas/indicators.yaml", "schemas/units.yaml", "schemas/units.txt",
                 IGNORED_FILE)
TABLE_SCHEMAS = STAGED_SCHEMAS
NORMALISED_FILE = "normalised.txt"


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
    """The staging entries of the sources of one workspace."""

    def __init__(self, store: Store, context: StageContext) -> None:
        self.store = store
        self.context = context
        workspace = context.workspace
        self._shared = fingerprint(code_fingerprint(__name__), str(workspace),
                                   repr(context.settings),
                                   {name: Input(workspace / name) for name in SHARED_INPUTS})

    def key(self, source_id: str) -> str:
        """The fingerprint of everything staging `source_id` reads."""
        source = self.context.manifest.get(source_id)
        workspace = self.context.workspace
        return fingerprint(self._shared, source_id, repr(source),
                           Input(workspace / source.file) if source is not None else None,
                           Input(workspace / "raw" / "tables" / f"{source_id}.csv"))

    def get(self, source_id: str, key: str) -> StagedTables | None:
        return self.store.load(source_id, key, lambda entry: _read(source_id, entry))

    def put(self, key: str, staged: StagedTables) -> None:
        def write(directory: Path) -> None:
            for name, table in staged.tables.items():
                pq.write_table(table, directory / f"{name}.parquet", compression="lz4")
            (directory / NORMALISED_FILE).write_bytes(staged.normalised_text.encode("utf-8"))

        self.store.save(staged.source_id, key, write)


def _read(source_id: str, entry: Entry) -> StagedTables:
    tables = {}
    for name, schema in TABLE_SCHEMAS.items():
        table = pq.read_table(entry.file(f"{name}.parquet"))
        if not table.schema.equals(schema):
            raise DamagedEntry(f"{name}: schema differs")
        tables[name] = table
    return StagedTables(source_id, tables, entry.read_bytes(NORMALISED_FILE).decode("utf-8"))


def stage_batch(context: StageContext, source_ids: Iterable[str],
                store: Store | None = None) -> Iterator[tuple[StagedTables, bool]]:
    """Each source's staging products, and whether they came from the store."""
    cache = StageCache(store, context) if store is not None and store.enabled else None
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
