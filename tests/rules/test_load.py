"""Loading schemas/rules.yaml: validation with located errors, and unit dimensions."""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest

from greenaudit.workspace.catalog import load_catalog
from greenaudit.errors import GreenauditError, RuleError
from greenaudit.rules.load import SCOPES, load_rules
from greenaudit.stage.source import stage_source


@pytest.fixture(scope="module")
def catalog(schemas_dir, units):
    return load_catalog(schemas_dir, units)


@pytest.fixture
def load(tmp_path, catalog, units):
    """Load a rules file written from `text` (dedented)."""
    def run(text: str):
        path = tmp_path / "rules.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return load_rules(tmp_path, catalog, units)
    return run


def rule(expression: str, *, rule_id: str = "r1", extra: str = "") -> str:
    return f"""
    rules:
      - id: {rule_id}
        description: a rule
        severity: error
        scope: cross-record
        expression: {expression}
    {extra}"""


def error_of(load, text: str) -> RuleError:
    with pytest.raises(RuleError) as info:
        load(text)
    return info.value


# ---------------------------------------------------------------- the seed rules

def test_seed_rules_load(schemas_dir, catalog, units):
    rules = load_rules(schemas_dir, catalog, units)
    assert len(rules) >= 12
    assert len({r.rule_id for r in rules}) == len(rules)
    assert {r.severity for r in rules} <= {"error", "warning", "info"}
    assert {r.scope for r in rules} <= set(SCOPES)
    derived = {r.rule_id: r.derive.text for r in rules if r.derive is not None}
    assert derived["hi_tech_mfg_share_2012"] == "hi_tech_mfg_share@2012"
    assert derived["digital_rd_tool_penetration_2012"] == "digital_rd_tool_penetration@2012"
    assert derived["equip_mfg_share_2012"] == "equip_mfg_share@2012"
    first = next(r for r in rules if r.rule_id == "hi_tech_mfg_share_2012")
    text = (schemas_dir / "rules.yaml").read_text(encoding="utf-8").splitlines()
    assert text[first.line - 1].strip() == "- id: hi_tech_mfg_share_2012"
    assert first.check_id == "rule.hi_tech_mfg_share_2012" and first.kind == "derived"
    assert first.source_id == "derived:hi_tech_mfg_share_2012"
    assert [ref.text for ref in first.inputs] == ["hi_tech_mfg_share@2022",
                                                  "hi_tech_mfg_share_change@2012-2022"]


# ---------------------------------------------------------------- located errors

def test_unknown_indicator_is_located_at_its_reference(load):
    error = error_of(load, rule("hi_tech_mfg_share@2012 > no_such_indicator@2012"))
    assert error.file.endswith("rules.yaml") and (error.line, error.column) == (6, 42)
    assert "rule r1: unknown indicator 'no_such_indicator'" in str(error)
    assert str(error).startswith(f"{error.file}:6:42: rule r1: ")


def test_forbidden_construct_names_rule_and_position(load):
    error = error_of(load, rule('"__import__(\'os\') == 1"', rule_id="sneaky"))
    assert "rule sneaky: call of '__import__' is not allowed" in str(error)
    assert (error.line, error.column) == (6, 18)   # inside the double quotes


def test_position_inside_a_folded_block(load):
    text = """
    rules:
      - id: folded
        description: a rule
        severity: warning
        scope: in-record
        expression: >-
          hi_tech_mfg_share@2012
          < hi_tech_mfg_share@2022.real
    """
    error = error_of(load, text)
    assert "attribute access is not allowed" in str(error)
    assert (error.line, error.column) == (8, 31)


