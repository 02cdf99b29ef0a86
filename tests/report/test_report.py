"""The audit report, built from small hand-made audit tables (no workflow run)."""

from __future__ import annotations

import csv
import json
import re
from html import unescape
from pathlib import Path

import pytest

from greenaudit import tables
from greenaudit.errors import InputError
from greenaudit.text.normalise import Cleaning
from greenaudit.report import ReportPaths, build_report
from greenaudit.report.build import script_hash
from greenaudit.report.inputs import read_tables, source_of_path
from greenaudit.report.sourcetext import Located, find_quantity, highlight, locate, render_text

INJECTED = "<script>alert(1)</script>"
# Every element the page's template and charts write: a quote's markup never adds one.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
             "nav", "a", "main", "section", "div", "dl", "dt", "dd", "span", "small", "ul",
             "li", "strong", "code", "article", "table", "colgroup", "col", "thead", "tbody",
             "tr", "th", "td", "button", "figure", "figcaption", "label", "input", "ol",
             "blockquote", "mark", "wbr", "br", "caption", "time", "footer", "script", "svg", "desc",
             "defs", "g", "path", "text", "use", "clipPath", "rect"}
HANS = "s1_hans"
HANT = "s2_hant"

MANIFEST = [
    ["source_id", "file", "sha256", "title", "publisher", "published", "script", "kind",
     "drop_strings", "strip_patterns"],
    [HANS, f"raw/sources/{HANS}.txt", "a" * 64, "标题<b>一</b>", "出版者", "2023", "Hans", "news", "广告", ""],
    [HANT, f"raw/sources/{HANT}.txt", "b" * 64, "標題", "出版者", "2024", "Hant", "news", "",
     r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)"],
]
CATALOG = """indicators:
  share_a:
    name_en: Share A
    name_zh: 甲比重
  share_a_change:
    name_en: Change of share A
    name_zh: 甲比重提高
  count_b:
    name_en: Count B
    name_zh: 乙数量
"""
# Normalised texts as staging writes them (no whitespace, cleaning applied).
TEXTS = {
    HANS: f"2012年甲比重为9.4%。2022年甲比重达到15.5%,较2012年提高了6.1个百分点。引用{INJECTED}有45个。",
    HANT: "到2022年,甲比重超过15%。",
}
# The published header (greenaudit.tables); the rows below leave out its trailing empty
# columns, which _write_csv fills in.
OBSERVATION_COLUMNS = tables.OBSERVATIONS.published_names
OBSERVATIONS = [
    (HANS, 2, "share_a", "2012", "", "9.4%", "9.4", "%", "exact", "9.4", "percent", "9.35", "9.45",
     "2012年甲比重为9.4%", "verified", "", "", "", "", "", ""),
    (HANS, 3, "share_a", "2022", "", "15.5%", "15.5", "%", "exact", "15.5", "percent", "15.45",
     "15.55", "2022年甲比重达到15.5%", "verified", "", "", "", "", "", ""),
    (HANS, 4, "share_a_change", "2012-2022", "", "6.1", "6.1", "", "exact", "6.1",
     "percentage_point", "6.05", "6.15", "较2012年提高了6.1个百分点", "verified", "", "", "", "",
     "unit_implied", ""),
    (HANS, 5, "count_b", "2022", "", "45个", "45", "个", "exact", "45", "count", "44.5", "45.5",
     f"引用{INJECTED}有45个", "verified", "", "", "", "", "", "note with <i>markup</i>"),
    (HANT, 2, "share_a", "2022", "", "超过15%", "15", "%", "lower_bound", "15", "percent", "15",
     "100", "到2022年,甲比重超過(guò)15%", "verified", "", "", "", "", "", ""),
]
INDICATORS = [
    ("indicator_id", "period", "breakdown", "value", "unit_canonical", "lower", "upper", "n_sources",
     "sources", "agreement", "flags", "value_source", "derivation"),
    ("count_b", "2022", "", "45", "count", "44.5", "45.5", "1", HANS, "single_source", "", HANS, ""),
    ("share_a", "2012", "", "9.4", "percent", "9.35", "9.45", "2", f"{HANS};derived:share_identity",
     "agree", "", HANS, "share_a@2022 - share_a_change@2012-2022"),
    ("share_a", "2022", "", "15.5", "percent", "15.45", "15.55", "2", f"{HANS};{HANT}", "agree", "",
     HANS, ""),
    ("share_a", "2023", "", "16", "percent", "15", "17", "1", "derived:growth_rule", "derived", "",
     "derived:growth_rule", ""),
    ("share_a_change", "2012-2022", "", "6.1", "percentage_point", "6.05", "6.15", "1", HANS,
     "conflict", "", HANS, ""),
]
CHECKS = [
    ("check_id", "kind", "severity", "status", "target", "n_items", "n_failed", "message"),
    ("agreement.conflicts_declared", "agreement", "error", "fail", "indicators", "3", "1",
     f"share_a_change/2012-2022: {INJECTED} undeclared conflict"),
    ("derived.share_identity", "derived", "error", "pass", "schemas/rules.yaml", "1", "0",
     "[9.35, 9.45] overlaps [9.3, 9.5]"),
    ("evidence.s1_hans", "evidence", "error", "pass", "raw/tables/s1_hans.csv", "4", "0", "ok"),
    ("range.plausible.s1_hans", "plausibility", "warning", "fail", "raw/tables/s1_hans.csv", "4", "1",
     "count_b 2022 is implausible"),
    ("source.checksum.s1_hans", "manifest", "error", "pass", "raw/sources/s1_hans.txt", "1", "0", "ok"),
]
FINDINGS = [
    ("check_id", "severity", "source_id", "row_number", "indicator_id", "period", "breakdown", "message"),
    ("agreement.conflicts_declared", "error", HANS, "4", "share_a_change", "2012-2022", "",
     "states 6.1, another source 6.5"),
    ("range.plausible.s1_hans", "warning", HANS, "5", "count_b", "2022", "", "45 outside [50, 60]"),
]
COVERAGE = [
    ("source_id", "start", "end", "mention", "status", "reason"),
    (HANS, "0", "5", "2012年", "ignored", "date"),
    (HANS, "10", "14", "9.4%", "transcribed", ""),
    (HANT, "3", "8", "2022年", "missing", ""),
]


