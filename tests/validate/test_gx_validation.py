"""Tests of the GX dataset suites (greenaudit.validate.gx).

GX is slow to import and to run, so every database below is validated once, in a
module-scoped fixture, and the tests only read the returned checks and files.
"""

from __future__ import annotations

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
from greenaudit.validate.gx import catalog_from_database, run_gx_validation
from greenaudit.validate.gx.docs import build_data_docs, offline_page
from greenaudit.validate.gx.imports import DEFERRED_GX_DEPENDENCIES, defer_imports
from greenaudit.validate.gx.run import RESULTS_FILE
from greenaudit.validate.gx.specs import effective_range, group_label, plan_expectations, slices
from greenaudit.validate.gx.verdicts import agreement_verdict, source_label

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "workflow" / "data_docs" / "node_modules"

CATALOG = {  # indicator: kind, unit, valid range
    "hi_share": ("share", "percent", 0, 100),
    "equip_share": ("share", "percent", 0, 80),
    "coal_share": ("share", "percent", None, None),   # the kind's bounds apply: [0, 100]
    "n_firms": ("count", "count", None, None),        # [0, +inf]
}
OBS_DDL = """CREATE TABLE observations(source_id VARCHAR, row_number INTEGER,
    indicator_id VARCHAR, period VARCHAR, breakdown VARCHAR, quantity VARCHAR,
    value_canonical DECIMAL(38,10), unit_canonical VARCHAR, lower DECIMAL(38,10),
    upper DECIMAL(38,10), stated_lower DECIMAL(38,10), stated_upper DECIMAL(38,10),
    evidence VARCHAR, quote VARCHAR)"""


def obs(source_id, row, indicator, period, value, half=Decimal("0.05"), stated=None, **over):
    value = Decimal(str(value))
    stated = value if stated is None else Decimal(str(stated))
    unit = CATALOG[indicator][1]
    row = {"source_id": source_id, "row_number": row, "indicator_id": indicator,
           "period": period, "breakdown": "", "quantity": f"{value}%", "value_canonical": value,
           "unit_canonical": unit, "lower": value - half, "upper": value + half,
           "stated_lower": stated, "stated_upper": stated, "evidence": "verified", "quote": "q"}
    row.update(over)
    return row


def derived(rule_id, line, indicator, period, value, lower, upper):
    return obs(f"derived:{rule_id}", line, indicator, period, value, evidence="derived",
               lower=Decimal(lower), upper=Decimal(upper), quantity=str(value),
               quote=f"rule {rule_id}: {indicator}@{period} == ...")


def good_rows() -> list[dict]:
    return [
        obs("000_a", 4, "hi_share", "2022", "15.5"), obs("003_b", 5, "hi_share", "2022", "15.5"),
        obs("004_c", 23, "hi_share", "2022", "15.5"),
        obs("003_b", 6, "hi_share", "2012", "9.4"),
        derived("hi_share_2012", 23, "hi_share", "2012", "9.4", "9.3", "9.5"),
        # 28% and 28.2%: stated digits differ, rounding intervals overlap
        obs("003_b", 7, "equip_share", "2012", "28", half=Decimal("0.5")),
        obs("004_c", 20, "equip_share", "2012", "28.2"),
        # a declared conflict
        obs("000_a", 8, "coal_share", "2020", "50", half=Decimal("0.5")),
        obs("004_c", 9, "coal_share", "2020", "60", half=Decimal("0.5")),
        obs("000_a", 10, "n_firms", "2022", "320", half=Decimal("0.5"), quantity="320家"),
        derived("n_firms_total", 50, "n_firms", "2023", "400", "399", "401"),
    ]