@pytest.mark.parametrize("expression, message", [
    ("hi_tech_mfg_share@2022 + green_factories@2022 > 0",
     "unit mismatch between the operands of +: 'hi_tech_mfg_share@2022' is in percent, "
     "'green_factories@2022' is in count"),
    ("hi_tech_mfg_share@2022 > hi_tech_mfg_share_change@2012-2022",
     "unit mismatch between the sides of >: 'hi_tech_mfg_share@2022' is in percent, "
     "'hi_tech_mfg_share_change@2012-2022' is in percentage_point"),
    ("hi_tech_mfg_share_change@2012-2022 - hi_tech_mfg_share@2022 > 0",
     "unit mismatch between the operands of -"),
    ("nev_sales@2022 ** 0.5 > 1", "a non-integer power needs a dimensionless base"),
    ("min(nev_sales@2022, project_lifetime@2023[project=p]) > 1",
     "unit mismatch between the arguments of min"),
    ("nev_sales@2022 > 1[apples]", "unit 'apples' is not defined"),
    ("(nev_sales@2022 > 1) + 1 > 0", "is a comparison where a number is expected"),
    ("nev_sales@2022 and nev_sales@2022 > 1", "is a number; 'and' needs comparisons"),
])
def test_unit_and_type_errors_name_the_rule(load, expression, message):
    error = error_of(load, rule(expression))
    assert message in str(error)
    assert "rule r1: " in str(error) and error.line == 6


@pytest.mark.parametrize("expression", [
    # percent - percentage point is percent; percent - percent is percentage point
    "hi_tech_mfg_share@2012 == hi_tech_mfg_share@2022 - hi_tech_mfg_share_change@2012-2022",
    "hi_tech_mfg_share_change@2012-2022 == hi_tech_mfg_share@2022 - hi_tech_mfg_share@2012",
    "hi_tech_mfg_share@2022 == hi_tech_mfg_share_change@2012-2022 + hi_tech_mfg_share@2012",
    # a bare number takes the other side's unit; a ratio of one unit is dimensionless
    "hi_tech_mfg_share@2022 > 10",
    "nev_sales@2022 / nev_production@2022 <= 1",
    "env_equipment_output_cagr@2012-2022 == "
    "((env_equipment_output@2022 / env_equipment_output@2012) ** 0.1 - 1) * 100[percent]",
    # registry units convert: t/kWh against g/kWh, kW x year x kWh/kW/year is kWh
    "project_co2_emission_reduction@2023[project=p] / project_green_power_supply@2023[project=p]"
    " <= 1100[g/kWh]",
    "project_green_power_supply@2023[project=p] / (project_pv_capacity@2023[project=p]"
    " * project_lifetime@2023[project=p] * 8760[kWh/kW/year]) < 1",
])
def test_dimensionally_sound_expressions_load(load, expression):
    [loaded] = load(rule(f'"{expression}"'))
    assert loaded.expression == expression


def test_non_boolean_expression_is_refused(load):
    assert "the expression is a number" in str(error_of(load, rule("nev_sales@2022 + 1")))


def test_duplicate_id_names_both_lines(load):
    text = rule("nev_sales@2022 > 0") + """
      - id: r1
        description: again
        severity: error
        scope: in-record
        expression: nev_sales@2022 > 1
    """
    error = error_of(load, text)
    assert "rule id 'r1' is used twice (first on line 2)" in str(error)
    assert error.line == 8


@pytest.mark.parametrize("field, value, message", [
    ("severity", "fatal", "severity 'fatal'; expected one of error, warning, info"),
    ("scope", "cross-galaxy", "scope 'cross-galaxy'; expected one of in-record, cross-record"),
    ("id", "Bad-Id", "rule id 'Bad-Id' must be snake_case"),
    ("description", "''", "description must be a non-empty text"),
])
def test_bad_field_values_are_located(load, field, value, message):
    text = rule("nev_sales@2022 > 0").replace(
        {"severity": "severity: error", "scope": "scope: cross-record", "id": "id: r1",
         "description": "description: a rule"}[field], f"{field}: {value}")
    error = error_of(load, text)
    assert message in str(error)
    assert error.line is not None and error.column is not None


def test_missing_and_unknown_keys(load):
    assert "missing scope" in str(error_of(load, rule("nev_sales@2022 > 0").replace(
        "scope: cross-record", "")))
    assert "unknown key(s) owner" in str(error_of(load, rule("nev_sales@2022 > 0",
                                                               extra="    owner: me")))


