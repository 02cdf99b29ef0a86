"""The intervals a parsed quantity allows: what its words say, and its rounding."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from greenaudit.errors import QuantityError

if TYPE_CHECKING:
    from greenaudit.text.quantity import Quantity


@dataclass(frozen=True)
class Interval:
    """A closed interval; None is an open end."""

    lower: Decimal | None
    upper: Decimal | None

    def scaled(self, factor: Decimal) -> "Interval":
        return Interval(None if self.lower is None else self.lower * factor,
                        None if self.upper is None else self.upper * factor)

    def clamped(self, low: Decimal | None, high: Decimal | None) -> "Interval":
        lower, upper = self.lower, self.upper
        if low is not None:
            lower = low if lower is None else max(lower, low)
        if high is not None:
            upper = high if upper is None else min(upper, high)
        return Interval(lower, upper)

    def outward(self, quantum: Decimal) -> "Interval":
        """Rounded outwards to a multiple of `quantum` where finer (what the database keeps)."""
        return Interval(_round(self.lower, quantum, ROUND_FLOOR),
                        _round(self.upper, quantum, ROUND_CEILING))


_WIDE = Context(prec=80)


@lru_cache(maxsize=8)
def _exponent(quantum: Decimal) -> int:
    return int(quantum.as_tuple().exponent)


def _round(x: Decimal | None, quantum: Decimal, rounding: str) -> Decimal | None:
    return None if x is None else round_outward(x, quantum, rounding)


def round_outward(x: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    """`x` rounded (ROUND_FLOOR, ROUND_CEILING) to a multiple of `quantum` where finer."""
    if x.as_tuple().exponent >= _exponent(quantum):
        return x
    return x.quantize(quantum, rounding, _WIDE)


def half_unit(exponent: int) -> Decimal:
    """Half a unit of the last stated digit: 28 -> 0.5, 28.2 -> 0.05."""
    return Decimal(5).scaleb(exponent - 1)


def intervals(q: Quantity, approximate_band: Decimal, near_band: Decimal) -> tuple[Interval, Interval]:
    """The (stated, allowed) intervals of a quantity, in its written base unit.

    `stated` is what the words allow when the digits are taken as exact; `allowed`
    also covers the rounding of the last stated digit. Two sources *agree* when
    their stated intervals meet, *agree within rounding* when only the allowed ones do.
    Every interval is closed: a strict bound (超过40%) is published as its closure.
    """
    v = q.scaled
    if q.rounding is not None:
        # A named ratio (一半, 三分之一) is exact; a non-terminating one is known to
        # its last kept place, and every interval is widened by that much.
        stated = _stated(q, v, approximate_band, near_band)
        widened = Interval(None if stated.lower is None else stated.lower - q.rounding,
                           None if stated.upper is None else stated.upper + q.rounding)
        return widened, widened
    half = half_unit(q.exponent) * q.magnitude
    # Thresholds (bounds, 余/多) are the author's round numbers, not rounded
    # measurements: only exact figures, approximate ones and the ends of a range are
    # widened by the rounding of their digits.
    stated = _stated(q, v, approximate_band, near_band)
    if q.qualifier == "exact":
        return stated, Interval(v - half, v + half)
    if q.qualifier == "approximate":
        band = max(abs(v) * approximate_band, half)
        return stated, Interval(v - band, v + band)
    if q.qualifier == "range":
        assert stated.upper is not None
        return stated, Interval(v - half,
                                stated.upper + half_unit(q.exponent_high) * q.magnitude)
    return stated, stated


def _stated(q: Quantity, v: Decimal, approximate_band: Decimal, near_band: Decimal) -> Interval:
    """What the words allow when the digits are taken as exact."""
    if q.qualifier == "exact":
        return Interval(v, v)
    if q.qualifier == "approximate":
        band = abs(v) * approximate_band
        return Interval(v - band, v + band)
    if q.qualifier == "range":
        assert q.value_high is not None
        return Interval(v, q.value_high * q.magnitude)
    if q.qualifier == "lower_bound":
        return Interval(v, None)
    if q.qualifier == "upper_bound":
        return Interval(None, v)
    if q.qualifier == "near":
        return Interval(v - abs(v) * near_band, v)
    if q.qualifier == "odd":
        assert q.step is not None
        return Interval(v, v + q.step * q.magnitude)
    if q.qualifier == "two_digit":
        return Interval(Decimal(10), Decimal(100))
    raise QuantityError(f"unknown qualifier {q.qualifier!r}")  # pragma: no cover
