"""Tests of the transcription format's optional columns: a qualifier written apart from
the number (greenaudit.stage.qualifier), stated and inferred periods (greenaudit.stage.period_basis),
the occurrences a row names and the bound on a quote's length (greenaudit.stage.observe)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from greenaudit.errors import QuantityError
from greenaudit.stage.observe import TABLE_COLUMNS, TABLE_OPTIONAL
from greenaudit.stage.period_basis import unwritten
from greenaudit.stage.qualifier import apply_qualifier
from greenaudit.stage.source import Settings, StageContext, all_findings, stage_source

S001 = "001_b7300798bfbf6ce6"
S003 = "003_1a3b190ec270dc4e"
S004 = "004_2e0697a374659b7e"


def read_table(workspace: Path, source_id: str) -> list[dict]:
    path = workspace / "raw" / "tables" / f"{source_id}.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_table(workspace: Path, source_id: str, rows: list[dict],
                header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    (workspace / "raw" / "tables" / f"{source_id}.csv").write_text(buffer.getvalue(),
                                                                 encoding="utf-8")


def line_of(rows: list[dict], **match) -> int:
    """The file line (header = 1) of the first row with these values."""
    return next(i for i, row in enumerate(rows, 2)
                if all(row.get(k) == v for k, v in match.items()))


def errors(workspace: Path, source_id: str, settings: Settings = Settings()) -> list[str]:
    context = StageContext.load(workspace, settings)
    staged = stage_source(workspace, source_id, context=context)
    return [f["message"] for f in all_findings(staged) if f["severity"] == "error"]


def repin(workspace: Path, source_id: str) -> None:
    path = workspace / "raw" / "sources" / f"{source_id}.txt"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = workspace / "raw" / "sources.csv"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(re.sub(rf"^({source_id},[^,]*,)[0-9a-f]{{64}}", rf"\g<1>{digest}", text,
                               flags=re.M), encoding="utf-8")


@pytest.fixture(scope="module")
def seeds(seed_workspace):
    context = StageContext.load(seed_workspace)
    return {sid: stage_source(seed_workspace, sid, context=context) for sid in sorted(context.manifest)}


# ------------------------------------------------------------------ context qualifiers

@pytest.mark.parametrize("quantity, qualifier, kind", [
    ("95%", "超过", "lower_bound"), ("95%", "分别超过", "lower_bound"),
    ("70%", "均超过", "lower_bound"), ("1.5倍", "约为", "approximate"),
    ("20%", "以上", "lower_bound"), ("60%", "左右", "approximate"),
    ("50%", "接近", "near"), ("3万吨", "不到", "upper_bound"),
])
def test_a_context_qualifier_reads_as_the_same_words_next_to_the_number(parser, quantity,
                                                                      qualifier, kind):
    qualified = apply_qualifier(parser, parser.parse(quantity), qualifier)
    core = qualifier.removeprefix("分别").removeprefix("均").removesuffix("为")
    written = next(parser.parse(text) for text in (core + quantity, quantity + core)
                   if _parses(parser, text))
    assert qualified.qualifier == kind == written.qualifier
    assert (qualified.value, qualified.magnitude, qualified.unit) == \
        (written.value, written.magnitude, written.unit)
    assert qualified.text == parser.parse(quantity).text     # the figure as written


def _parses(parser, text: str) -> bool:
    try:
        parser.parse(text)
    except QuantityError:
        return False
    return True


@pytest.mark.parametrize("quantity, qualifier, expected", [
    ("超过97%", "分别超过", "already has a qualifier"),
    ("95%", "分别", "does not bound"),
    ("95%", "达到", "does not bound"),
    ("两位数", "超过", "already has a qualifier"),
    ("40%-50%", "约", r"already has a qualifier \(range\)"),
    ("95%", "超过" * 7, "14 characters long"),
])
def test_a_context_qualifier_that_cannot_apply_is_refused(parser, quantity, qualifier, expected):
    with pytest.raises(QuantityError, match=expected):
        apply_qualifier(parser, parser.parse(quantity), qualifier)


def test_seed_rows_with_a_detached_qualifier_publish_its_interval(seeds):
    by_row = {(sid, o["row_number"]): o for sid, staged in seeds.items()
              for o in staged.observations}
    expected = {(S001, 12): ("分别超过", "lower_bound", D(95), D(100)),
                (S004, 47): ("分别超过", "lower_bound", D(93), D(100)),
                (S004, 48): ("分别超过", "lower_bound", D(95), D(100)),
                (S004, 49): ("分别超过", "lower_bound", D(97), D(100)),
                (S004, 38): ("超过", "lower_bound", D(26), D(100)),
                (S004, 3): ("约为", "approximate", D("1.425"), D("1.575"))}
    for key, (written, kind, lower, upper) in expected.items():
        o = by_row[key]
        assert (o["context_qualifier"], o["qualifier"], o["lower"], o["upper"]) == \
            (written, kind, lower, upper), key
        original = seeds[key[0]].original
        assert original[o["qualifier_start"]:o["qualifier_end"]] == written
        assert o["quote_start"] <= o["qualifier_start"] < o["qualifier_end"] <= o["quote_end"]
    # 均超过70% has its qualifier next to the number: the quantity carries it.
    pv = [o for o in seeds[S003].observations if o["indicator_id"] == "pv_production_global_share"]
    assert {(o["quantity"], o["context_qualifier"], o["lower"]) for o in pv} == \
        {("超过70%", "", D(70))}


def test_a_detached_qualifier_not_in_the_quote_fails_naming_the_cell(workspace_copy):
    rows = read_table(workspace_copy, S004)
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=petrochemical")
    rows[line - 2]["context_qualifier"] = "均超过"
    write_table(workspace_copy, S004, rows)
    column = list(rows[0]).index("context_qualifier") + 1
    assert any(m.startswith(f"raw/tables/{S004}.csv:{line}:{column} (context_qualifier): "
                            f"qualifier_not_in_quote; '均超过' is not in the quote")
               for m in errors(workspace_copy, S004))


def test_an_unknown_context_qualifier_fails_the_quantity_check(workspace_copy):
    rows = read_table(workspace_copy, S001)
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=petrochemical")
    rows[line - 2]["context_qualifier"] = "分别"
    write_table(workspace_copy, S001, rows)
    column = list(rows[0]).index("context_qualifier") + 1
    assert any(m.startswith(f"raw/tables/{S001}.csv:{line}:{column} (context_qualifier): "
                            f"context_qualifier '分别' does not bound '95%'")
               for m in errors(workspace_copy, S001))


# ------------------------------------------------------------------ periods

@pytest.mark.parametrize("period, quote, missing", [
    ("2022", "2022年，比重为15.5%", []),
    ("2022", "二〇二二年，比重为15.5%", []),
    ("2022", "比重为15.5%，较2012年提高", ["2022"]),
    ("2022", "比重为20221%", ["2022"]),
    ("2012-2022", "2012-2022年，投资维持两位数增速", []),
    ("2012-2022", "较2012年下降60.4%", ["2022"]),
    ("2016-2020", "“十三五”期间累计退出产能", []),
    ("2021-2025", "“十三五”期间累计退出产能", ["2021", "2025"]),
    ("2023-04", "2023年4月底，共创建绿色工厂", []),
    ("2023-04", "2023年四月底，共创建绿色工厂", []),
    ("2023-04", "2023年底，共创建绿色工厂", ["4月"]),
    ("2023-02", "2023年12月底", ["2月"]),
    ("2023-01", "2023年十一月", ["1月"]),
])
def test_a_stated_period_must_be_written_in_the_quote(period, quote, missing):
    assert unwritten(period, quote) == missing


def test_every_seed_row_states_its_period_or_is_flagged_inferred(seeds):
    inferred = 0
    for staged in seeds.values():
        assert not [f for f in all_findings(staged) if f["check_id"].startswith("period.")
                    and f["severity"] == "error"]
        for o in staged.observations:
            flagged = "period_inferred" in o["flags"].split(";")
            assert flagged == (o["period_basis"] == "inferred"), (o["source_id"], o["row_number"])
            assert not flagged or o["note"]
            inferred += flagged
    assert inferred >= 100      # most seed figures have no year next to them


def test_a_row_not_marked_inferred_whose_quote_lacks_the_year_fails(workspace_copy):
    rows = read_table(workspace_copy, S001)
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=steel")
    rows[line - 2]["period_basis"] = ""
    write_table(workspace_copy, S001, rows)
    assert f"raw/tables/{S001}.csv:{line}:2 (period): period 2023: the quote does not write " \
           f"2023; expected period_basis inferred with the reason in note, or a quote that " \
           f"writes the period" in errors(workspace_copy, S001)


@pytest.mark.parametrize("basis, note, expected", [
    ("inferred", "", "period_basis inferred with an empty note"),
    ("guessed", "x", "period_basis 'guessed'; expected stated"),
])
def test_a_bad_period_basis_fails_naming_the_cell(workspace_copy, basis, note, expected):
    rows = read_table(workspace_copy, S001)
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=steel")
    rows[line - 2].update(period_basis=basis, note=note)
    write_table(workspace_copy, S001, rows)
    column = list(rows[0]).index("period_basis") + 1
    assert any(m.startswith(f"raw/tables/{S001}.csv:{line}:{column} (period_basis): {expected}")
               for m in errors(workspace_copy, S001))


# ------------------------------------------------------------------ occurrences and length

HEADLINE = "钢铁行业重复用水率超过97%"


def _repeat_a_sentence(workspace: Path) -> tuple[int, int]:
    """Put a headline repeating a sentence of 001's body above it; (line, column) of both."""
    path = workspace / "raw" / "sources" / f"{S001}.txt"
    text = path.read_text(encoding="utf-8")
    sentence = "钢铁、石化化工行业规模以上工业重复用水率分别超过97%和95%"
    path.write_text(sentence + "\n" + text, encoding="utf-8")
    repin(workspace, S001)
    body = (sentence + "\n" + text).index(sentence, 1)
    before = (sentence + "\n" + text)[:body]
    return (1, 1), (before.count("\n") + 1, body - before.rfind("\n"))