def make_db(path: Path, rows: list[dict], published: dict | None = None,
            declared: list[tuple] = (("coal_share", "2020", "", "000_a;004_c",
                                      "004 counts captive plants"),),
            tables: tuple[str, ...] = ("observations", "catalog", "discrepancies", "indicators")
            ) -> Path:
    con = duckdb.connect(str(path))
    try:
        if "observations" in tables:
            con.execute(OBS_DDL)
            if rows:
                frame = pd.DataFrame(rows)  # noqa: F841 - read by duckdb below
                con.execute("INSERT INTO observations BY NAME SELECT * FROM frame")
        if "catalog" in tables:
            con.execute("CREATE TABLE catalog (indicator_id VARCHAR, kind VARCHAR, unit VARCHAR, "
                        "valid_low DECIMAL(38,10), valid_high DECIMAL(38,10))")
            for ind, (kind, unit, low, high) in CATALOG.items():
                con.execute("INSERT INTO catalog VALUES (?, ?, ?, ?, ?)", [ind, kind, unit, low, high])
        if "discrepancies" in tables:
            con.execute("CREATE TABLE discrepancies (indicator_id VARCHAR, period VARCHAR, "
                        "breakdown VARCHAR, sources VARCHAR, reason VARCHAR)")
            for d in declared:
                con.execute("INSERT INTO discrepancies VALUES (?, ?, ?, ?, ?)", list(d))
        if "indicators" in tables:
            verdicts = {("hi_share", "2022"): "agree", ("hi_share", "2012"): "agree",
                        ("equip_share", "2012"): "agree_within_rounding",
                        ("coal_share", "2020"): "conflict", **(published or {})}
            con.execute("CREATE TABLE indicators (indicator_id VARCHAR, period VARCHAR, "
                        "breakdown VARCHAR, agreement VARCHAR)")
            for (ind, period), verdict in verdicts.items():
                con.execute("INSERT INTO indicators VALUES (?, ?, '', ?)", [ind, period, verdict])
    finally:
        con.close()
    return path


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.check_id: c for c in checks}


def result_page(out: Path, suite: str) -> str:
    pages = json.loads((out / "data_docs" / "pages.json").read_text(encoding="utf-8"))
    page = next(s["result"] for s in pages["suites"] if s["suite"] == suite)
    return (out / "data_docs" / page).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def good(tmp_path_factory):
    base = tmp_path_factory.mktemp("good")
    db = make_db(base / "audit.duckdb", good_rows())
    catalog = catalog_from_database(db)
    return {"base": base, "db": db, "catalog": catalog,
            "checks": run_gx_validation(db, base / "out1", catalog, assets=ASSETS),
            "checks2": run_gx_validation(db, base / "out2", catalog, assets=ASSETS),
            "out1": base / "out1", "out2": base / "out2"}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    rows = good_rows()
    rows[1] = obs("003_b", 5, "hi_share", "2022", "16.5")                    # undeclared conflict
    rows += [obs("004_c", 30, "hi_share", "2019", "150"),                   # outside [0, 100]
             obs("004_c", 31, "n_firms", "2019", "-3", half=Decimal("0.5")),  # below the kind's 0
             obs("004_c", 32, "n_firms", "2021", "5", unit_canonical="percent"),  # wrong unit
             obs("001_d", 3, "equip_share", "2012", "27")]                  # published: agree
    rows[4] = derived("hi_share_2012", 23, "hi_share", "2012", "9.0", "8.9", "9.1")
    db = make_db(base / "audit.duckdb", rows, published={("hi_share", "2022"): "conflict",
                                                         ("hi_share", "2012"): "conflict"})
    return {"checks": run_gx_validation(db, base / "out", catalog_from_database(db),
                                        assets=ASSETS), "out": base / "out"}


# --------------------------------------------------------------------------- plain tests

def test_import_does_not_load_great_expectations():
    code = ("import sys, greenaudit.validate.gx, greenaudit.validate.gx.specs, "
            "greenaudit.validate.gx.docs, greenaudit.report.data_docs; "
            "sys.exit(1 if 'great_expectations' in sys.modules else 0)")
    proc = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "src")},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_an_indicator_range_is_its_valid_range_within_its_kind_bounds():
    assert effective_range("share", None, None) == (0, 100)
    assert effective_range("share", 0, 80) == (0, 80)
    assert effective_range("change_pp", -200, 50) == (-100, 50)
    assert effective_range("count", None, None) == (0, None)
    assert effective_range("unknown_kind", None, None) == (None, None)