def _write_csv(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        width = len(rows[0])
        csv.writer(handle, lineterminator="\n").writerows(
            [*row, *[""] * (width - len(row))] for row in rows)
    return path


def make_workspace(root: Path, with_coverage: bool = True) -> ReportPaths:
    """A workspace and audit outputs, with normalised texts in a sharded layout."""
    _write_csv(root / "raw" / "sources.csv", MANIFEST)
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "indicators.yaml").write_text(CATALOG, encoding="utf-8")
    audit = root / "results" / "validation" / "audit"
    tables = [
        _write_csv(audit / "observations.csv", [OBSERVATION_COLUMNS, *OBSERVATIONS]),
        _write_csv(audit / "indicators.csv", INDICATORS),
        _write_csv(audit / "checks.csv", CHECKS),
        _write_csv(audit / "findings.csv", FINDINGS),
    ]
    if with_coverage:
        tables.append(_write_csv(audit / "coverage.csv", COVERAGE))
    status = root / "results" / "validation" / "status.json"
    status.write_text(json.dumps({"publishable": False, "errors": [
        {"check_id": "agreement.conflicts_declared", "message": "undeclared conflict"}]}),
        encoding="utf-8")
    normalised = []
    for source_id, text in TEXTS.items():
        path = root / "results" / "staging" / "shard-0" / f"{source_id}.normalised.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        normalised.append(path)
    failure_cases = _write_csv(root / "results" / "validation" / "pandera" / "failure_cases.csv",
                               [("table", "column", "check", "failure_case", "index"),
                                ("observations", "value", "greater_than(0)", "<b>-1</b>", "3")])
    report = root / "results" / "report"
    return ReportPaths(workspace=root, tables=tables, status=status, normalised=normalised,
                       out=report / "index.html", failure_cases=failure_cases,
                       data_docs=root / "results" / "validation" / "gx" / "data_docs",
                       charts=[report / "charts" / f"{n}.svg" for n in ("matrix", "series", "checks")])


def page_text(path: Path) -> str:
    """The page's HTML without <wbr>, the line-break opportunities it puts into long
    ids and messages (so that an id reads as one string)."""
    return path.read_text(encoding="utf-8").replace("<wbr>", "")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[ReportPaths, str]:
    paths = make_workspace(tmp_path_factory.mktemp("report"))
    build_report(paths)
    return paths, page_text(paths.out)


# ------------------------------------------------------------- source texts

def test_find_quantity_prefers_a_standalone_number() -> None:
    assert find_quantity("从28.2%降到28%", "28%") == (8, 11)
    assert find_quantity("6.296.10和6.29", "6.29") == (9, 13)
    assert find_quantity("只有28.2%", "28") == (2, 4)  # no standalone one: the first
    assert find_quantity("没有", "28") is None


