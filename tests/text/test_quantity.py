"""Tests of the quantity grammar (greenaudit.text.quantity) and the intervals it implies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from greenaudit.errors import QuantityError
from greenaudit.text.quantity import (
    CN_NUMERAL_CHARS,
    INFIXES,
    MAGNITUDES,
    PREFIXES,
    QUALIFIERS,
    SUFFIXES,
    Interval,
    Quantity,
    half_unit,
    intervals,
    parse_chinese_numeral,
)

from greenaudit.stage.source import Settings

D = Decimal
APPROXIMATE_BAND = Settings().approximate_band   # 0.05
NEAR_BAND = Settings().near_band
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ table-driven parsing

# text, value as written, unit as written (magnitude + unit), qualifier, scaled value
PARSE_CASES = [
    ("超过40%", "40", "%", "lower_bound", "40"),
    ("22.03万亿元", "22.03", "万亿元", "exact", "22030000000000"),
    ("近3万种", "3", "万种", "near", "30000"),
    ("180余家", "180", "家", "odd", "180"),
    ("500多项", "500", "项", "odd", "500"),
    ("1.5亿吨以上", "1.5", "亿吨", "lower_bound", "150000000"),
    ("60%左右", "60", "%", "approximate", "60"),
    ("七部门", "7", "部门", "exact", "7"),
    ("两位数", "10", "", "two_digit", "10"),
    ("40%-50%", "40", "%", "range", "40"),
    ("830千瓦时", "830", "千瓦时", "exact", "830"),
    ("96.9亿千瓦时", "96.9", "亿千瓦时", "exact", "9690000000"),
    ("3.6个百分点", "3.6", "个百分点", "exact", "3.6"),
    ("34.0", "34.0", "", "exact", "34.0"),
    ("１２．５％", "12.5", "%", "exact", "12.5"),          # full-width digits, point, percent
    ("１０，０００个", "10000", "个", "exact", "10000"),     # full-width thousands separator
    ("10,000个", "10000", "个", "exact", "10000"),
    ("1,234,567.5吨", "1234567.5", "吨", "exact", "1234567.5"),
    ("约36.2%", "36.2", "%", "approximate", "36.2"),
    ("不到30%", "30", "%", "upper_bound", "30"),
    ("突破1000万辆", "1000", "万辆", "lower_bound", "10000000"),
    ("3.14159万", "3.14159", "万", "exact", "31415.9"),
    ("5.1亿吨标准煤", "5.1", "亿吨标准煤", "exact", "510000000"),
    ("2 2 . 0 3 万亿元", "22.03", "万亿元", "exact", "22030000000000"),  # whitespace dropped
    ("一百二十家", "120", "家", "exact", "120"),
    ("3-5万吨", "3", "万吨", "range", "30000"),
]


@pytest.mark.parametrize("text, value, unit, qualifier, scaled", PARSE_CASES)
def test_parse_table(parser, text, value, unit, qualifier, scaled):
    q = parser.parse(text)
    assert isinstance(q, Quantity)
    assert q.value == D(value)
    assert q.unit == unit
    assert q.qualifier == qualifier
    assert q.scaled == D(scaled)


def test_22_03_wan_yi_yuan_parts(parser):
    q = parser.parse("22.03万亿元")
    assert (q.value, q.magnitude_text, q.unit_text) == (D("22.03"), "万亿", "元")
    assert q.magnitude == D(10) ** 12
    assert q.scaled == D(22030000000000)
    assert q.exponent == -2


def test_qian_of_qianwashi_is_a_unit_not_a_magnitude(parser):
    q = parser.parse("830千瓦时")
    assert q.magnitude == 1
    assert q.magnitude_text == ""
    assert q.unit_text == "千瓦时"
    assert q.scaled == D(830)


def test_magnitude_before_a_unit_starting_with_qian(parser):
    q = parser.parse("96.9亿千瓦时")
    assert (q.magnitude_text, q.unit_text) == ("亿", "千瓦时")
    assert q.scaled == D("9690000000")


def test_percentage_point_wins_over_count(parser):
    q = parser.parse("3.6个百分点")
    assert q.unit_text == "个百分点"   # not 个 followed by garbage


def test_bare_number_keeps_its_stated_precision(parser):
    q = parser.parse("34.0")
    assert q.unit == ""
    assert q.exponent == -1
    assert str(q.value) == "34.0"


def test_range_high_end(parser):
    q = parser.parse("40%-50%")
    assert q.value_high == D(50)
    q = parser.parse("3-5万吨")   # magnitude written once applies to both ends
    assert q.value_high * q.magnitude == D(50000)


def test_classic_float_trap_is_exact(parser):
    q = parser.parse("3.14159万")
    assert q.scaled == D("31415.9")
    assert str(q.scaled.normalize()) == "31415.9"
    assert isinstance(q.scaled, Decimal)


def test_magnitudes_are_exact_decimals():
    assert all(isinstance(m, Decimal) for m in MAGNITUDES.values())
    assert MAGNITUDES["万亿"] == MAGNITUDES["万"] * MAGNITUDES["亿"]


@pytest.mark.parametrize("text, expected", [
    ("七", 7), ("两", 2), ("十", 10), ("十三", 13), ("二十", 20), ("一百二十", 120),
    ("两千", 2000), ("三千零五", 3005), ("三万五千", 35000), ("十万", 100000),
    ("一亿二千万", 120000000), ("两万亿", 2 * 10**12),
])
def test_chinese_numerals(text, expected):
    assert parse_chinese_numeral(text) == expected


@pytest.mark.parametrize("text", ["", "七a", "三五", "abc"])
def test_bad_chinese_numerals(text):
    with pytest.raises(QuantityError):
        parse_chinese_numeral(text)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("text, fragment", [
    ("abc", "has no number"),
    ("", "empty"),
    ("   ", "empty"),
    ("超过", "has no number"),
    ("40斤", "unknown unit '斤'"),     # unit not in schemas/units.yaml
    ("约40公斤左右", "unknown unit '公斤'"),
    ("-3.5%", "starts with '-'"),
    ("40%%", "unknown unit '%%'"),
    ("12三", "mixes Arabic digits and Chinese numerals"),
    ("15,5%", "expected a decimal point"),
    ("十三五", "Chinese numeral"),      # a plan name, not a figure
    ("50%-40%", "reversed"),
    ("约40%-50%", "qualifier"),
    ("40%-50个", "mixes units"),
    ("3万-5吨", "mixes magnitudes"),
    ("超过40%以下", "conflicting"),
    ("1" * 65, "characters long"),
])
def test_garbage_raises_quantity_error_with_message(parser, text, fragment):
    with pytest.raises(QuantityError) as info:
        parser.parse(text)
    assert fragment in str(info.value)
    assert info.value.reason


def test_non_text_is_a_quantity_error(parser):
    with pytest.raises(QuantityError, match="must be text"):
        parser.parse(40)  # type: ignore[arg-type]


# ------------------------------------------------------------------ intervals

def _iv(parser, text, approximate_band=APPROXIMATE_BAND, near_band=NEAR_BAND):
    return intervals(parser.parse(text), approximate_band, near_band)


@pytest.mark.parametrize("text, stated, allowed", [
    ("28%", ("28", "28"), ("27.5", "28.5")),
    ("28.2%", ("28.2", "28.2"), ("28.15", "28.25")),
    ("超过40%", ("40", None), ("40", None)),
    ("40%以上", ("40", None), ("40", None)),
    ("不到30%", (None, "30"), (None, "30")),
    ("40%-50%", ("40", "50"), ("39.5", "50.5")),
    ("两位数", ("10", "100"), ("10", "100")),
    ("近3万种", ("28500", "30000"), ("28500", "30000")),
    ("约36.2%", ("34.39", "38.01"), ("34.39", "38.01")),
    ("20万亿元", ("20e12", "20e12"), ("19.5e12", "20.5e12")),
    ("七部门", ("7", "7"), ("6.5", "7.5")),
])
def test_intervals(parser, text, stated, allowed):
    def iv(pair):
        return Interval(*(None if x is None else D(x) for x in pair))
    got_stated, got_allowed = _iv(parser, text)
    assert got_stated == iv(stated)
    assert got_allowed == iv(allowed)


def test_approximate_band_is_widened_by_rounding_when_narrower(parser):
    # 约36%: a 0.1% band (0.036) is narrower than half a unit of the last digit (0.5).
    stated, allowed = _iv(parser, "约36%", approximate_band=D("0.001"))
    assert stated == Interval(D("35.964"), D("36.036"))
    assert allowed == Interval(D("35.5"), D("36.5"))


def test_near_band_is_taken_below_the_value(parser):
    stated, _ = _iv(parser, "近40%", near_band=D("0.1"))
    assert stated == Interval(D(36), D(40))


def test_half_unit():
    assert half_unit(0) == D("0.5")
    assert half_unit(-1) == D("0.05")
    assert half_unit(-3) == D("0.0005")
    assert half_unit(2) == D(50)


def test_interval_scaled_and_clamped():
    iv = Interval(D(40), None)
    assert iv.scaled(D(1000)) == Interval(D(40000), None)
    assert iv.clamped(D(0), D(100)) == Interval(D(40), D(100))
    assert Interval(D(-5), D(120)).clamped(D(0), D(100)) == Interval(D(0), D(100))
    assert Interval(None, None).clamped(None, None) == Interval(None, None)


# ------------------------------------------------------------------ properties

QUANTITY_CHARS = list("0123456789.,-~%") + list(CN_NUMERAL_CHARS) + [
    *PREFIXES, *SUFFIXES, *INFIXES, *MAGNITUDES, "个百分点", "千瓦时", "吨标准煤", "两位数",
    "元", "家", "种", "至", "到", "０", "１", "．", "，", " ", "\n", "x",
]
quantity_like = st.lists(st.sampled_from(QUANTITY_CHARS), max_size=12).map("".join)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=80), quantity_like))
def test_parse_returns_a_quantity_or_raises_quantity_error(parser, text):
    try:
        q = parser.parse(text)
    except QuantityError as exc:
        assert exc.reason
        return
    assert isinstance(q, Quantity)
    assert q.qualifier in QUALIFIERS
    assert isinstance(q.scaled, Decimal)


# Realistic figures: at most 12 integer and 8 decimal digits (20 significant digits).
integer_parts = st.integers(min_value=0, max_value=10**12 - 1)
fraction_parts = st.text(alphabet="0123456789", max_size=8)


@PROPERTY_SETTINGS
@given(integer_parts, fraction_parts, st.sampled_from(["万", "亿", "万亿"]), st.data())
def test_magnitude_scaling_is_exact(parser, units, integer, fraction, magnitude, data):
    # Units written after the number (百分之 and 千分之 stand before it).
    after = sorted(u for u in units.written if not u.endswith("分之"))
    unit = data.draw(st.sampled_from(["", *after]), label="unit")
    number = f"{integer}.{fraction}" if fraction else str(integer)
    q = parser.parse(f"{number}{magnitude}{unit}")
    exponent = {"万": 4, "亿": 8, "万亿": 12}[magnitude]
    # Built from a string: no context rounding, the exact product.
    assert q.scaled == D(f"{number}E{exponent}")
    assert q.scaled == D(number) * MAGNITUDES[magnitude]
    assert q.value == D(number)
    assert q.unit == magnitude + unit
    assert q.exponent == -len(fraction)


numbers = st.builds(lambda i, f: f"{i}.{f}" if f else str(i),
                    st.integers(min_value=0, max_value=10**6), st.text("0123456789", max_size=4))


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(prefix=st.sampled_from(["", *PREFIXES]), number=numbers,
       magnitude=st.sampled_from(["", "万", "亿", "万亿"]), infix=st.sampled_from(["", *INFIXES]),
       unit=st.sampled_from(["", "%", "个百分点", "万吨", "家", "千瓦时"]),
       suffix=st.sampled_from(["", *SUFFIXES]),
       approximate_band=st.decimals(min_value=0, max_value=D("0.5"), places=3),
       near_band=st.decimals(min_value=0, max_value=D("0.5"), places=3))
def test_allowed_interval_contains_stated(parser, prefix, number, magnitude, infix, unit,
                                          suffix, approximate_band, near_band):
    try:
        q = parser.parse(prefix + number + magnitude + infix + unit + suffix)
    except QuantityError:
        assume(False)
    stated, allowed = intervals(q, approximate_band, near_band)
    if stated.lower is None:
        assert allowed.lower is None
    else:
        assert allowed.lower is None or allowed.lower <= stated.lower
    if stated.upper is None:
        assert allowed.upper is None
    else:
        assert allowed.upper is None or stated.upper <= allowed.upper
    if stated.lower is not None and stated.upper is not None:
        assert stated.lower <= stated.upper
    if q.qualifier == "exact":
        assert stated == Interval(q.scaled, q.scaled)
        assert allowed.lower <= q.scaled <= allowed.upper
        assert allowed.upper - allowed.lower == D(1).scaleb(q.exponent) * q.magnitude
