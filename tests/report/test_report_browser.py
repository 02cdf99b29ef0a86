"""The audit report after a real rebuild, opened in headless Chromium from file://.

Chromium comes from the system (Debian's `chromium`), driven by Playwright's
Python API. Without chromium or playwright these tests skip, unless
GREENAUDIT_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_support import copy_workspace

from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.normalise import normalise

REPORT = Path("results/report/index.html")
INJECTED = "<script>alert(1)</script>"
URL = "https://example.org/white-paper?id=1&lang=zh"
CJK_FONT = re.compile(r"CJK|Han|Hei|Song|Ming|Kai|YaHei|PingFang|WenQuanYi|Fallback|Noto Sans [ST]C")
REQUIRE_BROWSER = os.environ.get("GREENAUDIT_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.slow

# What of the page's layout a reader would see go wrong, measured in the browser:
# sideways scroll, any element reaching past the viewport, content wider than its
# box (a clipped table cell or a scrolled table), chart texts drawn over each other,
# and headings, charts, captions and cards drawn over each other.
LAYOUT_JS = (Path(__file__).parent / "report_layout.js").read_text(encoding="utf-8")
SECTIONS = ("summary", "attention", "charts", "indicators", "checks", "sources")


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}, and GREENAUDIT_REQUIRE_BROWSER=1 asks for the browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """A headless system Chromium (Playwright's own browser download is not used)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    executable = (os.environ.get("GREENAUDIT_CHROMIUM") or shutil.which("chromium")
                  or shutil.which("chromium-browser"))
    if not executable:
        _unavailable("no chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable)
        except Error as exc:
            _unavailable(f"chromium at {executable} does not start: {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


def _run(workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "--cores", "2", "--quiet", "all"], cwd=workdir,
                          capture_output=True, text=True, timeout=900)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def built(built_workspace: Path) -> Path:
    """The seeds built once for the run (conftest.py); tests only read it."""
    return built_workspace


class Opened:
    """A page opened offline, with everything it logged, requested or popped up."""

    def __init__(self, browser, workdir: Path, fragment: str = "") -> None:
        self.workdir = workdir
        self.url = (workdir / REPORT).resolve().as_uri()
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d) -> None:
            self.dialogs.append(d.message)
            d.dismiss()
        self.page.on("dialog", dialog)
        self.page.goto(self.url + fragment)
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def report(chromium, built):
    """The seeds' report, opened; browser tests use `report.workdir` (not `built`), so
    that a missing browser skips them before the workflow is built."""
    opened = Opened(chromium, built)
    yield opened
    opened.close()


def _variance(png: bytes) -> float:
    from io import BytesIO

    from PIL import Image, ImageStat

    return sum(ImageStat.Stat(Image.open(BytesIO(png)).convert("L")).var)


@pytest.mark.browser
def test_page_loads_offline_with_no_errors_and_no_requests(report) -> None:
    assert report.errors == []
    assert report.requests == [report.url]
    assert report.page.evaluate("document.scripts.length") == 1
    assert report.page.title() == "greenaudit — audit report"


@pytest.mark.browser
def test_headline_counts_match_the_published_tables(report) -> None:
    built = report.workdir
    audit = built / "results" / "audit"
    checks = _rows(audit / "checks.csv")
    indicators = _rows(audit / "indicators.csv")
    expected = {
        "sources": len(_rows(built / "raw" / "sources.csv")),
        "observations": len(_rows(audit / "observations.csv")),
        "observations-transcribed": sum(not o["source_id"].startswith("derived:")
                                        for o in _rows(audit / "observations.csv")),
        "observations-derived": sum(o["source_id"].startswith("derived:")
                                    for o in _rows(audit / "observations.csv")),
        "indicators": len(indicators),
        "indicator-ids": len({r["indicator_id"] for r in indicators}),
        "checks": len(checks),
        "checks-pass": sum(c["status"] == "pass" for c in checks),
        "checks-fail": sum(c["status"] == "fail" for c in checks),
    }
    for severity in ("error", "warning", "info"):
        expected[f"fail-{severity}"] = sum(c["status"] == "fail" and c["severity"] == severity
                                           for c in checks)
    for verdict in ("agree", "agree_within_rounding", "conflict", "single_source", "derived"):
        expected[f"verdict-{verdict}"] = sum(r["agreement"] == verdict for r in indicators)
    shown = {name: int(report.page.locator(f'#summary [data-count="{name}"]').inner_text())
             for name in expected}
    assert shown == expected
    assert report.page.locator("#verdict").get_attribute("data-publishable") == "true"
    failing = [c["check_id"] for c in checks if c["status"] == "fail"]
    assert report.page.locator("#attention article.check h3 code").all_inner_texts() == sorted(
        failing, key=lambda i: (["error", "warning", "info"].index(
            next(c["severity"] for c in checks if c["check_id"] == i)), i))


