"""Read a figure the way staging will: the generator's proof that an error is detectable.

The parser, the unit registry, the intervals and the catalog are the project's own,
loaded from the generated workspace, so "detectable in principle" is decided by the
same code the audit runs, not by a second opinion.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from greenaudit.workspace.catalog import load_catalog
from ..errors import QuantityError, UnitError
from greenaudit.text.quantity import QuantityParser, intervals
from greenaudit.text.units import UnitSystem


@dataclass(frozen=True)
class Reading:
    parsed: bool
    unit_ok: bool = False
    value: Decimal | None = None          # canonical
    lower: Decimal | None = None          # allowed interval, clamped like staging
    upper: Decimal | None = None
    outside_valid: bool = False
    implausible: bool = False

    @property
    def credible(self) -> bool:
        """What conflict attribution lets vote (evidence aside)."""
        return self.parsed and self.unit_ok and not self.outside_valid and not self.implausible

    @property
    def flagged(self) -> bool:
        """A range or plausibility check fails on this figure."""
        return self.outside_valid or self.implausible

    def disjoint(self, other: "Reading") -> bool:
        below = self.upper is not None and other.lower is not None and self.upper < other.lower
        above = self.lower is not None and other.upper is not None and self.lower > other.upper
        return below or above


def _within(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


class Oracle:
    def __init__(self, workspace: Path, approximate_band: Decimal, near_band: Decimal):
        schemas = workspace / "schemas"
        self.units = UnitSystem.load(schemas)
        self.catalog = load_catalog(schemas, self.units)
        self.parser = QuantityParser.for_units(self.units.written)
        self.approximate_band, self.near_band = approximate_band, near_band
        self._factors: dict[tuple[str, str], Decimal | None] = {}

    def _factor(self, written: str, unit: str) -> Decimal | None:
        """The conversion factor (None: another dimension), cached: pint is slow."""
        key = (written, unit)
        if key not in self._factors:
            try:
                self._factors[key] = self.units.factor(written, unit)
            except UnitError:
                self._factors[key] = None
        return self._factors[key]

    def read(self, indicator_id: str, quantity: str) -> Reading:
        indicator = self.catalog[indicator_id]
        try:
            q = self.parser.parse(quantity)
        except QuantityError:
            return Reading(False)
        try:
            written = self.units.project_unit(q.unit_text) if q.unit_text else indicator.unit
        except UnitError:
            return Reading(True, False)
        factor = self._factor(written, indicator.unit)
        if factor is None:
            return Reading(True, False)
        _, allowed = intervals(q, self.approximate_band, self.near_band)
        allowed = allowed.scaled(factor).clamped(indicator.valid_low, indicator.valid_high)
        value = q.scaled * factor
        return Reading(True, True, value, allowed.lower, allowed.upper,
                       not _within(value, indicator.valid_low, indicator.valid_high),
                       not _within(value, indicator.plausible_low, indicator.plausible_high))
