"""The GX Data Docs of a real build, offline in headless Chromium, and a broken agreement.

Every request that is not for a file: URL is blocked and recorded; a page fails on
any blocked request, console error or page error, or when its screenshot is blank.
Chromium comes from the system, driven by Playwright (as in test_report_browser).
Without them these tests skip, unless GREENAUDIT_REQUIRE_BROWSER=1 (as in CI).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from workflow_support import copy_workspace, differing_tables, snakemake, snakemake_env

REQUIRE_BROWSER = os.environ.get("GREENAUDIT_REQUIRE_BROWSER") == "1"
DOCS = Path("results/validation/gx/data_docs")
SOURCE_003 = "003_1a3b190ec270dc4e"
SUITES = ["agreement", "indicator_ranges", "indicator_units", "identities"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium():
    def unavailable(reason: str) -> None:
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}, and GREENAUDIT_REQUIRE_BROWSER=1 asks for the browser tests")
        pytest.skip(reason)

    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed")
    executable = (os.environ.get("GREENAUDIT_CHROMIUM") or shutil.which("chromium")
                  or shutil.which("chromium-browser"))
    if not executable:
        unavailable("no chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable)
        except Error as exc:
            unavailable(f"chromium at {executable} does not start: {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


class Offline:
    """A page opened with every non-file: request blocked, and what went wrong on it."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def assert_clean(self, shot: Path) -> None:
        assert self.blocked == [], self.blocked
        assert self.errors == [], self.errors
        self.page.screenshot(path=str(shot))
        from PIL import Image

        colours = Image.open(shot).convert("L").getextrema()
        assert colours[1] - colours[0] > 100, f"{shot} is blank"

    def close(self) -> None:
        self.context.close()


def _pages(docs: Path) -> dict:
    return json.loads((docs / "pages.json").read_text(encoding="utf-8"))


def _result_page(docs: Path, suite: str) -> Path:
    return docs / next(s["result"] for s in _pages(docs)["suites"] if s["suite"] == suite)


def _group_row(page, check_id: str) -> dict:
    """The expectation's table row: its status icon's classes and its text."""
    return page.evaluate("""(id) => {
        const row = document.getElementById(id).closest('tr');
        return {icon: row.querySelector('i').className, text: row.innerText};
    }""", check_id)


def test_data_docs_index_lists_the_suites_offline(built_workspace: Path, chromium, tmp_path):
    docs = built_workspace / DOCS
    opened = Offline(chromium, (docs / "index.html").resolve().as_uri())
    try:
        page = opened.page
        suites = page.eval_on_selector_all(
            "table.ge-index-page-validation-results-table tbody tr td a",
            "links => links.map(a => a.textContent.trim())")
        assert sorted(suites) == sorted(SUITES)
        # Bootstrap styles the tabs, Font Awesome draws the status icons
        assert page.evaluate("getComputedStyle(document.querySelector('.nav-tabs'))"
                             ".borderBottomStyle") == "solid"
        assert "Font Awesome" in page.evaluate(
            "getComputedStyle(document.querySelector('i.fas')).fontFamily")
        page.click("#Expectation-Suites-tab")
        page.wait_for_selector("table.ge-index-page-expectation_suites-table tbody tr")
        listed = page.eval_on_selector_all("table.ge-index-page-expectation_suites-table tbody tr",
                                           "rows => rows.map(r => r.innerText.trim())")
        assert sorted(listed) == sorted(SUITES)
        opened.assert_clean(tmp_path / "index.png")
    finally:
        opened.close()


def test_every_page_of_the_site_loads_offline(built_workspace: Path, chromium, tmp_path):
    docs = built_workspace / DOCS
    pages = sorted(docs.glob("validations/**/*.html")) + sorted(docs.glob("expectations/*.html"))
    assert len(pages) == 2 * len(SUITES)
    for n, path in enumerate(pages):
        opened = Offline(chromium, path.resolve().as_uri())
        try:
            opened.assert_clean(tmp_path / f"page{n}.png")
        finally:
            opened.close()


