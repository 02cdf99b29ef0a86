"""The reading of a figure: Chinese numerals, 余/多, qualifiers, shares, named ratios and
ranges, each read into the interval raw/TRANSCRIBING.md gives it (canonical unit)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenaudit.errors import QuantityError
from greenaudit.text.numerals import read_numeral
from greenaudit.tools.quantity import Reader

D = Decimal


@pytest.fixture(scope="module")
def reader(seed_workspace) -> Reader:
    return Reader.load(seed_workspace, {})


def reading(reader: Reader, text: str) -> tuple:
    record = reader.read(text)
    assert "error" not in record, record
    return (record["value_canonical"], record["unit_canonical"], record["qualifier"],
            record["lower"], record["upper"])


def n(x: str | None) -> Decimal | None:
    return None if x is None else D(x)


# text, value_canonical, unit_canonical, qualifier, lower, upper (the allowed interval)
CASES = [
    # 零 before 十 keeps the ten
    ("一千零十", "1010", None, "exact", "1005", "1015"),
    ("两千零十二", "2012", None, "exact", "2011.5", "2012.5"),
    ("一万零十家", "10010", "count", "exact", "10005", "10015"),
    # an elided lower place
    ("三万五", "35000", None, "exact", "34500", "35500"),
    ("两千六", "2600", None, "exact", "2550", "2650"),
    ("一百二", "120", None, "exact", "115", "125"),
    ("六百三到六百四", "630", None, "range", "625", "645"),
    # ranges share their magnitude
    ("两到三万吨", "20000", "t", "range", "15000", "35000"),
    ("一百二十到一百五十万元", "1200000", "CNY", "range", "1150000", "1550000"),
    ("七千到九千亿元", "700000000000", "CNY", "range", "650000000000", "950000000000"),
    ("3-5万吨", "30000", "t", "range", "25000", "55000"),
    ("五千到一万元", "5000", "CNY", "range", "4500", "15000"),
    ("9000万-1.2亿元", "90000000", "CNY", "range", "89995000", "125000000"),
    # precision: half a unit of the last stated digit, Chinese like Arabic
    ("三万家", "30000", "count", "exact", "25000", "35000"),
    ("3万家", "30000", "count", "exact", "25000", "35000"),
    ("三万五千", "35000", None, "exact", "34500", "35500"),
    ("六点三%", "6.3", "percent", "exact", "6.25", "6.35"),
    ("二十点一万", "201000", None, "exact", "200500", "201500"),
    # 余/多: above the figure by less than one unit of its last nonzero digit
    ("2700余家", "2700", "count", "odd", "2700", "2800"),
    ("180余家", "180", "count", "odd", "180", "190"),
    ("1.2万余家", "12000", "count", "odd", "12000", "13000"),
    ("十多个", "10", "count", "odd", "10", "20"),
    ("200多万辆", "2000000", "count", "odd", "2000000", "3000000"),
    ("10余万吨", "100000", "t", "odd", "100000", "200000"),
    ("300多亿元", "30000000000", "CNY", "odd", "30000000000", "40000000000"),
    ("两百多万辆", "2000000", "count", "odd", "2000000", "3000000"),
    # bounds
    ("不超过5%", "5", "percent", "upper_bound", None, "5"),
    ("不高于5%", "5", "percent", "upper_bound", None, "5"),
    ("低于5%", "5", "percent", "upper_bound", None, "5"),
    ("5%以内", "5", "percent", "upper_bound", None, "5"),
    ("不低于5%", "5", "percent", "lower_bound", "5", None),
    ("至少5家", "5", "count", "lower_bound", "5", None),
    ("不少于5家", "5", "count", "lower_bound", "5", None),
    ("5%上下", "5", "percent", "approximate", "4.5", "5.5"),
    ("达20万亿元", "20000000000000", "CNY", "exact", "19500000000000", "20500000000000"),
    ("达到20万亿元", "20000000000000", "CNY", "exact", "19500000000000", "20500000000000"),
    ("达到40%以上", "40", "percent", "lower_bound", "40", None),
    # shares, in percent
    ("百分之十五", "15", "percent", "exact", "14.5", "15.5"),
    ("千分之三", "0.3", "percent", "exact", "0.25", "0.35"),
    ("3‰", "0.3", "percent", "exact", "0.25", "0.35"),
    ("三成", "30", "percent", "exact", "25", "35"),
    ("两成多", "20", "percent", "odd", "20", "30"),
    ("逾两成", "20", "percent", "lower_bound", "20", None),
    ("百分之百", "100", "percent", "exact", "99.5", "100.5"),
    # named ratios: exact
    ("翻一番", "2", "fold", "exact", "2", "2"),
    ("翻两番", "4", "fold", "exact", "4", "4"),
    ("一半", "50", "percent", "exact", "50", "50"),
    ("超过一半", "50", "percent", "lower_bound", "50", None),
    ("三分之一", "33.3333333333", "percent", "exact", "33.3333333332", "33.3333333334"),
    ("四分之三", "75", "percent", "exact", "75", "75"),
    # ranges with dashes take their precision from their ends
    ("40%—50%", "40", "percent", "range", "39.5", "50.5"),
    ("40%–50%", "40", "percent", "range", "39.5", "50.5"),
    ("40%-50%", "40", "percent", "range", "39.5", "50.5"),
    # today's readings keep working
    ("超过40%", "40", "percent", "lower_bound", "40", None),
    ("近3万种", "30000", "count", "near", "28500", "30000"),
    ("22.03万亿元", "22030000000000", "CNY", "exact", "22025000000000", "22035000000000"),
    ("七部门", "7", "count", "exact", "6.5", "7.5"),
    ("约36.2%", "36.2", "percent", "approximate", "34.39", "38.01"),
    ("两位数", "10", None, "two_digit", "10", "100"),
    ("830千瓦时", "830", "kWh", "exact", "829.5", "830.5"),
    ("五千瓦", "5", "kW", "exact", "4.5", "5.5"),
    ("百万千瓦", "1000000", "kW", "exact", "500000", "1500000"),
]


@pytest.mark.parametrize("text, value, unit, qualifier, lower, upper", CASES)
def test_reading(reader, text, value, unit, qualifier, lower, upper):
    assert reading(reader, text) == (D(value), unit, qualifier, n(lower), n(upper))


def test_three_one_third_contains_the_exact_ratio(reader):
    _, _, _, lower, upper = reading(reader, "三分之一")
    assert lower < D(100) / 3 < upper
    _, _, _, lower, upper = reading(reader, "约三分之一")
    assert lower <= D(100) / 3 * D("0.95") and D(35) <= upper


@pytest.mark.parametrize("text, fragment", [
    ("十一十二", "the tens (十) come after the tens (十)"),
    ("十七十八", "the tens (十) come after the tens (十)"),
    ("十七百", "the hundreds (百) come after the tens (十)"),
    ("三五万", "two digits side by side (三五)"),
    ("十五六", "two digits side by side (五六)"),
    ("一千零一百", "零 before the hundreds (百) skips no place"),
    ("百十一", "百 without a digit before it"),
    ("万三", "万 has no digit before it"),
    ("一千零", "ends in 零"),
    ("零五", "starts with 零"),
    ("三万五点二", "must name every place"),
    ("三万五千瓦", "ambiguous"),
    ("八到九百亿元", "ambiguous"),
    ("3-50万吨", "ambiguous"),
    ("3万5千", "mixes Arabic digits and Chinese numerals"),
    ("负5%", "without a sign"),
    ("约180余家", "conflicting qualifiers"),
    ("180余多家", "余/多 written twice"),
    ("0余家", "余/多 after zero"),
    ("约40%-50%", "a range cannot carry a qualifier"),
    ("40%-50%以上", "a range cannot carry a qualifier"),
    ("五十%-四十%", "reversed"),
    ("十五千分之", "千分之 is written before its number"),
    ("百分之十五%", "百分之 and a unit"),
    ("零分之一", "N above zero"),
    ("翻十一番", "翻N番 with N from 1 to 10"),
    ("二十万点五万", "already holds 万 or 亿"),
])
def test_refused_with_the_construct_named(reader, text, fragment):
    record = reader.read(text)
    assert "error" in record, record
    assert fragment in record["error"]
    assert "\n" not in record["error"]


@pytest.mark.parametrize("text, value, exponent", [
    ("七", 7, 0), ("十", 10, 1), ("十三", 13, 0), ("一百二十", 120, 1), ("两千", 2000, 3),
    ("一千零十", 1010, 1), ("三万五", 35000, 3), ("两万亿", 2 * 10 ** 12, 12),
    ("一亿五", 150000000, 7), ("十万零一千", 101000, 3), ("壹仟零壹拾", 1010, 1),
    ("兩萬", 20000, 4), ("一百十六", 116, 0), ("零点零五", D("0.05"), -2),
    ("十二万三千点零", D("123000.0"), -1),
])
def test_numeral_value_and_last_stated_place(text, value, exponent):
    numeral = read_numeral(text)
    assert (numeral.value, numeral.exponent) == (D(value), exponent)


def test_a_numeral_error_is_a_quantity_error():
    with pytest.raises(QuantityError, match="十七百"):
        read_numeral("十七百")
