"""Interval arithmetic on Decimal bounds, for checking rules against rounded figures.

An `Interval` is the closed set [lower, upper]; a bound of None is an open end
(unbounded). Every operation returns an interval that contains the result of the
operation applied to any points of its operands: lower bounds are rounded towards
minus infinity and upper bounds towards plus infinity, so the enclosure survives
Decimal rounding. Comparisons are three-valued (True, False, or None when the
intervals allow both outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal

PRECISION = 40
_DOWN = Context(prec=PRECISION, rounding=ROUND_FLOOR)
_UP = Context(prec=PRECISION, rounding=ROUND_CEILING)
NEAREST = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
_INF = Decimal("Infinity")
_NEG_INF = Decimal("-Infinity")
_ZERO = Decimal(0)


class IntervalError(ArithmeticError):
    """An operation that has no value for any point of its operands (x / 0, (-1) ** 0.5)."""


def _lo(value: Decimal | None) -> Decimal:
    return _NEG_INF if value is None else value


def _hi(value: Decimal | None) -> Decimal:
    return _INF if value is None else value


def _mul(a: Decimal, b: Decimal, context: Context) -> Decimal:
    # An infinite bound stands for "unbounded", and 0 times any real number is 0.
    if a.is_zero() or b.is_zero():
        return _ZERO
    return context.multiply(a, b)


def _div(a: Decimal, b: Decimal, context: Context) -> Decimal:
    if b.is_infinite():
        return _ZERO if a.is_finite() else (_INF if (a > 0) == (b > 0) else _NEG_INF)
    return context.divide(a, b)


@dataclass(frozen=True)
class Interval:
    """The closed interval [lower, upper]; None is an open end."""

    lower: Decimal | None
    upper: Decimal | None

    def __post_init__(self) -> None:
        for bound in (self.lower, self.upper):
            if bound is not None and not (isinstance(bound, Decimal) and bound.is_finite()):
                raise ValueError(f"interval bound {bound!r} is not a finite Decimal")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"interval [{self.lower}, {self.upper}] is reversed")

    # ------------------------------------------------------------ construction

    @classmethod
    def point(cls, value: Decimal) -> "Interval":
        return cls(value, value)

    @classmethod
    def entire(cls) -> "Interval":
        return cls(None, None)

    @classmethod
    def _from(cls, lower: Decimal, upper: Decimal) -> "Interval":
        """From internal bounds, where infinities are open ends."""
        return cls(None if lower.is_infinite() else lower, None if upper.is_infinite() else upper)

    @property
    def _bounds(self) -> tuple[Decimal, Decimal]:
        return _lo(self.lower), _hi(self.upper)

    # ------------------------------------------------------------ set relations

    def contains(self, value: Decimal) -> bool:
        return (self.lower is None or self.lower <= value) and (
            self.upper is None or value <= self.upper)

    def contains_interval(self, other: "Interval") -> bool:
        lo, hi = self._bounds
        olo, ohi = other._bounds
        return lo <= olo and ohi <= hi

    def overlaps(self, other: "Interval") -> bool:
        lo, hi = self._bounds
        olo, ohi = other._bounds
        return lo <= ohi and olo <= hi

    def intersection(self, other: "Interval") -> "Interval | None":
        """The common part, or None when the intervals are disjoint."""
        if not self.overlaps(other):
            return None
        lo, hi = self._bounds
        olo, ohi = other._bounds
        return Interval._from(max(lo, olo), min(hi, ohi))

    def hull(self, other: "Interval") -> "Interval":
        lo, hi = self._bounds
        olo, ohi = other._bounds
        return Interval._from(min(lo, olo), max(hi, ohi))

    @property
    def is_point(self) -> bool:
        return self.lower is not None and self.lower == self.upper

    # ------------------------------------------------------------ arithmetic

    def __neg__(self) -> "Interval":
        return Interval(None if self.upper is None else -self.upper,
                        None if self.lower is None else -self.lower)

    def __add__(self, other: "Interval") -> "Interval":
        lo, hi = self._bounds
        olo, ohi = other._bounds
        return Interval._from(_DOWN.add(lo, olo), _UP.add(hi, ohi))

    def __sub__(self, other: "Interval") -> "Interval":
        return self + (-other)

    def __mul__(self, other: "Interval") -> "Interval":
        lo, hi = self._bounds
        olo, ohi = other._bounds
        pairs = [(lo, olo), (lo, ohi), (hi, olo), (hi, ohi)]
        return Interval._from(min(_mul(a, b, _DOWN) for a, b in pairs),
                              max(_mul(a, b, _UP) for a, b in pairs))

    def __truediv__(self, other: "Interval") -> "Interval":
        """self / other; undefined (IntervalError) when the divisor can be 0.

        The quotient by a divisor that reaches 0 is unbounded on that side, an
        enclosure that says nothing: clipped to a valid range it would still give a
        finite "derived" value (50 for [0, 100]). So it is refused, like x / 0.
        """
        olo, ohi = other._bounds
        if olo.is_zero() and ohi.is_zero():
            raise IntervalError("division by an interval that is exactly 0")
        if not (olo > 0 or ohi < 0):
            raise IntervalError(f"division by {other}, an interval that contains 0")
        lo, hi = self._bounds
        pairs = [(lo, olo), (lo, ohi), (hi, olo), (hi, ohi)]
        return Interval._from(min(_div(a, b, _DOWN) for a, b in pairs),
                              max(_div(a, b, _UP) for a, b in pairs))

    def __pow__(self, exponent: Decimal) -> "Interval":
        """self ** exponent for a constant exponent."""
        if not isinstance(exponent, Decimal) or not exponent.is_finite():
            raise ValueError(f"exponent {exponent!r} is not a finite Decimal")
        if exponent == exponent.to_integral_value():
            return self._integer_power(int(exponent))
        return self._real_power(exponent)

    def _integer_power(self, n: int) -> "Interval":
        if n == 0:
            return Interval.point(Decimal(1))
        if n < 0:
            return Interval.point(Decimal(1)) / self._integer_power(-n)
        lo, hi = self._bounds

        def power(x: Decimal, context: Context) -> Decimal:
            if x.is_infinite():
                return x if n % 2 else _INF
            return context.power(x, n)
        if n % 2 or lo >= 0:       # increasing on the interval
            return Interval._from(power(lo, _DOWN), power(hi, _UP))
        if hi <= 0:                # even power of non-positive numbers: decreasing
            return Interval._from(power(hi, _DOWN), power(lo, _UP))
        return Interval._from(_ZERO, max(power(lo, _UP), power(hi, _UP)))

    def _real_power(self, p: Decimal) -> "Interval":
        lo, hi = self._bounds
        if hi < 0 or (p < 0 and hi.is_zero()):
            raise IntervalError(f"power {p} of an interval with no positive number")
        if lo < 0:
            raise IntervalError(f"power {p} of an interval that reaches below 0")

        # Decimal's non-integer power is computed to nearest and "almost always"
        # correctly rounded, whatever the context's rounding: widen it by a few units
        # in the last place on the outward side.
        def power(x: Decimal, outward: int) -> Decimal:
            if x.is_infinite():
                return _INF if p > 0 else _ZERO
            if x.is_zero():
                return _ZERO if p > 0 else _INF
            result = NEAREST.power(x, p)
            ulp = Decimal(1).scaleb(result.adjusted() - PRECISION + 1)
            return max(_ZERO, NEAREST.fma(outward * 4, ulp, result))

        def down(x: Decimal) -> Decimal:
            return power(x, -1)

        def up(x: Decimal) -> Decimal:
            return power(x, 1)
        if p > 0:
            return Interval._from(down(lo), up(hi))
        return Interval._from(down(hi), up(lo))

    def __abs__(self) -> "Interval":
        lo, hi = self._bounds
        if lo >= 0:
            return self
        if hi <= 0:
            return -self
        return Interval._from(_ZERO, max(-lo, hi))

    def scaled(self, factor: Decimal) -> "Interval":
        return self * Interval.point(factor)

    # ------------------------------------------------------------ comparisons

    def lt(self, other: "Interval") -> bool | None:
        """True if every point of self is below every point of other, False if none is."""
        lo, hi = self._bounds
        olo, ohi = other._bounds
        if hi < olo:
            return True
        if lo >= ohi:
            return False
        return None

    def le(self, other: "Interval") -> bool | None:
        lo, hi = self._bounds
        olo, ohi = other._bounds
        if hi <= olo:
            return True
        if lo > ohi:
            return False
        return None

    def gt(self, other: "Interval") -> bool | None:
        return other.lt(self)

    def ge(self, other: "Interval") -> bool | None:
        return other.le(self)

    def eq(self, other: "Interval") -> bool | None:
        if not self.overlaps(other):
            return False
        if self.is_point and other.is_point:
            return True
        return None

    def ne(self, other: "Interval") -> bool | None:
        result = self.eq(other)
        return None if result is None else not result

    def __str__(self) -> str:
        return (f"[{format_bound(self.lower, ROUND_FLOOR) if self.lower is not None else '-inf'}, "
                f"{format_bound(self.upper, ROUND_CEILING) if self.upper is not None else '+inf'}]")


def minimum(*intervals: Interval) -> Interval:
    return Interval._from(min(i._bounds[0] for i in intervals),
                          min(i._bounds[1] for i in intervals))


def maximum(*intervals: Interval) -> Interval:
    return Interval._from(max(i._bounds[0] for i in intervals),
                          max(i._bounds[1] for i in intervals))


def format_bound(value: Decimal, rounding: str = ROUND_HALF_EVEN,
                 significant: int = 10) -> str:
    """A bound as a plain decimal of at most `significant` digits, never in exponent form.

    Lower bounds are shown rounded down and upper bounds rounded up, so that the
    interval a message shows still contains the one computed.
    """
    shown = Context(prec=significant, rounding=rounding).plus(value)
    text = format(shown.normalize(), "f")
    return "0" if text in ("-0", "0.0") else text