def test_the_agreement_page_shows_the_shares_with_their_three_sources(built_workspace: Path,
                                                                      chromium, tmp_path):
    page_path = _result_page(built_workspace / DOCS, "agreement")
    opened = Offline(chromium, page_path.resolve().as_uri())
    try:
        for check_id, share in (("gx.agreement.hi_tech_mfg_share@2022", "15.5%"),
                                ("gx.agreement.equip_mfg_share@2022", "31.8%")):
            row = _group_row(opened.page, check_id)
            assert "text-success" in row["icon"], row
            for source in ("000", "003", "004"):
                assert re.search(rf"\b{source}\s+\d+\s+{re.escape(share)}", row["text"]), row
            assert "agree" in row["text"]
        opened.assert_clean(tmp_path / "agreement.png")
    finally:
        opened.close()


def _edit_003_high_tech_share(workdir: Path) -> None:
    """003 says 16.5% for the 2022 high-tech share: its text, its checksum and its row."""
    text_path = workdir / "raw" / "sources" / f"{SOURCE_003}.txt"
    text = text_path.read_text(encoding="utf-8")
    assert text.count("2022年的15.5%") == 1
    text_path.write_bytes(text.replace("2022年的15.5%", "2022年的16.5%").encode("utf-8"))
    manifest = workdir / "raw" / "sources.csv"
    digest = hashlib.sha256(text_path.read_bytes()).hexdigest()
    manifest.write_text(re.sub(rf"^({SOURCE_003},[^,]*,)[0-9a-f]{{64}}", rf"\g<1>{digest}",
                               manifest.read_text(encoding="utf-8"), flags=re.M),
                        encoding="utf-8", newline="")
    table_path = workdir / "raw" / "tables" / f"{SOURCE_003}.csv"
    table = table_path.read_text(encoding="utf-8").replace("2022年的15.5%", "2022年的16.5%")
    assert table.count("hi_tech_mfg_share,2022,15.5%,") == 1
    table_path.write_text(table.replace("hi_tech_mfg_share,2022,15.5%,",
                                        "hi_tech_mfg_share,2022,16.5%,"),
                          encoding="utf-8", newline="")


def test_a_changed_statement_fails_its_group_and_nothing_is_published(built_workspace: Path,
                                                                      chromium, tmp_path):
    workdir = copy_workspace(built_workspace, tmp_path / "ws")
    _edit_003_high_tech_share(workdir)
    result = snakemake(workdir, "--cores", "2", env=snakemake_env(PYTHONHASHSEED="0"))
    assert result.returncode != 0, result.stdout[-2000:]
    assert differing_tables(workdir) == []  # the published tables are as before

    checks_path = workdir / "results" / "validation" / "audit" / "checks.csv"
    checks = {row["check_id"]: row for row in csv.DictReader(
        io.StringIO(checks_path.read_text(encoding="utf-8"), newline=""))}
    group = checks["gx.agreement.hi_tech_mfg_share@2022"]
    assert (group["kind"], group["severity"], group["status"]) == ("gx", "error", "fail")
    assert "003 16.5% [16.45, 16.55]" in group["message"] and "→ conflict" in group["message"]
    assert checks["gx.agreement.equip_mfg_share@2022"]["status"] == "pass"

    opened = Offline(chromium, _result_page(workdir / DOCS, "agreement").resolve().as_uri())
    try:
        row = _group_row(opened.page, "gx.agreement.hi_tech_mfg_share@2022")
        assert "text-danger" in row["icon"], row
        assert re.search(r"\b003\s+\d+\s+16\.5%", row["text"]) and "conflict" in row["text"]
        assert "text-success" in _group_row(opened.page, "gx.agreement.equip_mfg_share@2022")["icon"]
        opened.assert_clean(tmp_path / "conflict.png")
    finally:
        opened.close()
