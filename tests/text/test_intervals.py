"""Interval arithmetic: exact cases, open ends, division by intervals holding 0, and the
enclosure property (the interval result contains the point result) under hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from greenaudit.text.intervals import (NEAREST, Interval, IntervalError, format_bound,
                                            maximum, minimum)

D = Decimal


def I(lower, upper) -> Interval:  # noqa: E743 - reads like the notation
    return Interval(None if lower is None else D(str(lower)), None if upper is None else D(str(upper)))


# ---------------------------------------------------------------- exact cases

def test_share_minus_rise():
    assert I("15.45", "15.55") - I("6.05", "6.15") == I("9.3", "9.5")


@pytest.mark.parametrize("a, b, product", [
    (I(2, 3), I(4, 5), I(8, 15)),
    (I(-2, 3), I(4, 5), I(-10, 15)),
    (I(-3, -2), I(4, 5), I(-15, -8)),
    (I(-3, -2), I(-5, -4), I(8, 15)),
    (I(-2, 3), I(-5, 4), I(-15, 12)),
    (I(0, None), I(-1, 2), I(None, None)),
    (I(2, None), I(0, 1), I(0, None)),        # 0 times an open end is 0
    (I(0, 0), I(None, None), I(0, 0)),
])
def test_product_signs_and_open_ends(a, b, product):
    assert a * b == product
    assert b * a == product


@pytest.mark.parametrize("a, b, quotient", [
    (I(8, 15), I(4, 5), I("1.6", "3.75")),
    (I(-8, 15), I(-5, -4), I("-3.75", 2)),
    (I(1, None), I(2, 4), I("0.25", None)),
    (I(1, 2), I(2, None), I(0, 1)),
    (I(0, 0), I("0.001", 4), I(0, 0)),
])
def test_quotient_by_divisors_without_zero(a, b, quotient):
    assert a / b == quotient


@pytest.mark.parametrize("a, b", [
    (I(1, 2), I(0, 4)),         # divisor reaches 0 from above
    (I(1, 2), I(-4, 0)),        # ... from below
    (I(-1, 2), I(0, 4)),
    (I(1, 2), I(-1, 4)),        # divisor straddles 0
    (I(0, 0), I(-1, 4)),
    (I(1, 2), I(None, None)),   # an unbounded divisor can be 0 too
])
def test_division_by_an_interval_holding_zero_is_undefined(a, b):
    """The quotient would be unbounded: an enclosure that says nothing, which clipping
    to a valid range would turn into a finite derived value. It is an error instead."""
    with pytest.raises(IntervalError, match="contains 0"):
        a / b


def test_division_by_exact_zero_is_an_error():
    with pytest.raises(IntervalError, match="exactly 0"):
        I(1, 2) / I(0, 0)


@pytest.mark.parametrize("a, n, result", [
    (I(2, 3), 2, I(4, 9)),
    (I(-3, -2), 2, I(4, 9)),
    (I(-2, 3), 2, I(0, 9)),
    (I(-2, 3), 3, I(-8, 27)),
    (I(None, 2), 3, I(None, 8)),
    (I(None, 2), 2, I(0, None)),
    (I(2, 4), -1, I("0.25", "0.5")),
    (I(-1, 4), 0, I(1, 1)),
])
def test_integer_powers(a, n, result):
    assert a ** D(n) == result


def test_real_power_encloses_and_refuses_negative_bases():
    root = I(2, 9) ** D("0.5")
    assert root.contains(NEAREST.sqrt(D(2))) and root.contains(D(3))
    assert root.lower <= NEAREST.sqrt(D(2)) and root.upper >= D(3)
    assert root.upper - D(3) < D("1e-30")
    inverse_root = I(0, 4) ** D("-0.5")          # 1/sqrt(x) grows without bound near 0
    assert inverse_root.upper is None
    assert D(0) <= NEAREST.subtract(D("0.5"), inverse_root.lower) < D("1e-30")
    with pytest.raises(IntervalError):
        I(-1, 4) ** D("0.5")
    with pytest.raises(IntervalError):
        I(-4, -1) ** D("0.5")


def test_abs_min_max():
    assert abs(I(-3, 2)) == I(0, 3)
    assert abs(I(-3, -2)) == I(2, 3)
    assert minimum(I(1, 5), I(2, 3)) == I(1, 3)
    assert maximum(I(1, 5), I(2, None)) == I(2, None)


def test_set_operations():
    assert I(1, 3).intersection(I(2, None)) == I(2, 3)
    assert I(1, 2).intersection(I(3, 4)) is None
    assert I(1, 2).hull(I(3, None)) == I(1, None)
    assert I(None, 2).overlaps(I(2, 5))


def test_reversed_or_infinite_bounds_are_refused():
    with pytest.raises(ValueError, match="reversed"):
        I(3, 2)
    with pytest.raises(ValueError, match="finite"):
        Interval(D("Infinity"), None)


# ---------------------------------------------------------------- comparisons

@pytest.mark.parametrize("a, b, eq, lt, le", [
    (I("9.35", "9.45"), I("9.3", "9.5"), None, None, None),   # overlap: possible
    (I("9.35", "9.45"), I("9.1", "9.3"), False, False, False),
    (I(1, 2), I(2, 3), None, None, True),                      # touching
    (I(1, 2), I(3, 4), False, True, True),
    (I(2, 2), I(2, 2), True, False, True),
    (I(950, None), I(950, None), None, None, None),
])
def test_three_valued_comparisons(a, b, eq, lt, le):
    assert a.eq(b) is eq
    assert a.lt(b) is lt
    assert a.le(b) is le
    assert b.gt(a) is lt and b.ge(a) is le
    assert a.ne(b) is (None if eq is None else not eq)


def test_bounds_are_shown_plainly_and_outwards():
    assert str(I("0.0001", "123456789012345")) == "[0.0001, 123456789100000]"
    assert str(I(None, 2)) == "[-inf, 2]"
    assert str(Interval(D(1) / D(3), D(2) / D(3))) == "[0.3333333333, 0.6666666667]"
    assert format_bound(D("1E+5")) == "100000"


# ---------------------------------------------------------------- enclosure

decimals = st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False,
                       places=4)


@st.composite
def interval_with_point(draw, open_ends: bool = True):
    """An interval (possibly with open ends) and a point inside it."""
    a, b = sorted([draw(decimals), draw(decimals)])
    point = draw(st.decimals(min_value=a, max_value=b, allow_nan=False, places=6))
    lower = None if open_ends and draw(st.booleans()) and draw(st.booleans()) else a
    upper = None if open_ends and draw(st.booleans()) and draw(st.booleans()) else b
    if lower is None:
        point = draw(st.sampled_from([point, point - draw(decimals).copy_abs() * 1000]))
    if upper is None:
        point = draw(st.sampled_from([point, point + draw(decimals).copy_abs() * 1000]))
    return Interval(lower, upper), point


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), interval_with_point(),
       st.sampled_from(["+", "-", "*", "/", "min", "max"]))
def test_binary_result_contains_point_result(x, y, op):
    (a, p), (b, q) = x, y
    if op == "/":
        assume(q != 0)
        if b.contains(D(0)):
            with pytest.raises(IntervalError):
                a / b
            return
    interval = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "min": lambda: minimum(a, b),
                "max": lambda: maximum(a, b)}[op]()
    point = {"+": NEAREST.add, "-": NEAREST.subtract, "*": NEAREST.multiply,
             "/": NEAREST.divide, "min": min, "max": max}[op](p, q)
    assert interval.contains(point), f"{a} {op} {b} = {interval} misses {p} {op} {q} = {point}"


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), st.integers(min_value=-4, max_value=5))
def test_integer_power_contains_point_result(x, n):
    a, p = x
    if n < 0:
        assume(p != 0)
        if a.contains(D(0)):   # 1 / a ** -n: a divisor that can be 0
            with pytest.raises(IntervalError):
                a ** D(n)
            return
    point = D(1) if n == 0 else NEAREST.power(p, n)    # Decimal leaves 0 ** 0 undefined
    assert (a ** D(n)).contains(point)


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), st.sampled_from(["0.1", "0.5", "1.5", "-0.5", "2.5", "-1.25"]))
def test_real_power_contains_point_result(x, exponent):
    a, p = abs(x[0]), abs(x[1])        # a non-integer power needs a base that is not negative
    e = D(exponent)
    if e < 0:
        assume(p > 0)
    point = D(0) if p == 0 else NEAREST.power(p, e)
    assert (a ** e).contains(point)


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), interval_with_point(),
       st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
def test_comparison_verdicts_are_sound(x, y, op):
    """True: the comparison holds for every pair of points; False: for none."""
    (a, p), (b, q) = x, y
    truth = getattr(a, op)(b)
    holds = {"eq": p == q, "ne": p != q, "lt": p < q, "le": p <= q, "gt": p > q,
             "ge": p >= q}[op]
    if truth is True:
        assert holds
    if truth is False:
        assert not holds
