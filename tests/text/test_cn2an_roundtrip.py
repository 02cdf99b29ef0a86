"""cn2an as an oracle: figures rendered in Chinese by cn2an.an2cn read back exactly.

Random integers and decimals, with and without 万/亿, with a unit and a qualifier,
are written in Chinese numerals by cn2an's an2cn (a renderer nobody on the project
wrote; its cn2an direction is not used, as it truncates decimals with 万/亿). The
quantity parser must read back the number, and the interval must be the one
raw/TRANSCRIBING.md gives it: half a unit of the last stated digit, the band of the
qualifier, or the unit of the last nonzero digit for 余/多. The mention finder must
find every numeral character of each figure the parser reads.

The default run draws 300 examples; the CI audit (GREENAUDIT_HYPOTHESIS=ci, see
conftest.py) draws 10,000, and GREENAUDIT_CN2AN_EXAMPLES sets any other number.
"""

from __future__ import annotations

import os
from decimal import Decimal

import cn2an
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from greenaudit.text.mentions import CN_DIGITS, CN_MAGNITUDES, find_mentions
from greenaudit.text.quantity import Interval, intervals

D = Decimal
BAND = D("0.05")
EXAMPLES = int(os.environ.get("GREENAUDIT_CN2AN_EXAMPLES")
               or (10_000 if os.environ.get("GREENAUDIT_HYPOTHESIS") == "ci" else 300))
ROUNDTRIP = settings(max_examples=EXAMPLES, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow,
                                            HealthCheck.function_scoped_fixture])
MAGNITUDE = {"": 0, "万": 4, "亿": 8}
# The largest integer written before each magnitude: 三十五万, not 三十五万万.
LIMIT = {"": 10 ** 16 - 1, "万": 10 ** 4 - 1, "亿": 10 ** 8 - 1}
UNITS = ["", "%", "个百分点", "百分点", "倍", "元", "美元", "千瓦时", "千瓦", "兆瓦", "吨",
         "吨标准煤", "家", "个", "项", "种", "辆", "部门", "人", "成", "‰"]
QUALIFIED = {
    "exact": ["", "达到", "达"],
    "lower_bound": ["超过", "逾", "突破", "不低于", "至少", "不少于", "以上"],
    "upper_bound": ["不到", "不足", "少于", "不超过", "不高于", "低于", "以下", "以内"],
    "approximate": ["约", "大约", "左右", "上下"],
    "near": ["近", "接近", "将近"],
    "odd": ["余", "多"],
}
SUFFIX_WORDS = {"以上", "以下", "以内", "左右", "上下"}


@st.composite
def figures(draw):
    """(text, number as written, magnitude, unit, qualifier, word, numeral span)."""
    magnitude = draw(st.sampled_from(sorted(MAGNITUDE)))
    integer = draw(st.integers(min_value=0, max_value=LIMIT[magnitude]))
    decimals = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6)))
    if integer == 0 and not decimals and magnitude:
        decimals = "5"                                   # 零万 is not a figure
    number = f"{integer}.{decimals}" if decimals else str(integer)
    qualifier = draw(st.sampled_from(sorted(QUALIFIED)))
    word = draw(st.sampled_from(QUALIFIED[qualifier]))
    unit = draw(st.sampled_from(UNITS))
    chinese = cn2an.an2cn(number)
    odd_first = draw(st.booleans())
    if qualifier == "odd":
        body = chinese + (word + magnitude if odd_first else magnitude + word) + unit
    else:
        body = chinese + magnitude + unit
    prefix = word if qualifier not in ("odd",) and word not in SUFFIX_WORDS else ""
    suffix = word if word in SUFFIX_WORDS else ""
    text = prefix + body + suffix
    span = (len(prefix), len(prefix) + len(chinese))
    return text, number, magnitude, unit, qualifier, span


def last_stated_exponent(number: str) -> int:
    """The place of the last digit a Chinese numeral states: 30 -> 1, 35 -> 0, 3.50 -> -2."""
    if "." in number:
        return -len(number.split(".")[1])
    digits = number.rstrip("0")
    return len(number) - len(digits) if digits else 0


def expected_interval(number: str, magnitude: str, qualifier: str) -> Interval:
    v = D(number).scaleb(MAGNITUDE[magnitude])
    half = D(5).scaleb(last_stated_exponent(number) + MAGNITUDE[magnitude] - 1)
    if qualifier == "exact":
        return Interval(v - half, v + half)
    if qualifier == "lower_bound":
        return Interval(v, None)
    if qualifier == "upper_bound":
        return Interval(None, v)
    if qualifier == "approximate":
        band = max(v * BAND, half)
        return Interval(v - band, v + band)
    if qualifier == "near":
        return Interval(v - v * BAND, v)
    step = D(1).scaleb(D(number).normalize().as_tuple().exponent + MAGNITUDE[magnitude])
    return Interval(v, v + step)


@ROUNDTRIP
@given(figures())
def test_chinese_figures_read_back_with_their_interval(parser, figure):
    text, number, magnitude, unit, qualifier, _ = figure
    note(f"figure: {text}")
    if qualifier == "odd" and D(number) == 0:
        return                                  # 零余: refused (tested in test_quantity_grammar)
    q = parser.parse(text)
    assert q.scaled == D(number).scaleb(MAGNITUDE[magnitude])
    assert q.qualifier == qualifier
    assert q.unit_text == unit
    _, allowed = intervals(q, BAND, BAND)
    assert allowed == expected_interval(number, magnitude, qualifier)


_COUNTED = set("0123456789" + CN_DIGITS + CN_MAGNITUDES)


@ROUNDTRIP
@given(figures(), st.sampled_from(["据统计，{}。", "{}", "全国{}，同比增长"]))
def test_the_mention_finder_finds_every_figure_the_parser_reads(parser, figure, sentence):
    text, number, magnitude, unit, qualifier, (start, end) = figure
    note(f"figure: {text}")
    try:
        parser.parse(text)
    except Exception:  # noqa: BLE001 - only figures the parser reads are in question
        return
    bare = not (unit or magnitude or "." in number) and not (set(text[start:end]) & set(CN_MAGNITUDES))
    if bare or D(number) == 0 and "." not in number:
        return    # a lone 七 (一是, 进一步) or 零 (零件) is a word, not a mention
    sentence_text = sentence.format(text)
    offset = sentence.index("{}")
    covered = set()
    for m in find_mentions(sentence_text):
        covered.update(range(m.start, m.end))
    numeral = range(offset + start, offset + end + len(magnitude) + (qualifier == "odd"))
    missed = [sentence_text[i] for i in numeral
              if sentence_text[i] in _COUNTED and i not in covered]
    assert not missed, (sentence_text, missed, [m.text for m in find_mentions(sentence_text)])