def test_derive_must_be_the_left_of_a_single_equality(load):
    ok = rule("nev_sales@2021 == nev_sales@2022 - 1", extra="    derive: nev_sales@2021")
    [loaded] = load(ok)
    assert loaded.derive.key == ("nev_sales", "2021", "") and loaded.kind == "derived"
    bad = rule("nev_sales@2022 - 1 == nev_sales@2021", extra="    derive: nev_sales@2021")
    assert "must be the left side of the rule's single ==" in str(error_of(load, bad))
    chained = rule("nev_sales@2021 == nev_sales@2022 == 1", extra="    derive: nev_sales@2021")
    assert "must be the left side" in str(error_of(load, chained))
    itself = rule("nev_sales@2021 == nev_sales@2021 + 0", extra="    derive: nev_sales@2021")
    assert "appears on both sides" in str(error_of(load, itself))
    unknown = rule("nev_sales@2021 == 1", extra="    derive: nev_salez@2021")
    assert "unknown indicator 'nev_salez'" in str(error_of(load, unknown))


def test_one_rule_per_derived_value(load):
    text = rule("nev_sales@2021 == 1", extra="    derive: nev_sales@2021") + """
      - id: r2
        description: again
        severity: error
        scope: in-record
        expression: nev_sales@2021 == 2
        derive: nev_sales@2021
    """
    assert "is already derived by rule r1" in str(error_of(load, text))


def test_bad_period_and_breakdown_in_a_reference(load):
    assert "has month 13" in str(error_of(load, rule("nev_sales@2022-13 > 0")))
    assert "reversed" in str(error_of(load, rule("nev_sales@2022-2012 > 0")))
    assert "alphabetical order" in str(error_of(load, rule("nev_sales@2022[z=1;a=2] > 0")))


def test_file_level_problems(load, tmp_path, catalog, units):
    assert load("rules:\n") == []
    assert "expected 'rules:' to be a list" in str(error_of(load, "rules: 3\n"))
    assert "unknown top-level key(s) rulez" in str(error_of(load, "rulez: []\n"))
    syntax = error_of(load, "rules:\n  - id: [\n")
    assert "YAML syntax error" in str(syntax) and syntax.line is not None
    with pytest.raises(GreenauditError, match="file not found"):
        load_rules(tmp_path / "nowhere", catalog, units)


# ---------------------------------------------------------------- plausibility ranges

def test_every_plausible_range_has_a_reason_and_the_slide_value_is_caught(catalog, seed_workspace):
    ranged = [i for i in catalog.values()
              if i.plausible_low is not None or i.plausible_high is not None]
    assert len(ranged) >= 80
    assert all(len(i.plausible_reason.split()) >= 5 for i in ranged), [
        i.indicator_id for i in ranged if len(i.plausible_reason.split()) < 5]
    staged = stage_source(seed_workspace, "004_2e0697a374659b7e")
    flagged = [(o["indicator_id"], o["breakdown"], o["quantity"]) for o in staged.observations
               if "implausible" in o["flags"].split(";")]
    assert flagged == [("residential_electricity_per_capita", "country=us", "380千瓦时")]
    check = next(c for c in staged.checks if c.check_id.startswith("range.plausible."))
    assert (check.kind, check.severity, check.status) == ("plausibility", "warning", "fail")


def test_build_db_reports_a_bad_rule_as_one_located_line(tmp_path, seed_workspace, capsys):
    from greenaudit.cli import main

    shutil.copytree(seed_workspace / "schemas", tmp_path / "schemas")
    (tmp_path / "raw").mkdir()
    shutil.copy2(seed_workspace / "raw" / "sources.csv", tmp_path / "raw" / "sources.csv")
    rules = tmp_path / "schemas" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("hi_tech_mfg_share@2022 - hi_tech_mfg_share_change",
                                  "hi_tech_mfg_share@2022 - green_factories@2022 - hi_tech_mfg_share_change"),
                     encoding="utf-8")
    out = tmp_path / "db.duckdb"
    code = main(["build-db", "--workspace", str(tmp_path), "--out", str(out),
                 "--transcriptions", "t", "--observations", "o", "--checks", "c",
                 "--findings", "f", "--coverage", "v"])
    assert code == 2 and not out.exists()
    [line] = capsys.readouterr().err.strip().splitlines()
    assert re.match(rf"greenaudit: error: {re.escape(str(rules))}:\d+:\d+: rule "
                    rf"hi_tech_mfg_share_2012: unit mismatch between the operands of -", line)
