"""Tests of the coverage audit (greenaudit.stage.coverage) and its staging checks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from greenaudit.stage.coverage import (CALENDAR_REASON, IgnoredRow, Span, _line_column, _line_starts,
                                 audit_coverage, line_column,
                                 read_ignored)
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.mentions import mentions_in
from greenaudit.text.normalise import Cleaning, normalise
from greenaudit.stage.source import StageContext, all_findings, stage_source
from greenaudit.workspace.completeness import workspace_checks

PLAIN = Cleaning()
WHITE_PAPER = "000_451eeb3f8d9b8ea0"


def audit(raw: str, quantities=(), quotes=(), ignored=(), cleaning: Cleaning = PLAIN):
    n = normalise(raw, cleaning)
    return audit_coverage("s", raw, n, mentions_in(n, raw), cleaning, list(quantities),
                          list(quotes), list(ignored))


def span(raw: str, needle: str, line: int, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = raw.index(needle, start + 1)
    return Span(start, start + len(needle), line)


def statuses(result) -> list[tuple[str, str, str]]:
    return [(r.mention, r.status, r.reason) for r in result.rows]


def ignored(mention: str, context: str, reason: str = "a reason", line: int = 2,
            source_id: str = "s") -> IgnoredRow:
    return IgnoredRow(line, source_id, mention, context, reason)


# ------------------------------------------------------------------ classification

def test_transcribed_calendar_and_missing():
    raw = "2022年，比重达到15.5%和31.8%。"
    result = audit(raw, quantities=[span(raw, "15.5%", 2)], quotes=[span(raw, raw[:-1], 2)])
    assert statuses(result) == [("2022年", "ignored", CALENDAR_REASON),
                                ("15.5%", "transcribed", "row 2"), ("31.8%", "missing", "")]
    (row, lines), = result.missing
    assert (row.mention, lines) == ("31.8%", [2])
    assert raw[row.start:row.end] == "31.8%"


def test_a_quantity_with_qualifier_and_unit_covers_its_number():
    raw = "比重超OD过40%，产能3 亿\n吨"
    cleaning = Cleaning(drop_strings=("OD",))
    result = audit(raw, quantities=[span(raw, "超OD过40%", 3), span(raw, "3 亿\n吨", 4)],
                   cleaning=cleaning)
    assert statuses(result) == [("40%", "transcribed", "row 3"), ("3亿", "transcribed", "row 4")]


def test_run_together_labels_need_both_figures():
    raw = "德国\n6.296.10\n8.05"
    both = audit(raw, quantities=[span(raw, "6.29", 5), span(raw, "6.10", 6),
                                  span(raw, "8.05", 7)])
    assert statuses(both)[0] == ("6.296.10", "transcribed", "rows 5;6")
    one = audit(raw, quantities=[span(raw, "6.29", 5), span(raw, "8.05", 7)])
    assert statuses(one)[0] == ("6.296.10", "missing", "")


def test_a_figure_stated_for_several_rows_names_them_all():
    raw = "新能源汽车产销超过950万辆"
    quantity = span(raw, "超过950万辆", 2)
    result = audit(raw, quantities=[quantity, Span(quantity.start, quantity.end, 3)])
    assert statuses(result) == [("950万", "transcribed", "rows 2;3")]


def test_offsets_line_and_column_are_in_the_original_file():
    raw = "标题\n\n　　其次：增长了１２．５％。"
    row = audit(raw).rows[0]
    assert raw[row.start:row.end] == "１２．５％"
    assert row.mention == "１２．５％"
    assert (row.line, row.column) == (3, raw.splitlines()[2].index("１") + 1)
    assert line_column(raw, 0) == (1, 1)


def test_bisected_line_and_column_equal_the_scanning_ones():
    raw = "\n标题\n\n　　其次：增长了１２．５％。\n末行\n"
    starts = _line_starts(raw)
    assert [_line_column(starts, i) for i in range(len(raw) + 1)] == \
        [line_column(raw, i) for i in range(len(raw) + 1)]


# ------------------------------------------------------------------ raw/ignored.csv

def test_an_ignored_row_sets_aside_every_occurrence_in_every_context():
    raw = "支持5G基站和5G网络，共5个。"
    result = audit(raw, ignored=[ignored("5", "5G", "technology name")])
    assert statuses(result) == [("5", "ignored", "technology name"),
                                ("5", "ignored", "technology name"), ("5", "missing", "")]
    assert result.problems == []


def test_context_is_compared_after_normalisation():
    raw = "项目编号：７１８０３１９１）"
    result = audit(raw, ignored=[ignored("71803191", "项目编号: 71803191", "grant number")])
    assert statuses(result) == [("７１８０３１９１", "ignored", "grant number")]


def test_ignored_rows_of_other_sources_do_not_apply():
    raw = "项目编号：71803191"
    result = audit(raw, ignored=[ignored("71803191", "71803191", source_id="other")])
    assert statuses(result) == [("71803191", "missing", "")]
    assert result.n_ignored_rows == 0


@pytest.mark.parametrize("row, expected", [
    (ignored("5", "5G", reason=""), "empty reason"),
    (ignored("6", "5G"), "does not contain the mention"),
    (ignored("5", "5G网络"), "is not in s's normalised text"),
    (ignored("1.5", "突破1.5万亿元"), "the mentions there are 1.5万亿"),
    (ignored("2022年", "2022年"), "already accounted for (calendar expression)"),
    (ignored("15.5%", "15.5%"), "already accounted for (row 9)"),
    (ignored("", "5G"), "empty mention or context"),
])
def test_a_wrong_or_stale_ignored_row_is_a_problem_with_its_line(row, expected):
    raw = "2022年5G基站，突破1.5万亿元，比重15.5%"
    result = audit(raw, quantities=[span(raw, "15.5%", 9)], ignored=[row])
    (line, message), = result.problems
    assert line == row.line
    assert message.startswith(f"raw/ignored.csv:{row.line}: ")
    assert expected in message


def test_a_second_row_for_the_same_mention_is_stale():
    raw = "支持5G基站"
    result = audit(raw, ignored=[ignored("5", "5G", "technology", line=2),
                                 ignored("5", "5G基站", "again", line=3)])
    assert statuses(result) == [("5", "ignored", "technology")]
    assert [line for line, _ in result.problems] == [3]


def test_read_ignored(tmp_path):
    (tmp_path / "raw").mkdir()
    assert read_ignored(tmp_path) == []
    (tmp_path / "raw" / "ignored.csv").write_text(
        "source_id,mention,context,reason\ns,5,5G,technology name\n", encoding="utf-8")
    assert read_ignored(tmp_path) == [IgnoredRow(2, "s", "5", "5G", "technology name")]


# ------------------------------------------------------------------ the seeds

@pytest.fixture(scope="module")
def seeds(seed_workspace):
    context = StageContext.load(seed_workspace)
    return {sid: stage_source(seed_workspace, sid, context=context) for sid in sorted(context.manifest)}


def test_seeds_have_no_missing_mention(seeds):
    for sid, staged in seeds.items():
        checks = {c.check_id: c for c in staged.checks}
        assert checks[f"coverage.{sid}"].status == "pass", checks[f"coverage.{sid}"].message
        assert checks[f"coverage.ignored.{sid}"].status == "pass"
        assert staged.coverage.rows
        assert {r.status for r in staged.coverage.rows} <= {"transcribed", "ignored"}


def test_every_ignored_mention_and_row_of_the_seeds_has_a_reason(seeds, seed_workspace):
    rows = read_ignored(seed_workspace)
    assert rows and all(row.reason.strip() for row in rows)
    for staged in seeds.values():
        for row in staged.coverage.rows:
            assert row.reason.strip(), row
    sources = load_manifest(seed_workspace)
    check = next(c for c in workspace_checks(seed_workspace, sources)
                 if c.check_id == "coverage.ignored_sources")
    assert check.status == "pass" and check.n_items == len(rows)


def test_every_seed_mention_slices_back_from_the_original(seeds, seed_workspace):
    sources = load_manifest(seed_workspace)
    for sid, staged in seeds.items():
        cleaning = sources[sid].cleaning
        for row in staged.coverage.rows:
            sliced = staged.original[row.start:row.end]
            assert normalise(sliced, cleaning).text == normalise(row.mention, cleaning).text, row


def test_pinyin_source_mentions_are_read_after_conversion(seeds):
    rows = seeds["002_07a3eed86aa5b575"].coverage.rows
    assert ("7", "transcribed") in {(r.mention, r.status) for r in rows}
    assert ("三級", "ignored") in {(r.mention, r.status) for r in rows}   # mention as written


# ------------------------------------------------------------------ changed inputs

def _drop_rows(path: Path, predicate) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    kept = [rows[0]] + [r for r in rows[1:] if not predicate(r)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_a_figure_deleted_from_a_table_is_missing(workspace_copy):
    table = workspace_copy / "raw" / "tables" / f"{WHITE_PAPER}.csv"
    _drop_rows(table, lambda r: r[0] == "green_factories")
    staged = stage_source(workspace_copy, WHITE_PAPER)
    check = next(c for c in staged.checks if c.check_id == f"coverage.{WHITE_PAPER}")
    assert (check.status, check.n_failed) == ("fail", 1)
    assert f"raw/sources/{WHITE_PAPER}.txt:17:" in check.message
    assert "'3616'" in check.message and "raw/ignored.csv" in check.message
    finding, = [f for f in all_findings(staged) if f["check_id"] == check.check_id]
    # 3616 sits in the quote shared with the park and supply-chain rows: they are named.
    assert finding["row_number"] is not None
    assert finding["indicator_id"] == "green_industrial_parks"
    assert f"raw/tables/{WHITE_PAPER}.csv:{finding['row_number']}" in finding["message"]


def test_an_ignored_row_deleted_makes_its_mention_missing(workspace_copy):
    path = workspace_copy / "raw" / "ignored.csv"
    _drop_rows(path, lambda r: r[1] == "71803191")
    staged = stage_source(workspace_copy, "003_1a3b190ec270dc4e")
    failing = [c for c in staged.checks if c.is_error]
    assert [c.check_id for c in failing] == ["coverage.003_1a3b190ec270dc4e"]
    assert "'71803191'" in failing[0].message
    finding, = [f for f in all_findings(staged) if f["check_id"] == failing[0].check_id]
    assert finding["row_number"] is None   # not inside any transcribed quote


def test_a_stale_ignored_row_fails_naming_its_line(workspace_copy):
    path = workspace_copy / "raw" / "ignored.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{WHITE_PAPER},99,no such context 99,stale\n")
    line = path.read_text(encoding="utf-8").count("\n")
    staged = stage_source(workspace_copy, WHITE_PAPER)
    check = next(c for c in staged.checks if c.check_id == f"coverage.ignored.{WHITE_PAPER}")
    assert check.status == "fail"
    assert check.message.startswith(f"raw/ignored.csv:{line}: ")


def test_an_ignored_row_of_an_unknown_source_fails_the_workspace_check(workspace_copy):
    path = workspace_copy / "raw" / "ignored.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("999_unknown,5,5G,technology name\n")
    check = next(c for c in workspace_checks(workspace_copy, load_manifest(workspace_copy))
                 if c.check_id == "coverage.ignored_sources")
    assert check.status == "fail"
    assert "999_unknown" in check.message and "raw/ignored.csv:" in check.message


def test_an_unreadable_ignored_file_fails_coverage_with_a_located_message(workspace_copy):
    (workspace_copy / "raw" / "ignored.csv").write_text("source_id,mention,reason\n",
                                                         encoding="utf-8")
    staged = stage_source(workspace_copy, WHITE_PAPER)
    checks = {c.check_id: c for c in staged.checks}
    assert checks[f"coverage.ignored.{WHITE_PAPER}"].status == "fail"
    assert "raw/ignored.csv:1" in checks[f"coverage.ignored.{WHITE_PAPER}"].message
    assert "context" in checks[f"coverage.ignored.{WHITE_PAPER}"].message
    assert checks[f"coverage.{WHITE_PAPER}"].status == "fail"


def test_pandera_model_of_the_coverage_table():
    import numpy as np
    import pandas as pd
    import pandera.pandas as pa

    from greenaudit.validate.pandera import CoverageRow

    good = pd.DataFrame({"source_id": ["s", "s"], "start": np.array([0, 5], dtype="int32"),
                         "end": np.array([4, 7], dtype="int32"), "mention": ["2023", "45"],
                         "status": ["ignored", "missing"], "reason": ["calendar expression", ""]})
    CoverageRow.validate(good, lazy=True)
    bad = good.assign(end=np.array([0, 7], dtype="int32"), status=["ignored", "lost"],
                      reason=["", ""])
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        CoverageRow.validate(bad, lazy=True)
    failed = set(raised.value.failure_cases["check"])
    assert {"span_not_empty", "reason_unless_missing"} <= failed
    assert any(check.startswith("isin") for check in failed)