def test_items_get_one_expectation_each_until_the_limit_then_share_runs():
    assert slices(["a", "b"], 3) == [("a",), ("b",)]
    runs = slices([f"i{n:02}" for n in range(10)], 3)
    assert len(runs) <= 3 and [i for run in runs for i in run] == [f"i{n:02}" for n in range(10)]
    catalog = {"x": {"kind": "share", "unit": "percent", "valid_range": [None, 80]}}
    plan = plan_expectations({"agreement": ["a@2020", "b@2021[level=x]", "c@2022"],
                              "indicator_ranges": ["x"]}, catalog, {}, limit=2)
    assert [s.check_id for s in plan["agreement"]] == ["gx.agreement.a@2020..b@2021[level=x]",
                                                       "gx.agreement.c@2022"]
    assert plan["indicator_ranges"][0].claim == "x: every value lies in [0, 80] percent"
    assert group_label("b@2021[level=x]") == "b 2021 (level=x)"


def test_a_group_label_keeps_a_breakdown_value_that_ends_in_a_bracket():
    assert group_label("hi_share@2020") == "hi_share 2020"
    assert group_label("hi_share@2020[region=north]") == "hi_share 2020 (region=north)"
    assert group_label("hi_share@2020[region=O'Hare [x]]") == "hi_share 2020 (region=O'Hare [x])"


def test_sources_are_labelled_briefly_unless_ambiguous():
    ids = ["000_a", "003_b", "derived:r"]
    assert [source_label(s, ids) for s in ids] == ["000", "003", "derived"]
    assert source_label("000_a", ["000_a", "000_b"]) == "000_a"
    assert source_label("plain", ["plain"]) == "plain"


def test_a_declared_conflict_passes_with_its_reason_and_the_published_verdict_must_match():
    row = {"item": "coal_share@2020", "verdict": "conflict", "declared": "004 counts captive",
           "published": "conflict", "unit": "percent", "n_statements": 2,
           "statements": [["000_a", "8", "50%", "49.5", "50.5"], ["004_c", "9", "60%", "59.5", "60.5"]]}
    verdict = agreement_verdict(row)
    assert verdict.ok and "declared" in verdict.summary and "004 counts captive" in verdict.summary
    assert not agreement_verdict({**row, "declared": None}).ok
    mismatch = agreement_verdict({**row, "published": "agree"})
    assert not mismatch.ok and "the indicators table says agree" in mismatch.summary


def test_pages_load_local_copies_and_nothing_from_the_network():
    page = ('<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/'
            'bootstrap.min.css"/>\n<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
            '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"'
            ' integrity="sha384-x" crossorigin="anonymous"></script>\n<img class="NO-CACHE" '
            'src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png'
            '?d=1"/>\n<style>a { background: url(\'https://example.org/dark.png\') }</style>\n'
            '<a href="https://greatexpectations.io">GX</a>')
    copied = {"bootstrap/dist/css/bootstrap.min.css": "static/vendor/bootstrap/dist/css/x.css",
              "bootstrap/dist/js/bootstrap.min.js": "static/vendor/bootstrap/dist/js/x.js"}
    out = offline_page(page, copied, "../../")
    assert 'href="../../static/vendor/bootstrap/dist/css/x.css"' in out
    assert '<script src="../../static/vendor/bootstrap/dist/js/x.js"></script>' in out
    assert "vega" not in out and "integrity" not in out and "crossorigin" not in out
    assert 'src="../../static/images/logo-long.png"' in out
    assert "url('../../static/images/logo-long.png')" in out
    assert not re.search(r"""(src|href)=["']https?://|url\(['"]?https?:""",
                         out.replace('<a href="https://greatexpectations.io">', ""))


def test_data_docs_failure_is_a_warning(tmp_path, caplog):
    class Broken:
        def build_data_docs(self, **kwargs):
            raise RuntimeError("renderer exploded")

    with caplog.at_level(logging.WARNING, logger="greenaudit.validate.gx.docs"):
        build_data_docs(Broken(), tmp_path / "data_docs", None, {})
    assert "renderer exploded" in caplog.text
    assert "renderer exploded" in (tmp_path / "data_docs" / "index.html").read_text()


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
        assert heavy.VALUE == 42 and heavy.VALUE == 42
        assert marker.read_text() == "x"  # executed once, on first use
    finally:
        for name in ("deferpkg.heavy", "deferpkg"):
            sys.modules.pop(name, None)


# --------------------------------------------------------------------------- GX runs

