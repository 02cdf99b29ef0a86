"""Tests of cross-source agreement computed in DuckDB (greenaudit.database.agreement.AGREEMENT_SQL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from greenaudit.workspace.catalog import Discrepancy, load_catalog
from greenaudit.checks import Check
from greenaudit.tables.vocabulary import AGREEMENTS
from greenaudit.database.build import References, StagedFiles, build_database
from greenaudit.workspace.manifest import load_manifest
from greenaudit.formats.parquet import CHECKS, FINDINGS, OBSERVATIONS, TRANSCRIPTIONS, write_table
from greenaudit.text.quantity import intervals
from greenaudit.stage.source import Settings

D = Decimal
A = "000_451eeb3f8d9b8ea0"
B = "003_1a3b190ec270dc4e"
C = "004_2e0697a374659b7e"
INDICATOR = "equip_mfg_share"      # percent, valid [0, 100]


# The real manifest rows and catalog entry, restricted to what these tests use: inserting
# the whole catalog row by row would dominate the run time.
@pytest.fixture(scope="module")
def sources(seed_workspace):
    manifest = load_manifest(seed_workspace)
    return {sid: manifest[sid] for sid in (A, B, C)}


@pytest.fixture(scope="module")
def catalog(schemas_dir, units):
    return {INDICATOR: load_catalog(schemas_dir, units)[INDICATOR]}


@pytest.fixture
def observe(parser):
    """An observation row as staging writes it, for a quantity in percent."""
    settings = Settings()

    def make(source_id: str, quantity: str, *, period: str = "2012", breakdown: str = "",
             indicator_id: str = INDICATOR, row_number: int = 2, evidence: str = "verified",
             flags: str = "") -> dict:
        q = parser.parse(quantity)
        stated, allowed = intervals(q, settings.approximate_band, settings.near_band)
        return {
            "source_id": source_id, "row_number": row_number, "indicator_id": indicator_id,
            "period": period, "breakdown": breakdown, "quantity": q.text, "value": q.value,
            "unit": q.unit, "qualifier": q.qualifier, "value_canonical": q.scaled,
            "unit_canonical": "percent", "lower": allowed.lower, "upper": allowed.upper,
            "stated_lower": stated.lower, "stated_upper": stated.upper, "kind": "share",
            "quote": f"比重为{quantity}", "evidence": evidence, "quote_start": 0,
            "quote_end": 10, "quantity_start": 3, "quantity_end": 6, "flags": flags, "note": "",
        }
    return make


class Built:
    def __init__(self, path: Path, checks: list[Check]):
        self.path = path
        self.checks = {c.check_id: c for c in checks}
        con = duckdb.connect(str(path), read_only=True)
        try:
            cursor = con.execute("SELECT * FROM indicators ORDER BY ALL")
            names = [d[0] for d in cursor.description]
            self.rows = [dict(zip(names, r)) for r in cursor.fetchall()]
            self.all_checks = con.execute("SELECT check_id, status FROM checks").fetchall()
            self.findings = con.execute(
                "SELECT check_id, source_id, row_number FROM findings ORDER BY ALL").fetchall()
        finally:
            con.close()

    def row(self, period: str = "2012", breakdown: str = "") -> dict:
        [match] = [r for r in self.rows if r["period"] == period and r["breakdown"] == breakdown]
        return match


@pytest.fixture
def build(tmp_path, sources, catalog):
    def run(observations: list[dict], discrepancies: list[Discrepancy] = (),
            staged_checks: list[Check] = ()) -> Built:
        stage = tmp_path / "stage"
        obs_files = []
        for source_id in sorted({o["source_id"] for o in observations}):
            path = stage / f"{source_id}.observations.parquet"
            write_table([o for o in observations if o["source_id"] == source_id],
                        OBSERVATIONS, path)
            obs_files.append(path)
        transcriptions = stage / "transcriptions.parquet"
        write_table([], TRANSCRIPTIONS, transcriptions)
        checks = stage / "checks.parquet"
        write_table([c.as_dict() for c in staged_checks], CHECKS, checks)
        findings = stage / "findings.parquet"
        write_table([], FINDINGS, findings)
        out = tmp_path / "results" / "greenaudit.duckdb"
        result = build_database(out, StagedFiles([transcriptions], obs_files, [checks],
                                                 [findings]),
                                References(sources, catalog, list(discrepancies)))
        assert not (out.parent / f".{out.name}.tmp").exists()
        return Built(out, result)
    return run


# ------------------------------------------------------------------ verdicts

def test_identical_figures_agree(build, observe):
    built = build([observe(A, "15.5%"), observe(B, "15.5%")])
    row = built.row()
    assert row["agreement"] == "agree"
    assert row["value"] == D("15.5")
    assert (row["lower"], row["upper"]) == (D("15.45"), D("15.55"))
    assert row["n_sources"] == 2
    assert row["sources"] == f"{A};{B}"
    assert row["flags"] == ""


@pytest.mark.parametrize("precise, rounded", [(A, B), (B, A)])
def test_rounded_figure_agrees_within_rounding(build, observe, precise, rounded):
    built = build([observe(rounded, "28%"), observe(precise, "28.2%")])
    row = built.row()
    assert row["agreement"] == "agree_within_rounding"
    # The representative value is the most precise one, whichever source states it.
    assert row["value"] == D("28.2")
    assert row["value_source"] == precise
    assert (row["lower"], row["upper"]) == (D("28.15"), D("28.25"))
    assert built.checks["agreement.conflicts_declared"].status == "pass"


def test_different_figures_conflict_and_fail_unless_declared(build, observe):
    observations = [observe(A, "28%"), observe(B, "30%")]
    built = build(observations)
    row = built.row()
    assert row["agreement"] == "conflict"
    assert "interval_is_hull" in row["flags"].split(";")
    assert "declared_discrepancy" not in row["flags"]
    assert (row["lower"], row["upper"]) == (D("27.5"), D("30.5"))
    check = built.checks["agreement.conflicts_declared"]
    assert (check.status, check.severity, check.n_failed) == ("fail", "error", 1)
    assert f"raw/tables/{A}.csv:2 says 28%" in check.message
    assert f"raw/tables/{B}.csv:2 says 30%" in check.message
    assert (check.check_id, "fail") in built.all_checks
    rows = {(o["source_id"], o["row_number"]) for o in observations}
    assert set(built.findings) == {(check.check_id, *r) for r in rows}

    declared = build(observations, [Discrepancy(INDICATOR, "2012", "", (A, B), "known")])
    assert declared.row()["agreement"] == "conflict"
    assert "declared_discrepancy" in declared.row()["flags"].split(";")
    assert declared.checks["agreement.conflicts_declared"].status == "pass"
    assert declared.checks["agreement.declarations_current"].status == "pass"
    assert declared.findings == []


def test_declaration_for_another_period_does_not_cover_a_conflict(build, observe):
    built = build([observe(A, "28%"), observe(B, "30%")],
                  [Discrepancy(INDICATOR, "2022", "", (A, B), "known")])
    assert built.checks["agreement.conflicts_declared"].status == "fail"
    stale = built.checks["agreement.declarations_current"]
    assert (stale.status, stale.severity) == ("fail", "warning")


def test_declaration_of_agreeing_sources_is_stale(build, observe):
    built = build([observe(A, "15.5%"), observe(B, "15.5%")],
                  [Discrepancy(INDICATOR, "2012", "", (A, B), "was a conflict")])
    stale = built.checks["agreement.declarations_current"]
    assert (stale.status, stale.n_failed) == ("fail", 1)
    assert "no longer conflict" in stale.message


def test_one_source_is_single_source(build, observe):
    built = build([observe(C, "31.8%")])
    row = built.row()
    assert row["agreement"] == "single_source"
    assert row["n_sources"] == 1 and row["sources"] == C
    assert row["value"] == D("31.8")
    assert (row["lower"], row["upper"]) == (D("31.75"), D("31.85"))
    check = built.checks["agreement.conflicts_declared"]
    assert (check.status, check.n_items) == ("pass", 0)


def test_same_lower_bounds_agree(build, observe):
    row = build([observe(A, "超过40%"), observe(B, "超过40%")]).row()
    assert row["agreement"] == "agree"
    assert row["lower"] == D(40)
    assert row["upper"] is None


def test_exact_figure_inside_an_open_bound_agrees(build, observe):
    row = build([observe(A, "超过40%"), observe(B, "45%")]).row()
    assert row["agreement"] == "agree"
    assert row["value"] == D(45)            # the bounded figure is the more precise one
    assert (row["lower"], row["upper"]) == (D(44.5), D(45.5))


def test_exact_figure_below_an_open_bound_conflicts_with_open_hull(build, observe):
    row = build([observe(A, "超过40%"), observe(B, "35%")]).row()
    assert row["agreement"] == "conflict"
    assert row["lower"] == D("34.5")
    assert row["upper"] is None             # the hull stays open above


@pytest.mark.parametrize("order", [(A, B, C), (C, B, A)])
def test_equally_precise_statements_give_the_first_source_id(build, observe, order):
    row = build([observe(s, "15.5%") for s in order]).row()
    assert (row["value_source"], row["sources"], row["n_sources"]) == (A, f"{A};{B};{C}", 3)


def test_a_source_stating_a_key_twice_counts_once(build, observe):
    # A duplicated key fails table.key_unique in staging; agreement still counts sources.
    row = build([observe(A, "15.5%", row_number=2), observe(A, "15.5%", row_number=5)]).row()
    assert (row["agreement"], row["n_sources"], row["sources"]) == ("single_source", 1, A)


def test_trailing_zero_agrees(build, observe):
    row = build([observe(A, "34"), observe(B, "34.0")]).row()
    assert row["agreement"] == "agree"
    assert row["value"] == D(34)
    assert row["value_source"] == B         # 34.0 is stated more precisely than 34
    assert (row["lower"], row["upper"]) == (D("33.95"), D("34.05"))


def test_three_sources_are_compared_together(build, observe):
    # 28 and 28.2 agree within rounding, but 30 conflicts with both.
    row = build([observe(A, "28%"), observe(B, "28.2%"), observe(C, "30%")]).row()
    assert row["agreement"] == "conflict"
    assert row["n_sources"] == 3


def test_groups_are_per_period_and_breakdown(build, observe):
    built = build([
        observe(A, "28%", period="2012"), observe(B, "30%", period="2022"),
        observe(A, "10%", period="2022", breakdown="sector=steel", row_number=3),
        observe(B, "10.0%", period="2022", breakdown="sector=steel", row_number=3),
    ])
    assert built.row("2012")["agreement"] == "single_source"
    assert built.row("2022")["agreement"] == "single_source"
    assert built.row("2022", "sector=steel")["agreement"] == "agree"
    assert len(built.rows) == 3
    assert built.checks["agreement.conflicts_declared"].n_items == 1


def _derived(row: dict, rule_id: str = "rule_x", line: int = 7) -> dict:
    """An observation as a rule of schemas/rules.yaml derives it."""
    return {**row, "source_id": f"derived:{rule_id}", "row_number": line, "evidence": "derived",
            "qualifier": "derived", "flags": "derived", "quote": f"rule {rule_id}: x == y",
            "quote_start": None, "quote_end": None, "quantity_start": None,
            "quantity_end": None}


def test_every_verdict_is_a_declared_agreement(build, observe):
    built = build([observe(A, "28%"), observe(B, "28.2%"),
                   observe(A, "1%", period="2020"), observe(B, "3%", period="2020"),
                   observe(A, "5%", period="2021"), observe(B, "5%", period="2021"),
                   observe(C, "7%", period="2023"), _derived(observe(A, "9%", period="2024"))])
    verdicts = {r["period"]: r["agreement"] for r in built.rows}
    assert verdicts == {"2012": "agree_within_rounding", "2020": "conflict", "2021": "agree",
                        "2023": "single_source", "2024": "derived"}
    assert set(verdicts.values()) == set(AGREEMENTS)


# ------------------------------------------------------------------ derived values

def test_derived_value_joins_the_comparison_but_a_source_gives_the_value(build, observe):
    # The derived interval [9.3, 9.5] is narrower than 003's "9%" yet the source is shown.
    derived = {**_derived(observe(A, "9.4%")), "lower": D("9.3"), "upper": D("9.5")}
    row = build([observe(B, "9%"), derived]).row()
    assert row["agreement"] == "agree_within_rounding"
    assert row["sources"] == f"{B};derived:rule_x"
    assert row["n_sources"] == 2
    assert (row["value"], row["value_source"]) == (D(9), B)
    assert (row["lower"], row["upper"]) == (D("9.3"), D("9.5"))


def test_only_derived_is_its_own_verdict_and_value(build, observe):
    row = build([_derived(observe(A, "48.8%"))]).row()
    assert (row["agreement"], row["n_sources"]) == ("derived", 1)
    assert (row["value"], row["value_source"]) == (D("48.8"), "derived:rule_x")


def test_derived_value_in_conflict_is_named_by_its_rule_line(build, observe):
    built = build([observe(B, "9.4%"), _derived(observe(A, "9.2%"), line=23)])
    assert built.row()["agreement"] == "conflict"
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        messages = dict(con.execute("SELECT source_id, message FROM findings").fetchall())
    finally:
        con.close()
    assert messages["derived:rule_x"].startswith("schemas/rules.yaml:23: equip_mfg_share 2012 = 9.2%")
    assert messages[B].startswith(f"raw/tables/{B}.csv:2: ")


def test_staged_checks_are_carried_into_the_database(build, observe):
    staged = Check("table.read.x", "table", "error", "pass", "raw/tables/x.csv", 1, 0, "ok")
    built = build([observe(A, "15.5%")], staged_checks=[staged])
    assert ("table.read.x", "pass") in built.all_checks
    assert ("agreement.conflicts_declared", "pass") in built.all_checks
    assert ("agreement.declarations_current", "pass") in built.all_checks


# ------------------------------------------------------------------ who a conflict names

def _named(built: Built) -> dict[str, str]:
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        return dict(con.execute("SELECT source_id, message FROM findings "
                                "WHERE check_id = 'agreement.conflicts_declared'").fetchall())
    finally:
        con.close()


def test_conflict_names_only_the_statement_outside_the_majority(build, observe):
    built = build([observe(A, "31.8%"), observe(B, "31.8%"), observe(C, "33.8%")])
    assert built.row()["agreement"] == "conflict"
    named = _named(built)
    assert list(named) == [C]
    # Located, with what every statement says and what would resolve it.
    assert named[C] == (f"raw/tables/{C}.csv:2: equip_mfg_share 2012 = 33.8% is outside the "
                        f"range that 2 of 3 statements agree on (raw/tables/{A}.csv:2 says 31.8%; "
                        f"raw/tables/{B}.csv:2 says 31.8%; raw/tables/{C}.csv:2 says 33.8%); "
                        f"expected agreement or a declaration in schemas/known_discrepancies.yaml")
    assert built.checks["agreement.conflicts_declared"].n_failed == 1


def test_rounded_and_open_statements_count_towards_the_majority(build, observe):
    # 28% and 超过27% both contain 28.2%; 30% misses them all.
    built = build([observe(A, "28%"), observe(B, "超过27%"), observe(C, "28.2%"),
                   observe("005_x", "30%")])
    assert list(_named(built)) == ["005_x"]


def test_two_credible_statements_that_disagree_are_both_named(build, observe):
    built = build([observe(A, "28%"), observe(B, "30%")])
    named = _named(built)
    assert sorted(named) == [A, B]
    assert all("no majority of credible statements" in m for m in named.values())


def test_a_tie_between_overlapping_majorities_names_everyone(build, observe):
    # 超过14% meets both 14.2% and 15.1%, which miss each other: no one is the odd one out.
    built = build([observe(A, "超过14%"), observe(B, "14.2%"), observe(C, "15.1%")])
    assert built.row()["agreement"] == "conflict"
    assert sorted(_named(built)) == [A, B, C]


@pytest.mark.parametrize("evidence, flags", [
    ("quote_not_found", ""), ("quantity_not_in_quote", ""), ("verified", "implausible"),
    ("verified", "outside_valid_range;implausible"),
])
def test_a_statement_that_is_not_credible_cannot_outvote_a_sound_one(build, observe,
                                                                     evidence, flags):
    built = build([observe(A, "28.2%"), observe(B, "82.2%", evidence=evidence, flags=flags)])
    named = _named(built)
    assert list(named) == [B]
    assert "outside the range that 1 of 2 statements agree on" in named[B]


def test_two_statements_that_are_not_credible_are_both_named(build, observe):
    built = build([observe(A, "28.2%", evidence="quote_not_found"),
                   observe(B, "82.2%", flags="implausible")])
    assert sorted(_named(built)) == [A, B]


def test_each_conflicting_group_is_attributed_on_its_own(build, observe):
    built = build([
        observe(A, "10%", period="2020"), observe(B, "10%", period="2020"),
        observe(C, "12%", period="2020"),
        observe(A, "20%", period="2021", row_number=3), observe(B, "25%", period="2021",
                                                                row_number=3),
    ])
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        named = con.execute("SELECT period, source_id FROM findings ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert named == [("2020", C), ("2021", A), ("2021", B)]


def test_a_derived_value_votes_and_is_named_by_its_rule(build, observe):
    derived = observe("derived:share_2012", "30%", evidence="derived", row_number=43)
    built = build([observe(A, "28.2%"), observe(B, "28%"), derived])
    named = _named(built)
    assert list(named) == ["derived:share_2012"]
    assert named["derived:share_2012"].startswith("schemas/rules.yaml:43: ")
    # One stated figure against one derived value: neither can be singled out.
    assert sorted(_named(build([observe(A, "28.2%"), derived]))) == [A, "derived:share_2012"]


def test_a_declaration_must_name_the_conflicting_sources(build, observe):
    """Declared for other sources (e.g. ids that do not exist), the conflict stays an error."""
    observations = [observe(A, "28%"), observe(B, "30%")]
    built = build(observations, [Discrepancy(INDICATOR, "2012", "", (A, C), "known", line=7)])
    conflict = built.checks["agreement.conflicts_declared"]
    assert conflict.status == "fail"
    assert "schemas/known_discrepancies.yaml:7 declares it for sources" in conflict.message
    assert "declared_discrepancy" not in built.row()["flags"]
    stale = built.checks["agreement.declarations_current"]
    assert stale.status == "fail" and "schemas/known_discrepancies.yaml:7:" in stale.message


# ------------------------------------------------------------------ inferred periods

INFERRED = "period_inferred"


def _hints(built: Built) -> list[tuple]:
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        return con.execute("""SELECT severity, source_id, row_number, period, message
            FROM findings WHERE check_id = 'agreement.inferred_periods' ORDER BY ALL""").fetchall()
    finally:
        con.close()


def test_an_inferred_period_agreeing_with_the_adjacent_year_is_a_hint(build, observe):
    built = build([observe(A, "超过97%", period="2023", row_number=11, flags=INFERRED),
                   observe(C, "97%", period="2022", row_number=49)])
    [(severity, source_id, row, period, message)] = _hints(built)
    assert (severity, source_id, row, period) == ("info", A, 11, "2023")
    assert message == (f"raw/tables/{A}.csv:11: {INDICATOR} 2023 = 超过97% (period inferred; "
                       f"see its note) agrees with raw/tables/{C}.csv:49: 2022 = 97% (period "
                       f"stated); if both state one figure, its period may be 2022")
    check = built.checks["agreement.inferred_periods"]
    assert (check.severity, check.status, check.n_items, check.n_failed) == ("info", "fail", 1, 1)
    assert not check.is_error


@pytest.mark.parametrize("inferred, other", [
    (("97%", "2023"), ("90%", "2022")),             # the values disagree
    (("97%", "2023"), ("97%", "2021")),             # two years apart
    (("97%", "2023"), ("97%", "2022-2023")),        # a span is not a year
])
def test_no_hint_without_agreement_of_adjacent_periods(build, observe, inferred, other):
    built = build([observe(A, inferred[0], period=inferred[1], flags=INFERRED),
                   observe(C, other[0], period=other[1])])
    assert _hints(built) == []
    check = built.checks["agreement.inferred_periods"]
    assert (check.status, check.n_items, check.n_failed) == ("pass", 1, 0)


def test_no_hint_between_stated_periods_or_other_breakdowns(build, observe):
    stated = build([observe(A, "97%", period="2023"), observe(C, "97%", period="2022")])
    assert _hints(stated) == []
    apart = build([observe(A, "97%", period="2023", breakdown="sector=steel", flags=INFERRED),
                   observe(C, "97%", period="2022", breakdown="sector=industry")])
    assert _hints(apart) == []


@pytest.mark.parametrize("inferred, adjacent", [
    ("2023-03", "2023-04"), ("2023-01", "2022-12"), ("2012-2021", "2012-2022"),
    ("2013-2022", "2012-2022"),
])
def test_adjacent_months_and_spans_sharing_an_end(build, observe, inferred, adjacent):
    built = build([observe(A, "36.2%", period=inferred, flags=INFERRED),
                   observe(C, "36.2%", period=adjacent)])
    [(_, source_id, _, period, message)] = _hints(built)
    assert (source_id, period) == (A, inferred)
    assert message.endswith(f"its period may be {adjacent}")


def test_a_hint_says_agrees_within_rounding_when_only_the_rounding_meets(build, observe):
    built = build([observe(A, "28%", period="2013", flags=INFERRED),
                   observe(C, "28.2%", period="2012")])
    [(*_, message)] = _hints(built)
    assert " agrees within rounding with " in message


def test_every_database_table_has_the_registry_s_columns_and_types(build, observe):
    from greenaudit import tables

    built = build([observe(A, "15.5%"), observe(B, "15.5%")])
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables "
                                           "ORDER BY table_name").fetchall()]
        assert names == sorted(tables.TABLES)
        for name in names:
            found = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall()
            assert found == [(c.name, c.type.sql) for c in tables.table(name).columns], name
    finally:
        con.close()