def test_locate_and_highlight_through_the_sources_cleaning() -> None:
    cleaning = Cleaning((), (r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)",), True)
    quote = "到2022年,甲比重超過(guò)15%"
    where = locate(TEXTS[HANT], "a1", quote, "超过15%", cleaning)
    assert where is not None
    assert TEXTS[HANT][where.start:where.end] == "到2022年,甲比重超过15%"
    assert TEXTS[HANT][where.quantity_start:where.quantity_end] == "超过15%"
    # The quote is shown as transcribed, with the quantity found in traditional script.
    assert highlight(quote, "超过15%", cleaning) == [("到2022年,甲比重", ""),
                                                   ("超過(guò)15%", "qty")]
    assert locate(TEXTS[HANT], "a2", "不在文中", "1", cleaning) is None


def test_a_context_qualifier_is_marked_apart_from_the_quantity() -> None:
    quote = "重复用水率分别超过97%和95%"
    assert highlight(quote, "95%", Cleaning(), qualifier="分别超过") == [
        ("重复用水率", ""), ("分别超过", "qual"), ("97%和", ""), ("95%", "qty")]
    # A qualifier the quote does not hold marks nothing but the quantity.
    assert highlight(quote, "95%", Cleaning(), qualifier="约为") == [
        ("重复用水率分别超过97%和", ""), ("95%", "qty")]


def test_locate_takes_the_occurrences_the_row_names() -> None:
    text = "增长5%。甲增长5%,乙增长5%。"     # a normalised text: NFKC, no spaces
    first = locate(text, "a", "增长5%", "5%", Cleaning())
    assert (first.start, first.quantity_start) == (0, 2)
    third = locate(text, "a", "增长5%", "5%", Cleaning(), occurrence=3)
    assert (third.start, third.quantity_start) == (text.rindex("增长5%"), text.rindex("5%"))
    pair = locate(text, "a", "甲增长5%，乙增长5%", "5%", Cleaning(), quantity_occurrence=2)
    assert text[pair.quantity_start:pair.quantity_end] == "5%"
    assert pair.quantity_start == text.rindex("5%")
    assert highlight("甲增长5%，乙增长5%", "5%", Cleaning(), quantity_occurrence=2) == [
        ("甲增长5%，乙增长", ""), ("5%", "qty")]


def test_render_text_escapes_and_anchors_overlapping_quotes() -> None:
    text = "a<b>c&d"
    html = str(render_text(text, [Located("x", 0, 5, 1, 4), Located("y", 2, 7)]))
    assert set(re.findall(r"<(\w+)", html)) == {"span", "mark"}, "only the page's own tags"
    assert unescape(re.sub(r"<[^>]+>", "", html)) == text
    assert html.count('id="x"') == 1 and html.count('id="y"') == 1
    marks = re.findall(r'<mark class="([^"]+)" data-q="([^"]+)">(.*?)</mark>', html)
    joined = {anchor: unescape("".join(piece for _, q, piece in marks if anchor in q.split()))
              for anchor in ("x", "y")}
    assert joined == {"x": "a<b>c", "y": "b>c&d"}
    assert unescape("".join(piece for css, _, piece in marks if "qty" in css)) == "<b>"


# ---------------------------------------------------------------- inputs

def test_source_of_path_accepts_per_source_dirs_and_shards(tmp_path: Path) -> None:
    ids = ["a1", "b2"]
    assert source_of_path(Path("results/staging/a1/normalised.txt"), ids) == "a1"
    assert source_of_path(Path("results/staging/shard-3/b2.normalised.txt"), ids) == "b2"
    with pytest.raises(InputError, match="found none"):
        source_of_path(Path("results/staging/shard-3/normalised.txt"), ids)
    with pytest.raises(InputError, match="a1, b2"):
        source_of_path(Path("results/a1/b2.txt"), ids)


def test_missing_table_is_a_clear_error(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "checks.csv", CHECKS)
    with pytest.raises(InputError, match="findings.csv, indicators.csv, observations.csv"):
        read_tables([path])


# ------------------------------------------------------------------ page

def test_headline_counts_come_from_the_tables(built) -> None:
    _, html = built
    counts = dict(re.findall(r'data-count="([^"]+)">(\d+)<', html))
    assert counts["sources"] == "2"
    assert counts["observations"] == str(len(OBSERVATIONS))
    assert counts["indicators"] == str(len(INDICATORS) - 1)
    assert counts["indicator-ids"] == "3"
    assert (counts["checks"], counts["checks-pass"], counts["checks-fail"]) == ("5", "3", "2")
    assert (counts["fail-error"], counts["fail-warning"], counts["fail-info"]) == ("1", "1", "0")
    assert counts["verdict-agree"] == "2" and counts["verdict-derived"] == "1"
    assert counts["verdict-conflict"] == "1" and counts["verdict-agree_within_rounding"] == "0"
    assert counts["failure-cases"] == "1"
    assert 'data-publishable="false"' in html


def test_all_source_text_is_escaped(built) -> None:
    paths, html = built
    assert html.count("<script") == 1  # the page's own script only
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html and "<i>markup</i>" not in html
    assert "标题&lt;b&gt;一&lt;/b&gt;" in html and "&lt;b&gt;-1&lt;/b&gt;" in html
    raw = paths.out.read_text(encoding="utf-8")
    assert set(re.findall(r"<(\w+)", raw)) - PAGE_TAGS == set(), "only the page's own elements"


def test_page_is_self_contained_and_its_script_is_pinned(built) -> None:
    paths, html = built
    assert not re.search(r'\b(src|href)="(?!#)(?!\.\./)', html), "no external or absolute URL"
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    script = re.search(r"<script>(.*?)</script>", html, flags=re.S)[1]
    assert f"script-src '{script_hash(script)}'" in html
    assert 'href="../validation/gx/data_docs/index.html"' in html
    assert 'href="../validation/pandera/failure_cases.csv"' in html


def test_failing_checks_come_first_with_their_rows(built) -> None:
    _, html = built
    attention = html[html.index('id="attention"'):html.index('id="charts"')]
    assert attention.index("agreement.conflicts_declared") < attention.index("range.plausible.s1_hans")
    assert "states 6.1, another source 6.5" in attention
    assert 'href="#ev-share_a_change-2012-2022"' in attention
    assert f'href="#src-{HANS}-r4"' in attention


def test_evidence_links_land_on_located_quotes(built) -> None:
    _, html = built
    for source_id, row, *_ in OBSERVATIONS:
        anchor = f"src-{source_id}-r{row}"
        assert f'href="#{anchor}"' in html
        assert html.count(f'id="{anchor}"') == 1


def test_derived_values_coverage_and_extra_columns_are_shown(built) -> None:
    _, html = built
    evidence = html[html.index('id="ev-share_a-2012"'):html.index('id="ev-share_a-2022"')]
    assert "share_identity" in evidence and "derived.share_identity" in evidence
    assert "[9.35, 9.45] overlaps [9.3, 9.5]" in evidence
    assert "derivation: share_a@2022 - share_a_change@2012-2022" in evidence
    assert "derived:growth_rule" in html
    sources = html[html.index('id="sources"'):html.index('id="validation"')]
    assert re.search(r"missing</span> 1", sources)
    assert "traditional script converted to simplified" in sources
    assert "injected string removed: 广告" in sources


def test_charts_have_titles_text_alternatives_and_unique_ids(built) -> None:
    paths, html = built
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 3
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "ids are unique across the page"
    for svg in svgs:
        name = re.search(r'aria-labelledby="(\S+)-title', svg)[1]
        assert f'<title id="{name}-title">' in svg and f'<desc id="{name}-desc">' in svg
        assert "<style" not in svg
        for ref in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg):
            assert (ref[0] or ref[1]).startswith(name + "-")
    for chart in paths.charts:
        text = chart.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and "<title" in text


