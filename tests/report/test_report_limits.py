"""The bounded report: small limits on hand-made tables, and the sweep that marks quotes.

Every count on the page is over the full tables; each long list shows at most its
limit, chosen in order of attention, says "N of M" and names the file with them all.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from markupsafe import escape
from test_report import (HANS, HANT, INJECTED, OBSERVATION_COLUMNS, TEXTS, _write_csv,
                         make_workspace, page_text)

from greenaudit.errors import InputError
from greenaudit.report import Limits, build_report
from greenaudit.report.sourcetext import Located, render_excerpts, render_text

# ----------------------------------------------------------------- tables

IDS = [f"ind_{i:02d}" for i in range(12)]
CONFLICTS = {"ind_03", "ind_07"}
NAMED = "ind_09"            # a finding names it (its verdict is agree)
WITHIN = "ind_05"           # agree_within_rounding
VERDICT = {i: "conflict" if i in CONFLICTS else "agree_within_rounding" if i == WITHIN
           else "agree" for i in IDS}
QUOTE = "2022年甲比重达到15.5%"  # in TEXTS[HANS]


def _observation(source_id: str, row: int, indicator_id: str, evidence: str = "verified",
                 quote: str = QUOTE) -> tuple:
    return (source_id, row, indicator_id, "2022", "", "15.5%", "15.5", "%", "exact", "15.5",
            "percent", "15.45", "15.55", quote, evidence, "", "", "", "", "", "")


# ind_03 is stated four times: row 12 is named by a finding, row 13's quote was not found.
OBSERVATIONS = ([_observation(HANS, 10 + k, "ind_03",
                              "not_found" if k == 3 else "verified") for k in range(4)]
                + [_observation(HANS, 20 + k, i) for k, i in enumerate(IDS) if i != "ind_03"]
                + [_observation(HANT, 2, "ind_07", quote="到2022年,甲比重超過(guò)15%")])
INDICATORS = [("indicator_id", "period", "breakdown", "value", "unit_canonical", "lower",
               "upper", "n_sources", "sources", "agreement", "flags", "value_source")] + [
    (i, "2022", "", "15.5", "percent", "15.45", "15.55", "1", HANS, VERDICT[i], "", HANS)
    for i in IDS]
FAILING = {"c.error.b": "error", "c.error.a": "error", "c.warn.a": "warning",
           "c.info.a": "info", "c.warn.b": "warning"}
CHECK_IDS = ["c.a.pass", "c.error.a", "c.error.b", "c.info.a", "c.m.pass", "c.warn.a",
             "c.warn.b", "c.z.pass"]
CHECK_COLUMNS = ("check_id", "kind", "severity", "status", "target", "n_items", "n_failed",
                 "message")
CHECKS = [CHECK_COLUMNS] + [
    (c, c.split(".")[1] if c in FAILING else "other", FAILING.get(c, "error"),
     "fail" if c in FAILING else "pass", "t", "3", "1" if c in FAILING else "0",
     f'{c}: a message, with "quotes"\nand a second line') for c in CHECK_IDS]
FINDINGS = [("check_id", "severity", "source_id", "row_number", "indicator_id", "period",
             "breakdown", "message")] + [
    ("c.error.a", "error", HANS, str(100 + k), sorted(CONFLICTS)[k % 2], "2022", "",
     f"finding {k}") for k in range(5)] + [
    ("c.warn.b", "warning", HANS, "12", "ind_03", "2022", "", "row 12 is wrong"),
    ("c.warn.b", "warning", HANS, str(20 + IDS.index(NAMED) - 1), NAMED, "2022", "", "named")]


def _workspace(root: Path) -> Path:
    paths = make_workspace(root)
    audit = root / "results" / "validation" / "audit"
    _write_csv(audit / "observations.csv", [OBSERVATION_COLUMNS, *OBSERVATIONS])
    _write_csv(audit / "indicators.csv", INDICATORS)
    _write_csv(audit / "checks.csv", CHECKS)
    _write_csv(audit / "findings.csv", FINDINGS)
    return paths


SMALL = Limits(indicators=4, evidence=2, statements=2, failing_checks=3, findings=2, checks=6,
               sources=1, texts=1, text_chars=10_000, text_total=10_000, failure_cases=1)


def _build(root: Path, limits: Limits, padding: int = 0) -> str:
    paths = replace(_workspace(root), limits=limits)
    if padding:
        # A long text: the quotes sit between long runs of other characters.
        hans = next(p for p in paths.normalised if HANS in p.name)
        hans.write_text("乙" * padding + TEXTS[HANS] + "丙" * padding, encoding="utf-8")
    build_report(paths)
    return page_text(paths.out)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> str:
    return _build(tmp_path_factory.mktemp("small"), SMALL)


def _section(html: str, name: str, following: str) -> str:
    return html[html.index(f'<section id="{name}"'):html.index(f'<section id="{following}"')]


def _caps(html: str) -> dict[str, tuple[int, int]]:
    return {name: (int(shown), int(total)) for name, shown, total in re.findall(
        r'data-cap="([^"]+)" data-shown="(\d+)" data-total="(\d+)"', html)}


# --------------------------------------------------------------- the caps

def test_counts_are_over_the_full_tables(small: str) -> None:
    counts = dict(re.findall(r'data-count="([^"]+)">(\d+)<', small))
    assert counts["observations"] == str(len(OBSERVATIONS))
    assert counts["indicators"] == str(len(IDS))
    assert (counts["checks"], counts["checks-fail"]) == (str(len(CHECK_IDS)), str(len(FAILING)))
    assert (counts["fail-error"], counts["fail-warning"], counts["fail-info"]) == ("2", "2", "1")
    assert counts["verdict-conflict"] == "2" and counts["verdict-agree"] == str(len(IDS) - 3)
    assert counts["failure-cases"] == "1"
    sources = _section(small, "sources", "validation")
    assert f"{sum(o[0] == HANS for o in OBSERVATIONS)} transcribed" in sources


def test_each_capped_list_says_n_of_m_and_where_all_are(small: str) -> None:
    assert _caps(small) == {"failing-checks": (3, 5), "findings": (2, 5), "indicators": (4, 12),
                            "evidence": (2, 12), "statements": (2, 4), "checks": (6, 8),
                            "sources": (1, 2), "texts": (1, 2)}
    notes = {name: unescape(re.sub(r"<[^>]+>", "", note)) for name, note in re.findall(
        r'<p class="muted cap" data-cap="([^"]+)"[^>]*>(.*?)</p>', small)}
    assert notes["indicators"].startswith("Showing 4 of 12 indicator-periods")
    # The audit did not publish (status.json says so): the full tables are the validated ones.
    assert "results/validation/audit/indicators.csv" in notes["indicators"]
    assert "results/validation/audit/findings.csv" in notes["findings"]
    assert notes["checks"].startswith("Showing 6 of 8 checks")
    assert "raw/sources.csv" in notes["sources"]


def test_failing_checks_come_first_by_severity_and_findings_in_file_order(small: str) -> None:
    attention = _section(small, "attention", "charts")
    assert re.findall(r'<article class="check \w+" id="fail-([^"]+)"', attention) == [
        "c.error.a", "c.error.b", "c.warn.a"]
    assert "finding 0" in attention and "finding 1" in attention
    assert "finding 2" not in attention
    checks = _section(small, "checks", "sources")
    shown = re.findall(r'<tr><td class="mono">([^<]+)</td>', checks)
    # Every failing check is kept; the one passing check that fits is the first in the file.
    assert shown == [c for c in CHECK_IDS if c in FAILING or c == "c.a.pass"]
    assert 'a message, with &#34;quotes&#34;\nand a second line' in checks


def test_conflicts_and_named_indicators_are_kept_and_shown_in_table_order(small: str) -> None:
    table = _section(small, "indicators", "evidence")
    assert re.findall(r'<tr data-key="(\S+) 2022">', table) == ["ind_03", "ind_05", "ind_07",
                                                                 "ind_09"]
    assert 'id="indicator-shown">4</span> of 4 shown' in table
    evidence = _section(small, "evidence", "checks")
    assert re.findall(r'<article class="evidence" id="ev-(\S+)-2022">', evidence) == [
        "ind_03", "ind_07"]
    # Rows without an evidence entry are not links to one.
    assert 'href="#ev-ind_03-2022"' in table and 'href="#ev-ind_09-2022"' not in table


def test_problem_statements_come_first(small: str) -> None:
    evidence = _section(small, "evidence", "checks")
    entry = evidence[evidence.index('id="ev-ind_03-2022"'):evidence.index('id="ev-ind_07-2022"')]
    rows = re.findall(r"</span>, row (\d+):", entry)
    assert rows == ["12", "13"]  # named by a finding; evidence not_found (10 and 11 are clean)
    assert "Showing 2 of 4 statements" in entry


def test_only_embedded_texts_are_shown_and_others_say_so(small: str) -> None:
    texts = small[small.index('<section id="texts"'):]
    assert re.findall(r'<article class="text" id="text-([^"]+)"', texts) == [HANS]
    assert "source text not shown in this page" in _section(small, "evidence", "checks")
    sources = _section(small, "sources", "validation")
    assert f'id="source-{HANS}"' in sources and f'id="source-{HANT}"' not in sources


def test_gate_errors_are_capped_but_counted(tmp_path: Path) -> None:
    paths = replace(_workspace(tmp_path), limits=replace(SMALL, status_errors=2))
    errors = [{"check_id": f"c.error.{k}", "message": f"error {k}"} for k in range(5)]
    paths.status.write_text(json.dumps({"publishable": False, "errors": errors}),
                            encoding="utf-8")
    build_report(paths)
    verdict = page_text(paths.out)
    verdict = verdict[verdict.index('id="verdict"'):verdict.index('id="headline"')]
    assert "Not published: 5 error(s)." in verdict
    assert "error 1" in verdict and "error 2" not in verdict
    assert _caps(verdict) == {"status-errors": (2, 5)}
    assert "results/validation/status.json" in verdict


def test_limits_that_show_everything_add_no_note(tmp_path: Path) -> None:
    html = _build(tmp_path, Limits())
    assert _caps(html) == {}
    assert len(re.findall(r'<article class="evidence"', html)) == len(IDS)


def test_bounded_report_is_byte_identical_across_builds(small: str, tmp_path: Path) -> None:
    assert _build(tmp_path, SMALL) == small


def test_long_texts_are_excerpted_around_their_quotes(tmp_path: Path) -> None:
    html = _build(tmp_path, replace(SMALL, text_chars=1000, text_total=1000), padding=2000)
    texts = html[html.index('<section id="texts"'):]
    assert f'data-excerpted="{len(TEXTS[HANS]) + 4000}"' in texts
    shown = texts[texts.index('<div class="source-text"'):texts.index("</article>")]
    plain = unescape(re.sub(r"<[^>]+>", "", shown))
    assert plain.startswith(" […] 乙") and plain.rstrip().endswith("丙 […]")
    assert "2022年甲比重达到15.5%" in plain and len(plain) < 1000
    assert f'id="src-{HANS}-r12"' in shown  # the quote a link points to is in the excerpt


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="statements"):
        Limits(statements=0)
    result = subprocess.run([sys.executable, "-m", "greenaudit.cli", "report", "--max-texts", "0"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "--max-texts" in result.stderr


def test_a_table_without_its_key_columns_is_a_located_error(tmp_path: Path) -> None:
    paths = _workspace(tmp_path)
    _write_csv(paths.tables[2], [("id", "status"), ("a", "pass")])
    with pytest.raises(InputError, match="check_id, kind, severity") as raised:
        build_report(paths)
    assert raised.value.located().startswith(f"{paths.tables[2]}:1")


# ------------------------------------------------------- the quote sweep

def _reference(text: str, located: list[Located]) -> str:
    """The former quadratic marking (every piece against every quote), for comparison."""
    cuts = {0, len(text)}
    for loc in located:
        cuts.update((loc.start, loc.end))
        if loc.quantity_start is not None:
            cuts.update((loc.quantity_start, loc.quantity_end))
    starts: dict[int, list[str]] = {}
    for loc in sorted(located, key=lambda item: item.anchor):
        starts.setdefault(loc.start, []).append(loc.anchor)
    points = sorted(cuts)
    parts = []
    for a, b in zip(points, points[1:]):
        for anchor in starts.get(a, ()):
            parts.append(f'<span class="anchor" id="{escape(anchor)}"></span>')
        covering = sorted(loc.anchor for loc in located if loc.start <= a and b <= loc.end)
        piece = str(escape(text[a:b])).replace("。", "。<br>")
        if not covering:
            parts.append(piece)
            continue
        quantity = any(loc.quantity_start is not None and loc.quantity_start <= a
                       and b <= loc.quantity_end for loc in located)
        css = "q qty" if quantity else "q"
        parts.append(f'<mark class="{css}" data-q="{escape(" ".join(covering))}">{piece}</mark>')
    return "".join(parts)


def test_sweep_marks_adjacent_quotes_separately() -> None:
    html = str(render_text("abcdef", [Located("b", 3, 6), Located("a", 0, 3, 1, 2)]))
    assert html == ('<span class="anchor" id="a"></span><mark class="q" data-q="a">a</mark>'
                    '<mark class="q qty" data-q="a">b</mark><mark class="q" data-q="a">c</mark>'
                    '<span class="anchor" id="b"></span><mark class="q" data-q="b">def</mark>')


def test_sweep_renders_a_script_in_the_text_as_text() -> None:
    text = f"前{INJECTED}后。"
    html = str(render_text(text, [Located("x", 1, 1 + len(INJECTED)), Located("y", 0, 3)]))
    assert "<script" not in html
    assert unescape(re.sub(r"<[^>]+>", "", html)) == text


def test_sweep_equals_the_quadratic_marking_on_random_overlaps() -> None:
    draw = random.Random(7)
    for _ in range(300):
        text = "".join(draw.choice("ab。<&>1") for _ in range(draw.randint(1, 40)))
        located = []
        for k in range(draw.randint(0, 8)):
            start = draw.randrange(len(text))
            end = draw.randint(start + 1, len(text))
            quantity = None
            if draw.random() < 0.5:
                q_start = draw.randint(start, end - 1)
                quantity = (q_start, draw.randint(q_start + 1, end))
            # Anchors may repeat: two quotes of one row are both listed.
            anchor = f"q{draw.randrange(5)}"
            located.append(Located(anchor, start, end, *(quantity or (None, None))))
        assert str(render_text(text, located)) == _reference(text, located), (text, located)


def test_excerpts_keep_the_first_quote_and_stay_within_budget() -> None:
    text = "".join(chr(0x4E00 + i % 50) for i in range(1000))
    located = [Located("late", 900, 910), Located("early", 100, 110), Located("mid", 500, 505)]
    html, shown, length = render_excerpts(text, located, budget=60, context=20)
    assert shown == {"late"} and length == 50  # the others do not fit
    assert str(html).startswith('<span class="muted"> […] </span>')
    html, shown, length = render_excerpts(text, located, budget=1000, context=20)
    assert shown == {"late", "early", "mid"} and length == 50 + 50 + 45
    assert str(html).count("[…]") == 4  # before, between the three, after


def test_a_malformed_line_in_a_large_table_is_a_located_error(tmp_path: Path) -> None:
    paths = _workspace(tmp_path)
    observations = paths.tables[0]
    with open(observations, "a", encoding="utf-8") as handle:
        handle.write(f"{HANS},99,ind_00\n")  # three fields of twenty-one
    with pytest.raises(InputError) as raised:
        build_report(paths)
    assert raised.value.located().startswith(f"{observations}:{len(OBSERVATIONS) + 2}:")
    assert not paths.out.exists()
