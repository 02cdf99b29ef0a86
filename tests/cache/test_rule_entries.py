"""Parsed rules kept between builds: the same rules, never stale."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from greenaudit.cache import Store
from greenaudit.cache.rules import load_rules_cached, rules_key
from greenaudit.workspace.catalog import load_catalog
from greenaudit.errors import GreenauditError
from greenaudit.rules.load import load_rules
from greenaudit.text.units import UnitSystem


@pytest.fixture
def schemas(tmp_path: Path, schemas_dir: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas_dir, copy)
    return copy


def _load(schemas: Path, cache: Path | None):
    units = UnitSystem.load(schemas)
    return load_rules_cached(schemas, load_catalog(schemas, units), units,
                             Store(cache, "rules") if cache else None)


def test_cached_rules_equal_parsed_ones(schemas: Path, tmp_path: Path):
    units = UnitSystem.load(schemas)
    parsed = load_rules(schemas, load_catalog(schemas, units), units)
    assert parsed  # the project's rules file is not empty
    cache = tmp_path / "cache"
    assert _load(schemas, cache) == parsed
    assert [p.name for p in (cache / "rules").iterdir()] == ["parsed"]
    record = json.loads((cache / "rules" / "parsed" / "entry.json").read_text(encoding="utf-8"))
    assert record["key"] == rules_key(schemas)
    assert _load(schemas, cache) == parsed  # read back from the entry
    # Data, not code: the entry is JSON, and nothing is pickled.
    json.loads((cache / "rules" / "parsed" / "data.json").read_text(encoding="utf-8"))
    assert not list(cache.rglob("*.pickle"))
    assert _load(schemas, None) == parsed


@pytest.mark.parametrize("name", ["rules.yaml", "indicators.yaml", "units.yaml", "units.txt"])
def test_an_edit_to_a_file_the_rules_depend_on_changes_the_key(schemas: Path, tmp_path: Path,
                                                              name: str):
    cache = tmp_path / "cache"
    _load(schemas, cache)
    before = rules_key(schemas)
    path = schemas / name
    path.write_bytes(path.read_bytes() + b"\n")
    assert rules_key(schemas) != before
    _load(schemas, cache)
    # The stale entry is gone; only the current one is kept.
    record = json.loads((cache / "rules" / "parsed" / "entry.json").read_text(encoding="utf-8"))
    assert [p.name for p in (cache / "rules").iterdir()] == ["parsed"]
    assert record["key"] == rules_key(schemas)


def test_an_edited_rule_is_read_from_the_file_not_the_cache(schemas: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    before = _load(schemas, cache)
    rules = schemas / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    first = before[0]
    assert text.count(f"id: {first.rule_id}\n") == 1
    rules.write_text(text.replace(f"id: {first.rule_id}\n", "id: renamed_rule\n"),
                     encoding="utf-8")
    after = _load(schemas, cache)
    assert [r.rule_id for r in after] == ["renamed_rule"] + [r.rule_id for r in before[1:]]


def test_a_bad_rules_file_is_refused_and_not_cached(schemas: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    (schemas / "rules.yaml").write_text("rules: 3\n", encoding="utf-8")
    with pytest.raises(GreenauditError):
        _load(schemas, cache)
    assert not (cache / "rules").exists() or not list((cache / "rules").iterdir())


def test_a_damaged_entry_is_parsed_afresh(schemas: Path, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture):
    cache = tmp_path / "cache"
    parsed = _load(schemas, cache)
    payload = cache / "rules" / "parsed" / "data.json"
    payload.write_bytes(payload.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _load(schemas, cache) == parsed
    assert "cache rules/parsed: data.json has 100 bytes" in caplog.text
    assert _load(schemas, cache) == parsed  # and the entry is whole again


def test_a_cache_that_cannot_be_written_costs_speed_not_the_build(
        schemas: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    cache = tmp_path / "cache"
    cache.write_text("a file where the cache directory should be\n")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _load(schemas, cache) == _load(schemas, None)
    assert "cache rules/parsed: entry not written" in caplog.text
