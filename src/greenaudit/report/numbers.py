"""Numbers as a reader writes them: digit groups, a magnitude word, intervals to the
precision of the statement.

The published tables hold exact decimals (20000000000000, an interval end such as
3108007.4487895716 that a rule computed). The page shows the same numbers the way
a person writes them: "20 trillion", "3,109,000", and an interval whose ends are
rounded outward to two digits beyond the value's last stated digit, so that what
is shown always contains what is published. Only `Decimal` is used: nothing here
rounds a figure through a float.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, InvalidOperation, localcontext

from markupsafe import Markup, escape

# Magnitude words for large amounts, largest first (the page is in English).
MAGNITUDES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"),
              (Decimal(10) ** 6, "million"))
# Characters after which a long identifier may wrap (ids, paths, URLs, breakdowns).
BREAK_AFTER = frozenset("._/=;:&?-")
# Wide enough for DECIMAL(38,10) values divided by the smallest step.
_EXACT = Context(prec=100)
# Digits an interval end keeps beyond the last stated digit of its value.
EXTRA_DIGITS = 2


def decimal_or_none(text: str) -> Decimal | None:
    try:
        number = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _plain(number: Decimal) -> str:
    """Positional digits without trailing zeros, grouped by threes ("3,109,000", "15.5")."""
    text = format(number.normalize(), "f")
    if text in ("-0", "0.0"):
        text = "0"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}"
    return sign + grouped + (f".{fraction}" if fraction else "")


def scale_of(number: Decimal | None) -> tuple[Decimal, str]:
    """The magnitude (factor, word) a number is written with: 1 below a million."""
    if number is None:
        return Decimal(1), ""
    for factor, word in MAGNITUDES:
        if abs(number) >= factor:
            return factor, word
    return Decimal(1), ""


def number_text(text: str, scale: tuple[Decimal, str] | None = None) -> str:
    """A published number as a reader writes it ("20 trillion", "3.109 million", "45").

    Text that is not a number is returned as it is.
    """
    number = decimal_or_none(text)
    if number is None:
        return text
    factor, word = scale or scale_of(number)
    with localcontext(_EXACT):
        shown = _plain(number / factor)
    return f"{shown} {word}" if word else shown


def last_digit_exponent(number: Decimal) -> int | None:
    """The power of ten of the last non-zero digit (3109000 -> 3, 15.5 -> -1)."""
    if number == 0:
        return None
    sign, digits, exponent = number.normalize().as_tuple()
    return int(exponent) if isinstance(exponent, int) else None


def quantum(value: Decimal | None, lower: Decimal | None, upper: Decimal | None) -> Decimal:
    """The step interval ends are shown to: two digits beyond the value's last digit.

    Without a non-zero value, six significant digits of the larger end.
    """
    exponent = last_digit_exponent(value) if value is not None else None
    if exponent is not None:
        return Decimal(1).scaleb(exponent - EXTRA_DIGITS)
    ends = [abs(e) for e in (lower, upper) if e is not None and e != 0]
    if not ends:
        return Decimal(1)
    return Decimal(1).scaleb(max(ends).adjusted() - 5)


def outward(end: Decimal, step: Decimal, rounding: str) -> Decimal:
    """`end` rounded to a multiple of `step` (down for a lower end, up for an upper)."""
    with localcontext(_EXACT):
        steps = end / step
        if steps == steps.to_integral_value():
            return end
        return steps.to_integral_value(rounding=rounding) * step


def interval_text(lower: str, upper: str, value: str = "") -> str:
    """The interval a statement allows, to the precision of the statement.

    "19.5 – 20.5 trillion", "≥ 40", "≤ 5", "unbounded"; ends are rounded outward, so
    the interval shown contains the published one.
    """
    low, high, point = decimal_or_none(lower), decimal_or_none(upper), decimal_or_none(value)
    if low is None and high is None:
        return "unbounded" if not (lower or upper) else f"[{lower or '−∞'}, {upper or '∞'}]"
    step = quantum(point, low, high)
    low = None if low is None else outward(low, step, ROUND_FLOOR)
    high = None if high is None else outward(high, step, ROUND_CEILING)
    factor, word = scale_of(point if point is not None else max(
        (abs(e) for e in (low, high) if e is not None), default=None))
    suffix = f" {word}" if word else ""

    def show(end: Decimal) -> str:
        with localcontext(_EXACT):
            return _plain(end / factor)
    if low is None:
        return f"≤ {show(high)}{suffix}"
    if high is None:
        return f"≥ {show(low)}{suffix}"
    if low == high:
        return f"{show(low)}{suffix}"
    return f"{show(low)} – {show(high)}{suffix}"


def breakable(text) -> Markup:
    """`text` escaped, with a line-break opportunity after each separator of a long id."""
    pieces = []
    for ch in str(text):
        pieces.append(str(escape(ch)))
        if ch in BREAK_AFTER:
            pieces.append("<wbr>")
    return Markup("".join(pieces))
