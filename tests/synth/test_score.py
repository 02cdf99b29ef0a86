"""`greenaudit score`: how findings are matched to planted errors and counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from greenaudit.cli import main
from greenaudit.synth.score import format_markdown, score
from greenaudit.synth.answer_key import PlantedError, write_answer_key

CHECKS = [
    {"check_id": "evidence.s1", "kind": "evidence", "status": "fail"},
    {"check_id": "range.plausible.s1", "kind": "plausibility", "status": "fail"},
    {"check_id": "agreement.conflicts_declared", "kind": "agreement", "status": "fail"},
    {"check_id": "table.unit_compatible.s2", "kind": "unit", "status": "pass"},
    {"check_id": "pandera.observations.dataframe.value_within_kind_bounds", "kind": "pandera",
     "status": "fail"},
]


def _error(cls: str, rows, groups, **extra) -> PlantedError:
    location = "transcription" if cls in ("digit_transposition", "quote_mismatch",
                                          "period_shift") else "source_text"
    return PlantedError("E", cls, location, list(rows), list(groups), "t", "s", "x", **extra)


def _finding(check_id: str, source_id: str = "", row: str = "", indicator: str = "ind",
             period: str = "2020", breakdown: str = "", severity: str = "error") -> dict:
    return {"check_id": check_id, "severity": severity, "source_id": source_id,
            "row_number": row, "indicator_id": indicator, "period": period,
            "breakdown": breakdown, "message": "m"}


def _by_class(result: dict) -> dict:
    return {c["error_class"]: c for c in result["classes"]}


def test_a_finding_naming_the_planted_row_is_a_true_positive():
    errors = [_error("digit_transposition", [("s1", 5)], [("ind", "2020", "")]),
              _error("digit_transposition", [("s1", 9)], [("ind", "2021", "")])]
    findings = [_finding("evidence.s1", "s1", "5"), _finding("agreement.conflicts_declared",
                                                             "s1", "5")]
    row = _by_class(score(errors, findings, CHECKS))["digit_transposition"]
    assert (row["status"], row["planted"], row["detected"]) == ("checked", 2, 1)
    assert row["recall"] == 0.5
    assert (row["matched_findings"], row["false_positives"], row["precision"]) == (2, 0, 1.0)
    assert row["detected_by"] == ["agreement", "evidence"]


def test_an_unmatched_finding_is_a_false_positive_of_the_classes_its_check_detects():
    errors = [_error("quote_mismatch", [("s1", 5)], [("ind", "2020", "")]),
              _error("undeclared_conflict", [("s2", 3)], [("ind", "2022", "")])]
    findings = [_finding("evidence.s1", "s1", "5"),
                _finding("evidence.s1", "s1", "6"),       # no error on row 6
                _finding("agreement.conflicts_declared", "s2", "3"),
                _finding("agreement.conflicts_declared", "s3", "3"),  # a clean row named
                _finding("agreement.conflicts_declared", "s4", "3")]
    result = score(errors, findings, CHECKS)
    rows = _by_class(result)
    assert (rows["quote_mismatch"]["false_positives"], rows["quote_mismatch"]["precision"]) == \
        (1, 0.5)
    assert rows["undeclared_conflict"]["false_positives"] == 2
    assert rows["undeclared_conflict"]["precision"] == pytest.approx(1 / 3)
    assert result["unmatched_total"] == 3
    assert result["unmatched_by_kind"] == {"agreement": 2, "evidence": 1}


def test_warnings_count_and_info_does_not():
    errors = [_error("magnitude_slip", [("s1", 4)], [("ind", "2020", "")])]
    findings = [_finding("range.plausible.s1", "s1", "4", severity="warning"),
                _finding("range.plausible.s1", "s1", "7", severity="info")]
    result = score(errors, findings, CHECKS)
    assert _by_class(result)["magnitude_slip"]["recall"] == 1.0
    assert result["findings_counted"] == 1 and result["unmatched_total"] == 0


def test_a_finding_without_a_row_matches_the_planted_group():
    errors = [_error("period_shift", [("s1", 4)], [("ind", "2019", "province=anhui")])]
    findings = [_finding("agreement.conflicts_declared", indicator="ind", period="2019",
                         breakdown="province=anhui"),
                _finding("agreement.conflicts_declared", indicator="ind", period="2018",
                         breakdown="province=anhui")]
    row = _by_class(score(errors, findings, CHECKS))["period_shift"]
    assert (row["detected"], row["matched_findings"], row["false_positives"]) == (1, 1, 1)


def test_a_finding_pointing_at_a_source_line_matches_the_row_stated_there():
    # A coverage finding for a number whose quote could not be found names no table
    # row, only where the number is in the text; line r states table row r.
    errors = [_error("quote_mismatch", [("s1", 5)], [("ind", "2020", "")])]
    checks = CHECKS + [{"check_id": "coverage.s1", "kind": "coverage", "status": "fail"}]
    hit = _finding("coverage.s1", "s1", indicator="", period="")
    hit["message"] = "raw/sources/s1.txt:5:17: '12.5' (in '...') is neither transcribed nor set aside"
    miss = dict(hit, message="raw/sources/s1.txt:6:3: '7' is neither transcribed nor set aside")
    result = score(errors, [_finding("evidence.s1", "s1", "5"), hit, miss], checks)
    row = _by_class(result)["quote_mismatch"]
    assert (row["recall"], row["matched_findings"], row["false_positives"]) == (1.0, 2, 1)
    assert row["detected_by"] == ["coverage", "evidence"]


def test_broken_identity_is_not_checked_until_rule_checks_run():
    broken = _error("broken_identity", [("s1", 2), ("s2", 8)], [("chg", "2012-2022", "")],
                    rule_id="synth_identity_00007",
                    rule_terms=[("share", "2012"), ("share", "2022"), ("chg", "2012-2022")])
    result = score([broken], [], CHECKS)
    row = _by_class(result)["broken_identity"]
    assert (row["status"], row["recall"], row["precision"]) == ("not checked", None, None)
    assert "not checked: no rule check ran" in format_markdown(result)

    # A failing rule names the rows of all its terms; its kind is plausibility (or
    # derived), like range checks, but rule findings are a family of their own.
    checks = CHECKS + [{"check_id": "rule.synth_identity_00007", "kind": "plausibility",
                        "status": "fail"},
                       {"check_id": "rule.synth_identity_00008", "kind": "plausibility",
                        "status": "fail"}]
    findings = [_finding("rule.synth_identity_00007", "s3", "4", indicator="share",
                         period="2012"),
                _finding("rule.synth_identity_00007", "s1", "2", indicator="chg",
                         period="2012-2022"),
                _finding("rule.synth_identity_00008", "s3", "5", indicator="share",
                         period="2013"),
                _finding("range.plausible.s1", "s1", "9")]
    result = score([broken], findings, checks)
    row = _by_class(result)["broken_identity"]
    assert (row["status"], row["recall"], row["matched_findings"]) == ("checked", 1.0, 2)
    assert row["detected_by"] == ["rule"]
    assert (row["false_positives"], row["precision"]) == (1, pytest.approx(2 / 3))
    assert result["unmatched_by_kind"] == {"plausibility": 1, "rule": 1}


def test_a_clean_corpus_scores_its_findings_as_unmatched():
    result = score([], [_finding("evidence.s1", "s1", "5")], CHECKS)
    assert {c["status"] for c in result["classes"]} == {"none planted"}
    assert result["unmatched_total"] == 1
    assert result["unmatched_not_charged"] == {"evidence": 1}
    assert "pandera.observations.dataframe.value_within_kind_bounds" in \
        result["failing_checks_without_findings"]


def _audit(tmp_path: Path, findings: list[dict]) -> Path:
    audit = tmp_path / "results" / "validation" / "audit"
    audit.mkdir(parents=True)
    for name, rows, columns in (("findings.csv", findings, list(_finding("x"))),
                                ("checks.csv", CHECKS, list(CHECKS[0]))):
        with open(audit / name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    return audit


def test_cli_prints_markdown_writes_json_and_fails_under_a_threshold(tmp_path, capsys):
    write_answer_key(tmp_path, [_error("quote_mismatch", [("s1", 5)], [("i", "2020", "")]),
                                _error("quote_mismatch", [("s1", 6)], [("i", "2021", "")])], {})
    _audit(tmp_path, [_finding("evidence.s1", "s1", "5")])
    assert main(["score", str(tmp_path), "--json", str(tmp_path / "score.json")]) == 0
    out = capsys.readouterr().out
    assert "| quote_mismatch | transcription | 2 | 1 | 50.00% | 1 | 0 | 100.00% | evidence |" \
        in out
    data = json.loads((tmp_path / "score.json").read_text())
    assert data["classes"][5]["error_class"] == "quote_mismatch"
    assert data["classes"][5]["recall"] == 0.5
    assert main(["score", str(tmp_path), "--fail-under", "0.99"]) == 1
    assert main(["score", str(tmp_path), "--fail-under", "0.5"]) == 0


def test_missing_audit_is_a_one_line_error(tmp_path, capsys):
    write_answer_key(tmp_path, [], {})
    assert main(["score", str(tmp_path)]) == 2
    assert "no findings.csv: run the workflow" in capsys.readouterr().err
