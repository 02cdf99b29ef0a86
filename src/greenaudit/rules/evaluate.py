"""Evaluate a rule on the intervals the sources allow, and say why it holds or fails.

Each reference reads an `Input`: the interval the sources allow for that
(indicator, period, breakdown), the interval their digits state, and a point
value. Arithmetic is interval arithmetic, so rounding and qualifiers (超过, 约, 近)
propagate. A comparison is three-valued: it *holds* (true for every point of the
intervals), is *possible* (true for some points), or is *violated* (true for none).
A rule fails only when it is violated: `==` holds as long as the intervals overlap,
and `a <= b` fails only when every value `a` allows is above every value `b` allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from greenaudit.rules.syntax import (Binary, Call, Comparison, Logical, Negative, Node, Not, Number,
                                     Power, Reference)
from greenaudit.text.intervals import (NEAREST, Interval, IntervalError, format_bound, maximum,
                                  minimum)
from greenaudit.rules.affine import exact_verdict
from greenaudit.rules.units import RuleUnits
from greenaudit.errors import excerpt
from greenaudit.rules.load import Rule

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Input:
    """What the sources say about one (indicator, period, breakdown), in its catalog unit."""

    allowed: Interval
    stated: Interval
    point: Decimal
    rows: tuple[tuple[str, int], ...] = ()     # (source_id, row_number) of each statement
    conflict: bool = False                     # the sources disagree: `allowed` is their hull


@dataclass(frozen=True)
class Value:
    allowed: Interval
    stated: Interval | None       # None when the stated digits leave it undefined (x / 0)
    point: Decimal | None


@dataclass(frozen=True)
class Judged:
    """One comparison of a rule, as evaluated."""

    left: str
    op: str
    right: str
    truth: bool | None

    @property
    def verdict(self) -> str:
        return {True: "holds", None: "possible within the intervals", False: "violated"}[self.truth]

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}: {self.verdict}"


@dataclass
class RuleResult:
    rule: Rule
    truth: bool | None = None
    missing: list[Reference] = field(default_factory=list)
    error: str = ""
    judged: list[Judged] = field(default_factory=list)
    derived: Value | None = None          # the deriving rule's value, in its catalog unit

    @property
    def evaluated(self) -> bool:
        return not self.missing and not self.error

    @property
    def passed(self) -> bool:
        return self.evaluated and self.truth is not False

    def message(self) -> str:
        rule = self.rule
        if self.missing:
            return (f"cannot evaluate: no source states "
                    f"{', '.join(ref.text for ref in self.missing)}")
        if self.error:
            return f"cannot evaluate: {self.error}"
        parts = [str(j) for j in self.judged]
        if rule.derive is not None and self.derived is not None:
            value = self.derived
            point = "" if value.point is None else f"{_plain(value.point)} "
            if not self.judged:
                parts.append(f"no source states {rule.derive.text} to compare")
            parts.append(f"derives {rule.derive.text} = {point}{value.allowed}")
        return "; ".join(parts)


def _plain(value: Decimal) -> str:
    return format_bound(value)


class _Evaluator:
    def __init__(self, rule: Rule, inputs: dict[Key, Input], units: RuleUnits) -> None:
        self.rule = rule
        self.inputs = inputs
        self.units = units
        self.judged: list[Judged] = []

    def text(self, node: Node) -> str:
        return " ".join(self.rule.expression[node.start:node.end].split())

    def describe(self, node: Node, value: Value) -> str:
        unit = self.units.unit_of(node, self.rule.expression)
        unit_text = "" if unit is None or unit.dimensionless else f" {unit}"
        if isinstance(node, Number):
            if node.unit is None or self.units.leaf_factor(node) == 1:
                return self.text(node)
            return f"{self.text(node)} = {_plain(value.allowed.lower)}{unit_text}"
        return f"{self.text(node)} = {value.allowed}{unit_text}"

    # numbers

    def value(self, node: Node) -> Value:
        if isinstance(node, (Number, Reference)):
            factor = self.units.leaf_factor(node)
            if isinstance(node, Number):
                point = NEAREST.multiply(node.value, factor)
                return Value(Interval.point(point), Interval.point(point), point)
            source = self.inputs[node.key]
            return Value(source.allowed.scaled(factor), source.stated.scaled(factor),
                         NEAREST.multiply(source.point, factor))
        if isinstance(node, Negative):
            v = self.value(node.operand)
            return Value(-v.allowed, None if v.stated is None else -v.stated,
                         None if v.point is None else -v.point)
        if isinstance(node, Binary):
            left, right = self.value(node.left), self.value(node.right)
            return self.combine(left, right, *_BINARY[node.op])
        if isinstance(node, Power):
            v = self.value(node.base)
            return self.apply(v, lambda i: i ** node.exponent,
                              lambda p: NEAREST.power(p, node.exponent))
        if isinstance(node, Call):
            values = [self.value(arg) for arg in node.args]
            if node.function == "abs":
                return self.apply(values[0], abs, abs)
            intervals, points = _CALLS[node.function]
            stated = None if any(v.stated is None for v in values) else intervals(
                *[v.stated for v in values])
            point = None if any(v.point is None for v in values) else points(
                v.point for v in values)
            return Value(intervals(*[v.allowed for v in values]), stated, point)
        raise TypeError(f"not a number: {node!r}")  # pragma: no cover - typed at load

    @staticmethod
    def combine(left: Value, right: Value, on_intervals, on_points) -> Value:
        allowed = on_intervals(left.allowed, right.allowed)
        stated = None
        if left.stated is not None and right.stated is not None:
            try:
                stated = on_intervals(left.stated, right.stated)
            except IntervalError:
                stated = None
        return Value(allowed, stated, _point(on_points, left.point, right.point))

    @staticmethod
    def apply(value: Value, on_interval, on_point) -> Value:
        allowed = on_interval(value.allowed)
        try:
            stated = None if value.stated is None else on_interval(value.stated)
        except IntervalError:
            stated = None
        return Value(allowed, stated, _point(on_point, value.point))

    def allowed(self, key: Key) -> Interval:
        return self.inputs[key].allowed

    # truth values (Kleene's three-valued logic: None is "unknown")

    def truth(self, node: Node) -> bool | None:
        if isinstance(node, Comparison):
            values = [self.value(operand) for operand in node.operands]
            results = []
            for i, op in enumerate(node.ops):
                left, right = values[i], values[i + 1]
                result = getattr(left.allowed, _COMPARE[op])(right.allowed)
                if result is None:   # possible by intervals: exact if both sides are affine
                    result = exact_verdict(node.operands[i], node.operands[i + 1], _COMPARE[op],
                                           self.units.leaf_factor, self.allowed)
                self.judged.append(Judged(self.describe(node.operands[i], left), op,
                                          self.describe(node.operands[i + 1], right), result))
                results.append(result)
            return _all(results)
        if isinstance(node, Logical):
            results = [self.truth(operand) for operand in node.operands]
            if node.op == "and":
                return _all(results)
            if any(r is True for r in results):
                return True
            return False if all(r is False for r in results) else None
        if isinstance(node, Not):
            result = self.truth(node.operand)
            return None if result is None else not result
        raise TypeError(f"not a truth value: {node!r}")  # pragma: no cover - typed at load


def _all(results: list[bool | None]) -> bool | None:
    if any(r is False for r in results):
        return False
    return True if all(r is True for r in results) else None


def _point(operation, *points: Decimal | None) -> Decimal | None:
    if any(p is None for p in points):
        return None
    try:
        result = operation(*points)
    except ArithmeticError:
        return None
    return result if result.is_finite() else None


_BINARY = {
    "+": (lambda a, b: a + b, NEAREST.add),
    "-": (lambda a, b: a - b, NEAREST.subtract),
    "*": (lambda a, b: a * b, NEAREST.multiply),
    "/": (lambda a, b: a / b, NEAREST.divide),
}
_CALLS = {"min": (minimum, min), "max": (maximum, max)}
_COMPARE = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def evaluate(rule: Rule, inputs: dict[Key, Input], units: RuleUnits) -> RuleResult:
    """Evaluate `rule` on `inputs`; a missing input or an undefined operation is reported."""
    result = RuleResult(rule)
    result.missing = [ref for ref in rule.inputs if ref.key not in inputs]
    if result.missing:
        return result
    evaluator = _Evaluator(rule, inputs, units)
    try:
        if rule.derive is not None:
            rhs = rule.tree.operands[1]
            value = evaluator.value(rhs)
            factor = units.leaf_factor(rule.derive)
            scale = Interval.point(factor)
            result.derived = Value(
                value.allowed / scale, None if value.stated is None else value.stated / scale,
                None if value.point is None else NEAREST.divide(value.point, factor))
            if rule.derive.key not in inputs:
                result.truth = None
                return result
        result.truth = evaluator.truth(rule.tree)
    except IntervalError as exc:
        result.error = f"{exc} in {excerpt(rule.expression)}"
    result.judged = evaluator.judged
    return result
