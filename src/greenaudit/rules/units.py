"""Unit dimensions of rule expressions, checked with the project's pint registry.

Every value is evaluated in the *root* units of its unit (kW for MW, t for g,
percent for percent), so adding or comparing two values of one dimension needs no
conversion, and only references and unit-annotated numbers are scaled (by
`leaf_factor`). Percent and percentage point are different dimensions in the
registry; their arithmetic follows what the words mean:

- percent ± percentage point is percent (a 2022 share minus a rise since 2012);
- percentage point + percent is percent;
- percent − percent is percentage point (the change between two shares);
- comparing a percent with a percentage point is an error.

A bare number has no unit of its own: it is dimensionless in * and /, and takes the
other operand's unit in +, −, comparisons, min and max (`share@2022 > 10`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from greenaudit.workspace.catalog import Indicator
from greenaudit.rules.syntax import (Binary, Call, Comparison, ExpressionError, Logical, Negative, Node,
                                     Not, Number, Power, Reference)

if TYPE_CHECKING:  # pint is imported where it is used (see units.py)
    import pint

# A marker, compared by identity: `unit == "boolean"` on a pint unit would parse the
# string as a unit expression (slow, and meaningless here).
BOOLEAN = "boolean"


@dataclass(frozen=True)
class RuleUnits:
    """Units of one registry, for typing expressions over one catalog."""

    registry: pint.UnitRegistry
    catalog: dict[str, Indicator]
    # A pint conversion is slow and a corpus has few units but many rules.
    _roots: dict[str, tuple[Decimal, pint.Unit]] = field(default_factory=dict, compare=False,
                                                         repr=False)
    _named: dict[str, pint.Unit] = field(default_factory=dict, compare=False, repr=False)

    def root(self, unit: str) -> tuple[Decimal, pint.Unit]:
        """(factor, root unit): a value in `unit` times factor is in the root unit."""
        if unit not in self._roots:
            quantity = self.registry.Quantity(Decimal(1),
                                              self.registry.Unit(unit)).to_root_units()
            self._roots[unit] = Decimal(str(quantity.magnitude)), quantity.units
        return self._roots[unit]

    def leaf_factor(self, node: Node) -> Decimal:
        """The factor that brings a reference or a number into root units."""
        if isinstance(node, Reference):
            return self.root(self.catalog[node.indicator_id].unit)[0]
        if isinstance(node, Number) and node.unit:
            return self.root(node.unit)[0]
        return Decimal(1)

    def check_unit_text(self, node: Number) -> None:
        import pint

        try:
            self.registry.Unit(node.unit)
        except (pint.errors.PintError, AttributeError, TypeError, ValueError):
            raise ExpressionError(f"unit {node.unit!r} is not defined in the project's unit "
                                  f"registry (schemas/units.txt)", node.start) from None

    def unit_of(self, node: Node, text: str):
        """The root unit of `node` (None for a bare number, BOOLEAN for a comparison).

        `text` is the expression, for naming the operands of a mismatch.
        """
        if isinstance(node, Number):
            if node.unit is None:
                return None
            self.check_unit_text(node)
            return self.root(node.unit)[1]
        if isinstance(node, Reference):
            return self.root(self.catalog[node.indicator_id].unit)[1]
        if isinstance(node, Negative):
            return self._numeric(node.operand, text)
        if isinstance(node, Binary):
            left, right = self._numeric(node.left, text), self._numeric(node.right, text)
            if node.op in "+-":
                return self._additive(node, left, right, text)
            left = left if left is not None else self.registry.dimensionless
            right = right if right is not None else self.registry.dimensionless
            unit = left * right if node.op == "*" else left / right
            return self.registry.Quantity(Decimal(1), unit).to_root_units().units
        if isinstance(node, Power):
            base = self._numeric(node.base, text)
            if base is None:
                return None
            if base.dimensionless:
                return base
            if node.exponent != node.exponent.to_integral_value():
                raise ExpressionError(f"a non-integer power needs a dimensionless base; "
                                      f"{_snippet(text, node.base)} is in {base}", node.start)
            return base ** int(node.exponent)
        if isinstance(node, Call):
            units = [self._numeric(arg, text) for arg in node.args]
            result = None
            for arg, unit in zip(node.args, units):
                result = self._same(node, result, unit, node.args[0], arg, text,
                                    f"arguments of {node.function}")
            return result
        if isinstance(node, Comparison):
            units = [self._numeric(operand, text) for operand in node.operands]
            for i, op in enumerate(node.ops):
                self._same(node, units[i], units[i + 1], node.operands[i],
                           node.operands[i + 1], text, f"sides of {op}")
            return BOOLEAN
        if isinstance(node, (Logical, Not)):
            operands = node.operands if isinstance(node, Logical) else (node.operand,)
            for operand in operands:
                if self.unit_of(operand, text) is not BOOLEAN:
                    raise ExpressionError(f"{_snippet(text, operand)} is a number; "
                                          f"'{node.op if isinstance(node, Logical) else 'not'}'"
                                          f" needs comparisons", operand.start)
            return BOOLEAN
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover - parse() makes no other

    def _numeric(self, node: Node, text: str):
        unit = self.unit_of(node, text)
        if unit is BOOLEAN:
            raise ExpressionError(f"{_snippet(text, node)} is a comparison where a number is "
                                  f"expected", node.start)
        return unit

    def _unit(self, name: str):
        if name not in self._named:
            self._named[name] = self.registry.Unit(name)
        return self._named[name]

    def _is(self, unit, name: str) -> bool:
        return unit is not None and unit == self._unit(name)

    def _additive(self, node: Binary, left, right, text: str):
        if left is None or right is None:
            return right if left is None else left
        if self._is(left, "percent") and self._is(right, "percentage_point"):
            return left
        if node.op == "+" and self._is(left, "percentage_point") and self._is(right, "percent"):
            return right
        if node.op == "-" and self._is(left, "percent") and self._is(right, "percent"):
            return self._unit("percentage_point")
        return self._same(node, left, right, node.left, node.right, text,
                          f"operands of {node.op}")

    def _same(self, node: Node, left, right, left_node: Node, right_node: Node, text: str,
              what: str):
        if left is None or right is None:
            return right if left is None else left
        if left != right:
            raise ExpressionError(
                f"unit mismatch between the {what}: {_snippet(text, left_node)} is in {left}, "
                f"{_snippet(text, right_node)} is in {right}", node.start)
        return left


def _snippet(text: str, node: Node) -> str:
    return repr(text[node.start:node.end])