def test_a_repeated_quote_fails_naming_both_positions(workspace_copy):
    first, second = _repeat_a_sentence(workspace_copy)
    rows = read_table(workspace_copy, S001)
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=steel")
    rows[line - 2]["quote"] = "钢铁、石化化工行业规模以上工业重复用水率分别超过97%和95%"
    write_table(workspace_copy, S001, rows)
    src = f"raw/sources/{S001}.txt"
    assert f"raw/tables/{S001}.csv:{line}:4 (quote): quote_repeated; the quote occurs 2 times " \
           f"in {src}, at {src}:{first[0]}:{first[1]}, {src}:{second[0]}:{second[1]}; expected " \
           f"the occurrence the row means in the occurrence column (1-based), or a longer " \
           f"quote" in errors(workspace_copy, S001)


def test_the_occurrence_column_picks_the_body_and_coverage_follows(workspace_copy):
    _repeat_a_sentence(workspace_copy)
    rows = read_table(workspace_copy, S001)
    short = "钢铁、石化化工行业规模以上工业重复用水率分别超过97%和95%"
    for row in rows:
        if row["indicator_id"] == "water_reuse_rate":
            row.update(quote=short, occurrence="2")
    write_table(workspace_copy, S001, rows, list(rows[0]) + ["occurrence"])
    staged = stage_source(workspace_copy, S001)
    text = staged.original
    body = text.index(short, 1)
    reuse = [o for o in staged.observations if o["indicator_id"] == "water_reuse_rate"]
    assert {o["evidence"] for o in reuse} == {"verified"}
    assert {o["quote_start"] for o in reuse} == {body}
    # Coverage credits the body's figures; the headline's are the ones left missing.
    missing = [row for row, _ in staged.coverage.missing]
    assert sorted(row.mention for row in missing) == ["95%", "97%"]
    assert {row.line for row in missing} == {1}