def test_report_is_byte_identical_across_runs(built, tmp_path: Path) -> None:
    paths, html = built
    again = make_workspace(tmp_path)
    build_report(again)
    assert str(paths.workspace) not in html, "no absolute paths in the page"
    assert again.out.read_bytes() == paths.out.read_bytes()
    for first, second in zip(paths.charts, again.charts):
        assert first.read_bytes() == second.read_bytes()


def test_report_without_coverage_says_so(tmp_path: Path) -> None:
    paths = make_workspace(tmp_path, with_coverage=False)
    build_report(paths)
    assert "no coverage audit in this run" in paths.out.read_text(encoding="utf-8")


def test_unknown_chart_file_name_is_refused(tmp_path: Path) -> None:
    paths = make_workspace(tmp_path)
    bad = ReportPaths(**{**paths.__dict__, "charts": [tmp_path / "pie.svg"]})
    with pytest.raises(InputError, match="matrix.svg, series.svg, checks.svg"):
        build_report(bad)
    assert not paths.out.exists()


# ---------------------------------------------------------------- charts side by side

def _chart(name: str):
    from greenaudit.report.charts import Chart

    return Chart(name, f"title {name}", "text", f"<svg>{name} {'x' * 200_000}</svg>")


def test_side_by_side_gives_the_charts_in_order():
    from greenaudit.report.build import side_by_side

    charts = side_by_side(lambda: _chart("a"), lambda: [_chart("b"), _chart("c")])
    assert charts == [_chart("a"), _chart("b"), _chart("c")]  # larger than a pipe's buffer


def test_a_failing_child_is_rendered_here_instead():
    import os

    from greenaudit.report.build import side_by_side

    parent = os.getpid()

    def first():
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return _chart("a")

    assert side_by_side(first, lambda: [_chart("b")]) == [_chart("a"), _chart("b")]


def test_an_error_here_stops_the_child_and_is_raised():
    import os

    from greenaudit.report.build import side_by_side

    def rest():
        raise ValueError("no charts")

    with pytest.raises(ValueError, match="no charts"):
        side_by_side(lambda: _chart("a"), rest)
    with pytest.raises(ChildProcessError):  # no child left behind
        os.waitpid(-1, os.WNOHANG)
