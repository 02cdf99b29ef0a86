"""Tests of the GX validation stage (greenaudit.gx_validation).

GX is slow to import and to run, so every database below is validated once, in a
module-scoped fixture, and the tests only read the returned checks and files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from greenaudit.checks import Check
from greenaudit.gx_validation import (
    DEFERRED_GX_DEPENDENCIES,
    RANGES_SUITE,
    RESULTS_FILE,
    UNITS_SUITE,
    _build_data_docs,
    catalog_from_database,
    defer_imports,
    kind_ranges,
    run_gx_validation,
    suite_specs,
    unit_consistency_frame,
)

CATALOG = {
    "re_share": {"kind": "share", "unit": "percent", "valid_range": [0, 100]},
    "coal_share": {"kind": "share", "unit": "percent", "valid_range": [0, 80]},
    "re_share_change": {"kind": "change", "unit": "percentage_point", "valid_range": [-100, 100]},
    "n_firms": {"kind": "count", "unit": "count", "valid_range": [0, None]},
    "investment": {"kind": "amount", "unit": "CNY", "valid_range": [None, None]},
}

OBS_DDL = """CREATE TABLE observations(source_id VARCHAR, row_number INTEGER,
    indicator_id VARCHAR, period VARCHAR, breakdown VARCHAR, quantity VARCHAR,
    value DECIMAL(38,10), unit VARCHAR, qualifier VARCHAR, value_canonical DECIMAL(38,10),
    unit_canonical VARCHAR, lower DECIMAL(38,10), upper DECIMAL(38,10), kind VARCHAR,
    quote VARCHAR, evidence VARCHAR, flags VARCHAR, note VARCHAR)"""
IND_DDL = """CREATE TABLE indicators(indicator_id VARCHAR, period VARCHAR, breakdown VARCHAR,
    value DECIMAL(38,10), unit_canonical VARCHAR, lower DECIMAL, upper DECIMAL,
    n_sources INTEGER, sources VARCHAR, agreement VARCHAR, flags VARCHAR)"""
SRC_DDL = """CREATE TABLE sources(source_id VARCHAR, file VARCHAR, sha256 VARCHAR,
    title VARCHAR, publisher VARCHAR, published VARCHAR, script VARCHAR, kind VARCHAR)"""

UNIT_OF = {"re_share": "percent", "coal_share": "percent", "re_share_change": "percentage_point",
           "n_firms": "count", "investment": "CNY"}
KIND_OF = {k: v["kind"] for k, v in CATALOG.items()}
VALUE_OF = {"re_share": 12.5, "coal_share": 55.0, "re_share_change": 1.5, "n_firms": 320.0,
            "investment": 3.2e9}


def obs_row(source_id: str, row_number: int, indicator_id: str, period: str, breakdown: str = "",
            **over) -> dict:
    value = VALUE_OF[indicator_id]
    row = {"source_id": source_id, "row_number": row_number, "indicator_id": indicator_id,
           "period": period, "breakdown": breakdown, "quantity": f"{value:g}", "value": value,
           "unit": "%", "qualifier": "", "value_canonical": value,
           "unit_canonical": UNIT_OF[indicator_id], "lower": None, "upper": None,
           "kind": KIND_OF[indicator_id], "quote": f"达到{value:g}", "evidence": "verified",
           "flags": "", "note": ""}
    row.update(over)
    return row


def ind_row(indicator_id: str, period: str, breakdown: str = "", **over) -> dict:
    row = {"indicator_id": indicator_id, "period": period, "breakdown": breakdown,
           "value": VALUE_OF[indicator_id], "unit_canonical": UNIT_OF[indicator_id],
           "lower": None, "upper": None, "n_sources": 2, "sources": "s0;s1",
           "agreement": "agree", "flags": ""}
    row.update(over)
    return row


def src_row(source_id: str, **over) -> dict:
    row = {"source_id": source_id, "file": f"{source_id}.pdf",
           "sha256": hashlib.sha256(source_id.encode()).hexdigest(), "title": "报告",
           "publisher": "NEA", "published": "2021-01-01", "script": "Hans", "kind": "report"}
    row.update(over)
    return row


def valid_rows(n_periods: int = 4) -> tuple[list, list, list]:
    obs, ind = [], []
    rn = 0
    for s in ("s0", "s1", "s2"):
        for ind_id in CATALOG:
            for p in range(n_periods):
                rn += 1
                obs.append(obs_row(s, rn, ind_id, str(2015 + p)))
    for ind_id in CATALOG:
        for p in range(n_periods):
            ind.append(ind_row(ind_id, str(2015 + p)))
    return obs, ind, [src_row(s) for s in ("s0", "s1", "s2")]


def make_db(path: Path, obs: list | None, ind: list | None, src: list | None,
            src_ddl: str = SRC_DDL) -> Path:
    con = duckdb.connect(str(path))
    try:
        for ddl, table, rows in ((OBS_DDL, "observations", obs), (IND_DDL, "indicators", ind),
                                 (src_ddl, "sources", src)):
            if rows is None:
                continue  # table missing altogether
            con.execute(ddl)
            if rows:
                frame = pd.DataFrame(rows)  # noqa: F841 - read by duckdb below
                cols = ", ".join(frame.columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM frame")
    finally:
        con.close()
    return path


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.check_id: c for c in checks}


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def good(tmp_path_factory):
    base = tmp_path_factory.mktemp("good")
    db = make_db(base / "audit.duckdb", *valid_rows())
    checks1 = run_gx_validation(db, base / "out1", CATALOG)
    checks2 = run_gx_validation(db, base / "out2", CATALOG)
    return {"base": base, "checks": checks1, "checks2": checks2,
            "out1": base / "out1", "out2": base / "out2"}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    obs, ind, src = valid_rows()
    # observations
    dup = dict(obs[0], row_number=900)                    # duplicate (source, indicator, period, '')
    obs.append(dup)
    obs.append(obs_row("s0", 901, "re_share", "2030", value=None))            # null value
    obs.append(obs_row("s0", 902, "re_share", "2031", evidence="made_up"))    # bad evidence
    obs.append(obs_row("s1", 903, "re_share", "2032", value_canonical=150.0))  # share > 100
    obs.append(obs_row("s2", 904, "coal_share", "2033",                        # 2nd unit
                       unit_canonical="percentage_point"))
    # indicators
    ind.append(dict(ind[0]))                                                   # duplicate key
    ind.append(ind_row("re_share", "2040", agreement="maybe"))
    ind.append(ind_row("re_share", "2041", n_sources=0))
    ind.append(dict(ind_row("re_share", "2042"), period=None))
    # sources
    src.append(src_row("s3", sha256="ABC"))
    src.append(src_row("s4", script="Latn"))
    src.append(src_row("s0"))                                                  # duplicate id
    db = make_db(base / "audit.duckdb", obs, ind, src)
    return {"checks": run_gx_validation(db, base / "out", CATALOG), "out": base / "out"}


@pytest.fixture(scope="module")
def degenerate(tmp_path_factory):
    """Empty observations, no indicators table, a sources table without `script`."""
    base = tmp_path_factory.mktemp("degenerate")
    src_ddl = SRC_DDL.replace(", script VARCHAR", "")
    db = make_db(base / "audit.duckdb", [], None, [], src_ddl=src_ddl)
    return {"checks": run_gx_validation(db, base / "out", CATALOG), "out": base / "out"}


# --------------------------------------------------------------------------- plain tests

def test_import_does_not_load_great_expectations():
    code = ("import sys, greenaudit.gx_validation; "
            "sys.exit(1 if 'great_expectations' in sys.modules else 0)")
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(src)},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_kind_ranges_take_widest_range_and_open_bounds():
    assert kind_ranges(CATALOG) == {"amount": (None, None), "change": (-100.0, 100.0),
                                    "count": (0.0, None), "share": (0.0, 100.0)}


def test_suite_specs_ids_are_unique_and_stable():
    specs = suite_specs(CATALOG)
    ids = [s.check_id for suite in specs.values() for s in suite]
    assert len(ids) == len(set(ids))
    assert ids == [s.check_id for suite in suite_specs(dict(CATALOG)).values() for s in suite]
    assert "gx.observations.expect_column_values_to_not_be_null.value" in ids
    assert "gx.observations.expect_column_values_to_be_between.value_canonical.kind=share" in ids
    # a kind with no bound at all gets no range expectation
    assert not any(i.endswith("kind=amount") for i in ids)


def test_unit_consistency_frame():
    obs = pd.DataFrame([
        {"indicator_id": "re_share", "unit_canonical": "percent"},
        {"indicator_id": "re_share", "unit_canonical": "percent"},
        {"indicator_id": "coal_share", "unit_canonical": "percent"},
        {"indicator_id": "coal_share", "unit_canonical": "percentage_point"},
        {"indicator_id": "n_firms", "unit_canonical": "percent"},
        {"indicator_id": "unknown", "unit_canonical": "percent"},
        {"indicator_id": None, "unit_canonical": "percent"},
    ])
    frame = unit_consistency_frame(obs, CATALOG).set_index("indicator_id")
    assert frame.loc["re_share", "unit_ok"]
    assert frame.loc["coal_share", "n_units"] == 2 and not frame.loc["coal_share", "unit_ok"]
    assert frame.loc["n_firms", "n_units"] == 1 and not frame.loc["n_firms", "unit_ok"]
    assert pd.isna(frame.loc["unknown", "catalog_unit"]) and not frame.loc["unknown", "unit_ok"]
    assert len(frame) == 4


def test_data_docs_failure_is_a_warning(tmp_path, caplog):
    class Broken:
        def build_data_docs(self, **kwargs):
            raise RuntimeError("renderer exploded")

    with caplog.at_level(logging.WARNING, logger="greenaudit.gx_validation"):
        _build_data_docs(Broken(), tmp_path / "data_docs")
    assert "renderer exploded" in caplog.text
    # the declared output directory still exists, with a page saying what happened
    assert "renderer exploded" in (tmp_path / "data_docs" / "index.html").read_text()


# --------------------------------------------------------------------------- GX runs

def test_valid_db_all_checks_pass(good):
    checks = good["checks"]
    failing = [c for c in checks if c.status != "pass"]
    assert not failing, failing
    expected_ids = [s.check_id for suite in suite_specs(CATALOG).values() for s in suite]
    assert [c.check_id for c in checks] == expected_ids
    for c in checks:
        assert c.kind == "gx" and c.severity == "error" and c.n_failed == 0
    ids = by_id(checks)
    n_obs = 3 * len(CATALOG) * 4
    assert ids["gx.observations.expect_column_values_to_not_be_null.value"].n_items == n_obs
    assert ids["gx.observations.expect_column_values_to_not_be_null.value"].target \
        == "observations.value"
    share = ids["gx.observations.expect_column_values_to_be_between.value_canonical.kind=share"]
    assert share.n_items == 3 * 2 * 4  # rows of kind share only (row_condition)
    unique = ids["gx.observations.expect_compound_columns_to_be_unique."
                 "source_id+indicator_id+period+breakdown"]
    assert unique.target == "observations.(source_id,indicator_id,period,breakdown)"
    assert ids["gx.observations.expect_column_values_to_be_in_set.unit_matches_catalog"].n_items \
        == len(CATALOG)
    assert ids["gx.sources.expect_column_values_to_be_unique.source_id"].n_items == 3


def test_results_json_is_byte_identical_and_normalised(good):
    a = (good["out1"] / RESULTS_FILE).read_bytes()
    b = (good["out2"] / RESULTS_FILE).read_bytes()
    assert a == b
    text = a.decode("utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert set(data["suites"]) == {"observations", RANGES_SUITE, UNITS_SUITE, "indicators",
                                   "sources"}
    assert data["success"] is True
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
    assert not re.search(r"\d{8}T\d{6}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
    for word in ("run_id", "validation_time", "validation_id", "checkpoint_id", '"batch_id"',
                 "ge_load_time", version("great_expectations"), str(good["base"])):
        assert word not in text
    results = data["suites"]["observations"]["results"]
    keys = [r["expectation_config"]["meta"]["check_id"] for r in results]
    assert keys == sorted(keys)
    assert not list(good["out1"].glob(".*.tmp"))  # no temp file left behind


def test_data_docs_built(good):
    index = good["out1"] / "data_docs" / "index.html"
    assert index.is_file()
    assert "observations" in index.read_text(encoding="utf-8")
    assert list((good["out1"] / "data_docs" / "validations").rglob("*.html"))


def test_checks_are_identical_across_runs(good):
    assert good["checks"] == good["checks2"]


def test_bad_db_failures(bad):
    ids = by_id(bad["checks"])

    def failed(check_id: str, n_failed: int) -> Check:
        c = ids[check_id]
        assert c.status == "fail", c
        assert c.n_failed == n_failed, c
        assert c.severity == "error"
        return c

    c = failed("gx.observations.expect_compound_columns_to_be_unique."
               "source_id+indicator_id+period+breakdown", 2)   # both rows of the duplicate
    assert '"s0"' in c.message and '"re_share"' in c.message
    c = failed("gx.observations.expect_column_values_to_not_be_null.value", 1)
    assert c.message == f"1 of {c.n_items} rows null at source_id=s0 row_number=901"
    c = failed("gx.observations.expect_column_values_to_be_in_set.evidence", 1)
    assert '"made_up"' in c.message
    c = failed("gx.observations.expect_column_values_to_be_between.value_canonical.kind=share", 1)
    assert "150" in c.message
    c = failed("gx.observations.expect_column_values_to_be_between.n_units_per_indicator", 1)
    assert "coal_share" in c.message and "percentage_point" in c.message
    assert c.n_items == len(CATALOG) and c.target == "observations.(indicator_id,unit_canonical)"
    failed("gx.observations.expect_column_values_to_be_in_set.unit_matches_catalog", 1)

    failed("gx.indicators.expect_compound_columns_to_be_unique.indicator_id+period+breakdown", 2)
    assert '"maybe"' in failed("gx.indicators.expect_column_values_to_be_in_set.agreement",
                               1).message
    assert "0" in failed("gx.indicators.expect_column_values_to_be_between.n_sources", 1).message
    failed("gx.indicators.expect_column_values_to_not_be_null.period", 1)

    assert '"ABC"' in failed("gx.sources.expect_column_values_to_match_regex.sha256", 1).message
    assert '"Latn"' in failed("gx.sources.expect_column_values_to_be_in_set.script", 1).message
    failed("gx.sources.expect_column_values_to_be_unique.source_id", 2)

    expected_failures = {
        "gx.observations.expect_compound_columns_to_be_unique."
        "source_id+indicator_id+period+breakdown",
        "gx.observations.expect_column_values_to_not_be_null.value",
        "gx.observations.expect_column_values_to_be_in_set.evidence",
        "gx.observations.expect_column_values_to_be_between.value_canonical.kind=share",
        "gx.observations.expect_column_values_to_be_between.n_units_per_indicator",
        "gx.observations.expect_column_values_to_be_in_set.unit_matches_catalog",
        "gx.indicators.expect_compound_columns_to_be_unique.indicator_id+period+breakdown",
        "gx.indicators.expect_column_values_to_be_in_set.agreement",
        "gx.indicators.expect_column_values_to_be_between.n_sources",
        "gx.indicators.expect_column_values_to_not_be_null.period",
        "gx.sources.expect_column_values_to_match_regex.sha256",
        "gx.sources.expect_column_values_to_be_in_set.script",
        "gx.sources.expect_column_values_to_be_unique.source_id",
    }
    assert {c.check_id for c in bad["checks"] if c.status == "fail"} == expected_failures

    data = json.loads((bad["out"] / RESULTS_FILE).read_text(encoding="utf-8"))
    assert data["success"] is False
    assert (bad["out"] / "data_docs" / "index.html").is_file()


def test_degenerate_db_reports_without_crashing(degenerate):
    checks = degenerate["checks"]
    ids = by_id(checks)
    assert [c.check_id for c in checks] == \
        [s.check_id for suite in suite_specs(CATALOG).values() for s in suite]
    # empty observations: vacuously true, zero items
    for c in checks:
        if c.check_id.startswith("gx.observations."):
            assert (c.status, c.n_items, c.n_failed) == ("pass", 0, 0), c
    # missing table: every check fails, saying so
    for c in checks:
        if c.check_id.startswith("gx.indicators."):
            assert (c.status, c.n_failed) == ("fail", 1), c
            assert "not found" in c.message
    # missing column: the expectation could not run, which is a failure
    script = ids["gx.sources.expect_column_values_to_be_in_set.script"]
    assert script.status == "fail" and script.n_failed == 1
    assert script.message.startswith("could not evaluate")
    assert ids["gx.sources.expect_column_values_to_be_unique.source_id"].status == "pass"
    data = json.loads((degenerate["out"] / RESULTS_FILE).read_text(encoding="utf-8"))
    assert data["suites"]["indicators"]["missing_table"] == "indicators"


def test_a_suite_gx_cannot_run_fails_its_checks(tmp_path, monkeypatch, caplog):
    import greenaudit.gx_validation as mod

    def boom(*args, **kwargs):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(mod, "_validate_suite", boom)
    db = make_db(tmp_path / "audit.duckdb", [], [], [])
    with caplog.at_level(logging.WARNING, logger="greenaudit.gx_validation"):
        checks = run_gx_validation(db, tmp_path / "out", CATALOG)
    assert checks and all(c.status == "fail" and c.n_failed == 1 for c in checks)
    assert all("engine on fire" in c.message for c in checks)
    assert "engine on fire" in caplog.text
    data = json.loads((tmp_path / "out" / RESULTS_FILE).read_text(encoding="utf-8"))
    assert data["success"] is False


def test_catalog_is_read_from_the_database(tmp_path):
    db = tmp_path / "audit.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE catalog (indicator_id VARCHAR, kind VARCHAR, unit VARCHAR, "
                "valid_low DECIMAL(38,10), valid_high DECIMAL(38,10), name_en VARCHAR)")
    con.execute("INSERT INTO catalog VALUES ('re_share', 'share', 'percent', 0, 100, 'RE'), "
                "('investment', 'amount', 'CNY', NULL, NULL, 'Investment')")
    con.close()
    catalog = catalog_from_database(db)
    assert list(catalog) == ["investment", "re_share"]
    assert catalog["re_share"] == {"kind": "share", "unit": "percent",
                                   "valid_range": [Decimal(0), Decimal(100)]}
    assert catalog["investment"]["valid_range"] == [None, None]
    # The ranges GX derives from it are those of the YAML catalog.
    assert kind_ranges(catalog)["share"] == kind_ranges(CATALOG)["share"]


def test_a_database_without_catalog_gives_an_empty_catalog(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    assert catalog_from_database(db) == {}


def test_a_deferred_module_loads_on_first_use_only(tmp_path, monkeypatch):
    package = tmp_path / "deferpkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    marker = tmp_path / "loaded"
    (package / "heavy.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).open('a').write('x')\nVALUE = 42\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert defer_imports(("deferpkg.heavy", "deferpkg.missing", "json")) == ["deferpkg.heavy"]
        from deferpkg import heavy  # how GX imports scipy.stats

        assert not marker.exists()
        assert heavy.VALUE == 42
        assert heavy.VALUE == 42
        assert marker.read_text() == "x"  # executed once, on first use
        assert defer_imports(("deferpkg.heavy",)) == []  # already imported: left alone
    finally:
        for name in ("deferpkg.heavy", "deferpkg"):
            sys.modules.pop(name, None)


def test_the_gx_job_defers_scipy_stays_quiet_and_matches_in_process_results(tmp_path, good):
    """`greenaudit validate-gx` as the workflow runs it: scipy.stats is never loaded,
    GX's import notes stay out of the log, and the quick exit loses no output."""
    db = make_db(tmp_path / "audit.duckdb", *valid_rows())
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE catalog (indicator_id VARCHAR, kind VARCHAR, unit VARCHAR, "
                "valid_low DECIMAL(38,10), valid_high DECIMAL(38,10))")
    for indicator_id, entry in CATALOG.items():
        con.execute("INSERT INTO catalog VALUES (?, ?, ?, ?, ?)",
                    [indicator_id, entry["kind"], entry["unit"], *entry["valid_range"]])
    con.close()
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "greenaudit.cli", "validate-gx",
         "--db", str(db), "--results", str(out / RESULTS_FILE),
         "--data-docs", str(out / "data_docs"), "--checks", str(out / "checks.parquet")],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "great_expectations" in imported
    for name in DEFERRED_GX_DEPENDENCIES:
        assert name not in imported and not any(m.startswith(name + ".") for m in imported)
    log_lines = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    n_checks = len(good["checks"])
    assert log_lines == [f"INFO greenaudit: great expectations: {n_checks} checks, 0 failing"]
    assert ((out / RESULTS_FILE).read_bytes()
            == (good["out1"] / RESULTS_FILE).read_bytes())
    assert (out / "data_docs" / "index.html").is_file()
    assert pd.read_parquet(out / "checks.parquet")["status"].eq("pass").all()