def test_valid_db_passes_every_expectation(good):
    checks = good["checks"]
    assert not [c for c in checks if c.status != "pass"]
    assert [c.check_id for c in checks] == [
        "gx.agreement.coal_share@2020", "gx.agreement.equip_share@2012",
        "gx.agreement.hi_share@2012", "gx.agreement.hi_share@2022",
        *[f"gx.range.{i}" for i in sorted(CATALOG)], *[f"gx.unit.{i}" for i in sorted(CATALOG)],
        "gx.identity.hi_share_2012", "gx.identity.n_firms_total"]
    ids = by_id(checks)
    share = ids["gx.agreement.hi_share@2022"]
    assert share.message == ("hi_share 2022: 000 15.5% [15.45, 15.55], 003 15.5% [15.45, 15.55], "
                             "004 15.5% [15.45, 15.55] → agree")
    assert (share.kind, share.severity, share.n_items, share.n_failed) == ("gx", "error", 3, 0)
    assert ids["gx.agreement.equip_share@2012"].message.endswith("→ agree_within_rounding")
    assert "→ conflict, declared" in ids["gx.agreement.coal_share@2020"].message
    assert "004 counts captive plants" in ids["gx.agreement.coal_share@2020"].message
    assert ids["gx.range.coal_share"].message == "coal_share: 2 value(s), all in [0, 100] percent"
    assert ids["gx.unit.n_firms"].message == "n_firms: 2 value(s), all in count"
    identity = ids["gx.identity.hi_share_2012"]
    assert identity.target == "schemas/rules.yaml:23"
    assert "derives hi_share@2012 = 9.4 [9.3, 9.5]" in identity.message
    assert "→ holds" in identity.message
    assert ids["gx.identity.n_firms_total"].message.endswith("no source states it → nothing to compare")


def test_bad_db_fails_exactly_what_is_wrong(bad):
    failing = {c.check_id: c for c in bad["checks"] if c.status == "fail"}
    assert set(failing) == {"gx.agreement.hi_share@2022", "gx.agreement.equip_share@2012",
                            "gx.range.hi_share", "gx.range.n_firms", "gx.unit.n_firms",
                            "gx.agreement.hi_share@2012", "gx.identity.hi_share_2012"}
    assert all(c.severity == "error" and c.n_failed > 0 for c in failing.values())
    assert failing["gx.agreement.hi_share@2022"].message == (
        "hi_share 2022: 000 15.5% [15.45, 15.55], 003 16.5% [16.45, 16.55], "
        "004 15.5% [15.45, 15.55] → conflict")
    assert "the indicators table says agree_within_rounding" in \
        failing["gx.agreement.equip_share@2012"].message
    assert "004_c:30 = 150" in failing["gx.range.hi_share"].message
    assert "004_c:31 = -3" in failing["gx.range.n_firms"].message
    assert "1 of 4 value(s) not in count: 004_c:32 in percent" in failing["gx.unit.n_firms"].message
    assert "→ fails" in failing["gx.identity.hi_share_2012"].message
    data = json.loads((bad["out"] / RESULTS_FILE).read_text(encoding="utf-8"))
    assert data["success"] is False and data["suites"]["agreement"]["success"] is False


def test_results_json_is_byte_identical_and_normalised(good):
    a = (good["out1"] / RESULTS_FILE).read_bytes()
    assert a == (good["out2"] / RESULTS_FILE).read_bytes()
    text = a.decode("utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert list(data["suites"]) == ["agreement", "identities", "indicator_ranges",
                                    "indicator_units"]  # keys sorted
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
    assert not re.search(r"\d{8}T\d{6}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
    for word in ("run_id", "validation_time", "validation_id", '"batch_id"',
                 version("great_expectations"), str(good["base"])):
        assert word not in text
    assert good["checks"] == good["checks2"]
    assert not list(good["out1"].glob(".*.tmp"))


def test_data_docs_show_each_group_with_an_anchor_and_load_nothing_remote(good):
    docs = good["out1"] / "data_docs"
    page = result_page(good["out1"], "agreement")
    assert 'id="gx.agreement.hi_share@2022"' in page
    for text in ("15.5%", "[15.45, 15.55]", ">000<", ">003<", ">004<", "agree"):
        assert text in page
    for html in docs.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"""<(script|link|img)\b[^>]*(src|href)=["'](https?:)?//""", text), html
    if ASSETS.is_dir():  # installed by `npm ci --prefix workflow/data_docs`
        assert (docs / "static/vendor/bootstrap-table/dist/bootstrap-table.min.js").is_file()
        assert "static/vendor/jquery/dist/jquery.min.js" in (docs / "index.html").read_text()
    pages = json.loads((docs / "pages.json").read_text(encoding="utf-8"))
    assert [s["suite"] for s in pages["suites"]] == ["agreement", "indicator_ranges",
                                                     "indicator_units", "identities"]
    assert ["gx.agreement.hi_share@2022", "hi_share@2022", "hi_share@2022",
            "validations/agreement/__none__/latest/greenaudit-observations.html"
            "#gx.agreement.hi_share@2022"] in pages["expectations"]["agreement"]


