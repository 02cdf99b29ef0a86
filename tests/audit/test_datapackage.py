"""The Frictionless data package of results/audit/ (greenaudit.audit.datapackage)."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from workflow_support import SEED_AUDIT

from greenaudit.audit import datapackage, publish

# The seeds' published tables (tests/data/seeds/); CI validates the live ones.
AUDIT = SEED_AUDIT


def _frictionless(descriptor: Path) -> dict:
    """frictionless's report on the package, as `frictionless validate --json` prints it
    (validated in this process; CI and tests/test_workflow.py run the command)."""
    from frictionless import validate

    return validate(str(descriptor)).to_dict()


def _sources(audit: Path) -> list[dict]:
    with open(audit / "sources.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rehash(directory: Path) -> None:
    """Re-pin the hashes of an edited copy, so that only the edit itself can fail."""
    path = directory / datapackage.DESCRIPTOR_NAME
    package = json.loads(path.read_text(encoding="utf-8"))
    for resource in package["resources"]:
        data = (directory / resource["path"]).read_bytes()
        resource["hash"] = f"sha256:{hashlib.sha256(data).hexdigest()}"
        resource["bytes"] = len(data)
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")


def _error_types(report: dict) -> set[str]:
    return {error["type"] for task in report["tasks"] for error in task["errors"]}


def test_committed_package_validates():
    report = _frictionless(AUDIT / "datapackage.json")
    assert report["valid"] is True, json.dumps(report, ensure_ascii=False)[-3000:]


def test_every_published_csv_is_a_resource_with_its_header():
    published = sorted(p.name for p in AUDIT.glob("*.csv"))
    package = json.loads((AUDIT / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(r["path"] for r in package["resources"]) == published
    assert sorted(datapackage.RESOURCE_FILES) == published
    assert set(publish.AUDIT_FILES) == set(published) | {datapackage.DESCRIPTOR_NAME}
    for resource in package["resources"]:
        with open(AUDIT / resource["path"], encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert [f["name"] for f in resource["schema"]["fields"]] == header, resource["name"]


def test_committed_descriptor_is_what_the_tables_give(tmp_path):
    # Deterministic: rebuilt from the committed tables, the descriptor is byte-identical.
    names = [p.name for p in AUDIT.glob("*.csv")]
    text = datapackage.to_json(datapackage.descriptor(AUDIT, names, _sources(AUDIT)))
    assert text == (AUDIT / "datapackage.json").read_text(encoding="utf-8")


def test_descriptor_content():
    package = json.loads((AUDIT / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"]
    assert len(package["sources"]) == len(_sources(AUDIT))
    resources = {r["name"]: r for r in package["resources"]}
    observations = resources["observations"]["schema"]
    assert {(tuple(fk["fields"]), fk["reference"]["resource"])
            for fk in observations["foreignKeys"]} == {
        (("source_id",), "sources"), (("indicator_id",), "catalog"),
        (("indicator_id", "period", "breakdown"), "indicators")}
    assert resources["indicators"]["schema"]["primaryKey"] == ["indicator_id", "period",
                                                               "breakdown"]
    for resource in package["resources"]:
        for field in resource["schema"]["fields"]:
            assert field["description"].strip(), (resource["name"], field["name"])
            if field["type"] in ("number", "integer"):
                # Each numeric field says what it counts or which unit it is in.
                text = field["description"]
                assert any(word in text for word in ("unit", "count", "characters", "Line")), \
                    (resource["name"], field["name"], text)


def test_descriptor_refuses_a_table_without_a_resource(tmp_path):
    for name in datapackage.RESOURCE_FILES:
        shutil.copy(AUDIT / name, tmp_path / name)
    (tmp_path / "unlisted.csv").write_text("indicator_id\nx\n", encoding="utf-8")
    names = [*datapackage.RESOURCE_FILES, "unlisted.csv"]
    with pytest.raises(ValueError, match="unlisted.csv have no resource"):
        datapackage.descriptor(tmp_path, names, _sources(AUDIT))
    with pytest.raises(ValueError, match="catalog.csv of greenaudit.tables are not among"):
        datapackage.descriptor(tmp_path, [n for n in datapackage.RESOURCE_FILES
                                          if n != "catalog.csv"], _sources(AUDIT))
    (tmp_path / "checks.csv").write_text("check_id,kind\n", encoding="utf-8")
    with pytest.raises(ValueError, match="checks.csv: header check_id, kind differs"):
        datapackage.descriptor(tmp_path, list(datapackage.RESOURCE_FILES), _sources(AUDIT))


@pytest.fixture
def copy(tmp_path) -> Path:
    directory = tmp_path / "audit"
    shutil.copytree(AUDIT, directory)
    return directory


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edited_table_fails_its_hash(copy):
    _edit(copy / "indicators.csv", "hi_tech_mfg_share,2022,,15.5,", "hi_tech_mfg_share,2022,,16.5,")
    report = _frictionless(copy / "datapackage.json")
    assert report["valid"] is False
    assert "hash-count" in _error_types(report)


def test_an_unknown_source_breaks_a_foreign_key(copy):
    _edit(copy / "observations.csv", "\n000_451eeb3f8d9b8ea0,3,", "\n999_unknown,3,")
    _rehash(copy)
    report = _frictionless(copy / "datapackage.json")
    assert report["valid"] is False
    assert _error_types(report) == {"foreign-key"}


def test_a_duplicated_indicator_breaks_the_primary_key(copy):
    lines = (copy / "indicators.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    no_breakdown = next(line for line in lines[1:] if line.split(",")[2] == "")
    (copy / "indicators.csv").write_text("".join(lines + [no_breakdown]), encoding="utf-8")
    _rehash(copy)
    report = _frictionless(copy / "datapackage.json")
    assert report["valid"] is False
    assert _error_types(report) == {"primary-key"}


SEED = "000_451eeb3f8d9b8ea0"


def _provenance(directory: Path, url: str, retrieved: str) -> None:
    """Give the seed source a url and retrieval date in the published sources.csv."""
    path = directory / "sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].rstrip("\n").endswith(",url,retrieved")
    index = next(i for i, line in enumerate(lines) if line.startswith(SEED + ","))
    assert lines[index].endswith(",,\n")
    lines[index] = lines[index][:-3] + f",{url},{retrieved}\n"
    path.write_text("".join(lines), encoding="utf-8")
    _rehash(directory)


def test_sources_carry_where_and_when_each_document_was_retrieved(copy):
    fields = {f["name"]: f for r in json.loads((copy / "datapackage.json").read_text(
        encoding="utf-8"))["resources"] if r["name"] == "sources" for f in r["schema"]["fields"]}
    assert (fields["url"]["type"], fields["url"]["format"]) == ("string", "uri")
    assert fields["retrieved"]["type"] == "date"
    # Empty (not known) is valid, as committed; so is a URL with its date.
    _provenance(copy, "https://example.org/a?b=1", "2024-01-15")
    report = _frictionless(copy / "datapackage.json")
    assert report["valid"] is True, json.dumps(report, ensure_ascii=False)[-2000:]


@pytest.mark.parametrize("url, retrieved", [("https://example.org/a", "15/01/2024"),
                                            ("not-a-url", "2024-01-15")])
def test_a_malformed_url_or_date_is_refused(copy, url, retrieved):
    _provenance(copy, url, retrieved)
    report = _frictionless(copy / "datapackage.json")
    assert report["valid"] is False
    assert _error_types(report) == {"type-error"}


def test_package_sources_link_to_the_documents():
    sources = [{"source_id": "s1", "title": "t", "publisher": "p", "published": "2023",
                "url": "https://example.org/s1", "retrieved": "2024-01-15"},
               {"source_id": "s2", "title": "u", "publisher": "q", "published": "2024",
                "url": "", "retrieved": ""}]
    assert [datapackage._package_source(s) for s in sources] == [
        {"title": "s1: t (p, 2023), retrieved 2024-01-15", "path": "https://example.org/s1"},
        {"title": "s2: u (q, 2024)"}]
