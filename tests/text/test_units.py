"""Tests of the unit vocabulary and the pint registry (greenaudit.text.units)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenaudit.errors import UnitError
from greenaudit.text.units import UnitSystem


def test_written_vocabulary_maps_to_registry_units(units):
    assert units.project_unit("%") == "percent"
    assert units.project_unit("个百分点") == "percentage_point"
    assert units.project_unit("千瓦时") == "kWh"
    assert units.project_unit("克标准煤") == "gce"
    for project_unit in set(units.written.values()):
        units.check_unit(project_unit)   # every project unit is defined in units.txt


def test_percent_is_not_a_percentage_point(units):
    with pytest.raises(UnitError) as info:
        units.factor("percent", "percentage_point")
    assert "share" in info.value.reason
    assert "percentage_point" in info.value.reason


def test_gram_coal_equivalent_to_tonne_is_exact(units):
    factor = units.factor("gce", "tce")
    assert isinstance(factor, Decimal)
    assert factor == Decimal("0.000001")
    assert str(factor) == "0.000001"   # no float residue such as 9.999999999999999e-07


def test_megawatt_to_kilowatt(units):
    assert units.factor("MW", "kW") == Decimal(1000)
    assert units.factor("kW", "MW") == Decimal("0.001")


def test_identity_factor(units):
    assert units.factor("percent", "percent") == 1
    assert units.factor("count", "count") == 1


def test_count_versus_percent_names_both_dimensions(units):
    with pytest.raises(UnitError) as info:
        units.factor("count", "percent")
    message = str(info.value)
    assert "count (count)" in message
    assert "percent (share)" in message


@pytest.mark.parametrize("a, b", [("CNY", "USD"), ("t", "tce"), ("kWh", "kW"), ("year", "count")])
def test_other_dimensions_are_distinct(units, a, b):
    with pytest.raises(UnitError):
        units.factor(a, b)


def test_unknown_written_unit(units):
    with pytest.raises(UnitError) as info:
        units.project_unit("斤")
    assert "'斤'" in str(info.value)
    assert "schemas/units.yaml" in str(info.value)
    assert "千瓦时" in str(info.value)   # lists the known units


def test_unit_not_in_registry(units):
    with pytest.raises(UnitError, match="not defined in units.txt"):
        units.check_unit("furlong")


def test_units_yaml_syntax_error_is_located(tmp_path, schemas_dir):
    (tmp_path / "units.txt").write_bytes((schemas_dir / "units.txt").read_bytes())
    (tmp_path / "units.yaml").write_text("written_units:\n  \"%\": percent\n  bad: [\n",
                                         encoding="utf-8")
    with pytest.raises(UnitError) as info:
        UnitSystem.load(tmp_path)
    assert info.value.line is not None
    assert "YAML syntax error" in str(info.value)


def test_units_yaml_without_mapping(tmp_path):
    (tmp_path / "units.yaml").write_text("written_units: []\n", encoding="utf-8")
    with pytest.raises(UnitError, match="written_units"):
        UnitSystem.load(tmp_path)