def test_many_items_share_expectations_and_failures_stay_visible(tmp_path):
    rows = good_rows()
    rows[1] = obs("003_b", 5, "hi_share", "2022", "16.5")
    db = make_db(tmp_path / "audit.duckdb", rows)
    checks = run_gx_validation(db, tmp_path / "out", catalog_from_database(db),
                               max_expectations=2)
    agreement = [c for c in checks if c.check_id.startswith("gx.agreement.")]
    assert [c.check_id for c in agreement] == ["gx.agreement.coal_share@2020..equip_share@2012",
                                               "gx.agreement.hi_share@2012..hi_share@2022"]
    failed = agreement[1]
    assert failed.status == "fail" and failed.n_items == 5 and failed.n_failed == 3
    assert failed.message.startswith("1 of 2 groups pass: failing hi_share 2022: ")
    assert "003 16.5%" in failed.message


def test_missing_tables_fail_their_suites_without_crashing(tmp_path):
    db = make_db(tmp_path / "audit.duckdb", good_rows(), tables=("observations", "catalog"))
    checks = by_id(run_gx_validation(db, tmp_path / "out", catalog_from_database(db)))
    agreement = [c for i, c in checks.items() if i.startswith("gx.agreement.")]
    assert agreement and all(c.status == "fail" and "discrepancies, indicators not found"
                             in c.message for c in agreement)
    assert checks["gx.range.hi_share"].status == "pass"
    empty = make_db(tmp_path / "empty.duckdb", [], tables=("observations",))
    assert run_gx_validation(empty, tmp_path / "out2", catalog_from_database(empty)) == []
    data = json.loads((tmp_path / "out2" / RESULTS_FILE).read_text(encoding="utf-8"))
    assert "not found" in data["suites"]["agreement"]["error"]


def test_a_suite_gx_cannot_run_fails_its_checks(tmp_path, monkeypatch, caplog):
    import greenaudit.validate.gx.run as mod

    def boom(*args, **kwargs):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(mod, "_validate_suite", boom)
    db = make_db(tmp_path / "audit.duckdb", good_rows())
    with caplog.at_level(logging.WARNING, logger="greenaudit.validate.gx.run"):
        checks = run_gx_validation(db, tmp_path / "out", catalog_from_database(db))
    assert checks and all(c.status == "fail" and "engine on fire" in c.message for c in checks)
    assert "engine on fire" in caplog.text


def test_the_published_checks_divide_the_work_between_pandera_and_gx():
    """Pandera checks rows (types, formats, vocabularies, keys); GX the dataset."""
    checks = pd.read_csv(REPO / "results" / "audit" / "checks.csv", dtype=str)
    tool = checks["check_id"].str.split(".").str[0]
    assert (checks.loc[tool == "gx", "kind"] == "gx").all()
    assert (checks.loc[tool == "pandera", "kind"] == "pandera").all()
    gx_suites = set(checks.loc[tool == "gx", "check_id"].str.split(".").str[1])
    assert gx_suites == {"agreement", "range", "unit", "identity"}
    pandera = checks.loc[tool == "pandera", "check_id"]
    # what GX owns is not checked by Pandera: no range, unit or agreement check
    on_values = pandera[pandera.str.match(r"pandera\.observations\.(value_canonical|unit_canonical)\.")]
    assert set(on_values.str.rsplit(".", n=1).str[1]) <= {"dtype", "not_nullable"}
    names = pandera.str.rsplit(".", n=1).str[1]
    assert not names.str.contains("bound|range|unit|agree|between").any()
    # and row-level checks GX used to run are Pandera's
    for check_id in ("pandera.sources.sha256.str_matches", "pandera.sources.script.isin",
                     "pandera.sources.dataframe.multiple_fields_uniqueness",
                     "pandera.observations.evidence.isin",
                     "pandera.indicators.agreement.isin"):
        assert check_id in set(pandera), check_id


