"""Tests of numeric mention detection (greenaudit.text.mentions)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenaudit.text.mentions import BREAK, _Scan, breaks_of, find_mentions, mentions_in
from greenaudit.text.normalise import Cleaning, normalise


def found(raw: str) -> list[tuple[str, str]]:
    n = normalise(raw)
    return [(m.text, m.kind) for m in mentions_in(n, raw)]


@pytest.mark.parametrize("raw, expected", [
    ("比重达到15.5%和31.8%", [("15.5%", "arabic"), ("31.8%", "arabic")]),
    ("比重为１５．５％，", [("15.5%", "arabic")]),                 # full-width forms
    ("余额达22.03万亿元", [("22.03万亿", "arabic")]),
    ("超过1亿吨标准煤", [("1亿", "arabic")]),
    ("交易量96.9亿千瓦时", [("96.9亿", "arabic")]),               # 千 of 千瓦 is kilo-
    ("中国：830千瓦时", [("830", "arabic")]),
    ("占全球总量的40%-50%", [("40%", "arabic"), ("50%", "arabic")]),
    ("回收网点超过10000个", [("10000", "arabic")]),
    ("5G基站", [("5", "arabic")]),
])
def test_arabic_numbers(raw, expected):
    assert found(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("财政部等七部门发布", [("七部门", "chinese")]),
    ("长期维持两位数增速", [("两位数", "chinese")]),
    ("“十三五”期间", [("十三五", "chinese")]),
    ("党的二十大报告", [("二十大", "chinese")]),
    ("完成了“千家绿色工厂、百家绿色园区、万种绿色产品”目标", [("千家", "chinese"), ("百家", "chinese"),
                                               ("万种", "chinese")]),
    ("百万千瓦水轮发电机组", [("百万千瓦", "chinese")]),          # a unit after the numeral
    ("装机五千瓦的", [("五千瓦", "chinese")]),
    ("产能提升一倍的同时", [("一倍", "chinese")]),
    ("以下七个方面", [("七个", "chinese")]),
    ("五方面", [("五方面", "chinese")]),
    ("工業和信息化部等7部門", [("7", "arabic")]),
])
def test_chinese_numerals_with_a_measure_word_or_magnitude(raw, expected):
    assert found(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("比例为百分之二，", [("百分之二", "chinese")]),
    ("千分之三的", [("千分之三", "chinese")]),
    ("占三分之一的", [("三分之一", "chinese")]),
    ("百分之二点一五", [("百分之二点一五", "chinese")]),
    ("超过一半的企业", [("一半", "chinese")]),
    ("增长六点三", [("六点三", "chinese")]),
    ("二十点一万", [("二十点一万", "chinese")]),
    ("产量两到三万吨", [("两", "chinese"), ("三万吨", "chinese")]),
    ("六百三到六百四", [("六百三", "chinese"), ("六百四", "chinese")]),
    ("七千至九千亿元", [("七千", "chinese"), ("九千亿元", "chinese")]),
    ("总分六十分", [("六十", "chinese")]),                  # 十分 is "very" only at the start
    ("二十分钟", [("二十", "chinese")]),
    ("翻了一番", [("一番", "chinese")]),
    ("两百多万辆", [("两百多万辆", "chinese")]),
    ("十余万吨", [("十余万吨", "chinese")]),
    ("200多万辆", [("200多万", "arabic")]),
    ("两成多", [("两成", "chinese")]),
])
def test_every_form_the_quantity_grammar_reads(raw, expected):
    assert found(raw) == expected


def test_the_one_of_a_word_does_not_begin_a_range():
    assert found("统一到三个方面") == [("三个", "chinese")]


@pytest.mark.parametrize("raw", [
    "一是产业结构高端化", "统一的标准", "之一", "别有一番风味",
    "一点一滴", "两点一线", "重点", "统一的全国碳市场", "进一步增强", "关键零件的再制造", "零碳工厂",
    "区域差距十分明显", "提高了3.6个百分点中的百分点", "每千瓦时煤耗", "一带一路",
])
def test_words_made_of_numeral_characters_are_not_mentions(raw):
    assert [m for m in found(raw) if m[1] == "chinese"] == []


@pytest.mark.parametrize("raw, expected", [
    ("2022年，我国", "2022年"),
    ("记者从6月1日召开的", "6月1日"),
    ("2023年4月底，国家层面", "2023年4月底"),
    ("2012-2022年，工业技术改造", "2012-2022年"),
    ("2023年7月17日", "2023年7月17日"),
    ("截至2022年底", "2022年底"),
    ("2012年\n2022年", "2012年"),
])
def test_calendar_expressions(raw, expected):
    assert found(raw)[0] == (expected, "calendar")


@pytest.mark.parametrize("raw, expected", [
    ("连续10年提高", [("10", "arabic")]),                         # a duration, not a date
    ("2019-2020制造业", [("2019", "arabic"), ("2020", "arabic")]),  # no 年: not recognised
    ("2022年10种重要再生资源", [("2022年", "calendar"), ("10", "arabic")]),
    ("湘江2024年第1号洪水", [("2024年", "calendar"), ("1", "arabic")]),
])
def test_only_unambiguous_calendar_expressions(raw, expected):
    assert found(raw) == expected


def test_whitespace_in_the_original_keeps_numbers_apart():
    # A slide table: normalisation joins the cells, the mentions stay separate.
    raw = "国家级 3616 267 403\n\n省级 3839 243 156"
    assert normalise(raw).text == "国家级3616267403省级3839243156"
    assert [m[0] for m in found(raw)] == ["3616", "267", "403", "3839", "243", "156"]
    assert found("3  亿\n\n吨水泥") == [("3亿", "arabic")]


def test_run_together_labels_are_one_mention():
    # "6.296.10" has no whitespace: one (garbled) mention that two figures must cover.
    assert found("德国\n\n6.296.10\n8.05") == [("6.296.10", "arabic"), ("8.05", "arabic")]


def test_offsets_are_positions_in_the_normalised_text():
    raw = "比重 达到\n15.5%和 七部门"
    n = normalise(raw)
    for m in mentions_in(n, raw):
        assert n.text[m.start:m.end] == m.text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("0123456789.%万亿千瓦年月日底个家七两十三五部门位数第 \n一是，")),
               max_size=40))
def test_every_digit_is_inside_exactly_one_mention(raw):
    n = normalise(raw)
    mentions = mentions_in(n, raw)
    covered = [0] * len(n.text)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(n.text)
        assert n.text[m.start:m.end] == m.text
        for i in range(m.start, m.end):
            covered[i] += 1
    assert max(covered, default=0) <= 1            # no overlaps
    for i, ch in enumerate(n.text):
        if ch.isdigit():
            assert covered[i] == 1, (raw, ch, i)    # no digit escapes the audit


def test_find_mentions_without_breaks_reads_the_text_as_one_line():
    assert [m.text for m in find_mentions("国家级3616267403")] == ["3616267403"]


def _breaks_reference(normalised, original: str) -> set[int]:
    """The definition: whitespace in the original between characters i - 1 and i."""
    return {i for i in range(1, len(normalised.text))
            if any(ch.isspace() for ch in
                   original[normalised.origin_end[i - 1]:normalised.origin[i]])}


_PIECES = ["3", "15.5%", " ", "\n", "\u3000", "七", "万", "e\u0301", " \u0301", "㎡", "ﬁ",
           "AD", "(yè)", "業", "\t\t", "，"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_breaks_are_where_the_original_has_whitespace(raw):
    """Against the per-character definition, through combining marks, expansions,
    dropped strings, stripped patterns and script conversion."""
    for cleaning in (Cleaning(), Cleaning(drop_strings=("AD",), strip_patterns=(r"\([a-zè]+\)",),
                                          to_simplified=True)):
        n = normalise(raw, cleaning)
        assert breaks_of(n, raw) == _breaks_reference(n, raw)


@given(st.text(alphabet="ab1", max_size=12), st.sets(st.integers(-1, 13)))
def test_scan_puts_a_break_before_each_position_and_maps_back(text, breaks):
    scan = _Scan(text, breaks)
    kept = sorted(b for b in breaks if 0 <= b < len(text))
    assert scan.text == "".join((BREAK if i in kept else "") + ch for i, ch in enumerate(text))
    assert len(scan.index) == len(scan.text) + 1 and scan.index[-1] == len(text)
    for position, ch in enumerate(scan.text):
        mapped = scan.index[position]
        assert ch == BREAK and mapped in kept or ch == text[mapped]