def test_a_quantity_stated_twice_in_its_quote_needs_its_occurrence(workspace_copy):
    rows = read_table(workspace_copy, S004)
    line = line_of(rows, indicator_id="import_dependence", breakdown="product=metal_minerals")
    quote = rows[line - 2]["quote"]
    assert quote.count("70%") == 1
    # The chart label written twice, as a layout might extract it.
    path = workspace_copy / "raw" / "sources" / f"{S004}.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n70%\n") == 1
    path.write_text(text.replace("\n70%\n", "\n70% 70%\n"), encoding="utf-8")
    repin(workspace_copy, S004)
    rows[line - 2]["quote"] = quote.replace("70%", "70% 70%", 1)
    write_table(workspace_copy, S004, rows)
    messages = errors(workspace_copy, S004)
    src = f"raw/sources/{S004}.txt"
    [message] = [m for m in messages if m.startswith(f"raw/tables/{S004}.csv:{line}:3 "
                                                      f"(quantity): quantity_repeated")]
    assert re.search(rf"'70%' occurs 2 times in the quote, at {src}:\d+:\d+, {src}:\d+:\d+; "
                     rf"expected the occurrence the row means in the quantity_occurrence", message)


def test_a_too_long_quote_fails_with_its_length_and_the_limit(seed_workspace):
    settings = Settings(max_quote_chars=60)
    messages = errors(seed_workspace, S004, settings)
    long_ones = [m for m in messages if "quote_too_long" in m]
    assert long_ones and all(re.match(rf"raw/tables/{S004}.csv:\d+:4 \(quote\): quote_too_long; "
                                      rf"the quote is \d+ characters long, expected at most 60 ",
                                      m) for m in long_ones)
    assert not [m for m in errors(seed_workspace, S004) if "quote_too_long" in m]


def test_cells_are_located_by_the_tables_own_header(workspace_copy):
    rows = read_table(workspace_copy, S001)
    header = ["period_basis", "note", "breakdown", "quote", "quantity", "period", "indicator_id",
              "context_qualifier"]
    line = line_of(rows, indicator_id="water_reuse_rate", breakdown="sector=steel")
    rows[line - 2]["period"] = "20x3"
    write_table(workspace_copy, S001, rows, header)
    assert any(m.startswith(f"raw/tables/{S001}.csv:{line}:6 (period): ")
               for m in errors(workspace_copy, S001))


def test_the_declared_columns_are_the_documented_ones(seed_workspace):
    guide = (Path(__file__).resolve().parents[2] / "raw" / "TRANSCRIBING.md").read_text(encoding="utf-8")
    for column in TABLE_COLUMNS + TABLE_OPTIONAL:
        assert f"| `{column}` |" in guide, column