@pytest.mark.browser
def test_search_filters_and_headers_sort_the_indicator_table(report) -> None:
    built = report.workdir
    page = report.page
    indicators = _rows(built / "results" / "audit" / "indicators.csv")
    rows = page.locator("#indicator-table tbody tr")
    visible = page.locator("#indicator-table tbody tr:visible")
    assert visible.count() == len(indicators)
    page.fill("#indicator-search", "equip_mfg_share")
    expected = [r for r in indicators if "equip_mfg_share" in r["indicator_id"]]
    assert 0 < visible.count() == len(expected) < len(indicators)
    assert page.locator("#indicator-shown").inner_text() == str(len(expected))
    assert all("equip_mfg_share" in text for text in visible.all_inner_texts())
    page.fill("#indicator-search", "绿色工厂")
    assert 0 < visible.count() < len(indicators)
    assert all("绿色工厂" in text for text in visible.all_inner_texts())
    page.fill("#indicator-search", "")
    assert visible.count() == rows.count() == len(indicators)
    page.locator("#indicator-table th", has_text="value").locator("button").click()
    cells = page.locator("#indicator-table tbody td:nth-child(4)")
    values = [float(v) for v in cells.evaluate_all("cells => cells.map(c => c.dataset.value)") if v]
    assert values == sorted(values) and values != [float(r["value"]) for r in indicators if r["value"]]
    # Shown as a reader writes it: the 20万亿元 of adv_mfg_cluster_output is "20 trillion".
    page.fill("#indicator-search", "adv_mfg_cluster_output")
    shown = page.locator("#indicator-table tbody tr:visible td:nth-child(4)").inner_text()
    assert shown.splitlines() == ["20 trillion", "as stated: 20万亿元"]


@pytest.mark.browser
def test_evidence_link_lands_on_the_quote(report) -> None:
    built = report.workdir
    page = report.page
    observations = _rows(built / "results" / "audit" / "observations.csv")
    sources = load_manifest(built)
    article = page.locator("#evidence article.evidence").filter(
        has=page.locator("h3 code", has_text="hi_tech_mfg_share")).filter(
        has=page.locator("h3", has_text="2022")).first
    links = article.locator("a.evidence-link")
    assert links.count() == 3  # 000, 003 and 004 state the 2022 share
    for index in range(links.count()):
        link = article.locator("a.evidence-link").nth(index)
        href = link.get_attribute("href")
        source_id, row = re.fullmatch(r"#src-(.+)-r(\d+)", href).groups()
        link.click()
        assert page.evaluate("location.hash") == href
        target = page.locator(href)
        box = target.bounding_box()
        assert box is not None and 0 <= box["y"] <= page.viewport_size["height"]
        # The page marks the quote on its hashchange event, which follows the click.
        page.locator(f'mark.current[data-q~="{href[1:]}"]').first.wait_for()
        current = "".join(page.locator("mark.current").all_text_contents())
        row_data = next(o for o in observations if (o["source_id"], o["row_number"]) == (source_id, row))
        assert current == normalise(row_data["quote"], sources[source_id].cleaning).text
        quantity = normalise(row_data["quantity"], sources[source_id].cleaning).text
        assert quantity in "".join(page.locator("mark.current.qty").all_text_contents())
        page.go_back()


