"""The per-source staging cache: same products as staging afresh, never stale."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from greenaudit.cache import Store
from greenaudit.cache.stage import StageCache, stage_batch
from greenaudit.cli import main
from greenaudit.stage.source import StageContext

PRODUCTS = ("transcriptions", "observations", "checks", "findings", "coverage")


def _source_ids(workspace: Path) -> list[str]:
    with open(workspace / "raw" / "sources.csv", encoding="utf-8", newline="") as handle:
        return [row["source_id"] for row in csv.DictReader(handle)]


def _stage(workspace: Path, out: Path, cache: Path | None, *extra: str) -> dict[str, bytes]:
    """Run `greenaudit stage` on every source; the bytes of everything it wrote."""
    args = ["stage", *_source_ids(workspace), "--workspace", str(workspace)]
    args += [f"--{name}={out / name}.parquet" for name in PRODUCTS]
    args += ["--normalised-dir", str(out / "normalised"), *extra]
    if cache is not None:
        args += ["--cache-dir", str(cache)]
    assert main(args) == 0
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _restaged(workspace: Path, cache: Path) -> set[str]:
    """The sources that a staging run with this cache stages afresh."""
    context = StageContext.load(workspace)
    return {staged.source_id for staged, cached in
            stage_batch(context, _source_ids(workspace), Store(cache, "stage")) if not cached}


def test_cached_products_are_byte_identical_to_fresh_ones(workspace_copy: Path, tmp_path: Path):
    fresh = _stage(workspace_copy, tmp_path / "fresh", None)
    cache = tmp_path / "cache"
    filled = _stage(workspace_copy, tmp_path / "filled", cache)
    reused = _stage(workspace_copy, tmp_path / "reused", cache)
    assert len(fresh) == len(PRODUCTS) + len(_source_ids(workspace_copy))
    assert filled == fresh
    assert reused == fresh
    assert _restaged(workspace_copy, cache) == set()


def test_an_edited_table_restages_its_source_only(workspace_copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    ids = _source_ids(workspace_copy)
    _stage(workspace_copy, tmp_path / "before", cache)
    table = workspace_copy / "raw" / "tables" / f"{ids[1]}.csv"
    table.write_bytes(table.read_bytes().replace(b"%", b"%%", 1))  # now fails to parse
    edited = _stage(workspace_copy, tmp_path / "edited", cache)
    assert edited == _stage(workspace_copy, tmp_path / "fresh", None)
    assert _restaged(workspace_copy, cache) == set()
    # One entry per source, nothing else: the edited source's old entry is gone.
    assert sorted(p.name for p in (cache / "stage").iterdir()) == sorted(ids)
    assert all((cache / "stage" / i / "entry.json").is_file() for i in ids)


@pytest.mark.parametrize("edit", ["manifest_row", "source_text"])
def test_a_source_record_or_text_change_restages_that_source(
        workspace_copy: Path, tmp_path: Path, edit: str):
    cache = tmp_path / "cache"
    ids = _source_ids(workspace_copy)
    _stage(workspace_copy, tmp_path / "before", cache)
    if edit == "manifest_row":
        manifest = workspace_copy / "raw" / "sources.csv"
        lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
        row = next(csv.reader([lines[1]]))
        row[3] = row[3] + " (revised)"  # the title
        lines[1] = ",".join(f'"{v}"' for v in row) + "\n"
        manifest.write_text("".join(lines), encoding="utf-8")
    else:
        context = StageContext.load(workspace_copy)
        text = workspace_copy / context.manifest[ids[0]].file
        text.write_bytes(text.read_bytes() + b"\n")  # sha256 no longer matches
    assert _restaged(workspace_copy, cache) == {ids[0]}


@pytest.mark.parametrize("shared", ["schemas/indicators.yaml", "schemas/units.yaml",
                                    "schemas/units.txt", "raw/ignored.csv"])
def test_a_shared_input_change_restages_every_source(
        workspace_copy: Path, tmp_path: Path, shared: str):
    cache = tmp_path / "cache"
    _stage(workspace_copy, tmp_path / "before", cache)
    path = workspace_copy / shared
    path.write_bytes(path.read_bytes() + b"\n")
    assert _restaged(workspace_copy, cache) == set(_source_ids(workspace_copy))


def test_settings_and_code_are_part_of_the_key(workspace_copy: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch):
    from decimal import Decimal

    import greenaudit.cache.stage as stage_cache
    from greenaudit.stage.source import Settings

    store = Store(tmp_path, "stage")
    context = StageContext.load(workspace_copy)
    source_id = _source_ids(workspace_copy)[0]
    key = StageCache(store, context).key(source_id)
    wider = StageContext.load(workspace_copy, Settings(Decimal("0.1"), Decimal("0.05")))
    assert StageCache(store, wider).key(source_id) != key
    monkeypatch.setattr(stage_cache, "code_fingerprint", lambda module: "other code")
    assert StageCache(store, context).key(source_id) != key


def test_an_unreadable_entry_is_staged_afresh(workspace_copy: Path, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture):
    cache = tmp_path / "cache"
    fresh = _stage(workspace_copy, tmp_path / "fresh", cache)
    source_id = _source_ids(workspace_copy)[2]
    (cache / "stage" / source_id / "observations.parquet").write_bytes(b"not parquet")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _stage(workspace_copy, tmp_path / "again", cache) == fresh
    assert f"cache stage/{source_id}: observations.parquet has" in caplog.text
    assert _restaged(workspace_copy, cache) == set()


def test_entries_of_sources_no_longer_listed_are_pruned(workspace_copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    _stage(workspace_copy, tmp_path / "out", cache)
    ids = _source_ids(workspace_copy)
    (cache / "stage" / ".left.by.a.killed.job.tmp").mkdir()  # not an entry: removed, unnamed
    store = Store(cache, "stage")
    assert store.retain(ids[1:]) == [ids[0]]
    assert sorted(p.name for p in (cache / "stage").iterdir()) == sorted(ids[1:])
    assert store.retain(ids[1:]) == []
    assert Store(tmp_path / "absent", "stage").retain(ids) == []


def test_a_cache_that_cannot_be_written_costs_speed_not_the_build(
        workspace_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    fresh = _stage(workspace_copy, tmp_path / "fresh", None)
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache directory should be\n")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _stage(workspace_copy, tmp_path / "uncached", cache) == fresh
    assert "cache stage/" in caplog.text and "entry not written" in caplog.text
