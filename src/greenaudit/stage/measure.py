"""The value of one table row: its unit, canonical value, intervals and range checks.

The intervals are computed as pairs of bounds rather than Interval objects: this
runs once per row, and the arithmetic is Interval.scaled, outward and clamped's own.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from greenaudit.errors import UnitError
from greenaudit.text.quantity import DB_QUANTUM, Quantity, intervals
from greenaudit.text.quantity_intervals import Interval, round_outward
from greenaudit.workspace.catalog import Indicator

if TYPE_CHECKING:
    from greenaudit.stage.observe import Findings, RowContext, Where

Bounds = tuple[Decimal | None, Decimal | None]


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _canonical(interval: Interval, factor: Decimal) -> Bounds:
    """interval.scaled(factor).outward(DB_QUANTUM): outwards to the database's 10
    decimal places (a 5% band of 3.14% has 4)."""
    lower, upper = interval.lower, interval.upper
    return (None if lower is None else round_outward(lower * factor, DB_QUANTUM, ROUND_FLOOR),
            None if upper is None else round_outward(upper * factor, DB_QUANTUM, ROUND_CEILING))


def _clamped(bounds: Bounds, low: Decimal | None, high: Decimal | None) -> Bounds:
    """Interval.clamped(low, high) of a pair of bounds."""
    lower, upper = bounds
    if low is not None:
        lower = low if lower is None else max(lower, low)
    if high is not None:
        upper = high if upper is None else min(upper, high)
    return lower, upper


def _label(record: dict, quantity: Quantity, indicator: Indicator, where: Where) -> str:
    return f"{where('quantity')}: {indicator.indicator_id} {record['period']} = {quantity.text}"


def measure(line: int, record: dict, quantity: Quantity, indicator: Indicator,
            context: RowContext, findings: Findings, where: Where) -> dict | None:
    """The canonical value, its intervals and range flags (None: the unit does not fit)."""
    flags: list[str] = []
    if quantity.unit_text:
        written_unit = context.units.project_unit(quantity.unit_text)
    else:
        written_unit = indicator.unit
        flags.append("unit_implied")
    try:
        factor = context.units.factor(written_unit, indicator.unit)
    except UnitError as exc:
        findings.add("unit_compatible", line, f"{where('quantity')}: "
                     f"{quantity.unit or quantity.text} for {indicator.indicator_id}: {exc.reason}")
        return None
    settings = context.settings
    stated, allowed = (_canonical(i, factor) for i in
                       intervals(quantity, settings.approximate_band, settings.near_band))
    value_canonical = quantity.scaled * factor
    if not _within(value_canonical, indicator.valid_low, indicator.valid_high):
        findings.add("valid_range", line, f"{_label(record, quantity, indicator, where)} is "
                     f"outside the valid range [{_fmt(indicator.valid_low)}, "
                     f"{_fmt(indicator.valid_high)}] {indicator.unit}")
        flags.append("outside_valid_range")
    if not _within(value_canonical, indicator.plausible_low, indicator.plausible_high):
        findings.add("plausible_range", line, f"{_label(record, quantity, indicator, where)} is "
                     f"outside the plausible range [{_fmt(indicator.plausible_low)}, "
                     f"{_fmt(indicator.plausible_high)}] {indicator.unit}: "
                     f"{indicator.plausible_reason}")
        flags.append("implausible")
    stated = _clamped(stated, indicator.valid_low, indicator.valid_high)
    allowed = _clamped(allowed, indicator.valid_low, indicator.valid_high)
    return {"value_canonical": value_canonical, "unit_canonical": indicator.unit,
            "lower": allowed[0], "upper": allowed[1],
            "stated_lower": stated[0], "stated_upper": stated[1], "flags": flags}
