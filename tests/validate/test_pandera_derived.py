"""The pandera models accept derived rows only when they are marked as derived everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from greenaudit.validate.pandera import FLOAT_COLUMNS, IndicatorRow, Observation


def _observation(**changes) -> dict:
    row = {"source_id": "derived:hi_tech_mfg_share_2012", "row_number": 23,
           "indicator_id": "hi_tech_mfg_share", "period": "2012", "breakdown": "",
           "quantity": "9.4", "quote": "rule hi_tech_mfg_share_2012: a == b", "note": "n",
           "value": 9.4, "unit": "", "qualifier": "derived", "value_canonical": 9.4,
           "unit_canonical": "percent", "lower": 9.3, "upper": 9.5, "stated_lower": 9.4,
           "stated_upper": 9.4, "kind": "share", "evidence": "derived", "quote_start": None,
           "quote_end": None, "quantity_start": None, "quantity_end": None,
           "flags": "derived", "context_qualifier": "", "qualifier_start": None,
           "qualifier_end": None, "period_basis": "", "occurrence": "",
           "quantity_occurrence": ""}
    return {**row, **changes}


def _frame(rows: list[dict], model) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(model.to_schema().columns))
    for column in frame.columns:
        if column in FLOAT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if "row_number" in frame:
        frame["row_number"] = frame["row_number"].astype(np.int32)
    if "n_sources" in frame:
        frame["n_sources"] = frame["n_sources"].astype(np.int32)
    return frame


def _failed_checks(frame: pd.DataFrame, model) -> set[str]:
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return set(exc.failure_cases["check"].astype(str))
    return set()


def test_marked_derived_row_is_valid():
    assert _failed_checks(_frame([_observation()], Observation), Observation) == set()


@pytest.mark.parametrize("changes", [
    {"evidence": "verified"}, {"qualifier": "exact"}, {"flags": ""},
    {"source_id": "000_451eeb3f8d9b8ea0"},
])
def test_derived_row_missing_a_mark_fails(changes):
    failed = _failed_checks(_frame([_observation(**changes)], Observation), Observation)
    assert "derived_rows_are_marked" in failed


def _indicator(**changes) -> dict:
    row = {"indicator_id": "digital_rd_tool_penetration", "period": "2012", "breakdown": "",
           "value": 48.8, "unit_canonical": "percent", "lower": 48.7, "upper": 48.9,
           "n_sources": 1, "sources": "derived:digital_rd_tool_penetration_2012",
           "agreement": "derived", "flags": "", "value_source": "derived:x"}
    return {**row, **changes}


def test_derived_verdict_needs_only_a_derived_source():
    assert _failed_checks(_frame([_indicator()], IndicatorRow), IndicatorRow) == set()
    stated = _indicator(sources="000_451eeb3f8d9b8ea0")
    assert "derived_verdict_iff_only_derived" in _failed_checks(
        _frame([stated], IndicatorRow), IndicatorRow)
    unmarked = _indicator(agreement="single_source")
    assert "derived_verdict_iff_only_derived" in _failed_checks(
        _frame([unmarked], IndicatorRow), IndicatorRow)
    two = _indicator(n_sources=2, sources="000_451eeb3f8d9b8ea0;derived:x")
    assert "single_source_iff_one_source" in _failed_checks(_frame([two], IndicatorRow),
                                                            IndicatorRow)