@pytest.mark.browser
def test_chinese_quotes_render_with_a_cjk_font(report) -> None:
    built = report.workdir
    page = report.page
    observations = _rows(built / "results" / "audit" / "observations.csv")
    quote = next(o["quote"] for o in observations
                 if (o["source_id"], o["indicator_id"], o["period"]) ==
                 ("000_451eeb3f8d9b8ea0", "hi_tech_mfg_share", "2022"))
    shown = page.locator("blockquote.quote", has_text=quote[:12]).first
    assert shown.inner_text() == quote and shown.is_visible()
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    shown.evaluate("node => node.setAttribute('data-probe', '1')")
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-probe]"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    # A missing glyph is drawn with some other fallback font: every font used must be CJK.
    assert fonts and all(CJK_FONT.search(f["familyName"]) for f in fonts), fonts


def _layout(page) -> dict:
    return page.evaluate(LAYOUT_JS)


@pytest.mark.browser
def test_page_fits_1280_px_without_sideways_scroll_or_clipped_cells(report) -> None:
    page = report.page
    assert page.viewport_size["width"] == 1280
    layout = _layout(page)
    assert layout["scroll"] <= 0, "the page scrolls sideways"
    assert layout["wide"] == [], "elements reach past the viewport"
    assert layout["clipped"] == [], "content wider than its box (a clipped or scrolled table)"
    for table in ("indicator-table", "check-table"):
        box = page.locator(f"#{table}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
        # Every column is on the page: the last header cell ends inside the viewport.
        last = page.locator(f"#{table} thead th").last.bounding_box()
        assert last["x"] + last["width"] <= 1280


@pytest.mark.browser
def test_the_layout_check_catches_a_table_wider_than_the_page(report) -> None:
    """The measurements above can fail: the old layout (columns as wide as their
    longest unbroken id, in a sideways-scrolling box) is caught."""
    page = report.page
    page.add_style_tag(content="table { table-layout: auto !important; } "
                               "td, td * { white-space: nowrap !important; } "
                               ".tablewrap { overflow-x: auto; }")
    layout = _layout(page)
    assert any("tablewrap" in item for item in layout["clipped"]), layout["clipped"][:5]


@pytest.mark.browser
def test_chart_texts_legends_and_headings_do_not_overlap(report) -> None:
    layout = _layout(report.page)
    assert layout["overlaps"] == [], "chart texts drawn over each other"
    assert layout["blocks"] == [], "headings, charts, captions or cards drawn over each other"
    # The check can fail: moving a chart title onto its legend is caught.
    page = report.page
    page.evaluate("""() => { const svg = document.querySelector('#chart-series-figure svg');
        const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
        const title = texts.find(t => t.textContent.startsWith('Indicators stated'));
        const other = texts.find(t => t !== title && t.textContent.trim() === '000');
        for (const a of ['x', 'y', 'transform']) title.setAttribute(a, other.getAttribute(a)); }""")
    assert _layout(page)["overlaps"], "a title drawn over a legend entry is not noticed"


@pytest.mark.browser
def test_time_axis_labels_months_as_dates(report) -> None:
    texts = report.page.locator("#chart-series-figure svg text").all_text_contents()
    labels = [t.strip() for t in texts]
    assert "2022-03" in labels and "2023-03" in labels
    assert not [t for t in labels if re.fullmatch(r"\d{4}\.\d+", t)], "decimal years on an axis"
    legend = report.page.locator("#chart-legend tbody tr")
    assert legend.count() >= 5
    assert report.page.locator('#chart-legend tr[data-label="000"] td.mono').inner_text() == \
        "000_451eeb3f8d9b8ea0"


@pytest.mark.browser
def test_section_headings_land_below_the_sticky_navigation(report) -> None:
    page = report.page
    for name in SECTIONS:
        page.locator(f'nav.toc a[href="#{name}"]').click()
        nav = page.locator("nav.toc").bounding_box()
        heading = page.locator(f"#{name}-h").bounding_box()
        assert heading["y"] >= nav["y"] + nav["height"] - 1, name


@pytest.mark.browser
def test_screenshot_and_charts_are_not_blank(report, tmp_path: Path) -> None:
    page = report.page
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert _variance(shot.read_bytes()) > 100
    # One picture per section at 1280 px, beside the page, for a person to look at.
    for name in SECTIONS:
        section = page.locator(f"#{name}")
        section.screenshot(path=str(shot.with_name(f"screenshot-{name}.png")))
    for name in ("matrix", "series", "checks"):
        figure = page.locator(f"#chart-{name}-figure svg")
        assert figure.get_attribute("role") == "img"
        assert page.locator(f"#chart-{name}-title").text_content().strip()
        alt = page.locator(f"#chart-{name}-alt").inner_text()
        # A sentence or two, with one short line per panel or kind listed under it.
        assert 20 < len(alt) < 600, alt
        details = page.locator(f"#chart-{name}-details li").all_inner_texts()
        assert all(len(line) < 200 for line in details), details
        assert _variance(figure.screenshot()) > 100, f"chart {name} is blank"


def test_snakemake_report_succeeds(built: Path, tmp_path: Path) -> None:
    # The report reads Snakemake's records of the run (.snakemake/): copied too.
    workdir = tmp_path / "ws"
    shutil.copytree(built, workdir, symlinks=True)
    result = subprocess.run(["snakemake", "--report", "results/report/snakemake.html"],
                            cwd=workdir, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (workdir / "results" / "report" / "snakemake.html").read_text(encoding="utf-8")
    assert "matrix.svg" in html and "index.html" in html


@pytest.mark.browser
def test_script_in_a_quote_renders_as_text_and_runs_nothing(chromium, built: Path,
                                                            tmp_path: Path) -> None:
    workdir = copy_workspace(built, tmp_path / "ws")
    source_id = "000_451eeb3f8d9b8ea0"
    source = workdir / "raw" / "sources" / f"{source_id}.txt"
    table = workdir / "raw" / "tables" / f"{source_id}.csv"
    quote = "建成45个国家先进制造业集群"
    original = source.read_text(encoding="utf-8")
    assert original.count(quote) == 1 and table.read_text(encoding="utf-8").count(quote) >= 1
    # The same text in the document and its transcription, the checksum re-pinned: the
    # quote is still proven verbatim, so it reaches the report as data.
    source.write_text(original.replace(quote, INJECTED + quote), encoding="utf-8")
    table.write_text(table.read_text(encoding="utf-8").replace(quote, INJECTED + quote),
                     encoding="utf-8")
    manifest = workdir / "raw" / "sources.csv"
    rows = manifest.read_text(encoding="utf-8").replace(
        hashlib.sha256(original.encode("utf-8")).hexdigest(),
        hashlib.sha256(source.read_bytes()).hexdigest()).splitlines()
    # Where the document came from (a reserved example domain: test data, not a claim).
    line = next(i for i, r in enumerate(rows) if r.startswith(source_id))
    assert rows[0].endswith(",url,retrieved") and rows[line].endswith(",,")
    rows[line] = rows[line][:-2] + f",{URL},2024-01-15"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _run(workdir)  # the report is written whether or not the audit may publish
    observations = _rows(workdir / "results" / "validation" / "audit" / "observations.csv")
    assert any(INJECTED in o["quote"] for o in observations)
    published = {r["source_id"]: r for r in _rows(workdir / "results" / "validation" / "audit"
                                                  / "sources.csv")}
    assert (published[source_id]["url"], published[source_id]["retrieved"]) == (URL, "2024-01-15")

    opened = Opened(chromium, workdir)
    try:
        page = opened.page
        page.wait_for_timeout(300)
        assert opened.dialogs == []
        assert page.evaluate("document.scripts.length") == 1
        quotes = page.locator("blockquote.quote", has_text=INJECTED)
        assert quotes.count() >= 1 and INJECTED + quote in quotes.first.inner_text()
        assert INJECTED in page.locator(f"#text-{source_id} .source-text").inner_text()
        link = page.locator(f"#source-{source_id} a.source-url")
        assert link.get_attribute("href") == URL and link.inner_text() == URL
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert "on 2024-01-15" in page.locator(f"#source-{source_id} dd.provenance").inner_text()
        assert opened.requests == [opened.url]
    finally:
        opened.close()
