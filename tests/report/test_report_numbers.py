"""Numbers on the report page as a reader writes them (greenaudit.report.numbers)."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from greenaudit.report.model import interval_text
from greenaudit.report.numbers import breakable, number_text


def test_interval_text_shows_open_ends() -> None:
    assert interval_text("", "5") == "≤ 5"
    assert interval_text("1", "") == "≥ 1"
    assert interval_text("", "") == "unbounded"
    assert interval_text("44.5", "45.5", "45") == "44.5 – 45.5"


def test_numbers_read_as_written() -> None:
    assert number_text("20000000000000") == "20 trillion"
    assert number_text("22030000000000") == "22.03 trillion"
    assert number_text("3109000") == "3.109 million"
    assert number_text("650000") == "650,000"
    assert number_text("15.50") == "15.5"
    assert number_text("0.0005") == "0.0005"
    assert number_text("n/a") == "n/a"
    assert interval_text("19500000000000", "20500000000000", "20000000000000") == \
        "19.5 – 20.5 trillion"


def test_intervals_are_shown_to_the_precision_of_the_statement() -> None:
    # A rule's interval: two digits beyond the value's last (3109000: thousands), outward.
    assert interval_text("3108007.4487895716", "3110194.3039659303", "3109000") == \
        "3.108 – 3.1102 million"
    # An exact statement's ends are shown as they are: nothing is rounded away.
    assert interval_text("15.45", "15.55", "15.5") == "15.45 – 15.55"
    assert interval_text("285", "315", "300") == "285 – 315"


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-10**12, max_value=10**12, places=6, allow_nan=False),
       st.decimals(min_value=0, max_value=10**6, places=10, allow_nan=False),
       st.decimals(min_value=0, max_value=10**6, places=10, allow_nan=False))
def test_the_interval_shown_contains_the_published_one(value, below, above) -> None:
    lower, upper = value - below, value + above
    text = interval_text(format(lower, "f"), format(upper, "f"), format(value, "f"))
    match = re.fullmatch(r"(\S+)(?: – (\S+))?(?: (million|billion|trillion))?", text)
    assert match, text
    factor = {"million": 10**6, "billion": 10**9, "trillion": 10**12}.get(match[3], 1)
    shown_low = Decimal(match[1].replace(",", "")) * factor
    shown_high = Decimal((match[2] or match[1]).replace(",", "")) * factor
    assert shown_low <= lower and shown_high >= upper
    # ... and wider by less than one step, a hundredth of the value's last stated digit.
    if value != 0:
        step = Decimal(1).scaleb(value.normalize().as_tuple().exponent - 2)
        assert lower - shown_low < step and shown_high - upper < step


def test_long_ids_may_break_after_their_separators() -> None:
    assert str(breakable("a.b_c<d>")) == "a.<wbr>b_<wbr>c&lt;d&gt;"
