"""Tests of `greenaudit explain` (greenaudit.tools.explain) on the published audit tables."""

from __future__ import annotations

import pytest
from rich.console import Console

from greenaudit.cli import main
from greenaudit.errors import InputError
from greenaudit.tools.explain import HIGHLIGHT, explain, highlighted, interval_text, quantity_span

SOURCES = ("000_451eeb3f8d9b8ea0", "003_1a3b190ec270dc4e", "004_2e0697a374659b7e")
QUOTES = (
    "2022年，我国高技术制造业、装备制造业增加值占规模以上工业增加值比重分别达到15.5%和31.8%",
    "我国高技术制造业、装备制造业增加值占规模以上工业增加值比重分别从2012年的9.4%、28%提高到2022年的15.5%和31.8%",
    "9.4% 15.5% 高技术制造业增加值 占规模以上工业增加 值比重 2012年 2022年",
)


@pytest.fixture()
def audit_dir(seed_workspace):
    return seed_workspace / "results" / "audit"


def record(audit_dir, *args) -> str:
    console = Console(record=True, width=400, color_system=None)
    explain(*args, audit_dir, console)
    return console.export_text()


def test_high_tech_share_2022_shows_all_three_sources_with_their_quotes(audit_dir):
    text = record(audit_dir, "hi_tech_mfg_share", "2022")
    assert "hi_tech_mfg_share 2022  agree  value 15.5 percent  interval [15.45, 15.55]  " \
           "3 source(s)" in text
    for source, quote in zip(SOURCES, QUOTES):
        assert source in text
        assert quote in text, quote
    assert text.count("15.5%") >= 6 and text.count("verified") == 3
    assert "2012" not in text.split("\n")[0]          # one period asked, one shown


def test_the_quantity_is_highlighted_in_each_quote():
    quote = "我国高技术制造业、装备制造业增加值占规模以上工业增加值比重分别从2012年的9.4%、28%提高到2022年的15.5%和31.8%"
    text = highlighted(quote, "15.5%")
    (span,) = [s for s in text.spans if s.style == HIGHLIGHT]
    assert quote[span.start:span.end] == "15.5%"
    # 28 inside "28%" rather than inside "2028" or "28.2".
    assert quantity_span("比重从28.2%提高到28%以上", "28") == (11, 13)
    # Whitespace and full-width forms in the quote do not prevent the highlight.
    quote = "余额22.03 万亿元"
    start, end = quantity_span(quote, "22.03万亿元")
    assert quote[start:end] == "22.03 万亿元"
    assert quantity_span("比重为15.5%", "16.5%") is None


def test_the_named_occurrence_and_a_detached_qualifier_are_highlighted():
    quote = "钢铁、石化化工行业规模以上工业重复用水率分别超过97%和95%"
    text = highlighted(quote, "95%", "", "分别超过")
    marked = {quote[s.start:s.end]: s.style for s in text.spans}
    assert marked == {"95%": HIGHLIGHT, "分别超过": "bold black on green"}
    quote = "甲行业增长5%，乙行业增长5%"
    (span,) = highlighted(quote, "5%", "2").spans
    assert span.start == quote.rindex("5%")


def test_without_a_period_every_period_is_shown(audit_dir):
    text = record(audit_dir, "hi_tech_mfg_share", None)
    assert "hi_tech_mfg_share 2012" in text and "hi_tech_mfg_share 2022" in text
    assert "hi_tech_mfg_share 2023  single_source" in text


def test_open_intervals():
    assert interval_text("40", "") == "[40, ∞)"
    assert interval_text("", "3") == "(-∞, 3]"


def test_unknown_indicator_or_audit_dir(audit_dir, tmp_path):
    with pytest.raises(InputError, match="no published figure of nope for period 2022"):
        record(audit_dir, "nope", "2022")
    with pytest.raises(InputError, match="expected a published audit table"):
        record(tmp_path, "hi_tech_mfg_share", "2022")


def test_unknown_names_get_the_closest_known_ones(audit_dir):
    with pytest.raises(InputError, match=r"hi_tech_mfg_shar for period 2022 \(did you mean "
                                         r"hi_tech_mfg_share[ ?]"):
        record(audit_dir, "hi_tech_mfg_shar", "2022")
    with pytest.raises(InputError, match="no published figure of hi_tech_mfg_share for period "
                                         "2021; it is published for 2012, 2022, 2023"):
        record(audit_dir, "hi_tech_mfg_share", "2021")


def test_explain_into_a_file_keeps_each_quote_on_one_line(audit_dir, tmp_path):
    """Not a terminal: no wrapping into narrow cells that would split "15." from "5%"."""
    from greenaudit.tools.explain import console_for

    path = tmp_path / "explain.txt"
    with open(path, "w", encoding="utf-8") as handle:
        console = console_for(file=handle)
        assert not console.is_terminal
        explain("hi_tech_mfg_share", "2022", audit_dir, console)
    lines = path.read_text(encoding="utf-8").splitlines()
    for quote in QUOTES:
        assert sum(quote in line for line in lines) == 1, quote
    assert "\x1b[" not in path.read_text(encoding="utf-8")
    # The table is as wide as its longest quote, not the unwrapped console's width.
    assert max(len(line) for line in lines) < 1000


def test_cli_explain(audit_dir, capsys):
    assert main(["explain", "hi_tech_mfg_share", "--period", "2022", "--audit-dir",
                 str(audit_dir), "--plain", "--width", "300"]) == 0
    out = capsys.readouterr().out
    assert all(source in out for source in SOURCES)
    assert "\x1b[" not in out
    assert main(["explain", "nope", "--audit-dir", str(audit_dir)]) == 2
    assert "no published figure of nope" in capsys.readouterr().err