def test_the_gx_job_defers_scipy_stays_quiet_and_matches_in_process_results(tmp_path, good):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "greenaudit.cli", "validate-gx",
         "--db", str(good["db"]), "--results", str(out / RESULTS_FILE),
         "--data-docs", str(out / "data_docs"), "--checks", str(out / "checks.parquet"),
         "--assets", str(ASSETS)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "great_expectations" in imported
    for name in DEFERRED_GX_DEPENDENCIES:
        assert name not in imported and not any(m.startswith(name + ".") for m in imported)
    log_lines = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    n_checks = len(good["checks"])
    assert log_lines == [f"INFO greenaudit: great expectations: {n_checks} checks, 0 failing"]
    assert (out / RESULTS_FILE).read_bytes() == (good["out1"] / RESULTS_FILE).read_bytes()
    assert pd.read_parquet(out / "checks.parquet")["status"].eq("pass").all()


def _without_detailed(result: object) -> object:
    """A normalised result without the `detailed` kwarg its expectations carry."""
    if isinstance(result, dict):
        return {k: _without_detailed(v) for k, v in result.items() if k != "detailed"}
    if isinstance(result, list):
        return [_without_detailed(v) for v in result]
    return result


def test_long_runs_read_statements_for_failing_groups_only_with_the_same_results(
        tmp_path, monkeypatch):
    """Over more than SHOWN_ITEMS groups per expectation the agreement metric reads the
    statements of the failing groups only; checks and results are those of reading all."""
    rows, published = [], {}
    for year in range(2000, 2050):
        second = "16.5" if year % 7 == 0 else "15.5"          # every 7th year conflicts
        rows += [obs("000_a", year, "hi_share", str(year), "15.5"),
                 obs("003_b", year, "hi_share", str(year), second)]
        published[("hi_share", str(year))] = "agree"
    published[("hi_share", "2003")] = "conflict"               # the table disagrees
    # A group the indicators table lacks, keyed with a quote and brackets.
    rows += [obs("000_a", 90, "hi_share", "2020", "15.5", breakdown="region=O'Hare [x]"),
             obs("004_c", 91, "hi_share", "2020", "15.5", breakdown="region=O'Hare [x]")]
    db = make_db(tmp_path / "audit.duckdb", rows, published=published)
    catalog = catalog_from_database(db)
    brief = run_gx_validation(db, tmp_path / "brief", catalog, max_expectations=2)
    monkeypatch.setattr("greenaudit.validate.gx.run.SHOWN_ITEMS", 10**6)
    full = run_gx_validation(db, tmp_path / "full", catalog, max_expectations=2)
    agreement = [c for c in brief if c.check_id.startswith("gx.agreement.")]
    # 51 groups in two runs (sorted as keys, the O'Hare group after 2020), each longer
    # than SHOWN_ITEMS; failing 2002, 2003, 2009, 2016, O'Hare, 2023 | 2030, 2037, 2044.
    assert [c.message.split(":")[0] for c in agreement] == ["20 of 26 groups pass",
                                                            "22 of 25 groups pass"]
    assert brief == full
    assert sum(c.n_failed for c in agreement) == 2 * 9  # 7 conflicts, 2003, O'Hare
    failing = " ".join(c.message for c in agreement)
    assert "O'Hare" in failing and "the indicators table says nothing" in failing
    assert "003 16.5%" in failing
    results = [json.loads((tmp_path / out / RESULTS_FILE).read_text(encoding="utf-8"))
               for out in ("brief", "full")]
    kept = {item["item"]: item["rows"] for r in results[0]["suites"]["agreement"]["results"]
            for item in r["result"]["details"]["items"]}
    assert len(kept) == 9 and [row[0] for row in kept["hi_share@2020[region=O'Hare [x]]"]] \
        == ["000", "004"]  # the failing groups, each with its statements
    assert '"detailed": false' in (tmp_path / "brief" / RESULTS_FILE).read_text(encoding="utf-8")
    assert _without_detailed(results[0]) == _without_detailed(results[1])
