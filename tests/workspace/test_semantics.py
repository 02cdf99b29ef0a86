"""Declarations checked, not trusted: manifest, catalog, discrepancies, strip patterns, rules."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from greenaudit.workspace.catalog import load_catalog, load_discrepancies
from greenaudit.errors import InputError
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.units import UnitSystem


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_one_document_under_two_ids_is_refused(workspace_copy: Path):
    manifest = workspace_copy / "raw" / "sources.csv"
    rows = manifest.read_text(encoding="utf-8").splitlines()
    sha = rows[1].split(",")[2]
    rows[2] = ",".join(rows[2].split(",")[:2] + [sha] + rows[2].split(",")[3:])
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(workspace_copy)
    assert "sources.csv:3:3" in str(info.value) and "also that of" in str(info.value)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?<=x)y", r"(?=a)"])
def test_patterns_re2_cannot_run_are_refused(workspace_copy: Path, pattern: str):
    manifest = workspace_copy / "raw" / "sources.csv"
    lines = manifest.read_text(encoding="utf-8").split("\n")
    # strip_patterns is column 10 of 12 (url and retrieved follow, empty here).
    assert lines[4].endswith(",,,,")
    lines[4] = lines[4][:-2] + pattern + ",,"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(workspace_copy)
    assert "sources.csv:5:10: (strip_patterns)" in str(info.value)
    assert "RE2" in str(info.value)


def test_a_catastrophic_pattern_runs_in_linear_time():
    from greenaudit.text.normalise import Cleaning, normalise

    start = time.monotonic()
    result = normalise("a" * 200_000 + "b", Cleaning(strip_patterns=("(a+)+$",)))
    assert result.text.endswith("b")
    assert time.monotonic() - start < 10


def test_plausible_range_must_lie_within_valid_range(workspace_copy: Path, units: UnitSystem):
    schemas = workspace_copy / "schemas"
    _edit(schemas / "indicators.yaml", "    plausible_range: [3, 40]\n", "    plausible_range: [200, 300]\n")
    with pytest.raises(InputError, match=r"plausible_range \[200, 300\] is not within valid_range"):
        load_catalog(schemas, units)


def test_a_repeated_indicator_id_is_refused(workspace_copy: Path, units: UnitSystem):
    path = workspace_copy / "schemas" / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  hi_tech_mfg_share:\n")
    end = text.index("\n\n", start) + 2
    # The same entry again, right after itself: inside `indicators:`, whatever follows it.
    path.write_text(text[:end] + text[start:end] + text[end:], encoding="utf-8")
    with pytest.raises(InputError, match=r"duplicate key 'hi_tech_mfg_share' \(first on line"):
        load_catalog(workspace_copy / "schemas", units)


@pytest.mark.parametrize("key, value, fragment", [
    ("name_en", "[a, b]", "name_en is ['a', 'b']; expected a non-empty text"),
    ("target", "'yes'", "target is 'yes'; expected true or false"),
    ("valid_range", "[.nan, 100]", "valid_range bound nan is not a number"),
])
def test_catalog_values_are_type_checked(workspace_copy: Path, units: UnitSystem, key, value,
                                         fragment):
    path = workspace_copy / "schemas" / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  hi_tech_mfg_share:\n")
    old = text[text.index(f"    {key}:", start):text.index("\n", text.index(f"    {key}:", start))]
    path.write_text(text[:start] + text[start:].replace(old, f"    {key}: {value}", 1),
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalog(workspace_copy / "schemas", units)
    assert fragment in str(info.value) and "indicators.yaml:" in str(info.value)


DECLARATION = """discrepancies:
  - indicator_id: hi_tech_mfg_share
    period: "2022"
    sources: [{a}, {b}]
    reason: the two differ
"""


def _declare(schemas: Path, *declarations: tuple[str, str]) -> None:
    text = DECLARATION.format(a=declarations[0][0], b=declarations[0][1])
    for a, b in declarations[1:]:
        text += DECLARATION.format(a=a, b=b).split("\n", 1)[1]
    (schemas / "known_discrepancies.yaml").write_text(text, encoding="utf-8")


def test_unknown_source_ids_in_a_declaration_are_refused(workspace_copy: Path, units):
    schemas = workspace_copy / "schemas"
    _declare(schemas, ("nobody_a", "nobody_b"))
    catalog = load_catalog(schemas, units)
    with pytest.raises(InputError, match=r"known_discrepancies.yaml:2: unknown source_id 'nobody_a'"):
        load_discrepancies(schemas, catalog, set(load_manifest(workspace_copy)))


def test_a_group_declared_twice_is_refused(workspace_copy: Path, units):
    schemas = workspace_copy / "schemas"
    ids = sorted(load_manifest(workspace_copy))
    _declare(schemas, (ids[0], ids[3]), (ids[0], ids[4]))
    with pytest.raises(InputError, match=r"known_discrepancies.yaml:6: hi_tech_mfg_share/2022 is "
                                         r"declared twice \(first on line 2\)"):
        load_discrepancies(schemas, load_catalog(schemas, units), set(ids))
