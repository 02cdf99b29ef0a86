"""The report's links into the GX Data Docs (greenaudit.report.data_docs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report import make_workspace

from greenaudit.errors import InputError
from greenaudit.report import build_report
from greenaudit.report.data_docs import load_links

RESULT = "validations/agreement/__none__/latest/greenaudit-observations.html"


def _pages(docs: Path, expectations: list[list[str]]) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "pages.json").write_text(json.dumps({
        "suites": [{"suite": "agreement", "result": RESULT,
                    "expectations": "expectations/agreement.html"},
                   {"suite": "identities", "result": "", "expectations": ""}],
        "expectations": {"agreement": expectations}}), encoding="utf-8")


def test_a_group_links_the_expectation_covering_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _pages(docs, [["gx.agreement.a@2020..b@2021", "a@2020", "b@2021", f"{RESULT}#x"],
                  ["gx.agreement.c@2022[level=n]", "c@2022[level=n]", "c@2022[level=n]",
                   f"{RESULT}#y"]])
    links = load_links(docs, tmp_path / "report")
    assert links.agreement("a", "2020", "") == f"../docs/{RESULT}#x"
    assert links.agreement("a_b", "2020", "") == f"../docs/{RESULT}#x"  # inside the run
    assert links.agreement("c", "2022", "level=n") == f"../docs/{RESULT}#y"
    assert links.agreement("c", "2022", "") == ""  # between the runs
    assert links.agreement("z", "2020", "") == ""
    assert [s.suite for s in links.suites] == ["agreement", "identities"]
    assert links.suites[1].result == ""


def test_no_page_map_means_no_links_and_a_broken_one_is_named(tmp_path: Path) -> None:
    assert load_links(tmp_path / "none", tmp_path).suites == []
    (tmp_path / "pages.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="pages.json: not a Data Docs page map"):
        load_links(tmp_path, tmp_path)


def test_the_report_links_suites_and_agreements(tmp_path: Path) -> None:
    paths = make_workspace(tmp_path)
    assert paths.data_docs is not None
    _pages(paths.data_docs, [["gx.agreement.share_a@2022", "share_a@2022", "share_a@2022",
                              f"{RESULT}#gx.agreement.share_a@2022"]])
    build_report(paths)
    html = paths.out.read_text(encoding="utf-8")
    link = f"../validation/gx/data_docs/{RESULT}"
    assert f'<a href="{link}" data-suite="agreement">agreement</a>' in html
    assert "identities <span class=\"muted\">(no result page)</span>" in html
    assert f'<a class="expectation" href="{link}#gx.agreement.share_a@2022"' in html
    assert html.count('<a class="expectation"') == 1
