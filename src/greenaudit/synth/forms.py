"""How a document states a true value: exactly, rounded, restated, or qualified.

Every form is chosen so that its interval (as greenaudit.text.quantity.intervals reads it)
contains the true value: exact figures carry half a unit of their last digit, so a
rounded figure still covers the truth; a lower bound is at or below it; an upper
bound and a "nearly" figure at or above it, within the configured bands. Sources
stating one value in different forms therefore agree, at most within rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

MAGNITUDE_EXPONENT = {"": 0, "万": 4, "亿": 8, "万亿": 12}

EXACT, ROUNDED, RESTATED, OVER, AT_LEAST, PLUS, ABOUT, AROUND, NEAR, UNDER = range(10)
FORM_NAMES = ("exact", "rounded", "restated", "over", "at_least", "plus", "about", "around",
              "near", "under")
# How often a non-identity statement takes each form (weights, in FORM order).
FORM_WEIGHTS = (55, 10, 8, 6, 4, 3, 5, 3, 4, 2)
PREFIX = {OVER: "超过", ABOUT: "约", NEAR: "近", UNDER: "不到"}
SUFFIX = {AT_LEAST: "以上", AROUND: "左右"}


@dataclass(frozen=True)
class Style:
    """How figures of one indicator are written."""

    written_unit: str       # 家, 元, %, 个百分点
    magnitude: str          # "", 万, 亿
    decimals: int           # of the exact figure
    big_magnitude: str = ""  # of the coarser restatement; "" for none

    @property
    def counts(self) -> bool:
        """Whole numbers without magnitude (2783家) take 余: 2700余家."""
        return self.decimals == 0 and self.magnitude == ""


def number(value: Decimal) -> str:
    """Plain positional notation, never an exponent."""
    return format(value, "f")


def quantity(value: Decimal, style: Style, *, magnitude: str | None = None, prefix: str = "",
             infix: str = "", suffix: str = "", unit: str | None = None) -> str:
    mag = style.magnitude if magnitude is None else magnitude
    return (f"{prefix}{number(value)}{mag}{infix}"
            f"{style.written_unit if unit is None else unit}{suffix}")


def format_units(units: int, decimals: int) -> str:
    """`units` of 10^-decimals as a plain decimal: (1555, 1) -> 155.5."""
    digits = str(abs(units)).rjust(decimals + 1, "0")
    sign = "-" if units < 0 else ""
    if decimals == 0:
        return sign + digits
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def exact_value(units: int, style: Style) -> Decimal:
    """The true value, `units` of the last stated digit, in written magnitude units."""
    return Decimal(units).scaleb(-style.decimals)


def _quantum(value: Decimal, style: Style) -> Decimal:
    """The step of a coarser, rounder figure."""
    if style.decimals > 0:
        return Decimal(1)
    return Decimal(10) if value < 1000 else Decimal(100)


def render(units: int, style: Style, form: int, approximate_band: Decimal,
           near_band: Decimal) -> str | None:
    """The quantity as a document writes it in `form`, or None if the form does not fit."""
    if form == EXACT:  # the common case, in plain string arithmetic
        return f"{format_units(units, style.decimals)}{style.magnitude}{style.written_unit}"
    value = exact_value(units, style)
    if form == ROUNDED:
        if style.decimals == 0:
            return None
        coarser = value.quantize(Decimal(1).scaleb(1 - style.decimals), ROUND_HALF_EVEN)
        return quantity(coarser, style)
    if form == RESTATED:
        if not style.big_magnitude:
            return None
        shift = MAGNITUDE_EXPONENT[style.big_magnitude] - MAGNITUDE_EXPONENT[style.magnitude]
        big = value.scaleb(-shift).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        if big < Decimal("0.1"):
            return None
        return quantity(big, style, magnitude=style.big_magnitude)
    step = _quantum(value, style)
    if form in (OVER, AT_LEAST, PLUS):
        if form == PLUS and not style.counts:
            return None
        low = (value / step).to_integral_value(ROUND_FLOOR) * step
        if low == value:
            low -= step
        if low <= 0:
            return None
        return quantity(low, style, prefix=PREFIX.get(form, ""), suffix=SUFFIX.get(form, ""),
                        infix="余" if form == PLUS else "")
    if form in (ABOUT, AROUND):
        middle = (value / step).to_integral_value(ROUND_HALF_EVEN) * step
        half = Decimal(5).scaleb(middle.as_tuple().exponent - 1)
        if middle <= 0 or abs(value - middle) > max(approximate_band * middle, half):
            return None
        return quantity(middle, style, prefix=PREFIX.get(form, ""), suffix=SUFFIX.get(form, ""))
    if form in (NEAR, UNDER):
        high = (value / step).to_integral_value(ROUND_CEILING) * step
        if high == value:
            high += step
        if form == NEAR and high * (1 - near_band) > value:
            return None
        return quantity(high, style, prefix=PREFIX[form])
    raise ValueError(f"unknown form {form}")
