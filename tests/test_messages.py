"""Messages for names that are not known (did you mean ...?), rows not filled in yet,
and pandera failures located where a person fixes them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from greenaudit.workspace.catalog import load_catalog, load_discrepancies
from greenaudit.errors import InputError, UnitError
from greenaudit.validate.locate import location, parse_key
from greenaudit.text.quantity import QuantityParser
from greenaudit.stage.source import StageContext, all_findings, stage_source
from greenaudit.suggest import closest, did_you_mean
from greenaudit.text.units import UnitSystem

SOURCE = "000_451eeb3f8d9b8ea0"
TABLE = f"raw/tables/{SOURCE}.csv"


def test_the_closest_names_ignore_case_and_separators() -> None:
    known = ["hi_tech_mfg_share", "hi_tech_mfg_share_change", "equip_mfg_share"]
    assert closest("hitech_mfg_share", known) == ["hi_tech_mfg_share"]
    assert closest("Hi-Tech MFG share", known) == ["hi_tech_mfg_share"]
    assert did_you_mean("hi_tech_mfg_shar", known) == " (did you mean hi_tech_mfg_share?)"
    assert did_you_mean("green_bonds", known) == ""
    assert did_you_mean("", known) == ""
    assert did_you_mean("hi_tech_mfg_share", known) == "", "a known name is not suggested"


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _failing(staged) -> dict[str, str]:
    return {c.check_id: c.message for c in staged.checks if c.status == "fail"}


def test_an_unknown_indicator_id_gets_the_closest_catalog_id(workspace_copy: Path) -> None:
    table = workspace_copy / TABLE
    rows = _rows(table)
    assert rows[1][0] == "adv_mfg_clusters"
    rows[1][0] = "adv_mfg_clusterz"
    _write(table, rows)
    failing = _failing(stage_source(workspace_copy, SOURCE))
    assert failing[f"table.indicator_known.{SOURCE}"] == (
        f"{TABLE}:2:1 (indicator_id): unknown indicator_id 'adv_mfg_clusterz' (did you mean "
        f"adv_mfg_clusters?); expected an id of schemas/indicators.yaml")
    # The row's own error is the one message: its figure is not also reported missing.
    assert list(failing) == [f"table.indicator_known.{SOURCE}"], failing


def test_a_row_not_filled_in_is_one_error_saying_what_to_fill_in(workspace_copy: Path) -> None:
    table = workspace_copy / TABLE
    rows = _rows(table)
    header, first = rows[0], rows[1]
    assert first[header.index("quantity")] == "45个"
    # What `greenaudit scaffold` leaves: the quantity and quote, no indicator or period.
    candidate = dict.fromkeys(header, "")
    candidate.update(quantity=first[header.index("quantity")], quote=first[header.index("quote")],
                     note="scaffold: candidate")
    _write(table, [header] + rows[2:] + [[candidate[h] for h in header]])
    line = len(rows)
    staged = stage_source(workspace_copy, SOURCE)
    failing = _failing(staged)
    assert list(failing) == [f"table.row_filled.{SOURCE}"], failing
    message = failing[f"table.row_filled.{SOURCE}"]
    assert message.startswith(f"{TABLE}:{line}:1 (indicator_id): row not filled in for '45个'; "
                              f"fill in indicator_id")
    assert "raw/ignored.csv" in message
    # Not a transcription yet: nothing for pandera to reject, one finding in all.
    assert all(r["row_number"] != line for r in staged.transcriptions)
    assert [f["check_id"] for f in all_findings(staged)] == [f"table.row_filled.{SOURCE}"]
    coverage = next(c for c in staged.checks if c.check_id == f"coverage.{SOURCE}")
    assert coverage.status == "pass" and "in the quotes of rows still to fix" in coverage.message


def test_an_empty_row_is_one_error(workspace_copy: Path) -> None:
    table = workspace_copy / TABLE
    text = table.read_text(encoding="utf-8")
    fields = len(next(csv.reader(io.StringIO(text))))
    table.write_text(text + "," * (fields - 1) + "\n", encoding="utf-8")
    failing = _failing(stage_source(workspace_copy, SOURCE))
    assert list(failing) == [f"table.row_filled.{SOURCE}"]
    assert "empty row; delete it" in failing[f"table.row_filled.{SOURCE}"]


def test_a_row_with_an_indicator_but_no_period_is_not_a_scaffold_row(workspace_copy) -> None:
    table = workspace_copy / TABLE
    rows = _rows(table)
    rows[1][1] = ""
    _write(table, rows)
    failing = _failing(stage_source(workspace_copy, SOURCE))
    assert f"table.period_format.{SOURCE}" in failing
    assert f"table.row_filled.{SOURCE}" not in failing


def test_unknown_units_get_the_closest_written_unit(units: UnitSystem,
                                                    parser: QuantityParser) -> None:
    with pytest.raises(UnitError, match=r"unknown unit '千瓦小时' \(did you mean 千瓦时\?\)"):
        units.project_unit("千瓦小时")
    with pytest.raises(UnitError, match=r"'kwh' is not defined in units.txt \(did you mean kWh\?\)"):
        units.check_unit("kwh")


def test_declared_discrepancies_name_known_indicators_and_sources(workspace_copy: Path,
                                                                  units: UnitSystem) -> None:
    schemas = workspace_copy / "schemas"
    catalog = load_catalog(schemas, units)
    declaration = ("discrepancies:\n  - indicator_id: {id}\n    period: '2022'\n"
                   "    sources: [000_451eeb3f8d9b8ea0, {other}]\n    reason: r\n")
    path = schemas / "known_discrepancies.yaml"
    path.write_text(declaration.format(id="hi_tech_mfg_shar", other="004_2e0697a374659b7e"),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"known_discrepancies.yaml:2: unknown indicator_id "
                                         r"'hi_tech_mfg_shar' \(did you mean hi_tech_mfg_share\?\)"):
        load_discrepancies(schemas, catalog)
    path.write_text(declaration.format(id="hi_tech_mfg_share", other="004_2e0697a374659b7f"),
                    encoding="utf-8")
    listed = StageContext.load(workspace_copy).manifest
    with pytest.raises(InputError, match=r"unknown source_id '004_2e0697a374659b7f' "
                                         r"\(did you mean 004_2e0697a374659b7e\?\)"):
        load_discrepancies(schemas, catalog, listed)
    assert load_discrepancies(schemas, catalog) != [], "without the manifest, sources are not checked"


def test_pandera_failures_are_located_in_the_files(workspace_copy: Path) -> None:
    assert parse_key("source_id=a;row_number=7") == {"source_id": "a", "row_number": "7"}
    assert parse_key("") == {}
    where = location(workspace_copy, "transcriptions", "period", f"source_id={SOURCE};row_number=5")
    assert where == f"{TABLE}:5:2 (period)"
    # A computed column is located at the quantity it comes from.
    where = location(workspace_copy, "observations", "value_canonical",
                     f"source_id={SOURCE};row_number=5")
    assert where == f"{TABLE}:5:3 (quantity)"
    assert location(workspace_copy, "observations", "lower",
                    "source_id=derived:equip_mfg_share_2012;row_number=33") == "schemas/rules.yaml:33"
    text = (workspace_copy / f"raw/sources/{SOURCE}.txt").read_text(encoding="utf-8")
    offset = text.index("45个")
    line = text[:offset].count("\n") + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    assert location(workspace_copy, "coverage", "status",
                    f"source_id={SOURCE};start={offset};end={offset + 2}") == \
        f"raw/sources/{SOURCE}.txt:{line}:{column}"
    assert location(workspace_copy, "indicators", "value",
                    "indicator_id=a;period=2022;breakdown=") == "indicator a/2022"


# ------------------------------------------------------------- the manifest's provenance

def _manifest_with(workspace: Path, url: str, retrieved: str) -> Path:
    path = workspace / "raw" / "sources.csv"
    rows = _rows(path)
    header = rows[0]
    assert header[-2:] == ["url", "retrieved"]
    rows[1][header.index("url")], rows[1][header.index("retrieved")] = url, retrieved
    _write(path, rows)
    return path


@pytest.mark.parametrize("url, retrieved, column, message", [
    ("ftp://example.org/a", "2024-01-15", 11, "expected an absolute URL starting with https://"),
    ("https://", "2024-01-15", 11, "expected an absolute URL"),
    ("https://example.org/a b", "2024-01-15", 11, "contains whitespace"),
    ("https://example.org:99999/", "2024-01-15", 11, "is malformed"),
    ("https://example.org/a", "", 12, "has no retrieval date"),
    ("https://example.org/a", "2024-13-01", 12, "expected an ISO date YYYY-MM-DD"),
    ("", "15.1.2024", 12, "expected an ISO date YYYY-MM-DD"),
    ("https://example.org/a", "2023-05-31", 12, "before the document was published (2023-06)"),
])
def test_the_manifest_checks_urls_and_retrieval_dates(workspace_copy: Path, url, retrieved,
                                                      column, message) -> None:
    from greenaudit.workspace.manifest import load_manifest

    path = _manifest_with(workspace_copy, url, retrieved)
    with pytest.raises(InputError) as info:
        load_manifest(workspace_copy)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 2, column)
    assert message in info.value.reason


def test_the_manifest_accepts_a_url_with_its_date_or_neither(workspace_copy: Path) -> None:
    from greenaudit.workspace.manifest import load_manifest

    _manifest_with(workspace_copy, "https://example.org/white-paper?id=1", "2023-06-02")
    source = load_manifest(workspace_copy)[SOURCE]
    assert (source.url, source.retrieved) == ("https://example.org/white-paper?id=1", "2023-06-02")
    assert source.record()["url"] == source.url
    _manifest_with(workspace_copy, "", "")
    assert load_manifest(workspace_copy)[SOURCE].url == ""
