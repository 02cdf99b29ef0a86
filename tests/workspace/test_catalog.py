"""Tests of the indicator catalog and its period / breakdown checks (greenaudit.workspace.catalog)."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from greenaudit.workspace.catalog import (
    KINDS,
    Indicator,
    check_breakdown,
    check_period,
    load_catalog,
    load_discrepancies,
)
from greenaudit.errors import InputError


@pytest.fixture(scope="module")
def catalog(schemas_dir, units):
    return load_catalog(schemas_dir, units)


@pytest.fixture
def schemas_copy(tmp_path, schemas_dir):
    target = tmp_path / "schemas"
    shutil.copytree(schemas_dir, target)
    return target


def test_real_catalog_loads(catalog, units):
    assert len(catalog) > 10
    assert all(isinstance(i, Indicator) for i in catalog.values())
    assert all(i.kind in KINDS for i in catalog.values())
    share = catalog["hi_tech_mfg_share"]
    assert share.unit == "percent"
    assert (share.valid_low, share.valid_high) == (Decimal(0), Decimal(100))
    assert (share.plausible_low, share.plausible_high) == (Decimal(3), Decimal(40))
    assert share.plausible_reason
    assert share.line > 0
    for indicator in catalog.values():
        units.check_unit(indicator.unit)
        if indicator.valid_low is not None and indicator.valid_high is not None:
            assert indicator.valid_low <= indicator.valid_high


def test_open_valid_range(catalog):
    clusters = catalog["adv_mfg_clusters"]
    assert clusters.valid_low == 0 and clusters.valid_high is None


def test_real_discrepancies_load(schemas_dir, catalog):
    assert isinstance(load_discrepancies(schemas_dir, catalog), list)


@pytest.mark.parametrize("period", ["2022", "2023-04", "2023-12", "2023-01", "2012-2022",
                                    "2030"])
def test_good_periods(period):
    assert check_period(period) is None


@pytest.mark.parametrize("period, fragment", [
    ("2022-2012", "reversed"),
    ("2022-2022", "reversed"),
    ("2023-13", "month 13"),
    ("2023-00", "month 00"),
    ("22", "expected YYYY"),
    ("2023-4", "expected YYYY"),
    ("2022年", "expected YYYY"),
    ("", "expected YYYY"),
    ("2022-", "expected YYYY"),
])
def test_bad_periods(period, fragment):
    problem = check_period(period)
    assert problem is not None
    assert fragment in problem


@pytest.mark.parametrize("breakdown", ["", "sector=steel", "country=us",
                                       "level=provincial;sector=steel",
                                       "project=taishan_steel_rooftop_pv"])
def test_good_breakdowns(breakdown):
    assert check_breakdown(breakdown) is None


@pytest.mark.parametrize("breakdown, fragment", [
    ("sector=steel;level=provincial", "alphabetical"),
    ("sector=steel;sector=iron", "unique"),
    ("sector", "key=value"),
    ("Sector=steel", "key=value"),
    ("sector=", "key=value"),
    ("sector=steel;", "key=value"),
    ("sector=a=b", "key=value"),
])
def test_bad_breakdowns(breakdown, fragment):
    problem = check_breakdown(breakdown)
    assert problem is not None
    assert fragment in problem


def test_yaml_syntax_error_is_located(schemas_copy, units):
    path = schemas_copy / "indicators.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_line = 12
    assert lines[bad_line - 1] == "    unit: percent"
    lines[bad_line - 1] = "   unit: percent"             # one space short: bad indentation
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalog(schemas_copy, units)
    error = info.value
    assert error.file == str(path)
    assert "YAML syntax error" in str(error)
    assert (error.line, error.column) == (bad_line, 4)
    assert f"{path}:{bad_line}:4:" in str(error)


def test_unknown_unit_is_located(schemas_copy, units):
    path = schemas_copy / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  hi_tech_mfg_share:")
    expected_line = text[:start].count("\n") + 1
    unit_at = text.index("unit: percent", start)
    path.write_text(text[:unit_at] + "unit: furlong" + text[unit_at + len("unit: percent"):],
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalog(schemas_copy, units)
    assert info.value.line == expected_line
    assert "hi_tech_mfg_share" in str(info.value)
    assert "furlong" in str(info.value)


def _minimal(schemas_copy, body: str):
    (schemas_copy / "indicators.yaml").write_text("indicators:\n" + body, encoding="utf-8")


ENTRY = ("  x_share:\n    name_en: X\n    name_zh: X\n    kind: share\n    unit: percent\n"
         "    valid_range: [0, 100]\n    description: X\n")


def test_minimal_catalog(schemas_copy, units):
    _minimal(schemas_copy, ENTRY)
    catalog = load_catalog(schemas_copy, units)
    assert list(catalog) == ["x_share"]
    assert catalog["x_share"].line == 2
    assert catalog["x_share"].target is False


@pytest.mark.parametrize("replace, fragment", [
    (("kind: share", "kind: mood"), "kind 'mood'"),
    (("    description: X\n", ""), "missing description"),
    (("    description: X\n", "    description: X\n    colour: red\n"), "unknown key(s) colour"),
    (("[0, 100]", "[100, 0]"), "reversed"),
    (("[0, 100]", "[0]"), "valid_range must be a list"),
    (("[0, 100]", "[zero, 100]"), "not a number"),
    (("x_share", "XShare"), "snake_case"),
    (("    description: X\n", "    description: X\n    plausible_range: [1, 2]\n"),
     "plausible_reason"),
])
def test_bad_entries_are_reported(schemas_copy, units, replace, fragment):
    _minimal(schemas_copy, ENTRY.replace(*replace))
    with pytest.raises(InputError) as info:
        load_catalog(schemas_copy, units)
    assert fragment in str(info.value)
    assert info.value.line == 2


def test_discrepancy_for_unknown_indicator(schemas_copy, catalog):
    (schemas_copy / "known_discrepancies.yaml").write_text(
        "discrepancies:\n  - indicator_id: nope\n    period: '2022'\n"
        "    sources: [a, b]\n    reason: r\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_discrepancies(schemas_copy, catalog)
    assert info.value.line == 2
    assert "nope" in str(info.value)


def test_discrepancy_sources_are_sorted(schemas_copy, catalog):
    (schemas_copy / "known_discrepancies.yaml").write_text(
        "discrepancies:\n  - indicator_id: equip_mfg_share\n    period: 2012\n"
        "    sources: [b_src, a_src]\n    reason: ' rounded '\n", encoding="utf-8")
    [d] = load_discrepancies(schemas_copy, catalog)
    assert d.sources == ("a_src", "b_src")
    assert d.period == "2012" and d.breakdown == "" and d.reason == "rounded"
