"""Written units -> project units -> canonical units, through a pint registry.

The registry (schemas/units.txt) is loaded into an *empty* pint registry, so that
percent and percentage point, yuan and dollar, count and mass are each their own
dimension: adding a percent to a count is an error, not a silent number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from greenaudit.formats import yamlfile
from greenaudit.errors import InputError, UnitError, excerpt
from greenaudit.suggest import did_you_mean

if TYPE_CHECKING:
    import pint

# pint is imported where a registry is built, not here: importing it is slow, and
# the jobs that only need the names this module's importers define do not pay it.


@dataclass(frozen=True)
class UnitSystem:
    """The unit vocabulary of one workspace."""

    written: dict[str, str]          # written unit (千瓦时) -> project unit (kWh)
    registry_file: Path
    # pint conversions are slow; a workspace has few distinct unit pairs.
    _factors: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, schemas_dir: Path) -> "UnitSystem":
        path = schemas_dir / "units.yaml"
        try:
            data = yamlfile.load(path)
        except InputError as exc:
            raise UnitError(exc.reason, file=exc.file, line=exc.line, column=exc.column) from None
        written = data.get("written_units") if isinstance(data, dict) else None
        if not isinstance(written, dict) or not written:
            raise UnitError("expected a mapping 'written_units: {written: project unit}'",
                            file=str(path))
        return cls({str(k): str(v) for k, v in written.items()}, schemas_dir / "units.txt")

    @cached_property
    def registry(self) -> pint.UnitRegistry:
        import pint

        registry = pint.UnitRegistry(None, non_int_type=Decimal, autoconvert_offset_to_baseunit=False)
        path = str(self.registry_file)
        try:
            lines = yamlfile.read_text(self.registry_file).split("\n")
        except InputError as exc:
            raise UnitError(f"{exc.reason}; expected the pint unit definitions", file=path,
                            line=exc.line, column=exc.column) from None
        try:
            # Lines, not the path: pint would open (and follow) the path itself.
            registry.load_definitions(lines)
        except (pint.errors.PintError, ValueError, TypeError, KeyError) as exc:
            statement = getattr(exc, "_statement", None)  # pint >= 0.20 (flexparser)
            line = getattr(statement, "start_line", None) or getattr(exc, "lineno", None)
            column = getattr(statement, "start_col", None)
            reason = getattr(exc, "msg", None) or str(exc).splitlines()[0]
            raise UnitError(f"invalid unit definition: {reason}; expected pint's "
                            f"'name = definition' syntax", file=path, line=line or None,
                            column=None if column is None or not line else column + 1) from None
        return registry

    def project_unit(self, written: str) -> str:
        """The project unit of a written unit (without magnitude words)."""
        try:
            return self.written[written]
        except KeyError:
            raise UnitError(f"unknown unit {excerpt(written)}{did_you_mean(written, self.written)}; "
                            f"expected one of {', '.join(sorted(self.written))} "
                            f"(schemas/units.yaml)") from None

    def check_unit(self, unit: str) -> None:
        """Raise unless `unit` is a unit of the registry."""
        registry = self.registry  # imports pint
        import pint

        try:
            registry.Unit(unit)
        except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as exc:
            hint = did_you_mean(unit, set(self.written.values()))
            raise UnitError(f"unit {excerpt(unit)} is not defined in {self.registry_file.name}{hint}; "
                            f"expected a project unit such as "
                            f"{', '.join(sorted(set(self.written.values()))[:6])}") from exc

    def factor(self, from_unit: str, to_unit: str) -> Decimal:
        """The exact factor that converts `from_unit` into `to_unit`.

        Raises UnitError naming both dimensions when they differ.
        """
        key = (from_unit, to_unit)
        if key not in self._factors:
            try:
                self._factors[key] = self._convert(from_unit, to_unit)
            except UnitError as exc:
                self._factors[key] = exc
        result = self._factors[key]
        if isinstance(result, UnitError):
            raise result.with_traceback(None)
        return result

    def _convert(self, from_unit: str, to_unit: str) -> Decimal:
        for unit in (from_unit, to_unit):
            self.check_unit(unit)
        src, dst = self.registry.Unit(from_unit), self.registry.Unit(to_unit)
        if src.dimensionality != dst.dimensionality:
            raise UnitError(f"unit {from_unit} ({_dims(src)}) cannot express an indicator "
                            f"measured in {to_unit} ({_dims(dst)})")
        return Decimal(str(self.registry.Quantity(Decimal(1), src).to(dst).magnitude))


def _dims(unit: pint.Unit) -> str:
    dims = dict(unit.dimensionality)
    return " ".join(f"{k.strip('[]')}^{v}" if v != 1 else k.strip("[]") for k, v in sorted(dims.items())) or "dimensionless"
