"""The report's charts, drawn from hand-made rows (no workflow run)."""

from __future__ import annotations

import re

from test_report import CHECKS

from greenaudit.report.charts import (agreement_matrix, checks_by_kind, time_series,
                                      time_series_keys)
from greenaudit.report.model import IndicatorRow, ObservationRow


def test_time_series_needs_two_single_years() -> None:
    def row(indicator_id, period, breakdown=""):
        return IndicatorRow(indicator_id, period, breakdown, "1", "percent", "", "", "1",
                            "single_source", "", "", [], [], "", "", "x")
    rows = [row("a", "2012"), row("a", "2022"), row("b", "2012-2022"), row("b", "2022"),
            row("c", "2021", "k=v"), row("c", "2021-06", "k=v"), row("d", "2020")]
    assert time_series_keys(rows) == [("a", ""), ("c", "k=v")]


def test_time_series_draws_a_value_outside_its_clamped_interval() -> None:
    # 128% is outside the valid range [0, 100]: staging clamps its interval to [127.5, 100].
    def observation(period, value, lower, upper):
        return ObservationRow("s1", "2", "a", period, "", f"{value}%", value, "%", "exact",
                              value, "percent", lower, upper, "q", "verified", "", "")
    rows = [IndicatorRow("a", year, "", value, "percent", "", "", "1", "single_source", "",
                         "", ["s1"], ["r"], "", "", "x") for year, value in (("2021", "28"),
                                                                           ("2022", "128"))]
    chart = time_series(rows, [observation("2021", "28", "27.5", "28.5"),
                               observation("2022", "128", "127.5", "100")], ["s1"])
    assert "<svg" in chart.svg
    assert chart.details == ("a: 28 (2021) → 128 (2022) percent; 1 source(s)",)


def test_chart_descriptions_state_the_counts() -> None:
    rows = [IndicatorRow("a", "2022", "", "1", "percent", "", "", "2", "conflict", "", "",
                         ["s1", "s2"], ["r1"], "", "", "x")]
    matrix = agreement_matrix(rows, ["s1", "s2"])
    assert "1 indicator-periods" in matrix.description and "conflict 1" in matrix.description
    assert "derived" in matrix.description  # the derived column appears when a rule derived a value
    checks = checks_by_kind([dict(zip(CHECKS[0], c)) for c in CHECKS[1:]])
    assert checks.description == "5 checks: 3 pass, 1 fail error, 1 fail warning."
    assert "agreement: 1 fail error" in checks.details and len(checks.details) == 5


def _svg_texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_months_are_labelled_as_written_on_the_time_axis() -> None:
    rows = [IndicatorRow("stock", period, "", value, "count", "", "", "1", "single_source", "",
                         "s1", ["s1_x"], [], "", "", "x")
            for period, value in (("2022-03", "3109000"), ("2022-09", "4000000"),
                                  ("2023-03", "5842000"))]
    chart = time_series(rows, [], ["s1_x"])
    texts = _svg_texts(chart.svg)
    assert {"2022-03", "2023-03"} <= set(texts), texts
    assert not [t for t in texts if re.fullmatch(r"\d{4}\.\d+", t)], "a decimal year"
    assert chart.details == ("stock: 3.109 million (2022-03) → 4 million (2022-09) → "
                             "5.842 million (2023-03) count; 0 source(s)",)


def test_sources_are_labelled_briefly_in_the_charts() -> None:
    from greenaudit.report.chartkit import source_labels

    assert source_labels(["000_a", "001_b"]) == {"000_a": "000", "001_b": "001"}
    # Ids whose first parts are not short and unique get S1, S2, ...
    assert source_labels(["syn_a", "syn_b"]) == {"syn_a": "S1", "syn_b": "S2"}
    rows = [IndicatorRow("a", "2022", "", "1", "percent", "", "", "2", "agree", "", "",
                         ["000_a", "001_b"], [], "", "", "x")]
    texts = _svg_texts(agreement_matrix(rows, ["000_a", "001_b"]).svg)
    assert "000" in texts and "001" in texts and "000_a" not in texts
