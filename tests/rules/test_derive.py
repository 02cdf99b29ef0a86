"""Rules evaluated on the seeds: every seed rule passes, every rule can fail, derived
values enter the database marked as derived."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from workflow_support import SEEDS

from greenaudit.workspace.catalog import load_catalog
from greenaudit.rules.derive import (apply_rules, evaluate_rules, input_signature,
                                   inputs_from_observations)
from greenaudit.text.intervals import Interval
from greenaudit.workspace.manifest import source_ids
from greenaudit.formats.parquet import FINDINGS, OBSERVATIONS, write_table
from greenaudit.cache import Store
from greenaudit.cache.rules import StoredRuleMemo
from greenaudit.rules.evaluate import Input, evaluate
from greenaudit.rules.units import RuleUnits
from greenaudit.rules.load import load_rules
from greenaudit.stage.source import stage_source

D = Decimal
SEED_RULE_IDS = [r["id"] for r in yaml.safe_load(
    (SEEDS / "schemas" / "rules.yaml").read_text(encoding="utf-8"))["rules"]]
# How far a perturbed input moves: multiples of its stated value.
FACTORS = (D("0.95"), D("1.05"), D("0.9"), D("1.1"), D("0.75"), D("1.25"), D("0.5"), D(2),
           D("0.1"), D(10))


@pytest.fixture(scope="module")
def catalog(schemas_dir, units):
    return load_catalog(schemas_dir, units)


@pytest.fixture(scope="module")
def typing(units, catalog):
    return RuleUnits(units.registry, catalog)


@pytest.fixture(scope="module")
def seed_rules(schemas_dir, catalog, units):
    return {r.rule_id: r for r in load_rules(schemas_dir, catalog, units)}


@pytest.fixture(scope="module")
def seed_observations(seed_workspace):
    return [o for sid in source_ids(seed_workspace) for o in stage_source(seed_workspace, sid).observations]


@pytest.fixture(scope="module")
def seed_inputs(seed_observations):
    return inputs_from_observations(seed_observations)


# ---------------------------------------------------------------- the seeds

def test_at_least_twelve_seed_rules():
    assert len(SEED_RULE_IDS) >= 12


@pytest.mark.parametrize("rule_id", SEED_RULE_IDS)
def test_seed_rule_passes_on_the_seeds(rule_id, seed_rules, seed_inputs, typing):
    result = evaluate(seed_rules[rule_id], seed_inputs, typing)
    assert result.evaluated, result.message()
    assert result.passed, result.message()


def test_seed_inputs_intersect_the_sources(seed_inputs):
    # 003 says 28%, 004 says 28.2%: the rule reads what both allow.
    equipment = seed_inputs[("equip_mfg_share", "2012", "")]
    assert equipment.allowed == Interval(D("28.15"), D("28.25"))
    assert equipment.point == D("28.2") and not equipment.conflict
    assert {s for s, _ in equipment.rows} == {"003_1a3b190ec270dc4e", "004_2e0697a374659b7e"}
    # 000 says 34, 004 says 34.0: the more precise statement narrows the interval.
    change = seed_inputs[("nc_rate_key_processes_change", "2012-2022", "")]
    assert change.allowed == Interval(D("33.95"), D("34.05"))


def test_derived_values_of_the_seeds(seed_rules, seed_inputs, typing):
    hi_tech = evaluate(seed_rules["hi_tech_mfg_share_2012"], seed_inputs, typing)
    assert hi_tech.derived.allowed == Interval(D("9.3"), D("9.5"))
    assert hi_tech.derived.stated == Interval(D("9.4"), D("9.4"))
    assert "hi_tech_mfg_share@2012 = [9.35, 9.45] percent == " in hi_tech.message()
    assert "= [9.3, 9.5] percent: possible within the intervals" in hi_tech.message()
    digital = evaluate(seed_rules["digital_rd_tool_penetration_2012"], seed_inputs, typing)
    assert digital.derived.point == D("48.8") and digital.judged == []
    assert "no source states digital_rd_tool_penetration@2012 to compare" in digital.message()


# ---------------------------------------------------------------- every rule can fail

def _shifted(source: Input, value: Decimal) -> Input:
    """`source` moved to `value`, keeping the width its rounding and qualifiers give it."""
    delta = Interval.point(value - source.point)
    return Input(source.allowed + delta, source.stated + delta, value, source.rows)


@pytest.mark.parametrize("rule_id", SEED_RULE_IDS)
def test_perturbing_one_input_beyond_its_rounding_fails_the_rule(rule_id, seed_rules,
                                                                seed_inputs, typing):
    rule = seed_rules[rule_id]
    inputs = dict(seed_inputs)
    targets = list(rule.inputs)
    if rule.derive is not None:
        if rule.derive.key not in inputs:
            # No source states the derived value: state it as a source would, so that
            # the identity has two sides to compare.
            derived = evaluate(rule, inputs, typing).derived
            inputs[rule.derive.key] = Input(derived.allowed, derived.allowed, derived.point)
        targets.append(rule.derive)
    assert evaluate(rule, inputs, typing).passed
    failures = []
    for ref in targets:
        source = inputs[ref.key]
        for factor in FACTORS:
            value = source.point * factor
            if source.allowed.contains(value):
                continue                      # within its own rounding: not a perturbation
            result = evaluate(rule, {**inputs, ref.key: _shifted(source, value)}, typing)
            assert result.evaluated, result.message()
            if not result.passed:
                failures.append((ref.text, factor, result))
                break
    assert failures, f"no perturbation of {', '.join(r.text for r in targets)} fails {rule_id}"
    for _, _, result in failures:
        assert result.truth is False and "violated" in result.message()
        violated = next(j for j in result.judged if j.truth is False)
        # Both sides are shown with their evaluated intervals.
        assert violated.left.count("[") >= 1 or violated.right.count("[") >= 1


def test_rounding_alone_does_not_fail_an_identity(seed_rules, seed_inputs, typing):
    rule = seed_rules["hi_tech_mfg_share_2012"]
    key = ("hi_tech_mfg_share_change", "2012-2022", "")
    change = seed_inputs[key]
    # 6.15 is still what "6.1" allows; 6.3 is not.
    assert evaluate(rule, {**seed_inputs, key: _shifted(change, D("6.15"))}, typing).passed
    failed = evaluate(rule, {**seed_inputs, key: _shifted(change, D("6.3"))}, typing)
    assert not failed.passed
    assert failed.message() == (
        "hi_tech_mfg_share@2012 = [9.35, 9.45] percent == hi_tech_mfg_share@2022 - "
        "hi_tech_mfg_share_change@2012-2022 = [9.1, 9.3] percent: violated; "
        "derives hi_tech_mfg_share@2012 = 9.2 [9.1, 9.3]")


# ---------------------------------------------------------------- evaluation details

@pytest.fixture
def rules_from(tmp_path, catalog, units):
    def load(expression: str, derive: str = "", severity: str = "error"):
        body = textwrap.dedent(f"""
            rules:
              - id: r
                description: d
                severity: {severity}
                scope: cross-record
                expression: "{expression}"
            """)
        if derive:
            body += f"    derive: {derive}\n"
        (tmp_path / "rules.yaml").write_text(body, encoding="utf-8")
        return load_rules(tmp_path, catalog, units)[0]
    return load


def _exact(value: str) -> Input:
    return Input(Interval.point(D(value)), Interval.point(D(value)), D(value))


def test_derived_value_converts_back_to_the_catalog_unit(rules_from, typing):
    # thermal_power_coal_consumption is in gce; 1[tce] / 1000000 is 1 gce.
    rule = rules_from("thermal_power_coal_consumption@2020 == "
                      "thermal_power_coal_consumption@2021 + 1[tce] / 1000000",
                      derive="thermal_power_coal_consumption@2020")
    result = evaluate(rule, {("thermal_power_coal_consumption", "2021", ""): _exact("302.5")},
                      typing)
    assert result.derived.allowed == Interval.point(D("303.5"))
    assert result.derived.point == D("303.5")


def test_missing_reference_is_reported_not_raised(rules_from, typing):
    rule = rules_from("nev_production@2030 >= nev_sales@2030")
    result = evaluate(rule, {("nev_sales", "2030", ""): _exact("5")}, typing)
    assert not result.evaluated and not result.passed
    assert result.message() == "cannot evaluate: no source states nev_production@2030"


def test_undefined_operation_is_reported(rules_from, typing):
    rule = rules_from("nev_sales@2022 / (nev_production@2022 - nev_sales@2022) > 0")
    inputs = {("nev_sales", "2022", ""): _exact("5"), ("nev_production", "2022", ""): _exact("5")}
    result = evaluate(rule, inputs, typing)
    assert not result.evaluated
    assert "division by an interval that is exactly 0" in result.message()


@pytest.mark.parametrize("expression, truth", [
    ("nev_sales@2022 > 1 and nev_sales@2022 < 3", None),     # [0, 4]: possible both ways
    ("nev_sales@2022 > 5 or nev_sales@2022 < 10", True),
    ("not nev_sales@2022 < 10", False),
    ("nev_sales@2022 > 5 or nev_sales@2022 < -1", False),
    ("abs(nev_sales@2022 - 10) >= 6", True),
    ("max(nev_sales@2022, 7) == 7", True),
])
def test_three_valued_logic(rules_from, typing, expression, truth):
    inputs = {("nev_sales", "2022", ""): Input(Interval(D(0), D(4)), Interval(D(2), D(2)), D(2))}
    result = evaluate(rules_from(expression), inputs, typing)
    assert result.truth is truth
    assert result.passed is (truth is not False)


# ---------------------------------------------------------------- in the database

def _database(tmp_path: Path, observations: list[dict]) -> duckdb.DuckDBPyConnection:
    write_table(observations, OBSERVATIONS, tmp_path / "o.parquet")
    write_table([], FINDINGS, tmp_path / "f.parquet")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE observations AS SELECT * FROM read_parquet('{tmp_path / 'o.parquet'}')")
    con.execute(f"CREATE TABLE findings AS SELECT * FROM read_parquet('{tmp_path / 'f.parquet'}')")
    return con


def test_apply_rules_inserts_marked_derived_rows(tmp_path, seed_observations, seed_rules,
                                                 catalog, units):
    con = _database(tmp_path, seed_observations)
    checks = {c.check_id: c for c in apply_rules(con, list(seed_rules.values()), catalog, units)}
    assert all(c.status == "pass" for c in checks.values()), [
        c.message for c in checks.values() if c.status == "fail"]
    assert checks["rule.hi_tech_mfg_share_2012"].kind == "derived"
    assert checks["rule.nev_production_covers_sales_2022"].kind == "plausibility"
    assert checks["rule.hi_tech_mfg_share_2012"].target.startswith("schemas/rules.yaml:")
    rows = con.execute("""SELECT source_id, indicator_id, period, breakdown, value_text, lower,
        upper, evidence, qualifier, flags, quote FROM observations
        WHERE source_id LIKE 'derived:%' ORDER BY source_id""").fetchall()
    derived = {r[0]: r for r in rows}
    assert set(derived) == {f"derived:{r.rule_id}" for r in seed_rules.values() if r.derive}
    digital = derived["derived:digital_rd_tool_penetration_2012"]
    assert digital[1:7] == ("digital_rd_tool_penetration", "2012", "", "48.8", D("48.7"),
                            D("48.9"))
    assert digital[7:10] == ("derived", "derived", "derived")
    assert digital[10].startswith("rule digital_rd_tool_penetration_2012: ")
    total = derived["derived:green_factories_all_levels"]
    assert total[3:5] == ("level=total", "10000")
    # A count derived from a growth rate is shown to the digits its interval supports.
    assert derived["derived:charging_infrastructure_stock_2022_03"][4] == "3109000"
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def test_failing_rule_names_its_rows_in_findings(tmp_path, seed_observations, seed_rules,
                                                 catalog, units):
    changed = [dict(o) for o in seed_observations]
    for o in changed:
        if (o["indicator_id"], o["period"]) == ("hi_tech_mfg_share_change", "2012-2022"):
            o.update(value_canonical=D("6.3"), lower=D("6.25"), upper=D("6.35"),
                     stated_lower=D("6.3"), stated_upper=D("6.3"))
    con = _database(tmp_path, changed)
    checks = {c.check_id: c for c in apply_rules(con, [seed_rules["hi_tech_mfg_share_2012"]],
                                                 catalog, units)}
    check = checks["rule.hi_tech_mfg_share_2012"]
    assert (check.status, check.severity, check.n_failed) == ("fail", "error", 1)
    assert check.message.startswith("schemas/rules.yaml:")
    assert "[9.35, 9.45]" in check.message and "[9.1, 9.3]" in check.message
    findings = con.execute("SELECT DISTINCT source_id, indicator_id, period FROM findings "
                           "WHERE check_id = 'rule.hi_tech_mfg_share_2012' ORDER BY ALL").fetchall()
    assert findings == [
        ("000_451eeb3f8d9b8ea0", "hi_tech_mfg_share", "2022"),
        ("000_451eeb3f8d9b8ea0", "hi_tech_mfg_share_change", "2012-2022"),
        ("003_1a3b190ec270dc4e", "hi_tech_mfg_share", "2012"),
        ("003_1a3b190ec270dc4e", "hi_tech_mfg_share", "2022"),
        ("004_2e0697a374659b7e", "hi_tech_mfg_share", "2012"),
        ("004_2e0697a374659b7e", "hi_tech_mfg_share", "2022"),
    ]
    # The derived value is still added, so the cross-source comparison sees the conflict.
    assert con.execute("SELECT value_text FROM observations WHERE source_id = "
                       "'derived:hi_tech_mfg_share_2012'").fetchone() == ("9.2",)


def test_missing_input_is_a_warning_with_a_finding(tmp_path, rules_from, catalog, units):
    rule = rules_from("nev_production@2030 >= nev_sales@2030")
    con = _database(tmp_path, [])
    [check, valid, plausible] = apply_rules(con, [rule], catalog, units)
    assert (check.status, check.severity) == ("fail", "warning")
    assert (valid.status, plausible.status) == ("pass", "pass")
    rows = con.execute("SELECT check_id, severity, indicator_id, period FROM findings "
                       "ORDER BY ALL").fetchall()
    assert rows == [("rule.r", "warning", "nev_production", "2030"),
                    ("rule.r", "warning", "nev_sales", "2030")]


def test_derived_value_outside_its_ranges(tmp_path, rules_from, catalog, units):
    inputs = [{"source_id": "s", "row_number": 2, "indicator_id": "hi_tech_mfg_share",
               "period": "2022", "breakdown": "", "quantity": "15.5%", "value": D("15.5"),
               "value_text": "15.5", "unit": "%", "qualifier": "exact",
               "value_canonical": D("15.5"), "unit_canonical": "percent", "lower": D("15.45"),
               "upper": D("15.55"), "stated_lower": D("15.5"), "stated_upper": D("15.5"),
               "kind": "share", "quote": "q", "evidence": "verified", "flags": "", "note": ""}]
    implausible = rules_from("hi_tech_mfg_share@2012 == hi_tech_mfg_share@2022 / 10",
                             derive="hi_tech_mfg_share@2012")
    con = _database(tmp_path, inputs)
    checks = {c.check_id: c for c in apply_rules(con, [implausible], catalog, units)}
    assert checks["range.plausible.derived"].status == "fail"
    assert checks["range.plausible.derived"].severity == "warning"
    assert con.execute("SELECT flags FROM observations WHERE source_id = 'derived:r'"
                       ).fetchone() == ("derived;implausible",)
    invalid = rules_from("hi_tech_mfg_share@2012 == hi_tech_mfg_share@2022 * 10",
                         derive="hi_tech_mfg_share@2012")
    con = _database(tmp_path, inputs)
    checks = {c.check_id: c for c in apply_rules(con, [invalid], catalog, units)}
    assert (checks["range.valid.derived"].status, checks["range.valid.derived"].severity) == (
        "fail", "error")
    assert "lies outside the valid range [0, 100] percent" in checks["range.valid.derived"].message
    assert con.execute("SELECT count(*) FROM observations WHERE source_id = 'derived:r'"
                       ).fetchone() == (0,)


# ------------------------------------------------- rules inside the database build

def _build(tmp_path: Path, seed_workspace: Path, seed_observations: list[dict], catalog, units,
           rules) -> tuple[Path, list]:
    from greenaudit.database.build import References, RuleSet, StagedFiles, build_database
    from greenaudit.workspace.manifest import load_manifest
    from greenaudit.formats.parquet import CHECKS, TRANSCRIPTIONS

    stage = tmp_path / "stage"
    paths = {name: stage / f"{name}.parquet" for name in
             ("transcriptions", "observations", "checks", "findings")}
    write_table([], TRANSCRIPTIONS, paths["transcriptions"])
    write_table(seed_observations, OBSERVATIONS, paths["observations"])
    write_table([], CHECKS, paths["checks"])
    write_table([], FINDINGS, paths["findings"])
    out = tmp_path / "results" / "greenaudit.duckdb"
    staged = StagedFiles([paths["transcriptions"]], [paths["observations"]],
                         [paths["checks"]], [paths["findings"]])
    checks = build_database(out, staged, References(load_manifest(seed_workspace), catalog, []),
                            RuleSet(rules, units))
    return out, checks


def _derived_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM observations WHERE evidence = 'derived' "
                           "ORDER BY source_id").fetchall()
    finally:
        con.close()


def test_build_evaluates_rules_given_as_a_loader_like_a_list(
        tmp_path, seed_workspace, schemas_dir, seed_observations, seed_rules, catalog, units):
    listed, listed_checks = _build(tmp_path / "list", seed_workspace, seed_observations, catalog,
                                   units, list(seed_rules.values()))
    loaded, loaded_checks = _build(tmp_path / "loader", seed_workspace, seed_observations, catalog,
                                   units, lambda: load_rules(schemas_dir, catalog, units))
    assert loaded_checks == listed_checks
    derived = _derived_rows(loaded)
    assert derived == _derived_rows(listed)
    # Every deriving seed rule added its row, read from the staged Parquet.
    assert {row[0] for row in derived} == {
        f"derived:{r.rule_id}" for r in seed_rules.values() if r.derive}


def test_a_rule_error_during_the_build_leaves_no_database(tmp_path, seed_workspace,
                                                          seed_observations, catalog, units):
    from greenaudit.rules.load import RuleError

    (tmp_path / "rules.yaml").write_text("rules:\n  - id: Bad Id\n", encoding="utf-8")
    with pytest.raises(RuleError) as failure:
        _build(tmp_path, seed_workspace, seed_observations, catalog, units,
               lambda: load_rules(tmp_path, catalog, units))
    assert (failure.value.file, failure.value.line) == (str(tmp_path / "rules.yaml"), 2)
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == []


# ---------------------------------------------------------------- outcomes kept between builds

def _outcome(tmp_path: Path, observations: list[dict], rules, catalog, units, memo=None):
    con = _database(tmp_path, observations)
    try:
        return evaluate_rules(con, rules, catalog, units, memo)
    finally:
        con.close()


def test_kept_outcomes_equal_fresh_ones_and_a_changed_input_is_evaluated_again(
        tmp_path, seed_observations, seed_rules, catalog, units):
    rules = list(seed_rules.values())
    store, schemas = Store(tmp_path / "cache", "rules"), tmp_path
    fresh = _outcome(tmp_path, seed_observations, rules, catalog, units)
    first = StoredRuleMemo(store, schemas)
    assert _outcome(tmp_path, seed_observations, rules, catalog, units, first) == fresh
    assert first.reused == 0
    first.save()
    again = StoredRuleMemo(store, schemas)
    assert _outcome(tmp_path, seed_observations, rules, catalog, units, again) == fresh
    assert again.reused == len(rules)

    changed = [dict(o) for o in seed_observations]
    for o in changed:
        if (o["indicator_id"], o["period"]) == ("hi_tech_mfg_share_change", "2012-2022"):
            o.update(value_canonical=D("6.3"), lower=D("6.25"), upper=D("6.35"),
                     stated_lower=D("6.3"), stated_upper=D("6.3"))
    reading = {r.rule_id for r in rules
               if ("hi_tech_mfg_share_change", "2012-2022", "") in {f.key for f in r.references}}
    assert reading  # the edit reaches at least one rule
    memo = StoredRuleMemo(store, schemas)
    kept = _outcome(tmp_path, changed, rules, catalog, units, memo)
    assert kept == _outcome(tmp_path, changed, rules, catalog, units)
    assert memo.reused == len(rules) - len(reading)
    assert {c.check_id for c in kept.checks if c.status == "fail"} == {
        f"rule.{r}" for r in reading}


def test_an_input_printed_differently_is_a_different_input():
    one = {("x", "2020", ""): _exact("1.0")}
    other = {("x", "2020", ""): _exact("1.00")}
    assert one == other  # equal as numbers, but a message would show them apart
    keys = [("x", "2020", "")]
    assert input_signature(keys, one) != input_signature(keys, other)


def test_a_damaged_outcomes_file_is_evaluated_afresh(tmp_path, seed_observations, seed_rules,
                                                    catalog, units, caplog):
    store, schemas = Store(tmp_path / "cache", "rules"), tmp_path
    rules = list(seed_rules.values())
    first = StoredRuleMemo(store, schemas)
    _outcome(tmp_path, seed_observations, rules, catalog, units, first)
    first.save()
    payload = tmp_path / "cache" / "rules" / "outcomes" / "data.json"
    payload.write_bytes(payload.read_bytes().replace(b"rule.", b"rule,", 1))
    with caplog.at_level("WARNING", logger="greenaudit"):
        memo = StoredRuleMemo(store, schemas)
    assert "cache rules/outcomes: data.json differs from its recorded SHA-256" in caplog.text
    assert _outcome(tmp_path, seed_observations, rules, catalog, units, memo) == _outcome(
        tmp_path, seed_observations, rules, catalog, units)
    assert memo.reused == 0
    memo.save()
    assert StoredRuleMemo(store, schemas).earlier.keys() == {r.rule_id for r in rules}


def _around(value: str, half: str) -> Input:
    return Input(Interval(D(value) - D(half), D(value) + D(half)), Interval.point(D(value)),
                 D(value))


def test_a_divisor_that_can_be_zero_derives_nothing_and_keeps_its_severity(rules_from, typing,
                                                                          catalog):
    from greenaudit.rules.derive import evaluate_rule

    rule = rules_from("hi_tech_mfg_share@2012 == hi_tech_mfg_share@2022 * "
                      "(hi_tech_mfg_share_change@2012-2022 - 6.1[percentage_point]) / "
                      "(hi_tech_mfg_share_change@2012-2022 - 6.1[percentage_point])",
                      derive="hi_tech_mfg_share@2012")
    inputs = {("hi_tech_mfg_share", "2022", ""): _around("15.5", "0.05"),
              ("hi_tech_mfg_share_change", "2012-2022", ""): _around("6.1", "0.05")}
    done = evaluate_rule(rule, inputs, typing, catalog)
    assert done.derivation is None
    assert (done.check.status, done.check.severity) == ("fail", "error")
    assert "contains 0" in done.check.message and "schemas/rules.yaml:" in done.check.message


@pytest.mark.parametrize("expression, verdict", [
    ("nev_sales@2022 != nev_sales@2022", False),
    ("nev_sales@2022 < nev_sales@2022", False),
    ("nev_sales@2022 - nev_sales@2022 > 0", False),
    ("nev_sales@2022 * 2 == nev_sales@2022 + nev_sales@2022", True),
    ("nev_sales@2022 <= nev_production@2022", None),   # independent inputs: the interval verdict
])
def test_a_comparison_no_value_can_satisfy_is_violated(rules_from, typing, expression, verdict):
    rule = rules_from(expression)
    inputs = {("nev_sales", "2022", ""): _around("5", "0.5"),
              ("nev_production", "2022", ""): _around("5", "0.5")}
    result = evaluate(rule, inputs, typing)
    assert result.truth is verdict
    assert result.passed is (verdict is not False)
